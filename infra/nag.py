"""cdk-nag: the rule packs every synth runs, and every acknowledged finding with its reason.

All acknowledgements live here, each attached to the narrowest constructs it concerns. Any finding
not acknowledged below (warnings included) fails the synth; fix the resource before adding a line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks
from constructs import IConstruct

from functions.shared.store.metrics_files import BASIS_PREFIX, PUBLISHED_PREFIX
from infra.capabilities import READ_ONLY_ACCESS, TABLE_ACTIONS, Target, grants
from infra.constructs.api import session_route
from infra.constructs.audit_archive import ARCHIVE_PREFIX
from infra.constructs.functions import ASYNC_FUNCTIONS
from infra.constructs.notifications import Notifications
from infra.constructs.storage import (
    ATTACHMENTS_PREFIX,
    EXPORTS_PREFIX,
    GUARDDUTY_MANAGED_RULE,
    IMPORT_WORK_PREFIX,
    INCOMING_PREFIX,
    PROVIDER_EXPORTS_PREFIX,
    REPORTS_PREFIX,
)
from infra.routes import ACCESS_WORKFLOW, AUDIT_ARCHIVE, AUTHORIZATION_CLOCK, PROVIDER_EXPORT

WORKFLOW_TASKS = frozenset({ACCESS_WORKFLOW, AUTHORIZATION_CLOCK, PROVIDER_EXPORT})  # invoked by a state machine

if TYPE_CHECKING:
    from infra.stack import PortalStack


@dataclass(frozen=True)
class Acknowledgement:
    rule: str  # the finding id as reported, e.g. AwsSolutions-IAM5[Resource::*]
    reason: str
    targets: Callable[[PortalStack], Iterable[IConstruct]]


def _functions(stack: PortalStack) -> list[IConstruct]:
    return list(stack.functions.functions.values())


def _functions_without_reservation(stack: PortalStack) -> list[IConstruct]:
    return [] if stack.config.reserve_concurrency else _functions(stack)


def _api_functions(stack: PortalStack) -> list[IConstruct]:
    """Functions invoked synchronously by API Gateway (route handlers and the request authorizer)."""
    return [fn for name, fn in stack.functions.functions.items()
            if name not in WORKFLOW_TASKS and name not in ASYNC_FUNCTIONS]


def _workflow_task(stack: PortalStack) -> list[IConstruct]:
    return [fn for name, fn in stack.functions.functions.items() if name == ACCESS_WORKFLOW]


def _clock_task(stack: PortalStack) -> list[IConstruct]:
    return [fn for name, fn in stack.functions.functions.items() if name == AUTHORIZATION_CLOCK]


def _clock_role(stack: PortalStack) -> list[IConstruct]:
    return [stack.workflows.clock_role] if stack.workflows and stack.workflows.clock_role else []


def _export_task(stack: PortalStack) -> list[IConstruct]:
    return [fn for name, fn in stack.functions.functions.items() if name == PROVIDER_EXPORT]


def _export_role(stack: PortalStack) -> list[IConstruct]:
    return [stack.workflows.export_role] if stack.workflows and stack.workflows.export_role else []


def _import_role(stack: PortalStack) -> list[IConstruct]:
    return [stack.workflows.import_role] if stack.workflows and stack.workflows.import_role else []


def _schedule_dead_letters(stack: PortalStack) -> list[IConstruct]:
    return [stack.schedules.dead_letters]


def _scheduler_role(stack: PortalStack) -> list[IConstruct]:
    return [stack.schedules.role]


def _roles(stack: PortalStack) -> list[IConstruct]:
    return list(stack.functions.roles.values())


def _roles_writing_tables(stack: PortalStack) -> list[IConstruct]:
    return [
        stack.functions.roles[name]
        for name, spec in stack.functions.specs.items()
        if set(spec.tables.values()) - READ_ONLY_ACCESS
    ]


def _public_methods(stack: PortalStack) -> list[IConstruct]:
    """Public portal routes (before sign-in); the FHIR routes have their own reasons."""
    return [method for route, method in stack.api.methods.items() if route.public and not route.fhir]


def _fhir_methods(stack: PortalStack) -> list[IConstruct]:
    return [method for route, method in stack.api.methods.items() if route.fhir]


def _mock_methods(stack: PortalStack) -> list[IConstruct]:
    return list(stack.api.mock_methods.values())


def _session_methods(stack: PortalStack) -> list[IConstruct]:
    return [method for route, method in stack.api.methods.items() if session_route(route)]


def _staff_methods(stack: PortalStack) -> list[IConstruct]:
    return [method for route, method in stack.api.methods.items() if route.iam]


def _workflow_role(stack: PortalStack) -> list[IConstruct]:
    return [stack.workflows.role] if stack.workflows else []


def _roster_buckets(stack: PortalStack) -> list[IConstruct]:
    return [stack.storage.bucket, stack.storage.logs_bucket]


def _portal_data_buckets(stack: PortalStack) -> list[IConstruct]:
    return [stack.portal_data.bucket, stack.portal_data.logs_bucket]


def _access_logs_bucket(stack: PortalStack) -> list[IConstruct]:
    return [stack.storage.logs_bucket, stack.portal_data.logs_bucket, stack.audit_archive.logs_bucket,
            stack.access_logs.bucket]


def _access_logs_only(stack: PortalStack) -> list[IConstruct]:
    return [stack.access_logs.bucket]


def _audit_archive_buckets(stack: PortalStack) -> list[IConstruct]:
    return [stack.audit_archive.bucket, stack.audit_archive.logs_bucket]


def _audit_archive_queue(stack: PortalStack) -> list[IConstruct]:
    queue = stack.functions.dead_letter_queues.get(AUDIT_ARCHIVE)
    return [queue] if queue else []


def _audit_archive_role(stack: PortalStack) -> list[IConstruct]:
    return [stack.functions.roles[name] for name in stack.functions.roles if name == AUDIT_ARCHIVE]


def _bucket_notifications_handler_role(stack: PortalStack) -> list[IConstruct]:
    """The role of CDK's singleton Custom::S3BucketNotifications handler (exists once a bucket notifies)."""
    handler = stack.node.try_find_child(BUCKET_NOTIFICATIONS_HANDLER)
    return [handler.node.find_child("Role")] if handler else []


