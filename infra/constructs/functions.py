"""One Lambda function per entry of the route table's FUNCTIONS, each with only what its entry lists."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.shared.core.config import Settings
from functions.shared.store.metrics_files import BASIS_PREFIX, PUBLISHED_PREFIX
from functions.shared.store.models import MODELS, table_env_var
from infra.capabilities import (
    CAPABILITIES,
    COMMON_ENV,
    READ_ONLY_ACCESS,
    RESOURCES,
    TABLE_ACTIONS,
    ResourceName,
    Target,
    grants,
    resources_used,
)
from infra.config import StageConfig
from infra.constructs._common import customer_key, pascal, removal_policy
from infra.constructs.audit_archive import ARCHIVE_PREFIX, AuditArchive
from infra.constructs.layer import REPO_ROOT, DependencyLayer
from infra.constructs.logs import Logs
from infra.constructs.notifications import Notifications
from infra.constructs.secrets import Secrets
from infra.constructs.storage import (
    ATTACHMENTS_PREFIX,
    EXPORTS_PREFIX,
    IMPORT_WORK_PREFIX,
    INCOMING_PREFIX,
    PROVIDER_EXPORTS_PREFIX,
    REPORTS_PREFIX,
    PortalDataStorage,
    RosterStorage,
)
from infra.constructs.tables import Tables
from infra.routes import (
    ATTACHMENT_SCAN,
    AUDIT_ARCHIVE,
    AUTHORIZER,
    FUNCTIONS,
    MAIL_SENDER,
    PORTAL_DATA_IMPORT,
    ROSTER_IMPORT,
    ROUTES,
    SCHEDULES,
    Access,
    Capability,
    Function,
    Route,
)

SERVICE_NAME = "provider-portal"


def service_name(config: StageConfig) -> str:
    return f"{SERVICE_NAME}-{config.name}-{config.plan}"
# Settings fields that Lambda itself provides; infra must not (and may not) set them.
RUNTIME_PROVIDED = frozenset({"AWS_REGION"})
# Set to "true" on the functions of routes served through CloudFront (every route but the IAM-signed staff
# ones, which staff tools call on the execute-api URL): their client is CloudFront-Viewer-Address, which
# the stage's web ACL guarantees came from CloudFront (infra/constructs/waf.py). Staff functions keep
# API Gateway's sourceIp, the staff tool's own address.
VIEWER_ADDRESS_ENV = "TRUST_VIEWER_ADDRESS_HEADER"


def behind_cloudfront(routes: Sequence[Route]) -> frozenset[str]:
    """The functions serving at least one route that viewers reach through the distribution."""
    return frozenset(route.function for route in routes if not route.iam)

# Optional Settings fields no FUNCTIONS entry can ask for yet; the functions fall back to the fields'
# defaults. tests/infra keeps this set equal to what the model has and infra does not set.
NOT_YET_PROVIDED: frozenset[str] = frozenset()
# Functions invoked asynchronously (by S3 events, by schedules, by EventBridge rules): failed events go to a
# dead-letter queue, never lost.
ASYNC_FUNCTIONS = frozenset({ROSTER_IMPORT, PORTAL_DATA_IMPORT, ATTACHMENT_SCAN, *(s.function for s in SCHEDULES)})
# Functions run by a DynamoDB stream: batches that fail every retry go to a dead-letter queue (the event
# source mapping's on-failure destination, infra/constructs/audit_archive.py).
STREAM_FUNCTIONS = frozenset({AUDIT_ARCHIVE})
ASYNC_RETRY_ATTEMPTS = 2
ASYNC_MAX_EVENT_AGE = cdk.Duration.hours(6)
DEAD_LETTER_RETENTION = cdk.Duration.days(14)
# Reserved concurrency: no function can take the whole account's pool from the others, and none needs more
# than the API can send it. API Gateway admits at most the stage's throttle rate (requests per second), so a
# function API Gateway calls (its routes' and the authorizer) has at most rate x duration requests in flight
# even if every request were its own (Little's law); taking the p99 duration, not the mean, leaves room for
# slow ones. A burst above that is throttled, which the function's Throttles alarm reports. The others (S3
# events, schedules, queues, streams, workflow tasks) wait and retry when throttled: they get the floor
# unless their entry says more.
CONCURRENCY_FLOOR = 5
# What AWS keeps unreserved in every account: its quota (StageConfig.lambda_concurrency_quota, 1,000 by
# default) less this is what the functions of all the account's stacks may reserve together.
UNRESERVED_CONCURRENCY = 100


def reservable_concurrency(config: StageConfig) -> int:
    return config.lambda_concurrency_quota - UNRESERVED_CONCURRENCY


def api_served(routes: Sequence[Route]) -> frozenset[str]:
    """The functions API Gateway invokes: each route's function and the request authorizer."""
    return frozenset({AUTHORIZER, *(route.function for route in routes)})


