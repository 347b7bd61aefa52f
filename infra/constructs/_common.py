"""Small helpers the constructs share: customer-managed keys and removal policies."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from constructs import Construct


def removal_policy(retain: bool) -> cdk.RemovalPolicy:
    """Kept on delete and replacement (CloudFormation's RetainExceptOnCreate), but removed when the
    stack's first deployment rolls back, so a kept, named resource never blocks the next attempt."""
    return cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE if retain else cdk.RemovalPolicy.DESTROY


def customer_key(scope: Construct, construct_id: str, *, description: str, retain: bool) -> kms.Key:
    """A symmetric customer-managed KMS key with yearly automatic rotation."""
    return kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        removal_policy=removal_policy(retain),
        pending_window=cdk.Duration.days(30) if retain else cdk.Duration.days(7),
    )


def pascal(name: str) -> str:
    """'unique_keys' -> 'UniqueKeys', 'link-provider' -> 'LinkProvider' (construct ids)."""
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))
