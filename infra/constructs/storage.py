"""Buckets where the plan drops files for an import function: provider rosters (CSV) and portal data
(FHIR NDJSON extracts). Files land under incoming/, the import writes its report under reports/.

Each is encrypted with a customer-managed key, private, TLS-only, versioned, with server access logs
kept in a separate (equally private, TLS-only, versioned) logs bucket.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_guardduty as guardduty
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.shared.core.malware_scan import EVENT_DETAIL_TYPE, EVENT_SOURCE, SCAN_STATUS_TAG, ScanResult
from functions.shared.services.s3_imports import EXPORT_MANIFEST, EXPORTS_PREFIX, IMPORT_WORK_PREFIX
from infra.config import StageConfig
from infra.constructs._common import customer_key, removal_policy

IMPORT_WORK_DAYS = 7  # an import that stopped leaves its survey and parts this long
INCOMING_PREFIX = "incoming/"  # where the plan drops files; each new one (with the suffix) starts an import
ROSTER_SUFFIX = ".csv"
PORTAL_DATA_SUFFIX = ".ndjson"
REPORTS_PREFIX = "reports/"  # where the import writes '<incoming key>.report.json'
# portal-data bucket only: files sent with prior-authorization requests (functions/shared/store/attachment_files.py)
ATTACHMENTS_PREFIX = "attachments/"
# portal-data bucket only: the NDJSON files of Provider Access exports
# (functions/shared/store/export_files.py PREFIX), downloadable for the plan's provider_export_days (2)
PROVIDER_EXPORTS_PREFIX = "provider-exports/"
PROVIDER_EXPORT_DAYS = 3  # a day past the download window, after which no manifest links to them
PROVIDER_EXPORT_VERSION_DAYS = 1  # the version an expiry leaves behind (PHI) goes a day later, not after 90
REPORT_DAYS = 400  # a report is looked at within days; 13 months covers a yearly review
NONCURRENT_VERSION_DAYS = 90  # overwritten or deleted rosters and reports stay restorable this long
MINIMUM_TLS_VERSION = 1.2
GUARDDUTY_MALWARE_SERVICE = "malware-protection-plan.guardduty.amazonaws.com"
# The EventBridge managed rule GuardDuty creates to hear of new objects, and the object it writes to check its access.
GUARDDUTY_MANAGED_RULE = "DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*"
GUARDDUTY_VALIDATION_OBJECT = "malware-protection-resource-validation-object"
CLEAN_TAG = ScanResult.NO_THREATS_FOUND.value
SCAN_RESULT_RETRY_ATTEMPTS = 8  # EventBridge's own retries when it cannot invoke the function
SCAN_RESULT_MAX_EVENT_AGE = cdk.Duration.hours(6)


def _abort_incomplete_uploads() -> s3.LifecycleRule:
    return s3.LifecycleRule(id="AbortIncompleteUploads",
                            abort_incomplete_multipart_upload_after=cdk.Duration.days(7))


def log_bucket(scope: Construct, construct_id: str, *, config: StageConfig, noncurrent_days: int,
               removal: cdk.RemovalPolicy,
               ownership: s3.ObjectOwnership = s3.ObjectOwnership.BUCKET_OWNER_ENFORCED) -> s3.Bucket:
    """A bucket of access logs (PHI: their URLs name records): private, TLS only, versioned, the stage's
    access-log retention. SSE-S3, because S3 server access logging cannot deliver to SSE-KMS."""
    return s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=ownership,
        enforce_ssl=True,
        minimum_tls_version=MINIMUM_TLS_VERSION,
        versioned=True,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="ExpireAccessLogs",
                expiration=cdk.Duration.days(config.access_log_days),
                noncurrent_version_expiration=cdk.Duration.days(noncurrent_days),
            ),
            _abort_incomplete_uploads(),
        ],
        removal_policy=removal,
    )


class ImportStorage(Construct):
    """`bucket` holds the incoming files and their reports; `logs_bucket` its server access logs.
    `lifecycle_rules`: the bucket's own, besides those every import bucket has."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, what: str, bucket_id: str,
                 suffix: str, logs_prefix: str, lifecycle_rules: Sequence[s3.LifecycleRule] = ()) -> None:
        super().__init__(scope, construct_id)
        policy = removal_policy(config.retain)
        self.suffix = suffix
        self.key = customer_key(self, "Key", description=f"Encrypts the portal's {what} and import reports",
                                retain=config.retain)
        self.logs_bucket = log_bucket(self, "AccessLogs", config=config, noncurrent_days=NONCURRENT_VERSION_DAYS,
                                      removal=policy)
        self.bucket = s3.Bucket(
            self,
            bucket_id,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=MINIMUM_TLS_VERSION,
            versioned=True,
            server_access_logs_bucket=self.logs_bucket,
            server_access_logs_prefix=logs_prefix,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireReports",
                    prefix=REPORTS_PREFIX,
                    expiration=cdk.Duration.days(REPORT_DAYS),
                ),
                *lifecycle_rules,
                s3.LifecycleRule(
                    id="ExpireNoncurrentVersions",
                    noncurrent_version_expiration=cdk.Duration.days(NONCURRENT_VERSION_DAYS),
                ),
                _abort_incomplete_uploads(),
            ],
            removal_policy=policy,
        )

    def notify(self, function: lambda_.IFunction) -> None:
        """Invoke `function` (asynchronously) for every file created under incoming/."""
        self.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.LambdaDestination(function),
            s3.NotificationKeyFilter(prefix=INCOMING_PREFIX, suffix=self.suffix),
        )


