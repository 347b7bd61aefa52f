"""Access logs (infra/constructs/access_logs.py): every bucket and the distribution log their requests into a
private, TLS-only, encrypted, versioned log bucket that keeps them for the stage's retention; log buckets do
not log themselves; only the log deliveries may write."""

from __future__ import annotations

import json
from typing import Any

from infra import app as app_module
from infra.config import stages_from_context
from infra.constructs.access_logs import CLOUDFRONT_PREFIX, PAGES_PREFIX
from tests.infra.helpers import Synth, as_list, logical_id, refs, resources


def _log_bucket_ids(dev: Synth) -> set[str]:
    stack = dev.stack
    return {logical_id(stack, bucket) for bucket in (stack.access_logs.bucket, stack.storage.logs_bucket,
                                                     stack.portal_data.logs_bucket, stack.audit_archive.logs_bucket)}


def test_every_bucket_logs_its_requests_into_a_log_bucket_that_does_not_log_itself(dev: Synth, template: dict) -> None:
    log_buckets = _log_bucket_ids(dev)
    for name, bucket in resources(template, "AWS::S3::Bucket").items():
        logging = bucket["Properties"].get("LoggingConfiguration")
        if name in log_buckets:
            assert logging is None, name
        else:
            assert set(refs(logging["DestinationBucketName"])) <= log_buckets, name
    pages = template["Resources"][logical_id(dev.stack, dev.stack.web.bucket)]["Properties"]["LoggingConfiguration"]
    assert pages == {"DestinationBucketName": {"Ref": logical_id(dev.stack, dev.stack.access_logs.bucket)},
                     "LogFilePrefix": PAGES_PREFIX}


def test_the_distribution_logs_every_request_without_cookies(dev: Synth, template: dict) -> None:
    (distribution,) = resources(template, "AWS::CloudFront::Distribution").values()
    logging = distribution["Properties"]["DistributionConfig"]["Logging"]
    assert logging["IncludeCookies"] is False  # the session cookie stays out of the logs
    assert logging["Prefix"] == CLOUDFRONT_PREFIX
    assert set(refs(logging["Bucket"])) == {logical_id(dev.stack, dev.stack.access_logs.bucket)}


def test_the_log_bucket_is_private_encrypted_versioned_and_kept_for_the_stage(dev: Synth, template: dict) -> None:
    bucket = template["Resources"][logical_id(dev.stack, dev.stack.access_logs.bucket)]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}  # what S3 log delivery accepts
    # CloudFront's standard logging writes with an ACL; the objects still belong to the account
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "ObjectLockEnabled" not in bucket  # S3 log delivery refuses a bucket with a default retention
    expiry = next(r for r in bucket["LifecycleConfiguration"]["Rules"] if r["Id"] == "ExpireAccessLogs")
    assert expiry["ExpirationInDays"] == dev.stack.config.access_log_days == 30


def _statements(template: dict, dev: Synth) -> list[dict[str, Any]]:
    bucket_id = logical_id(dev.stack, dev.stack.access_logs.bucket)
    (policy,) = [p for p in resources(template, "AWS::S3::BucketPolicy").values()
                 if set(refs(p["Properties"]["Bucket"])) == {bucket_id}]
    return policy["Properties"]["PolicyDocument"]["Statement"]


def test_only_s3_log_delivery_is_granted_writes_and_only_over_tls(dev: Synth, template: dict) -> None:
    statements = _statements(template, dev)
    allowed = [s for s in statements if s["Effect"] == "Allow"]
    assert allowed and all(s["Principal"] == {"Service": "logging.s3.amazonaws.com"} for s in allowed)
    assert {a for s in allowed for a in as_list(s["Action"])} == {"s3:PutObject"}
    pages_id = logical_id(dev.stack, dev.stack.web.bucket)
    for statement in allowed:  # the pages bucket of this account only
        assert set(refs(statement["Condition"]["ArnLike"]["aws:SourceArn"])) == {pages_id}
        assert "aws:SourceAccount" in statement["Condition"]["StringEquals"]
    denied = {json.dumps(s["Condition"], sort_keys=True) for s in statements
              if s["Effect"] == "Deny" and s["Principal"] == {"AWS": "*"}}
    assert denied == {json.dumps({"Bool": {"aws:SecureTransport": "false"}}),
                      json.dumps({"NumericLessThan": {"s3:TlsVersion": 1.2}})}


def test_access_logs_are_kept_per_stage() -> None:
    context = app_module.cdk_json_context()
    days = {(c.name, c.plan): c.access_log_days for c in stages_from_context(context)}
    assert days == {("dev", "caresource"): 30, ("staging", "caresource"): 90, ("prod", "caresource"): 2192,
                    ("prod", "cmo"): 2192}
    context["stages"]["staging"]["access_log_retention_days"] = 400
    (staging,) = stages_from_context({**context, "stage": "staging"})
    assert staging.access_log_days == 400 and staging.log_retention_days == 90
