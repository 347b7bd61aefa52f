"""checkov (`make scan`, tests/infra/test_checkov.py): every check the templates do not pass, with its reason.

Like the cdk-nag acknowledgements (infra/nag.py), each answer is attached to the narrowest resources it
concerns, as the resource's `Metadata.checkov.skip` entry in the template, so checkov reports it as skipped
with its reason; a finding on any other resource fails the scan. Fix the resource before adding a line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aws_cdk as cdk
from constructs import IConstruct

from infra.constructs.functions import ASYNC_FUNCTIONS, STREAM_FUNCTIONS, api_served
from infra.nag import (
    BUCKET_NOTIFICATIONS_HANDLER,
    WORKFLOW_TASKS,
    _api_stage,
    _bucket_deployment_handler,
    _bucket_deployment_policy,
    _distribution_default_certificate,
    _fhir_methods,
    _mock_methods,
    _public_methods,
    _web_bucket,
)
from infra.routes import MAIL_SENDER

if TYPE_CHECKING:
    from infra.stack import PortalStack


@dataclass(frozen=True)
class Skip:
    check: str  # checkov's id, e.g. CKV_AWS_117
    reason: str
    targets: Callable[[PortalStack], Iterable[IConstruct]]


def _functions(stack: PortalStack) -> list[IConstruct]:
    return list(stack.functions.functions.values())


def _functions_named(stack: PortalStack, names: Iterable[str]) -> list[IConstruct]:
    wanted = set(names)
    return [fn for name, fn in stack.functions.functions.items() if name in wanted]


def _cdk_handlers(stack: PortalStack) -> list[IConstruct]:
    """CDK's own singleton functions: the pages deployment and the bucket-notifications handler."""
    handler = stack.node.try_find_child(BUCKET_NOTIFICATIONS_HANDLER)
    return [*_bucket_deployment_handler(stack), *([handler.node.find_child("Resource")] if handler else [])]


def _unreserved_functions(stack: PortalStack) -> list[IConstruct]:
    return [] if stack.config.reserve_concurrency else _functions(stack)


def _api_functions_without_dead_letters(stack: PortalStack) -> list[IConstruct]:
    return _functions_named(stack, api_served(list(stack.api.methods)) - ASYNC_FUNCTIONS)


def _log_buckets(stack: PortalStack) -> list[IConstruct]:
    return [stack.access_logs.bucket, stack.storage.logs_bucket, stack.portal_data.logs_bucket,
            stack.audit_archive.logs_bucket]


NO_VPC = (
    "The function reaches only AWS service APIs (DynamoDB, S3, SES, SNS, SQS, Step Functions, KMS, Secrets "
    "Manager, X-Ray) over TLS with IAM-signed requests; there is no VPC resource to reach, and a VPC would add "
    "NAT or endpoints without narrowing access, which each function's role already limits."
)