def _bucket_notifications_policy(stack: PortalStack) -> list[IConstruct]:
    found = []
    for bucket in (stack.storage.bucket, stack.portal_data.bucket):
        notifications = bucket.node.try_find_child("Notifications")
        policy = notifications.node.try_find_child("HandlerPolicy") if notifications else None
        found += [policy] if policy else []
    return found


def _api_stage(stack: PortalStack) -> list[IConstruct]:
    return [stack.api.rest_api.deployment_stage]


def _backup_role(stack: PortalStack) -> list[IConstruct]:
    return [stack.tables.backup_selection]


def _hmac_secrets(stack: PortalStack) -> list[IConstruct]:
    return [stack.secrets.captcha, stack.secrets.cursor]


def _web_bucket(stack: PortalStack) -> list[IConstruct]:
    return [stack.web.bucket]


def _distribution(stack: PortalStack) -> list[IConstruct]:
    return [stack.web.distribution]


def _distribution_default_certificate(stack: PortalStack) -> list[IConstruct]:
    return [stack.web.distribution] if stack.web.certificate is None else []


def _bucket_deployment_singleton(stack: PortalStack) -> list[IConstruct]:
    """CDK's singleton Custom::CDKBucketDeployment<uuid><memory>MiB function of the stack."""
    return [child for child in stack.node.children if child.node.id.startswith("Custom::CDKBucketDeployment")]


def _bucket_deployment_handler(stack: PortalStack) -> list[IConstruct]:
    return [handler.node.find_child("Resource") for handler in _bucket_deployment_singleton(stack)]


def _bucket_deployment_role(stack: PortalStack) -> list[IConstruct]:
    return [handler.node.find_child("ServiceRole") for handler in _bucket_deployment_singleton(stack)]


def _bucket_deployment_policy(stack: PortalStack) -> list[IConstruct]:
    return [role.node.find_child("DefaultPolicy") for role in _bucket_deployment_role(stack)]


# CDK's id for the one bucket-notifications handler of a stack (aws-cdk-lib/aws-s3 notifications-resource).
BUCKET_NOTIFICATIONS_HANDLER = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"

