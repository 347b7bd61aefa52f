"""The access-log bucket: CloudFront's standard logs of the distribution and the S3 server access logs of the
pages bucket (the import and audit-archive buckets keep theirs in their own log buckets, with the same
settings).

The logs are PHI: a request's URL names claim, authorization and member numbers. So the bucket is private
(all public access blocked), TLS-only, encrypted, versioned (an overwritten or deleted log stays
recoverable for NONCURRENT_DAYS) and expires logs after the stage's access_log_retention_days. Only the
two log deliveries write to it: S3 server access logging through the bucket policy CDK writes
(logging.s3.amazonaws.com, for this account's source buckets only), and CloudFront through the ACL grant to
its log-delivery account that CloudFront adds when logging is turned on. Nobody else is granted anything.

What the deliveries accept decides the settings (README "The logs are PHI"):
- encryption is SSE-S3: S3 server access logging documents only SSE-S3 as a destination bucket's default
  encryption (SSE-KMS is refused);
- object ownership is BucketOwnerPreferred, not BucketOwnerEnforced: CloudFront standard logging (the
  logging that AWS Config's and Security Hub's CloudFront logging checks recognise) writes with an ACL, which
  a bucket with ACLs disabled refuses; each log object still belongs to this account. Public ACLs stay
  blocked;
- no Object Lock: server access logging refuses a destination with a default retention, and expiring logs
  on the stage's schedule is the point; the tamper-proof record is the audit archive;
- the bucket does not log itself (that would log every log delivery, without end).
"""

from __future__ import annotations

from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import StageConfig
from infra.constructs._common import removal_policy
from infra.constructs.storage import log_bucket

CLOUDFRONT_PREFIX = "cloudfront/"
PAGES_PREFIX = "pages/"
NONCURRENT_DAYS = 30


class AccessLogs(Construct):
    """`bucket` receives the access logs; `config.access_log_days` keeps them."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        # CloudFront's standard logging writes with an ACL: BucketOwnerPreferred (see above)
        self.bucket = log_bucket(self, "Bucket", config=config, noncurrent_days=NONCURRENT_DAYS,
                                 removal=removal_policy(config.retain),
                                 ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED)