def reserved_concurrency(spec: Function, config: StageConfig, served: frozenset[str]) -> int | None:
    """The function's reserved concurrency in this stage (None: the stage reserves none)."""
    if not config.reserve_concurrency:
        return None
    if spec.reserved_concurrency is not None:
        return spec.reserved_concurrency
    if spec.name not in served:
        return CONCURRENCY_FLOOR
    return max(CONCURRENCY_FLOOR, math.ceil(config.throttling.rate_limit * spec.p99_ms / 1000))


def partial_session_routes(routes: Sequence[Route]) -> str:
    """PARTIAL_SESSION_ROUTES for the authorizer (same format as infra.routes.partial_session_routes)."""
    return ",".join(f"{r.method} {r.path}" for r in routes if r.partial)


def code_excludes(name: str) -> list[str]:
    """Gitignore-style patterns that leave only functions/__init__.py, shared/ and the function's folder."""
    return [
        "/*",
        "!/functions/",
        "/functions/*",
        "!/functions/__init__.py",
        "!/functions/shared/",
        f"!/functions/{name}/",
        "__pycache__/",
        "*.py[cod]",
    ]


def has_code(name: str) -> bool:
    return (REPO_ROOT / "functions" / name / "__init__.py").is_file()


def function_code(name: str) -> lambda_.Code:
    return lambda_.Code.from_asset(str(REPO_ROOT), exclude=code_excludes(name), ignore_mode=cdk.IgnoreMode.GIT)


def check_environment(env: Mapping[str, str]) -> None:
    """Fail the synth when the variables set here and the functions' Settings model drift apart.

    Settings fields are read from their alias; `<LOGICAL>_TABLE` variables (one per table of
    store/models.py MODELS) feed the model's table mapping; POWERTOOLS_* configure Powertools.
    """
    fields = {field.alias: field for field in Settings.model_fields.values() if field.alias}
    table_vars = {table_env_var(t) for t in MODELS}
    missing = sorted(a for a, f in fields.items() if f.is_required() and a not in env)
    unknown = sorted(
        k for k in env if k not in fields and k not in table_vars and not k.startswith("POWERTOOLS_")
    )
    if missing or unknown:
        raise ValueError(
            "function environment does not match functions/shared/core/config.py Settings: "
            f"missing {missing}, unknown {unknown}"
        )