ACKNOWLEDGEMENTS: tuple[Acknowledgement, ...] = (
    # --- Lambda functions -------------------------------------------------------------------------
    Acknowledgement(
        "AwsSolutions-L1",
        "Functions run python3.12 because the dependency layer is built from cp312 wheels pinned in "
        "requirements/constraints.txt; the runtime moves only together with the layer's "
        "--python-version (infra/constructs/layer.py) after the test suite passed on the new version.",
        _functions,
    ),
    Acknowledgement(
        "HIPAA.Security-LambdaConcurrency",
        "This stage reserves no concurrency (reserve_concurrency false in cdk.json): its account's Lambda "
        "concurrency quota is too small to reserve any, as AWS keeps 100 unreserved. The stages that do reserve "
        "give every function its own (infra/constructs/functions.py reserved_concurrency).",
        _functions_without_reservation,
    ),
    Acknowledgement(
        "HIPAA.Security-LambdaDLQ",
        "A dead-letter queue only receives failed asynchronous invocations; these functions are invoked "
        "synchronously by API Gateway, the caller gets the error response, and failures raise the "
        "Errors alarm. There is nothing a DLQ would ever hold.",
        _api_functions,
    ),
    Acknowledgement(
        "HIPAA.Security-LambdaDLQ",
        "Invoked synchronously (lambda:invoke, request-response) by the access-approval state machine: an "
        "error returns to the execution, whose Retry/Catch (infra/workflows/access_approval.asl.json) "
        "handle it, and raises the Errors alarm. A DLQ would only receive asynchronous invocations.",
        _workflow_task,
    ),
    Acknowledgement(
        "HIPAA.Security-LambdaDLQ",
        "Invoked synchronously (lambda:invoke, request-response) by the authorization decision clock: an "
        "error returns to the execution, whose Retry (infra/workflows/authorization_clock.asl.json) "
        "handles it, and raises the Errors alarm. A DLQ would only receive asynchronous invocations.",
        _clock_task,
    ),
    Acknowledgement(
        "HIPAA.Security-LambdaDLQ",
        "Invoked synchronously (lambda:invoke, request-response) by the Provider Access export workflow: an "
        "error returns to the execution, whose Retry/Catch (infra/workflows/provider_export.asl.json) "
        "retry it and then mark the job failed, and raises the Errors alarm. A DLQ would only receive "
        "asynchronous invocations.",
        _export_task,
    ),
    Acknowledgement(
        "HIPAA.Security-LambdaInsideVPC",
        "The functions reach only AWS service APIs (DynamoDB, S3, SES, SNS, SQS, Step Functions, KMS, "
        "Secrets Manager, X-Ray) over TLS with IAM-signed requests; there is no VPC-resident resource to "
        "reach, and data at rest is encrypted with customer-managed KMS keys. A VPC would add "
        "NAT/endpoints without narrowing access, which IAM already limits per function.",
        _functions,
    ),
    # --- Function roles ---------------------------------------------------------------------------
    Acknowledgement(
        "HIPAA.Security-IAMNoInlinePolicy",
        "Each function role has exactly one CDK-generated AWS::IAM::Policy holding the least-privilege "
        "statements derived from its entry in infra/routes.py; it is created, changed and deleted only "
        "with the role by CloudFormation and never attached to users or groups.",
        _roles,
    ),
    Acknowledgement(
        "AwsSolutions-IAM5[Resource::*]",
        "xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) and, for the audit_archive "
        "function's stream event source only, dynamodb:ListStreams support no resource-level permissions, so "
        "AWS requires Resource '*'; every other statement names its resources.",
        _roles,
    ),
    Acknowledgement(
        "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
        "Granted (Key.grant_encrypt_decrypt) to functions that write a table, on the tables' own "
        "customer-managed key only (the resource is that key's ARN): DynamoDB needs data keys to write "
        "items encrypted with it.",
        _roles_writing_tables,
    ),
    Acknowledgement(
        "AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
        "Granted (Key.grant_encrypt_decrypt) to functions that write a table, on the tables' own "
        "customer-managed key only (the resource is that key's ARN); re-encryption under another key is "
        "impossible without access to that other key, which no function has.",
        _roles_writing_tables,
    ),
    # --- API Gateway ------------------------------------------------------------------------------
    Acknowledgement(
        "AwsSolutions-APIG4",
        "Route marked public in infra/routes.py: registration, CAPTCHA and activation happen before the "
        "caller has an account, and the yearly prior-authorization metrics (aggregate figures, no personal "
        "data) are public by rule. These routes are protected by WAF (managed rules and a per-IP rate "
        "limit), stage throttling, CAPTCHA and per-subject rate limits in the functions.",
        _public_methods,
    ),
    Acknowledgement(
        "AwsSolutions-COG4",
        "Route marked public in infra/routes.py (pre-authentication step of the portal); the portal "
        "does its own account management, so there is no Cognito user pool to authorize against.",
        _public_methods,
    ),
    Acknowledgement(
        "AwsSolutions-APIG4",
        "The ANY methods answer 405 (with Allow) to the methods a path does not list, and 404 to paths no "
        "route has, from MOCK integrations: they reach no function and no data, so there is nothing to "
        "authorize.",
        _mock_methods,
    ),
    Acknowledgement(
        "AwsSolutions-APIG4",
        "FHIR route for providers' systems (fhir in infra/routes.py): SMART Backend Services clients send "
        "an OAuth bearer token, not a portal session, so API Gateway admits the request and the function "
        "checks the token itself (hashed, 5 minutes, bound to the client and Provider ID) before it reads "
        "anything; the token endpoint and SMART configuration come before a token by definition and verify "
        "the client's signed assertion instead. WAF and stage throttling cover these routes too.",
        _fhir_methods,
    ),
    Acknowledgement(
        "AwsSolutions-COG4",
        "FHIR route for providers' systems: clients authenticate with SMART Backend Services (a signed JWT "
        "assertion for a short-lived bearer token the function verifies), registered by the Provider ID's "
        "administrators in the portal; there is no Cognito user pool for systems.",
        _fhir_methods,
    ),
    Acknowledgement(
        "AwsSolutions-COG4",
        "The ANY methods answer 405 or 404 from MOCK integrations (no function, no data); the portal has no "
        "Cognito user pool.",
        _mock_methods,
    ),
    Acknowledgement(
        "AwsSolutions-COG4",
        "The portal manages its own accounts and sessions (argon2id passwords, MFA); protected routes "
        "are admitted by the REQUEST Lambda authorizer, not by a Cognito user pool.",
        _session_methods,
    ),
    Acknowledgement(
        "AwsSolutions-COG4",
        "Staff route marked iam in infra/routes.py: authorized with AWS_IAM (SigV4), so only AWS "
        "principals holding the stack's StaffInvoke managed policy may call it; provider-relations staff "
        "sign in through the plan's AWS identity provider, not through portal or Cognito accounts.",
        _staff_methods,
    ),
    Acknowledgement(
        "HIPAA.Security-APIGWCacheEnabledAndEncrypted",
        "Stage caching is deliberately off: responses are per user and per request (state changes, "
        "member and claim data) and must never be served from a cache to another caller; nothing is "
        "cached, so nothing cached is unencrypted.",
        _api_stage,
    ),
    Acknowledgement(
        "HIPAA.Security-APIGWSSLEnabled",
        "A client certificate authenticates API Gateway to an HTTP backend; every integration here is "
        "a Lambda proxy integration invoked through the IAM-authorized Lambda API, so there is no "
        "HTTP backend to present a certificate to. Clients reach the API over TLS only.",
        _api_stage,
    ),
    # --- Backups and secrets ----------------------------------------------------------------------
    Acknowledgement(
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSBackupServiceRolePolicyForBackup]",
        "The service role AWS Backup assumes to back up the tables; AWS maintains this managed policy "
        "for the service as it adds resource types, and only AWS Backup can assume the role.",
        _backup_role,
    ),
    Acknowledgement(
        "AwsSolutions-SMG4",
        "The CAPTCHA and paging-cursor HMAC keys only sign challenges that expire within minutes and page "
        "links of one search, and protect no stored data; they are replaced on demand (put-secret-value with "
        "a new random value; a replaced cursor key only makes open page links answer 'search again') rather "
        "than on a schedule, which would need a rotation function and dual-key verification for no gain.",
        _hmac_secrets,
    ),
    Acknowledgement(
        "HIPAA.Security-SecretsManagerRotationEnabled",
        "The CAPTCHA and cursor HMAC keys are not credentials to any system holding ePHI; they sign "
        "short-lived challenges and page links and are replaced on demand (see AwsSolutions-SMG4 on the same "
        "secrets).",
        _hmac_secrets,
    ),
    # --- Step Functions ---------------------------------------------------------------------------
    Acknowledgement(
        "AwsSolutions-IAM5[Resource::*]",
        "Added by CDK for the state machine's logging and tracing: CloudWatch Logs vended-log delivery "
        "(logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, "
        "PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray (PutTraceSegments, "
        "PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) support no resource-level "
        "permissions. The role's only other permission is lambda:InvokeFunction on the access_workflow "
        "function.",
        _workflow_role,
    ),
    Acknowledgement(
        "HIPAA.Security-IAMNoInlinePolicy",
        "The state machine role has exactly one CDK-generated AWS::IAM::Policy (invoke the access_workflow "
        "function, log delivery, tracing); it is created and deleted only with the role, which only "
        "states.amazonaws.com of this account may assume.",
        _workflow_role,
    ),
    Acknowledgement(
        "AwsSolutions-IAM5[Resource::*]",
        "Added by CDK for the decision clock's logging and tracing: CloudWatch Logs vended-log delivery and "
        "X-Ray support no resource-level permissions. The role's only other permission is "
        "lambda:InvokeFunction on the authorization_clock function.",
        _clock_role,
    ),
    Acknowledgement(
        "HIPAA.Security-IAMNoInlinePolicy",
        "The decision clock's role has exactly one CDK-generated AWS::IAM::Policy (invoke the "
        "authorization_clock function, log delivery, tracing); it is created and deleted only with the "
        "role, which only states.amazonaws.com of this account may assume.",
        _clock_role,
    ),
    Acknowledgement(
        "AwsSolutions-IAM5[Resource::*]",
        "Added by CDK for the export workflow's logging and tracing: CloudWatch Logs vended-log delivery and "
        "X-Ray support no resource-level permissions. The role's only other permission is "
        "lambda:InvokeFunction on the provider_export function.",
        _export_role,
    ),
    Acknowledgement(
        "HIPAA.Security-IAMNoInlinePolicy",
        "The export workflow's role has exactly one CDK-generated AWS::IAM::Policy (invoke the "
        "provider_export function, log delivery, tracing); it is created and deleted only with the role, "
        "which only states.amazonaws.com of this account may assume.",
        _export_role,
    ),
    Acknowledgement(
        "AwsSolutions-IAM5[Resource::*]",
        "Added by CDK for the import workflow's logging and tracing: CloudWatch Logs vended-log delivery and "
        "X-Ray support no resource-level permissions. The role's only other permission is "
        "lambda:InvokeFunction on the portal_data_import function.",
        _import_role,
    ),
    Acknowledgement(
        "HIPAA.Security-IAMNoInlinePolicy",
        "The import workflow's role has exactly one CDK-generated AWS::IAM::Policy (invoke the "
        "portal_data_import function, log delivery, tracing); it is created and deleted only with the role, "
        "which only states.amazonaws.com of this account may assume.",
        _import_role,
    ),
    # --- Audit archive ----------------------------------------------------------------------------
    Acknowledgement(
        "HIPAA.Security-S3BucketReplicationEnabled",
        "The audit archive is itself the second copy of the audit trail (the first is the audit table, with "
        "point-in-time recovery and daily backups in a separate vault). Its objects are under S3 Object Lock "
        "in compliance mode for six years, versioned and stored with S3's in-region redundancy; its access-"
        "log bucket holds request metadata only. A cross-region replica would add a region and key without "
        "making the record more tamper-proof than compliance-mode Object Lock does.",
        _audit_archive_buckets,
    ),
    Acknowledgement(
        "AwsSolutions-SQS3",
        "This queue is the dead-letter queue itself: the on-failure destination of the audit stream's event "
        "source mapping (batches that failed every retry). It is alarmed (monitoring) and keeps messages "
        "14 days; a dead-letter queue of a dead-letter queue would hold nothing.",
        _audit_archive_queue,
    ),
    Acknowledgement(
        "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
        "Granted by CDK with sqs:SendMessage on the archive function's dead-letter queue, on the dead-letter "
        "queues' own customer-managed key only: SQS needs data keys to store messages encrypted with it.",
        _audit_archive_role,
    ),
    Acknowledgement(
        "AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
        "Granted by CDK with sqs:SendMessage on the archive function's dead-letter queue, on the dead-letter "
        "queues' own customer-managed key only; re-encryption under another key would need access to that "
        "key, which the function does not have.",
        _audit_archive_role,
    ),
    # --- Lifecycle schedules ----------------------------------------------------------------------
    Acknowledgement(
        "AwsSolutions-SQS3",
        "This queue is the dead-letter queue of the lifecycle schedules (DeadLetterConfig of each "
        "AWS::Scheduler::Schedule target); cdk-nag only recognizes SQS redrive and Lambda dead-letter "
        "configurations. Its depth is alarmed.",
        _schedule_dead_letters,
    ),
    Acknowledgement(
        "HIPAA.Security-IAMNoInlinePolicy",
        "The scheduler role has exactly one CDK-generated AWS::IAM::Policy (invoke the jobs function, send "
        "to the schedules' dead-letter queue through SQS); it is created and deleted only with the role, "
        "which only scheduler.amazonaws.com of this account may assume.",
        _scheduler_role,
    ),
    # --- Roster storage ---------------------------------------------------------------------------
    Acknowledgement(
        "HIPAA.Security-S3BucketReplicationEnabled",
        "The roster bucket holds copies of the plan's provider roster (no member data), which the plan "
        "re-uploads from its own system of record, and import reports derived from them; the access-log "
        "bucket holds request metadata. Both are versioned (90 days of prior versions) and stored with "
        "S3's in-region redundancy; a cross-region replica would add a second region, bucket and key for "
        "data that is not the system of record.",
        _roster_buckets,
    ),
    Acknowledgement(
        "HIPAA.Security-S3BucketReplicationEnabled",
        "The portal-data bucket holds extracts of member, coverage and claim data that the plan's core "
        "systems (the system of record) produce and can send again, and the import reports derived from "
        "them; the access-log bucket holds request metadata. Both are versioned, encrypted (the extracts "
        "with a customer-managed key) and stored with S3's in-region redundancy; a cross-region replica "
        "would copy PHI to a second region without being a record the portal needs to recover.",
        _portal_data_buckets,
    ),
    Acknowledgement(
        "HIPAA.Security-S3DefaultEncryptionKMS",
        "Server access log delivery only supports SSE-S3 on the destination bucket (SSE-KMS is refused); the "
        "stack's access-log bucket also takes CloudFront's standard logs. The logs hold request metadata "
        "(requester, operation, URL or object key, status), no content, though URLs name records (PHI): they "
        "are encrypted with SSE-S3, the buckets block public access and deny non-TLS requests, and only the log "
        "deliveries are granted writes (infra/constructs/access_logs.py).",
        _access_logs_bucket,
    ),
    Acknowledgement(
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSLambdaBasicExecutionRole]",
        "Role of CDK's Custom::S3BucketNotifications handler, which runs only during deployments to set "
        "the roster and portal-data buckets' event notifications; the managed policy only lets it write its "
        "own logs, and its other permissions are s3:PutBucketNotification on those two buckets.",
        _bucket_notifications_handler_role,
    ),
    # --- Access logs -----------------------------------------------------------------------------
    Acknowledgement(
        "HIPAA.Security-S3BucketReplicationEnabled",
        "The access-log bucket holds request logs (CloudFront's, the pages bucket's) kept for review for the "
        "stage's access_log_retention_days; it is versioned and stored with S3's in-region redundancy. A "
        "cross-region replica would copy the logs' PHI (record numbers in URLs) to a second region without "
        "making them a record the portal needs to recover.",
        _access_logs_only,
    ),
    # --- Web tier --------------------------------------------------------------------------------
    Acknowledgement(
        "HIPAA.Security-S3BucketReplicationEnabled",
        "The pages bucket is a deployment target rebuilt from the repository (web/) and the plan profile by "
        "every deployment (BucketDeployment with prune); git is the record, a replica would add nothing.",
        _web_bucket,
    ),
    Acknowledgement(
        "HIPAA.Security-S3BucketVersioningEnabled",
        "The pages bucket is rebuilt from the repository by every deployment and holds no ePHI; previous "
        "versions are in git. Unversioned, a failed first deployment's bucket is emptied and deleted with "
        "the stack instead of blocking the next attempt.",
        _web_bucket,
    ),
    Acknowledgement(
        "HIPAA.Security-S3DefaultEncryptionKMS",
        "The pages bucket holds only the public pages and their public config.json (no ePHI), encrypted "
        "with SSE-S3; CloudFront reads it through origin access control, which SSE-KMS would only "
        "complicate with a key policy for the CloudFront service.",
        _web_bucket,
    ),
    Acknowledgement(
        "AwsSolutions-CFR1",
        "Provider offices, billing services and telehealth practitioners work from anywhere in the US and "
        "abroad; blocking countries would lock out legitimate staff, and abuse is limited by the edge web "
        "ACL (IP reputation, per-IP rate limit, managed rules) instead.",
        _distribution,
    ),
    Acknowledgement(
        "AwsSolutions-CFR4",
        "No custom domain is configured for this stage, so CloudFront serves its default *.cloudfront.net "
        "certificate, whose security policy CloudFront fixes (browsers negotiate TLS 1.2/1.3); with "
        "domain_name set the distribution requires TLSv1.2_2021.",
        _distribution_default_certificate,
    ),
    Acknowledgement(
        "AwsSolutions-L1",
        "CDK's own BucketDeployment handler, which copies web/ into the pages bucket during deployments; "
        "its runtime is chosen and moved forward by aws-cdk-lib, pinned in requirements/constraints.txt.",
        _bucket_deployment_handler,
    ),
    Acknowledgement(
        "HIPAA.Security-LambdaConcurrency",
        "CDK's BucketDeployment handler runs once per deployment of the stack (a CloudFormation custom "
        "resource), never on user requests; a reservation would take capacity from the API functions.",
        _bucket_deployment_handler,
    ),
    Acknowledgement(
        "HIPAA.Security-LambdaDLQ",
        "CDK's BucketDeployment handler is invoked by CloudFormation during a deployment, which waits for "
        "its answer and rolls the deployment back on failure; there are no asynchronous events to keep.",
        _bucket_deployment_handler,
    ),
    Acknowledgement(
        "HIPAA.Security-LambdaInsideVPC",
        "CDK's BucketDeployment handler only copies the public pages from the CDK asset bucket to the pages "
        "bucket and invalidates the distribution, over AWS APIs; there is nothing in a VPC to reach.",
        _bucket_deployment_handler,
    ),
    Acknowledgement(
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSLambdaBasicExecutionRole]",
        "Role of CDK's BucketDeployment handler (deployments only); the managed policy only lets it write "
        "its own logs, and its other permissions are on the asset and pages buckets and invalidations.",
        _bucket_deployment_role,
    ),
    Acknowledgement(
        "HIPAA.Security-IAMNoInlinePolicy",
        "CDK's policy for its BucketDeployment handler (read the CDK asset bucket, write the pages bucket, "
        "invalidate the distribution), created and deleted with the handler's role.",
        _bucket_deployment_policy,
    ),
    *(
        Acknowledgement(
            f"AwsSolutions-IAM5[{finding}]",
            "CDK's BucketDeployment handler copies the pages during deployments: it reads the stage's "
            "asset zip from the CDK bootstrap bucket (object key known only at deploy time), replaces every "
            "object of the pages bucket (s3:GetObject*/List*/DeleteObject*/Abort* on that bucket only), and "
            "invalidates the distribution (CloudFront invalidation actions take no resource ARN).",
            _bucket_deployment_policy,
        )
        for finding in (
            "Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*", "Action::s3:Abort*",
            "Action::s3:DeleteObject*", "Resource::*",
            "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*",
        )
    ),
    Acknowledgement(
        "HIPAA.Security-IAMNoInlinePolicy",
        "CDK's policy for its bucket-notifications deployment handler: s3:PutBucketNotification on the "
        "one bucket it configures, created and deleted with the notification configuration.",
        _bucket_notifications_policy,
    ),
)