class RosterStorage(ImportStorage):
    """The plan's provider rosters (no member data)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id, config=config, what="roster files", bucket_id="Rosters",
                         suffix=ROSTER_SUFFIX, logs_prefix="roster/")


class PortalDataStorage(ImportStorage):
    """The plan's member, coverage and claim extracts (PHI): single files under incoming/, Bulk Data exports
    under exports/<name>/ (imported when their manifest.json lands, after their files); and the files
    providers attach to prior-authorization requests (under attachments/, read and written by the
    authorizations function only); and the files of Provider Access exports (under provider-exports/,
    written by the export workflow's task, read by the provider_access function, expired after 3 days); and the
    yearly prior-authorization metrics (under pa-metrics/: the published figures and their per-request basis,
    functions/shared/store/metrics_files.py, kept)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id, config=config, what="portal data extracts (PHI)",
                         bucket_id="Extracts", suffix=PORTAL_DATA_SUFFIX, logs_prefix="portal-data/",
                         lifecycle_rules=[s3.LifecycleRule(
                             id="ExpireProviderExports",
                             prefix=PROVIDER_EXPORTS_PREFIX,
                             expiration=cdk.Duration.days(PROVIDER_EXPORT_DAYS),
                             noncurrent_version_expiration=cdk.Duration.days(PROVIDER_EXPORT_VERSION_DAYS),
                         ), s3.LifecycleRule(
                             # what an import's steps hand one another; the import removes it when it ends
                             id="ExpireImportWork",
                             prefix=IMPORT_WORK_PREFIX,
                             expiration=cdk.Duration.days(IMPORT_WORK_DAYS),
                             noncurrent_version_expiration=cdk.Duration.days(1),
                         )])
        self._scan_attachments()

    def _scan_attachments(self) -> None:
        """GuardDuty Malware Protection for S3 scans every new object under attachments/ and tags it with its
        result (functions/shared/core/malware_scan.py); the bucket policy lets nobody but GuardDuty read one
        that is not tagged NO_THREATS_FOUND, so the portal's code is not the only guard."""
        stack = cdk.Stack.of(self)
        attachments = self.bucket.arn_for_objects(f"{ATTACHMENTS_PREFIX}*")
        managed_rule = stack.format_arn(service="events", resource="rule", resource_name=GUARDDUTY_MANAGED_RULE)
        # The service role AWS documents for a plan with tagging, narrowed to the one prefix it scans.
        self.scan_role = iam.Role(
            self, "MalwareScanRole", assumed_by=iam.ServicePrincipal(GUARDDUTY_MALWARE_SERVICE),
            description="GuardDuty Malware Protection for S3: scans and tags the attached files")
        self.scan_policy = iam.ManagedPolicy(
            self, "MalwareScanPolicy", roles=[self.scan_role],
            description="What GuardDuty Malware Protection for S3 needs to scan and tag the attached files",
            document=iam.PolicyDocument(statements=[
                iam.PolicyStatement(sid="AllowManagedRuleToSendS3EventsToGuardDuty",
                                    actions=["events:PutRule", "events:DeleteRule", "events:PutTargets",
                                             "events:RemoveTargets"], resources=[managed_rule],
                                    conditions={"StringLike": {"events:ManagedBy": GUARDDUTY_MALWARE_SERVICE}}),
                iam.PolicyStatement(sid="AllowGuardDutyToMonitorEventBridgeManagedRule",
                                    actions=["events:DescribeRule", "events:ListTargetsByRule"],
                                    resources=[managed_rule]),
                iam.PolicyStatement(sid="AllowPostScanTag",
                                    actions=["s3:PutObjectTagging", "s3:GetObjectTagging",
                                             "s3:PutObjectVersionTagging", "s3:GetObjectVersionTagging"],
                                    resources=[attachments]),
                iam.PolicyStatement(sid="AllowEnableS3EventBridgeEvents",
                                    actions=["s3:PutBucketNotification", "s3:GetBucketNotification"],
                                    resources=[self.bucket.bucket_arn]),
                iam.PolicyStatement(sid="AllowPutValidationObject", actions=["s3:PutObject"],
                                    resources=[self.bucket.arn_for_objects(GUARDDUTY_VALIDATION_OBJECT)]),
                iam.PolicyStatement(sid="AllowCheckBucketOwnership", actions=["s3:ListBucket"],
                                    resources=[self.bucket.bucket_arn]),
                iam.PolicyStatement(sid="AllowMalwareScan", actions=["s3:GetObject", "s3:GetObjectVersion"],
                                    resources=[attachments]),
                iam.PolicyStatement(sid="AllowDecryptForMalwareScan", actions=["kms:GenerateDataKey", "kms:Decrypt"],
                                    resources=[self.key.key_arn],
                                    conditions={"StringLike": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}}),
            ]))
        self.malware_protection = guardduty.CfnMalwareProtectionPlan(
            self, "MalwareProtection", role=self.scan_role.role_arn,
            protected_resource=guardduty.CfnMalwareProtectionPlan.CFNProtectedResourceProperty(
                s3_bucket=guardduty.CfnMalwareProtectionPlan.S3BucketProperty(
                    bucket_name=self.bucket.bucket_name, object_prefixes=[ATTACHMENTS_PREFIX])),
            actions=guardduty.CfnMalwareProtectionPlan.CFNActionsProperty(
                tagging=guardduty.CfnMalwareProtectionPlan.CFNTaggingProperty(status="ENABLED")))
        self.malware_protection.node.add_dependency(self.scan_policy)  # GuardDuty checks its access on creation
        # Pending, infected, unscannable: unreadable (any version) by anyone but the scanner itself.
        self.bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="DenyReadingAttachmentsNotScannedClean", effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()],
            actions=["s3:GetObject", "s3:GetObjectVersion"], resources=[attachments],
            conditions={"StringNotEquals": {f"s3:ExistingObjectTag/{SCAN_STATUS_TAG}": CLEAN_TAG,
                                            "aws:PrincipalArn": self.scan_role.role_arn}}))
        # ...and only the scanner writes that tag: nobody else tags an attachment (clean or otherwise), or
        # uploads one already carrying the scan's tag.
        self.bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="DenyTaggingAttachmentsButByTheScanner", effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()],
            actions=["s3:PutObjectTagging", "s3:PutObjectVersionTagging", "s3:DeleteObjectTagging",
                     "s3:DeleteObjectVersionTagging"], resources=[attachments],
            conditions={"StringNotEquals": {"aws:PrincipalArn": self.scan_role.role_arn}}))
        self.bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="DenyUploadingAttachmentsWithTheScanTag", effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()],
            actions=["s3:PutObject"], resources=[attachments],
            conditions={"ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": [SCAN_STATUS_TAG]}}))

    def on_scan_result(self, function: lambda_.IFunction, dead_letters: sqs.IQueue) -> events.Rule:
        """Invoke `function` with GuardDuty's scan result of each attached file; results EventBridge cannot
        deliver wait in `dead_letters` (the function's own, which also keeps the events it failed on)."""
        rule = events.Rule(
            self, "ScanResults", description="GuardDuty's malware-scan results of attached files",
            event_pattern=events.EventPattern(source=[EVENT_SOURCE], detail_type=[EVENT_DETAIL_TYPE], detail={
                "s3ObjectDetails": {"bucketName": [self.bucket.bucket_name],
                                    "objectKey": [{"prefix": ATTACHMENTS_PREFIX}]}}),
            targets=[targets.LambdaFunction(function, dead_letter_queue=dead_letters,
                                            retry_attempts=SCAN_RESULT_RETRY_ATTEMPTS,
                                            max_event_age=SCAN_RESULT_MAX_EVENT_AGE)])
        # EventBridge writes to the encrypted queue itself: this account's rules only (naming the rule here would
        # make the key depend on the rule, which depends on the queue and so on the key).
        if dead_letters.encryption_master_key is not None:
            this_account = {"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}}
            dead_letters.encryption_master_key.grant(
                iam.ServicePrincipal("events.amazonaws.com", conditions=this_account),
                "kms:GenerateDataKey", "kms:Decrypt")
        return rule

    def notify(self, function: lambda_.IFunction) -> None:
        super().notify(function)
        self.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.LambdaDestination(function),
            s3.NotificationKeyFilter(prefix=EXPORTS_PREFIX, suffix=EXPORT_MANIFEST),
        )
