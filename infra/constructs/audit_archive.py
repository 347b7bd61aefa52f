"""The audit trail's tamper-proof copy: the audit table's stream, archived by the audit_archive function
into an S3 bucket with Object Lock in compliance mode for six years (HIPAA documentation retention), so
nobody - an administrator or the account root included - can change or delete a record's archived copy
before then. Batches that fail every retry go to the function's alarmed dead-letter queue (Functions
dead_letter_queues, watched by monitoring), so no record is silently lost.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs._common import customer_key
from infra.constructs.storage import MINIMUM_TLS_VERSION

ARCHIVE_PREFIX = "audit/"  # functions/audit_archive/logic.py PREFIX
RETENTION_YEARS = 6
STREAM_RETRIES = 10  # then the batch's description goes to the dead-letter queue


class AuditArchive(Construct):
    """`bucket` (Object Lock, compliance, six years), its `key` and `logs_bucket`."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        # Kept whatever the stage: locked objects outlive the stack, and so must the key that reads them.
        self.key = customer_key(self, "Key", description="Encrypts the archived audit trail", retain=True)
        self.logs_bucket = s3.Bucket(
            self, "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # server access logging cannot deliver to SSE-KMS
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True, minimum_tls_version=MINIMUM_TLS_VERSION, versioned=True,
            lifecycle_rules=[s3.LifecycleRule(
                id="ExpireAccessLogs", expiration=cdk.Duration.days(config.access_log_days),
                noncurrent_version_expiration=cdk.Duration.days(config.access_log_days))],
            removal_policy=cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,  # removed if the first deployment rolls back
        )
        self.bucket = s3.Bucket(
            self, "Records",
            encryption=s3.BucketEncryption.KMS, encryption_key=self.key, bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True, minimum_tls_version=MINIMUM_TLS_VERSION,
            versioned=True,  # Object Lock requires it
            object_lock_enabled=True,
            object_lock_default_retention=s3.ObjectLockRetention.compliance(
                cdk.Duration.days(365 * RETENTION_YEARS)),
            server_access_logs_bucket=self.logs_bucket, server_access_logs_prefix="audit-archive/",
            removal_policy=cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,  # removed if the first deployment rolls back
        )
        # In years, as the retention rule is stated (CDK would write it as days).
        bucket_resource = self.bucket.node.default_child
        assert isinstance(bucket_resource, s3.CfnBucket)
        bucket_resource.add_property_override("ObjectLockConfiguration.Rule.DefaultRetention.Years", RETENTION_YEARS)
        bucket_resource.add_property_deletion_override("ObjectLockConfiguration.Rule.DefaultRetention.Days")

    @staticmethod
    def stream_to(table: dynamodb.Table, function: lambda_.Function, dead_letters: sqs.IQueue) -> None:
        """Run `function` on every batch of `table`'s stream, in order, retrying a failing batch (split in
        halves to isolate a bad record) and sending what still fails to the dead-letter queue."""
        function.add_event_source(sources.DynamoEventSource(
            table,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=100,
            max_batching_window=cdk.Duration.seconds(5),
            bisect_batch_on_error=True,
            retry_attempts=STREAM_RETRIES,
            on_failure=sources.SqsDlq(dead_letters),
        ))
        # Stream records of a table encrypted with a customer-managed key are decrypted for the reader.
        if table.encryption_key is not None:
            table.encryption_key.grant_decrypt(function)