INDEX_WILDCARD_REASON = (
    "dynamodb:Query (only) on '<table ARN>/index/*' lets the function query the table's global secondary "
    "indexes (defined by the PynamoDB model; infra/capabilities.py TABLE_ACTIONS); the wildcard is limited "
    "to the indexes of that one table, which the function is granted that access to."
)


def finding_resource(stack: cdk.Stack, value: str) -> str:
    """How cdk-nag writes a resource in a finding id: Ref -> <Id>, GetAtt -> <Id.Attr>, joins flattened."""

    def render(part: Any) -> str:
        if isinstance(part, str):
            return part
        if isinstance(part, dict) and "Ref" in part:
            return f"<{part['Ref']}>"
        if isinstance(part, dict) and "Fn::GetAtt" in part:
            return f"<{'.'.join(part['Fn::GetAtt'])}>"
        if isinstance(part, dict) and "Fn::Join" in part:
            separator, items = part["Fn::Join"]
            return separator.join(render(item) for item in items)
        raise ValueError(f"cannot render {part!r} as a cdk-nag finding")

    return render(stack.resolve(value))


def _index_wildcards(stack: PortalStack) -> list[tuple[IConstruct, str]]:
    """(role, finding id) for every granted table that has indexes: the id names the table."""
    found = []
    for name, spec in stack.functions.specs.items():
        for logical, access in spec.tables.items():
            table = stack.tables.tables[logical]
            if logical in stack.tables.indexed and "dynamodb:Query" in TABLE_ACTIONS[access]:
                table_id = stack.resolve(table.node.default_child.logical_id)
                found.append((stack.functions.roles[name], f"AwsSolutions-IAM5[Resource::<{table_id}.Arn>/index/*]"))
    return found


