"""What a function may reach besides its tables: one entry per capability, as plain data.

A `Function` of infra/routes.py lists the capabilities it needs (`uses=("sends_mail", ...)`); everything
else follows from this table:
- CDK (infra/constructs/functions.py) sets each used resource's variable and grants each `Grant`'s
  actions on its target, nothing more;
- the devserver (devserver/local_aws.py) sets every resource's variable to its `local` value and
  provisions every resource some function uses;
- tests/infra check each role grants exactly what its entry declares.

A new capability is one `CAPABILITIES` entry (and its name in `infra.routes.Capability`); a new kind of
resource also needs its `RESOURCES` entry, its Settings field (functions/shared/core/config.py), where CDK
finds it (`Functions` targets and values) and how the devserver provisions it (`local_aws.PROVISIONERS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from infra.routes import Access, Capability, partial_session_routes

ResourceName = Literal["mail", "mail_queue", "phone_numbers", "push_platform", "mfa_key", "captcha_secret",
                       "cursor_secret",
                       "access_workflow", "authorization_clock", "roster_bucket", "portal_data_bucket",
                       "audit_archive_bucket", "session_routes", "provider_export", "portal_data_import"]
# A target is one part of a resource that IAM statements name (CDK resolves it to ARNs and conditions).
Target = Literal[
    "mail_identity",  # the SES identity and configuration set, From: the stage's sender only
    "mail_queue",  # the SQS queue of mail waiting for the sender
    "mail_queue_key",  # its KMS key, through SQS only
    "phone_numbers",  # SNS direct publish to phone numbers (every SNS ARN excluded)
    "push_platform",  # the stage's SNS platform application
    "push_endpoints",  # the device endpoints under that application
    "mfa_key",  # the KMS key of TOTP seeds
    "captcha_secret",  # the CAPTCHA HMAC secret
    "cursor_secret",  # the HMAC secret that seals paging cursors
    "secrets_key",  # the KMS key of both secrets, through Secrets Manager only (granted in the key policy)
    "access_workflow",  # the access-approval state machine
    "authorization_clock",  # the prior-authorization decision clock state machine
    "roster_incoming",  # roster bucket objects under incoming/
    "roster_reports",  # roster bucket objects under reports/
    "roster_key",  # the roster bucket's KMS key, through S3 only
    "portal_data_incoming",  # portal-data bucket objects under incoming/ (the plan's FHIR extracts)
    "portal_data_exports",  # portal-data bucket objects under exports/ (the plan's Bulk Data exports)
    "portal_data_reports",  # portal-data bucket objects under reports/
    "portal_data_key",  # the portal-data bucket's KMS key, through S3 only
    "portal_data_attachments",  # portal-data bucket objects under attachments/ (files of authorization requests)
    "portal_data_provider_exports",  # portal-data bucket objects under provider-exports/ (Provider Access files)
    "portal_data_pa_metrics",  # portal-data bucket objects under pa-metrics/published/ (public yearly metrics)
    "portal_data_pa_metrics_basis",  # portal-data bucket objects under pa-metrics/basis/ (their basis, staff only)
    "portal_data_pa_metrics_list",  # listing the portal-data bucket under pa-metrics/published/ only
    "provider_export",  # the Provider Access export state machine
    "portal_data_import",  # the portal-data import state machine
    "portal_data_import_work",  # portal-data bucket objects under import-work/ (the import's steps' hand-overs)
    "audit_archive_objects",  # audit archive bucket objects under audit/ (Object Lock, compliance mode)
    "audit_archive_key",  # the audit archive's KMS key, through S3 only
]

# The DynamoDB actions of each kind of table access a `Function` lists (infra/routes.py Access). A
# transaction needs the action of each item it writes (PutItem, UpdateItem, DeleteItem, ConditionCheckItem),
# so these cover TransactWriteItems too. No access grants Scan, DescribeTable or stream reads.
_READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")
_WRITE = (*_READ, "dynamodb:PutItem", "dynamodb:UpdateItem")
TABLE_ACTIONS: dict[Access, tuple[str, ...]] = {
    "read": _READ,
    "index_read": ("dynamodb:Query",),  # on the table's indexes only (CDK names table/<name>/index/*)
    "write": _WRITE,
    "write_delete": (*_WRITE, "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"),
    "update": ("dynamodb:UpdateItem",),
    "append": ("dynamodb:PutItem",),
}
# Accesses that only read: the table key is granted for decryption only.
READ_ONLY_ACCESS: frozenset[Access] = frozenset({"read", "index_read"})

# Settings fields every function gets from the stage configuration (infra/config.py StageConfig).
COMMON_ENV = ("STAGE", "PLAN", "PORTAL_URL", "MAIL_SENDER")


@dataclass(frozen=True)
class Resource:
    """Something outside the function: the variable that carries its name or ARN, and its local stand-in."""

    description: str
    env: str | None = None  # the Settings alias (functions/shared/core/config.py); None: nothing to tell the function
    local: str | None = None  # the variable's value on the devserver and in tests
    optional: bool = False  # a stage may have none: its users then get neither the variable nor the grants


@dataclass(frozen=True)
class Grant:
    target: Target
    actions: tuple[str, ...]


@dataclass(frozen=True)
class CapabilitySpec:
    resource: ResourceName
    grants: tuple[Grant, ...] = ()


RESOURCES: dict[ResourceName, Resource] = {
    "mail": Resource("the verified SES identity the portal mails from (MAIL_SENDER is common)"),
    "mail_queue": Resource("the queue of mail to deliver", env="MAIL_QUEUE_URL",
                           local="https://sqs.us-east-1.amazonaws.com/123456789012/local-mail"),
    "phone_numbers": Resource("SMS to phone numbers"),
    "push_platform": Resource("the SNS platform application of push MFA", env="PUSH_PLATFORM_ARN",
                              local="arn:aws:sns:us-east-1:123456789012:app/GCM/local-push", optional=True),
    "mfa_key": Resource("the KMS key of TOTP seeds", env="MFA_KEY_ID", local="alias/local-mfa"),
    "captcha_secret": Resource("the CAPTCHA secret", env="CAPTCHA_SECRET_NAME", local="local/captcha-hmac-key"),
    "cursor_secret": Resource("the paging-cursor secret", env="CURSOR_SECRET_NAME", local="local/cursor-hmac-key"),
    "access_workflow": Resource(
        "access workflow", env="ACCESS_WORKFLOW_ARN",
        local="arn:aws:states:us-east-1:123456789012:stateMachine:local-access-approval"),
    "authorization_clock": Resource(
        "authorization decision clock", env="AUTHORIZATION_CLOCK_ARN",
        local="arn:aws:states:us-east-1:123456789012:stateMachine:local-authorization-clock"),
    "roster_bucket": Resource("roster bucket", env="ROSTER_BUCKET", local="local-roster"),
    "portal_data_bucket": Resource("portal-data bucket", env="PORTAL_DATA_BUCKET", local="local-portal-data"),
    "portal_data_import": Resource(
        "portal-data import workflow", env="PORTAL_DATA_IMPORT_ARN",
        local="arn:aws:states:us-east-1:123456789012:stateMachine:local-portal-data-import"),
    "audit_archive_bucket": Resource("audit archive bucket (S3 Object Lock)", env="AUDIT_ARCHIVE_BUCKET",
                                     local="local-audit-archive"),
    "provider_export": Resource(
        "Provider Access export workflow", env="PROVIDER_EXPORT_ARN",
        local="arn:aws:states:us-east-1:123456789012:stateMachine:local-provider-export"),
    "session_routes": Resource("the routes open to sessions that have not finished MFA",
                               env="PARTIAL_SESSION_ROUTES", local=partial_session_routes()),
}

CAPABILITIES: dict[Capability, CapabilitySpec] = {
    # queues mail; the mail_sender function delivers it (functions/shared/services/notify/mail.py)
    "sends_mail": CapabilitySpec("mail_queue", (
        Grant("mail_queue", ("sqs:SendMessage",)),
        Grant("mail_queue_key", ("kms:GenerateDataKey", "kms:Decrypt")),
    )),
    # consumes the mail queue (its event source mapping polls with the function's role) and sends through SES
    "delivers_mail": CapabilitySpec("mail", (
        Grant("mail_identity", ("ses:SendEmail", "ses:SendRawEmail")),
        Grant("mail_queue", ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                             "sqs:GetQueueAttributes")),
        Grant("mail_queue_key", ("kms:Decrypt",)),
    )),
    "sends_sms": CapabilitySpec("phone_numbers", (Grant("phone_numbers", ("sns:Publish",)),)),
    # registers SNS platform endpoints and publishes to them
    "sends_push": CapabilitySpec("push_platform", (
        Grant("push_platform", ("sns:CreatePlatformEndpoint",)),
        Grant("push_endpoints", ("sns:Publish", "sns:DeleteEndpoint", "sns:GetEndpointAttributes",
                                 "sns:SetEndpointAttributes")),
    )),
    "uses_mfa_key": CapabilitySpec("mfa_key", (Grant("mfa_key", ("kms:Encrypt", "kms:Decrypt")),)),
    "reads_captcha_secret": CapabilitySpec("captcha_secret", (
        Grant("captcha_secret", ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")),
        Grant("secrets_key", ("kms:Decrypt",)),
    )),
    # seals and opens the cursors of paged record lists (functions/shared/core/paging.py)
    "seals_cursors": CapabilitySpec("cursor_secret", (
        Grant("cursor_secret", ("secretsmanager:GetSecretValue",)),
        Grant("secrets_key", ("kms:Decrypt",)),
    )),
    "starts_workflow": CapabilitySpec("access_workflow", (Grant("access_workflow", ("states:StartExecution",)),)),
    # SendTaskSuccess/SendTaskFailure for task tokens of the access workflow. The service authorization
    # reference lists no resource type for these actions, but Step Functions authorizes them against the
    # ARN of the state machine whose execution issued the token (CDK's grantTaskResponse scopes them so).
    "resumes_workflow": CapabilitySpec("access_workflow", (
        Grant("access_workflow", ("states:SendTaskSuccess", "states:SendTaskFailure")),
    )),
    "reads_rosters": CapabilitySpec("roster_bucket", (
        Grant("roster_incoming", ("s3:GetObject",)),
        Grant("roster_key", ("kms:Decrypt",)),
    )),
    # reads roster files and writes their import reports
    "imports_rosters": CapabilitySpec("roster_bucket", (
        Grant("roster_incoming", ("s3:GetObject",)),
        Grant("roster_reports", ("s3:PutObject",)),
        Grant("roster_key", ("kms:Decrypt", "kms:GenerateDataKey")),
    )),
    "starts_authorization_clock": CapabilitySpec("authorization_clock", (
        Grant("authorization_clock", ("states:StartExecution",)),
    )),
    # reads the plan's FHIR extracts and writes their import reports
    "imports_portal_data": CapabilitySpec("portal_data_bucket", (
        Grant("portal_data_incoming", ("s3:GetObject",)),
        Grant("portal_data_exports", ("s3:GetObject",)),
        Grant("portal_data_reports", ("s3:PutObject",)),
        Grant("portal_data_import_work", ("s3:PutObject", "s3:GetObject", "s3:DeleteObject")),
        Grant("portal_data_key", ("kms:Decrypt", "kms:GenerateDataKey")),
    )),
    # starts the import workflow when an extract or a manifest lands (and is that workflow's task)
    "runs_portal_data_import": CapabilitySpec("portal_data_import", (
        Grant("portal_data_import", ("states:StartExecution",)),
    )),
    # stores and reads the files of prior-authorization requests (nothing else of the bucket)
    "stores_authorization_attachments": CapabilitySpec("portal_data_bucket", (
        Grant("portal_data_attachments", ("s3:PutObject", "s3:GetObject")),
        Grant("portal_data_key", ("kms:Decrypt", "kms:GenerateDataKey")),
    )),
    # writes each batch of the audit table's stream as a new object (never reads, overwrites or deletes)
    "archives_audit": CapabilitySpec("audit_archive_bucket", (
        Grant("audit_archive_objects", ("s3:PutObject",)),
        Grant("audit_archive_key", ("kms:GenerateDataKey",)),
    )),
    "starts_provider_export": CapabilitySpec("provider_export", (
        Grant("provider_export", ("states:StartExecution",)),
    )),
    # writes the NDJSON files of a Provider Access export (never reads or deletes them)
    "writes_provider_exports": CapabilitySpec("portal_data_bucket", (
        Grant("portal_data_provider_exports", ("s3:PutObject", "s3:AbortMultipartUpload")),
        Grant("portal_data_key", ("kms:GenerateDataKey", "kms:Decrypt")),
    )),
    # serves those files to the client that asked for them
    "reads_provider_exports": CapabilitySpec("portal_data_bucket", (
        Grant("portal_data_provider_exports", ("s3:GetObject",)),
        Grant("portal_data_key", ("kms:Decrypt",)),
    )),
    # publishes a year's prior-authorization metrics and their per-request basis; reads the basis back for staff
    "publishes_pa_metrics": CapabilitySpec("portal_data_bucket", (
        Grant("portal_data_pa_metrics", ("s3:PutObject",)),
        Grant("portal_data_pa_metrics_basis", ("s3:PutObject", "s3:GetObject")),
        Grant("portal_data_key", ("kms:GenerateDataKey", "kms:Decrypt")),
    )),
    # serves the published metrics (public: aggregate figures, no PHI) and lists the published years
    "reads_pa_metrics": CapabilitySpec("portal_data_bucket", (
        Grant("portal_data_pa_metrics", ("s3:GetObject",)),
        Grant("portal_data_pa_metrics_list", ("s3:ListBucket",)),
        Grant("portal_data_key", ("kms:Decrypt",)),
    )),
    # deletes an attached file GuardDuty found infected (DeleteObject only: in the versioned bucket the infected
    # version stays, unreadable, for the security team; nothing here reads, writes or deletes a version)
    "quarantines_attachments": CapabilitySpec("portal_data_bucket", (
        Grant("portal_data_attachments", ("s3:DeleteObject",)),
    )),
    # the request authorizer: which routes a session that has not finished MFA may use
    "authorizes_sessions": CapabilitySpec("session_routes"),
}

# Targets whose grant is written into the target's resource policy, not the function's role.
RESOURCE_POLICY_TARGETS: frozenset[Target] = frozenset({"secrets_key"})


def check_table() -> None:
    """Every capability name has an entry; every capability names a known resource; every table access
    has its actions."""
    accesses, described = set(get_args(Access)), set(TABLE_ACTIONS)
    if accesses != described:
        raise ValueError(f"infra.routes.Access and TABLE_ACTIONS differ: {sorted(accesses ^ described)}")
    names, listed = set(get_args(Capability)), set(CAPABILITIES)
    if names != listed:
        raise ValueError(f"infra.routes.Capability and CAPABILITIES differ: {sorted(names ^ listed)}")
    unknown = sorted(c for c, spec in CAPABILITIES.items() if spec.resource not in RESOURCES)
    if unknown:
        raise ValueError(f"capabilities {unknown} name unknown resources")


def resources_used(uses: tuple[Capability, ...]) -> list[ResourceName]:
    """The resources behind `uses`, each once, in order."""
    return list(dict.fromkeys(CAPABILITIES[c].resource for c in uses))


def grants(uses: tuple[Capability, ...]) -> list[Grant]:
    return [grant for c in uses for grant in CAPABILITIES[c].grants]


check_table()