class Functions(Construct):
    """`functions[name]` is the Lambda function of the FUNCTIONS entry `name`; `roles[name]` its role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        tables: Tables,
        layer: DependencyLayer,
        logs: Logs,
        notifications: Notifications,
        secrets: Secrets,
        storage: RosterStorage,
        portal_data: PortalDataStorage,
        workflow_arn: str | None,
        clock_arn: str | None = None,
        export_arn: str | None = None,
        import_arn: str | None = None,
        portal_url: str,
        audit_archive: AuditArchive | None = None,
        specs: Sequence[Function] = FUNCTIONS,
        routes: Sequence[Route] = ROUTES,
    ) -> None:
        """`workflow_arn`: the access-approval state machine, None when the stack has none; `clock_arn` and
        `export_arn` and `import_arn` likewise the decision clock, the Provider Access export and the
        portal-data import.
        `portal_url`: the base URL the web tier serves (links in mails)."""
        super().__init__(scope, construct_id)
        self.specs = {spec.name: spec for spec in specs}
        if len(self.specs) != len(specs):
            raise ValueError("FUNCTIONS lists a function name twice")
        self._retain = config.retain
        self._dead_letter_key: kms.Key | None = None
        common = {"STAGE": config.name, "PLAN": config.plan, "PORTAL_URL": portal_url,
                  "MAIL_SENDER": config.mail_sender}
        if set(common) != set(COMMON_ENV):
            raise ValueError("infra.capabilities.COMMON_ENV and the common variables set here differ")
        # The service (a dimension of every EMF metric) names stage and plan: two plans' alarms stay apart.
        common_env = {**common, "POWERTOOLS_SERVICE_NAME": service_name(config),
                      "POWERTOOLS_LOG_LEVEL": config.log_level}
        # Where each resource of infra/capabilities.py is in this stack: its variable's value (None: the
        # stack has none) and, per grant target, how a statement names it.
        values: dict[ResourceName, str | None] = {
            "mail": None,
            "mail_queue": notifications.queue.queue_url,
            "phone_numbers": None,
            "push_platform": config.push_platform_arn,
            "mfa_key": secrets.mfa_key.key_arn,
            "captcha_secret": secrets.captcha_name,
            "cursor_secret": secrets.cursor_name,
            "access_workflow": workflow_arn,
            "authorization_clock": clock_arn,
            "provider_export": export_arn,
            "portal_data_import": import_arn,
            "roster_bucket": storage.bucket.bucket_name,
            "portal_data_bucket": portal_data.bucket.bucket_name,
            "audit_archive_bucket": audit_archive.bucket.bucket_name if audit_archive else None,
            "session_routes": partial_session_routes(routes),
        }
        viewer_facing = behind_cloudfront(routes)
        served = api_served(routes)
        if config.reserve_concurrency:
            total = sum(reserved_concurrency(spec, config, served) or 0 for spec in specs)
            if total > reservable_concurrency(config):
                raise ValueError(f"the functions reserve {total} concurrent executions in stage {config.name!r}, "
                                 f"more than the {reservable_concurrency(config)} its account may reserve: lower "
                                 "p99_ms or reserved_concurrency in infra/routes.py or the stage's throttling, or "
                                 "raise its lambda_concurrency_quota (after AWS raised the account's quota)")
        targets = self._targets(config, notifications, secrets, storage, portal_data, workflow_arn, clock_arn,
                                export_arn, import_arn, audit_archive)
        self.functions: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for spec in specs:
            unknown_tables = sorted(set(spec.tables) - set(tables.tables))
            if unknown_tables:
                raise ValueError(f"function {spec.name!r} lists unknown tables {unknown_tables}")
            if not has_code(spec.name):
                raise ValueError(f"function {spec.name!r} has no package functions/{spec.name}/")
            # Only the tables the function may use: the others stay unbound in the function.
            env = {**common_env, **{table_env_var(t): tables.tables[t].table_name for t in spec.tables}}
            if spec.name in viewer_facing:
                env[VIEWER_ADDRESS_ENV] = "true"
            uses = self._available(spec, values)
            for resource in resources_used(uses):
                variable = RESOURCES[resource].env
                if variable:
                    env[variable] = values[resource]  # type: ignore[assignment]  # _available checked it
            check_environment(env)

            construct_name = pascal(spec.name)
            # No AWS managed policy: the role gets exactly the statements granted below.
            role = iam.Role(
                self,
                f"{construct_name}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"Runs the {spec.name} function",
            )
            log_group = logs.log_group(self, f"{construct_name}Logs")
            log_group.grant_write(role)
            dead_letters = (self._dead_letter_queue(spec.name) if spec.name in ASYNC_FUNCTIONS | STREAM_FUNCTIONS
                            else None)
            fn = lambda_.Function(
                self,
                construct_name,
                description=f"Provider portal: {spec.name}",
                runtime=layer.runtime,
                architecture=layer.architecture,
                handler=f"functions.{spec.name}.handler.lambda_handler",
                code=function_code(spec.name),
                layers=[layer.layer, *([layer.layer_for(spec.requirements)] if spec.requirements else [])],
                role=role,
                log_group=log_group,
                environment=env,
                memory_size=spec.memory_mb,
                timeout=cdk.Duration.seconds(spec.timeout_s),
                tracing=lambda_.Tracing.ACTIVE,
                reserved_concurrent_executions=reserved_concurrency(spec, config, served),
                recursive_loop=lambda_.RecursiveLoop.TERMINATE,
                dead_letter_queue=dead_letters if spec.name in ASYNC_FUNCTIONS else None,
            )
            if dead_letters is not None:
                if spec.name in ASYNC_FUNCTIONS:
                    fn.configure_async_invoke(retry_attempts=ASYNC_RETRY_ATTEMPTS,
                                              max_event_age=ASYNC_MAX_EVENT_AGE)
                self._grant_dead_letter_key(role)
                self.dead_letter_queues[spec.name] = dead_letters
            for logical, access in spec.tables.items():
                self._grant_table(role, tables, logical, access)
            for grant in grants(uses):
                targets[grant.target](role, list(grant.actions))
            if spec.name == MAIL_SENDER:
                self._deliver_mail(fn, notifications, reserved_concurrency(spec, config, served))
            self.functions[spec.name] = fn
            self.roles[spec.name] = role

    @staticmethod
    def _grant_table(role: iam.IRole, tables: Tables, logical: str, access: Access) -> None:
        """Exactly the DynamoDB actions of `access` (infra/capabilities.py TABLE_ACTIONS) on the table, its
        indexes only where the access queries them, and the table key for decryption (reads) or data keys
        (writes) - never the table-wide grant_read_write_data, which includes Scan and DeleteItem."""
        table = tables.tables[logical]
        actions = TABLE_ACTIONS[access]
        resources = [] if access == "index_read" else [table.table_arn]
        if logical in tables.indexed and "dynamodb:Query" in actions:
            resources.append(f"{table.table_arn}/index/*")
        if not resources:
            raise ValueError(f"{logical!r} has no index to read")
        role.add_to_principal_policy(iam.PolicyStatement(actions=list(actions), resources=resources))
        if access in READ_ONLY_ACCESS:
            tables.key.grant_decrypt(role)
        else:
            tables.key.grant_encrypt_decrypt(role)

    def _available(self, spec: Function, values: Mapping[ResourceName, str | None]) -> tuple[Capability, ...]:
        """The capabilities of `spec` this stack can give: an optional resource the stack lacks drops its
        capabilities (no variable, no grant); a required one fails the synth."""
        unknown = sorted(set(spec.uses) - set(CAPABILITIES))
        if unknown:
            raise ValueError(f"function {spec.name!r} uses unknown capabilities {unknown}")
        available = []
        for capability in spec.uses:
            resource_name = CAPABILITIES[capability].resource
            resource = RESOURCES[resource_name]
            if resource.env and values[resource_name] is None:
                if resource.optional:
                    continue
                raise ValueError(f"function {spec.name!r} {capability.replace('_', ' ')}, but the stack has no "
                                 f"{resource.description}")
            available.append(capability)
        return tuple(available)

    @staticmethod
    def _targets(
        config: StageConfig, notifications: Notifications, secrets: Secrets, storage: RosterStorage,
        portal_data: PortalDataStorage, workflow_arn: str | None, clock_arn: str | None, export_arn: str | None,
        import_arn: str | None, audit_archive: AuditArchive | None,
    ) -> dict[Target, Callable[[iam.IRole, list[str]], None]]:
        """How each grant target of infra/capabilities.py becomes a statement: (role, actions) -> grant."""

        def on(*resources: str, conditions: dict[str, Any] | None = None) -> Callable[[iam.IRole, list[str]], None]:
            def grant(role: iam.IRole, actions: list[str]) -> None:
                role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=list(resources),
                                                                 conditions=conditions))
            return grant

        def phone_numbers(role: iam.IRole, actions: list[str]) -> None:
            # SMS goes straight to phone numbers; topics (any SNS ARN) stay out of reach.
            role.add_to_principal_policy(iam.PolicyStatement(actions=actions, not_resources=["arn:*:sns:*:*:*"]))

        def secret_key(role: iam.IRole, actions: list[str]) -> None:
            # In the key's policy (as Secret.grant_read does): decrypt through Secrets Manager only.
            secrets.key.grant(kms.ViaServicePrincipal(f"secretsmanager.{region}.amazonaws.com", role), *actions)

        region = cdk.Stack.of(secrets).region
        platform = config.push_platform_arn or ""
        return {
            "mail_identity": on(notifications.identity.email_identity_arn, notifications.configuration_set_arn,
                                conditions={"StringEquals": {"ses:FromAddress": notifications.sender}}),
            "mail_queue": on(notifications.queue.queue_arn),
            "mail_queue_key": on(notifications.queue_key.key_arn,
                                 conditions={"StringEquals": {"kms:ViaService": f"sqs.{region}.amazonaws.com"}}),
            "phone_numbers": phone_numbers,
            "push_platform": on(platform),
            "push_endpoints": on(Notifications.push_endpoints(platform)),
            "mfa_key": on(secrets.mfa_key.key_arn),
            "captcha_secret": on(secrets.captcha.secret_arn),
            "cursor_secret": on(secrets.cursor.secret_arn),
            "secrets_key": secret_key,
            "access_workflow": on(workflow_arn or ""),
            "authorization_clock": on(clock_arn or ""),
            "provider_export": on(export_arn or ""),
            "portal_data_import": on(import_arn or ""),
            "portal_data_import_work": on(portal_data.bucket.arn_for_objects(f"{IMPORT_WORK_PREFIX}*")),
            "roster_incoming": on(storage.bucket.arn_for_objects(f"{INCOMING_PREFIX}*")),
            "roster_reports": on(storage.bucket.arn_for_objects(f"{REPORTS_PREFIX}*")),
            "roster_key": on(storage.key.key_arn,
                             conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}),
            "portal_data_incoming": on(portal_data.bucket.arn_for_objects(f"{INCOMING_PREFIX}*")),
            "portal_data_exports": on(portal_data.bucket.arn_for_objects(f"{EXPORTS_PREFIX}*")),
            "portal_data_reports": on(portal_data.bucket.arn_for_objects(f"{REPORTS_PREFIX}*")),
            "portal_data_attachments": on(portal_data.bucket.arn_for_objects(f"{ATTACHMENTS_PREFIX}*")),
            "portal_data_provider_exports": on(portal_data.bucket.arn_for_objects(f"{PROVIDER_EXPORTS_PREFIX}*")),
            "portal_data_pa_metrics": on(portal_data.bucket.arn_for_objects(f"{PUBLISHED_PREFIX}*")),
            "portal_data_pa_metrics_basis": on(portal_data.bucket.arn_for_objects(f"{BASIS_PREFIX}*")),
            # ListBucket names the bucket; the condition keeps the listing to the published metrics
            "portal_data_pa_metrics_list": on(portal_data.bucket.bucket_arn, conditions={
                "StringLike": {"s3:prefix": [PUBLISHED_PREFIX, f"{PUBLISHED_PREFIX}*"]}}),
            "portal_data_key": on(portal_data.key.key_arn,
                                  conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}),
            "audit_archive_objects": on(audit_archive.bucket.arn_for_objects(f"{ARCHIVE_PREFIX}*")
                                        if audit_archive else ""),
            "audit_archive_key": on(audit_archive.key.key_arn if audit_archive else "",
                                    conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}),
        }

    def _deliver_mail(self, fn: lambda_.Function, notifications: Notifications, reserved: int | None) -> None:
        """The sender polls the mail queue; a message it reports failed comes back after the visibility
        timeout, and after the last receive waits in the queue's dead-letter queue (alarmed: Monitoring).
        With reserved concurrency, the mapping runs no more batches at once than it allows: a throttled batch
        would return to the queue as a failed receive."""
        # EventSourceMapping, not SqsEventSource: the consume grant is the delivers_mail capability's.
        lambda_.EventSourceMapping(
            self,
            f"{pascal(MAIL_SENDER)}Source",
            target=fn,
            event_source_arn=notifications.queue.queue_arn,
            batch_size=10,
            report_batch_item_failures=True,
            max_concurrency=reserved,
        )

    def _dead_letter_queue(self, name: str) -> sqs.Queue:
        """Holds the events of `name` that failed every retry (the S3 event: bucket and key, no content)."""
        if self._dead_letter_key is None:
            self._dead_letter_key = customer_key(self, "DeadLetterKey", retain=self._retain,
                                                 description="Encrypts the portal's dead-letter queues")
        return sqs.Queue(
            self,
            f"{pascal(name)}DeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self._dead_letter_key,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
            removal_policy=removal_policy(self._retain),
        )

    def _grant_dead_letter_key(self, role: iam.IRole) -> None:
        """Lambda grants sqs:SendMessage on the queue itself; sending to a KMS-encrypted queue also needs
        a data key, through SQS only."""
        assert self._dead_letter_key is not None
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[self._dead_letter_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"sqs.{cdk.Stack.of(self).region}.amazonaws.com"}},
            )
        )