ROSTER_PREFIX_REASON = (
    "Files are named by the plan when it uploads them and reports after those files, so object keys are "
    "only known at run time; each wildcard covers one prefix of one import bucket (rosters or portal "
    "data): s3:GetObject under incoming/ (and, portal data only, under exports/, the files of a Bulk Data "
    "export that its manifest names) and (import only) s3:PutObject under reports/, nothing else."
)
ATTACHMENTS_PREFIX_REASON = (
    "Files of prior-authorization requests are stored as attachments/<request number>/<sha256>, both known "
    "only when a provider sends a file; the wildcard covers that one prefix of the portal-data bucket, for "
    "s3:PutObject and s3:GetObject by the authorizations function only, which checks on every request that "
    "the caller may see the request the file belongs to."
)


PROVIDER_EXPORTS_PREFIX_REASON = (
    "Files of a Provider Access export are written as provider-exports/<job id>/<resource type>-<part>.ndjson, "
    "the job id known only when a provider system starts the export; the wildcard covers that one prefix of the "
    "portal-data bucket: s3:PutObject (and AbortMultipartUpload) for the export workflow's task, "
    "s3:GetObject for the provider_access function, which serves a file only to the client whose job it is. "
    "The files expire after 3 days (lifecycle rule)."
)


IMPORT_WORK_PREFIX_REASON = (
    "The portal-data import's steps hand one another their work as import-work/<import>/survey.json and "
    "import-work/<import>/<pass>/<range>.json, the import named only when a file lands; the wildcard covers "
    "that one prefix of the portal-data bucket, for the portal_data_import function only (put, get, delete by "
    "name; no listing). The import removes its files when it ends; a lifecycle rule expires what a stopped "
    "one leaves after 7 days."
)


