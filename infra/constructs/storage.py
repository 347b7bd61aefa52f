"""Buckets where the plan drops files for an import function: provider rosters (CSV) and portal data
(FHIR NDJSON extracts). Files land under incoming/, the import writes its report under reports/.

Each is encrypted with a customer-managed key, private, TLS-only, versioned, with server access logs
kept in a separate (equally private, TLS-only, versioned) logs bucket.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from constructs import Construct

from functions.shared.services.s3_imports import EXPORT_MANIFEST, EXPORTS_PREFIX
from infra.config import StageConfig
from infra.constructs._common import customer_key, removal_policy

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
ACCESS_LOG_DAYS = 400
MINIMUM_TLS_VERSION = 1.2


def _abort_incomplete_uploads() -> s3.LifecycleRule:
    return s3.LifecycleRule(id="AbortIncompleteUploads",
                            abort_incomplete_multipart_upload_after=cdk.Duration.days(7))


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
        # S3 server access logging can only deliver to a bucket encrypted with SSE-S3 (not SSE-KMS).
        self.logs_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=MINIMUM_TLS_VERSION,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAccessLogs",
                    expiration=cdk.Duration.days(ACCESS_LOG_DAYS),
                    noncurrent_version_expiration=cdk.Duration.days(NONCURRENT_VERSION_DAYS),
                ),
                _abort_incomplete_uploads(),
            ],
            removal_policy=policy,
        )
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
                         )])

    def notify(self, function: lambda_.IFunction) -> None:
        super().notify(function)
        self.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.LambdaDestination(function),
            s3.NotificationKeyFilter(prefix=EXPORTS_PREFIX, suffix=EXPORT_MANIFEST),
        )