SKIPS: tuple[Skip, ...] = (
    # --- API Gateway methods without authorization --------------------------------------------------
    Skip("CKV_AWS_59", "Public route (infra/routes.py public=True): registration, CAPTCHA, activation, sign-in, "
         "password reset, push device answers and the published prior-authorization metrics come before an "
         "account or session exists, or are public by rule; WAF, stage throttling, CAPTCHA and per-subject rate "
         "limits protect them.", _public_methods),
    Skip("CKV_AWS_59", "FHIR route for providers' systems: API Gateway admits the request and the function "
         "checks the SMART Backend Services bearer token (or, at the token endpoint, the client's signed "
         "assertion) before it reads anything.", _fhir_methods),
    Skip("CKV_AWS_59", "ANY method answering 405 (with Allow) or 404 from a MOCK integration: it reaches no "
         "function and no data.", _mock_methods),
    # --- Lambda -----------------------------------------------------------------------------------------
    Skip("CKV_AWS_117", NO_VPC, _functions),
    Skip("CKV_AWS_117", f"CDK's own deployment-time handler. {NO_VPC}", _cdk_handlers),
    Skip("CKV_AWS_173", "The variables hold names, ARNs, URLs and settings (infra/capabilities.py), never a "
         "secret: secrets are read from Secrets Manager at run time. Lambda encrypts them at rest with its "
         "AWS-managed key; a customer key would protect nothing secret.", _functions),
    Skip("CKV_AWS_173", "CDK's BucketDeployment handler: its variables are CDK's settings, no secret.",
         _bucket_deployment_handler),
    Skip("CKV_AWS_115", "This stage reserves no concurrency (reserve_concurrency false in cdk.json): its "
         "account's concurrency quota is too small to reserve any. Other stages reserve per function "
         "(infra/constructs/functions.py reserved_concurrency).", _unreserved_functions),
    Skip("CKV_AWS_115", "CDK's own handler runs only during deployments (a custom resource), never on requests; "
         "a reservation would take capacity from the portal's functions.", _cdk_handlers),
    Skip("CKV_AWS_116", "Invoked synchronously by API Gateway: the caller gets the error response and the "
         "Errors alarm fires; a dead-letter queue only receives failed asynchronous invocations.",
         _api_functions_without_dead_letters),
    Skip("CKV_AWS_116", "A workflow's task, invoked synchronously by its state machine, whose Retry/Catch handle "
         "failures (infra/workflows/*.asl.json); a dead-letter queue only receives asynchronous invocations.",
         lambda stack: _functions_named(stack, WORKFLOW_TASKS - ASYNC_FUNCTIONS)),
    Skip("CKV_AWS_116", "Run by the audit table's stream: batches that fail every retry go to the event source "
         "mapping's on-failure dead-letter queue (infra/constructs/audit_archive.py), alarmed.",
         lambda stack: _functions_named(stack, STREAM_FUNCTIONS)),
    Skip("CKV_AWS_116", "Polls the mail queue: messages that fail every receive go to the queue's own "
         "dead-letter queue (redrive policy, alarmed; `make redrive` returns them).",
         lambda stack: _functions_named(stack, {MAIL_SENDER})),
    Skip("CKV_AWS_116", "CDK's own handler is invoked by CloudFormation during a deployment, which waits for "
         "its answer and rolls back on failure; there are no asynchronous events to keep.", _cdk_handlers),
    # --- S3 ---------------------------------------------------------------------------------------------
    Skip("CKV_AWS_18", "An access-log bucket: logging it into itself would log every log delivery without end, "
         "and into another bucket would only move the question. Reads of it are in CloudTrail.", _log_buckets),
    Skip("CKV_AWS_21", "The pages bucket is rebuilt from the repository by every deployment and holds no data; "
         "earlier versions are in git.", _web_bucket),
    # --- API stage, distribution, CDK's deployment policy ------------------------------------------------
    Skip("CKV_AWS_120", "Caching is off on purpose: responses are per user and request (member and claim data) "
         "and must never be served from a cache to another caller.", _api_stage),
    Skip("CKV_AWS_174", "No custom domain in this stage: CloudFront serves its default *.cloudfront.net "
         "certificate, whose security policy it fixes (browsers negotiate TLS 1.2/1.3); with domain_name set "
         "the distribution requires TLSv1.2_2021.", _distribution_default_certificate),
    Skip("CKV_AWS_111", "CDK's BucketDeployment policy: during deployments it writes and prunes the objects of "
         "the pages bucket only, and invalidates the distribution (invalidations take no resource ARN).",
         _bucket_deployment_policy),
)


def _resource(target: IConstruct) -> cdk.CfnResource:
    resource = target if isinstance(target, cdk.CfnResource) else target.node.default_child
    if not isinstance(resource, cdk.CfnResource):
        raise TypeError(f"{target.node.path} has no CloudFormation resource to mark")
    return resource


def skips(stack: PortalStack) -> dict[str, tuple[cdk.CfnResource, list[dict[str, str]]]]:
    """Each resource's checkov skip entries in this stack, by construct path (jsii gives a new Python object
    for the same construct on each access)."""
    found: dict[str, tuple[cdk.CfnResource, list[dict[str, str]]]] = {}
    for skip in SKIPS:
        for target in skip.targets(stack):
            resource = _resource(target)
            found.setdefault(resource.node.path, (resource, []))[1].append({"id": skip.check, "comment": skip.reason})
    return found


def mark(stack: PortalStack) -> None:
    """Write the skips into the resources' Metadata, where checkov reads them."""
    for resource, entries in skips(stack).values():
        resource.add_metadata("checkov", {"skip": entries})