PA_METRICS_PREFIX_REASON = (
    "The yearly prior-authorization metrics are stored as pa-metrics/published/<year>.json and their basis as "
    "pa-metrics/basis/<year>.csv, the year known only when staff or the yearly schedule compute one; each "
    "wildcard covers one of those two prefixes of the portal-data bucket, for the pa_metrics function only: "
    "s3:PutObject on both, s3:GetObject on the published figures (public) and on the basis (IAM-signed staff "
    "route only)."
)


def _prefix_wildcards(stack: PortalStack, prefixes: dict[Target, tuple[Any, str]]) -> list[tuple[IConstruct, str]]:
    found = []
    for name, spec in stack.functions.specs.items():
        for target in dict.fromkeys(g.target for g in grants(spec.uses) if g.target in prefixes):
            bucket, prefix = prefixes[target]
            resource = finding_resource(stack, bucket.arn_for_objects(f"{prefix}*"))
            found.append((stack.functions.roles[name], f"AwsSolutions-IAM5[Resource::{resource}]"))
    return found


def _attachment_prefix_wildcards(stack: PortalStack) -> list[tuple[IConstruct, str]]:
    return _prefix_wildcards(stack, {"portal_data_attachments": (stack.portal_data.bucket, ATTACHMENTS_PREFIX)})


def _provider_export_prefix_wildcards(stack: PortalStack) -> list[tuple[IConstruct, str]]:
    return _prefix_wildcards(stack, {"portal_data_provider_exports": (stack.portal_data.bucket,
                                                                      PROVIDER_EXPORTS_PREFIX)})


def _import_work_prefix_wildcards(stack: PortalStack) -> list[tuple[IConstruct, str]]:
    return _prefix_wildcards(stack, {"portal_data_import_work": (stack.portal_data.bucket, IMPORT_WORK_PREFIX)})


def _pa_metrics_prefix_wildcards(stack: PortalStack) -> list[tuple[IConstruct, str]]:
    return _prefix_wildcards(stack, {"portal_data_pa_metrics": (stack.portal_data.bucket, PUBLISHED_PREFIX),
                                     "portal_data_pa_metrics_basis": (stack.portal_data.bucket, BASIS_PREFIX)})


def _roster_prefix_wildcards(stack: PortalStack) -> list[tuple[IConstruct, str]]:
    return _prefix_wildcards(stack, {
        "roster_incoming": (stack.storage.bucket, INCOMING_PREFIX),
        "roster_reports": (stack.storage.bucket, REPORTS_PREFIX),
        "portal_data_incoming": (stack.portal_data.bucket, INCOMING_PREFIX),
        "portal_data_exports": (stack.portal_data.bucket, EXPORTS_PREFIX),
        "portal_data_reports": (stack.portal_data.bucket, REPORTS_PREFIX),
    })


STAFF_PATH_PARAMETER_REASON = (
    "An execute-api ARN names the request's actual path, so a {path parameter} of a staff route can "
    "only be matched with '*'; the wildcard stands for that one segment of that one method on this "
    "API's deployed stage (e.g. the Tax ID in POST /staff/org-agreements/{tax_id}/decision)."
)


def _staff_path_wildcards(stack: PortalStack) -> list[tuple[IConstruct, str]]:
    policy = stack.api.staff_policy
    if policy is None:
        return []
    return [
        (policy, f"AwsSolutions-IAM5[Resource::{finding_resource(stack, method.method_arn)}]")
        for route, method in stack.api.methods.items()
        if route.iam and "{" in route.path
    ]


PUSH_ENDPOINT_REASON = (
    "Push device endpoints are created at run time, one per registered phone, under the stage's own SNS "
    "platform application; the wildcard covers only that application's endpoints (Publish, Get/Set "
    "attributes, Delete), never topics or other applications."
)


def _push_endpoint_wildcards(stack: PortalStack) -> list[tuple[IConstruct, str]]:
    platform_arn = stack.config.push_platform_arn
    if not platform_arn:
        return []
    rule = f"AwsSolutions-IAM5[Resource::{Notifications.push_endpoints(platform_arn)}]"
    return [(stack.functions.roles[name], rule) for name, spec in stack.functions.specs.items()
            if any(g.target == "push_endpoints" for g in grants(spec.uses))]


PAGES_OBJECTS_REASON = (
    "CDK's BucketDeployment handler replaces the pages during each deployment: it writes and prunes "
    "every object of the pages bucket (no ePHI), whose object keys are the files of web/; the wildcard "
    "covers the objects of that one bucket only."
)


def _pages_objects_wildcard(stack: PortalStack) -> list[tuple[IConstruct, str]]:
    rule = f"AwsSolutions-IAM5[Resource::{finding_resource(stack, stack.web.bucket.arn_for_objects('*'))}]"
    return [(policy, rule) for policy in _bucket_deployment_policy(stack)]


AUDIT_ARCHIVE_PREFIX_REASON = (
    "Each audit stream batch becomes a new object whose key (date, time, sequence number, digest) is only "
    "known at run time; the wildcard covers the audit/ prefix of the archive bucket, with s3:PutObject only "
    "(no read, no delete; Object Lock in compliance mode keeps every version for six years)."
)


def _audit_archive_prefix_wildcards(stack: PortalStack) -> list[tuple[IConstruct, str]]:
    resource = finding_resource(stack, stack.audit_archive.bucket.arn_for_objects(f"{ARCHIVE_PREFIX}*"))
    return [(role, f"AwsSolutions-IAM5[Resource::{resource}]") for role in _audit_archive_role(stack)]


MALWARE_SCAN_REASON = (
    "The policy AWS documents for GuardDuty Malware Protection for S3 (the service role of the attachments' "
    "malware protection plan): the EventBridge managed rule GuardDuty creates is named "
    "DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3<suffix>, the suffix chosen by GuardDuty (PutRule/"
    "DeleteRule/PutTargets/RemoveTargets only where events:ManagedBy is GuardDuty's plan service); and every new "
    "file under attachments/ is scanned and tagged, its key known only when a provider attaches it (read and "
    "tag only, on that one prefix of the portal-data bucket)."
)


def _malware_scan_wildcards(stack: PortalStack) -> list[tuple[IConstruct, str]]:
    rule = cdk.Stack.of(stack).format_arn(service="events", resource="rule", resource_name=GUARDDUTY_MANAGED_RULE)
    objects = stack.portal_data.bucket.arn_for_objects(f"{ATTACHMENTS_PREFIX}*")
    return [(stack.portal_data.scan_policy, f"AwsSolutions-IAM5[Resource::{finding_resource(stack, arn)}]")
            for arn in (rule, objects)]


def acknowledgements(stack: PortalStack) -> list[tuple[IConstruct, str, str]]:
    """Every (construct, finding id, reason) acknowledged in this stack."""
    found = [(target, ack.rule, ack.reason) for ack in ACKNOWLEDGEMENTS for target in ack.targets(stack)]
    found += [(role, rule, INDEX_WILDCARD_REASON) for role, rule in _index_wildcards(stack)]
    found += [(role, rule, PUSH_ENDPOINT_REASON) for role, rule in _push_endpoint_wildcards(stack)]
    found += [(role, rule, ROSTER_PREFIX_REASON) for role, rule in _roster_prefix_wildcards(stack)]
    found += [(role, rule, ATTACHMENTS_PREFIX_REASON) for role, rule in _attachment_prefix_wildcards(stack)]
    found += [(role, rule, PROVIDER_EXPORTS_PREFIX_REASON)
              for role, rule in _provider_export_prefix_wildcards(stack)]
    found += [(role, rule, AUDIT_ARCHIVE_PREFIX_REASON) for role, rule in _audit_archive_prefix_wildcards(stack)]
    found += [(role, rule, PA_METRICS_PREFIX_REASON) for role, rule in _pa_metrics_prefix_wildcards(stack)]
    found += [(role, rule, IMPORT_WORK_PREFIX_REASON) for role, rule in _import_work_prefix_wildcards(stack)]
    found += [(policy, rule, STAFF_PATH_PARAMETER_REASON) for policy, rule in _staff_path_wildcards(stack)]
    found += [(policy, rule, PAGES_OBJECTS_REASON) for policy, rule in _pages_objects_wildcard(stack)]
    found += [(policy, rule, MALWARE_SCAN_REASON) for policy, rule in _malware_scan_wildcards(stack)]
    return found


def add_checks(app: cdk.App) -> None:
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), HIPAASecurityChecks(app))


def acknowledge(stack: PortalStack) -> None:
    for target, rule, reason in acknowledgements(stack):
        cdk.Validations.of(target).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))
