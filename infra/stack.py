"""One stack per stage and plan. It only composes the constructs; each concern lives in its own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
import jsii
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.access_logs import AccessLogs
from infra.constructs.api import Api
from infra.constructs.audit_archive import AuditArchive
from infra.constructs.functions import Functions
from infra.constructs.layer import DependencyLayer
from infra.constructs.logs import Logs
from infra.constructs.monitoring import Monitoring
from infra.constructs.notifications import Notifications
from infra.constructs.schedules import Schedules
from infra.constructs.secrets import Secrets
from infra.constructs.storage import INCOMING_PREFIX, REPORTS_PREFIX, PortalDataStorage, RosterStorage
from infra.constructs.tables import Tables
from infra.constructs.waf import Waf, origin_verify_value
from infra.constructs.web import Web
from infra.constructs.workflows import (
    Workflows,
    access_workflow_arn,
    authorization_clock_arn,
    portal_data_import_arn,
    provider_export_arn,
)
from infra.routes import (
    ACCESS_WORKFLOW,
    ATTACHMENT_SCAN,
    AUDIT_ARCHIVE,
    AUTHORIZATION_CLOCK,
    FUNCTIONS,
    MAIL_SENDER,
    PORTAL_DATA_IMPORT,
    PROVIDER_EXPORT,
    ROSTER_IMPORT,
    ROUTES,
    Function,
    Route,
)

# CloudFront takes its web ACL (scope CLOUDFRONT) and certificate from us-east-1 only, so the stack that
# owns the distribution, its web ACL and certificate is deployed there.
EDGE_REGION = "us-east-1"


@jsii.implements(cdk.IStableStringProducer)
class _Later:
    """A value known once a later construct exists (the web tier's URL, which the functions get)."""

    def __init__(self) -> None:
        self.value: str | None = None

    def produce(self) -> str | None:
        if self.value is None:
            raise ValueError("the portal URL was read before the web tier was built")
        return self.value


class PortalStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        config: StageConfig,
        *,
        functions: Sequence[Function] = FUNCTIONS,
        routes: Sequence[Route] = ROUTES,
        **kwargs: Any,
    ) -> None:
        env = cdk.Environment(account=config.account, region=config.region)
        super().__init__(
            scope,
            config.stack_name,
            stack_name=config.stack_name,
            description=f"Provider portal for plan {config.plan}, stage {config.name}",
            env=env if (config.account or config.region) else None,
            termination_protection=config.retain,
            tags={"project": "provider-portal", "stage": config.name, "plan": config.plan},
            **kwargs,
        )
        self.config = config
        self._require_edge_region()
        self.logs = Logs(self, "Logs", config=config)
        self.tables = Tables(self, "Tables", retain=config.retain)
        self.secrets = Secrets(self, "Secrets", config=config)
        self.notifications = Notifications(self, "Notifications", config=config)
        self.storage = RosterStorage(self, "Storage", config=config)
        self.portal_data = PortalDataStorage(self, "PortalData", config=config)
        self.layer = DependencyLayer(self, "Dependencies")
        self.audit_archive = AuditArchive(self, "AuditArchive", config=config)
        # The workflow's Lambda task is one of the functions, and some functions start or resume the
        # workflow: they get its (fixed-name) ARN before it is defined.
        has_workflow = any(spec.name == ACCESS_WORKFLOW for spec in functions)
        has_clock = any(spec.name == AUTHORIZATION_CLOCK for spec in functions)
        has_export = any(spec.name == PROVIDER_EXPORT for spec in functions)
        has_import = any(spec.name == PORTAL_DATA_IMPORT for spec in functions)
        portal_url = _Later()  # the distribution needs the API, which needs the functions
        self.functions = Functions(
            self,
            "Functions",
            config=config,
            tables=self.tables,
            layer=self.layer,
            logs=self.logs,
            notifications=self.notifications,
            secrets=self.secrets,
            storage=self.storage,
            portal_data=self.portal_data,
            workflow_arn=access_workflow_arn(self, config) if has_workflow else None,
            clock_arn=authorization_clock_arn(self, config) if has_clock else None,
            export_arn=provider_export_arn(self, config) if has_export else None,
            import_arn=portal_data_import_arn(self, config) if has_import else None,
            portal_url=cdk.Lazy.string(portal_url),
            audit_archive=self.audit_archive,
            specs=functions,
            routes=routes,
        )
        self.workflows: Workflows | None = None
        if has_workflow:
            self.workflows = Workflows(self, "Workflows", config=config,
                                       task=self.functions.functions[ACCESS_WORKFLOW], logs=self.logs)
            if has_clock:
                self.workflows.add_authorization_clock(self.functions.functions[AUTHORIZATION_CLOCK])
            if has_export:
                self.workflows.add_provider_export(self.functions.functions[PROVIDER_EXPORT])
            if has_import:
                self.workflows.add_portal_data_import(self.functions.functions[PORTAL_DATA_IMPORT])
        if ROSTER_IMPORT in self.functions.functions:
            self.storage.notify(self.functions.functions[ROSTER_IMPORT])
        if PORTAL_DATA_IMPORT in self.functions.functions:
            self.portal_data.notify(self.functions.functions[PORTAL_DATA_IMPORT])
        if ATTACHMENT_SCAN in self.functions.functions:
            self.portal_data.on_scan_result(self.functions.functions[ATTACHMENT_SCAN],
                                            self.functions.dead_letter_queues[ATTACHMENT_SCAN])
        if AUDIT_ARCHIVE in self.functions.functions:
            self.audit_archive.stream_to(self.tables.tables["audit"], self.functions.functions[AUDIT_ARCHIVE],
                                         self.functions.dead_letter_queues[AUDIT_ARCHIVE])
        self.api = Api(self, "Api", config=config, functions=self.functions, logs=self.logs, routes=routes)
        # Only CloudFront reaches the portal routes: its origin header is required by the stage's web ACL.
        origin_verify = origin_verify_value(self)
        self.waf = Waf(self, "Waf", config=config, scope_="REGIONAL",
                       stage_arn=self.api.rest_api.deployment_stage.stage_arn, logs=self.logs,
                       origin_verify=origin_verify)
        self.edge_waf = Waf(self, "EdgeWaf", config=config, scope_="CLOUDFRONT", logs=self.logs)
        self.access_logs = AccessLogs(self, "AccessLogs", config=config)
        self.web = Web(self, "Web", config=config, rest_api=self.api.rest_api, logs=self.logs,
                       web_acl_arn=self.edge_waf.web_acl.attr_arn, origin_verify=origin_verify,
                       access_logs=self.access_logs.bucket)
        # CloudFormation finishes a distribution update once it is deployed: the web ACL starts requiring
        # the header only after CloudFront sends it, so adding the rule to a running stage blocks nothing.
        self.waf.web_acl.node.add_dependency(self.web.distribution)
        portal_url.value = self.web.url
        machines = [m for m in (self.workflows.access_approval, self.workflows.authorization_clock,
                                self.workflows.provider_export)
                    if m is not None] if self.workflows else []
        has_sender = any(spec.name == MAIL_SENDER for spec in functions)
        self.monitoring = Monitoring(self, "Monitoring", config=config, functions=self.functions, api=self.api,
                                     tables=self.tables, state_machines=machines,
                                     notifications=self.notifications, web_acls=[self.waf, self.edge_waf],
                                     mail_queues=(self.notifications.queue, self.notifications.dead_letters)
                                     if has_sender else None)
        self.schedules = Schedules(self, "Schedules", config=config, functions=self.functions,
                                   alarm_topic=self.monitoring.topic)
        cdk.CfnOutput(self, "PortalUrl", value=self.web.url,
                      description="The portal: pages and, under /api, the API (links in mails use it)")
        cdk.CfnOutput(self, "DistributionDomainName", value=self.web.distribution.distribution_domain_name,
                      description="CloudFront's name for the portal (the alias target of a custom domain)")
        cdk.CfnOutput(self, "ApiUrl", value=self.api.rest_api.url,
                      description="The API stage's own URL (staff tools sign requests to it)")
        cdk.CfnOutput(self, "DashboardName", value=config.prefix, description="CloudWatch dashboard of this stack")
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn,
                      description="Subscribe on-call addresses here")
        cdk.CfnOutput(self, "RosterBucketName", value=self.storage.bucket.bucket_name,
                      description=f"Upload provider rosters (CSV) under {INCOMING_PREFIX}; reports appear "
                      f"under {REPORTS_PREFIX}")
        cdk.CfnOutput(self, "PortalDataBucketName", value=self.portal_data.bucket.bucket_name,
                      description=f"Upload FHIR NDJSON extracts (Patient, Coverage, ExplanationOfBenefit) under "
                      f"{INCOMING_PREFIX}; reports appear under {REPORTS_PREFIX}")
        cdk.CfnOutput(self, "AuditArchiveBucketName", value=self.audit_archive.bucket.bucket_name,
                      description="The audit trail, archived under Object Lock (compliance mode, six years)")
        cdk.CfnOutput(self, "MailQueueUrl", value=self.notifications.queue.queue_url,
                      description="Mail waiting for the mail_sender function")
        cdk.CfnOutput(self, "MailDeadLettersUrl", value=self.notifications.dead_letters.queue_url,
                      description="Mail that failed every try; `make redrive STACK=<stack>` returns it")
        published = bool(self.notifications.published)
        for output, record in self.notifications.dns_records().items():
            who = "published by this stack" if published and output != "MailDmarc" else "publish it"
            cdk.CfnOutput(self, output, value=f"{record.name} {record.type} {record.value}",
                          description=f"DNS record for the mail domain ({who}; README, Deploy to AWS)")
        if self.workflows:
            cdk.CfnOutput(self, "AccessWorkflowArn", value=self.workflows.access_approval.state_machine_arn,
                          description="The access-approval state machine")
        if self.api.staff_policy:
            cdk.CfnOutput(self, "StaffPolicyArn", value=self.api.staff_policy.managed_policy_arn,
                          description="Attach to provider-relations staff roles: invoke the staff routes only")

    def _require_edge_region(self) -> None:
        if not cdk.Token.is_unresolved(self.region):
            if self.region != EDGE_REGION:
                raise ValueError(
                    f"stage {self.config.name!r} names region {self.region!r}: the portal stack owns the "
                    f"CloudFront distribution's web ACL and certificate, which AWS keeps in {EDGE_REGION}; "
                    f"deploy it there (see README, Deploy to AWS)"
                )
            return
        # An environment-agnostic template: refuse to create it anywhere else, before anything is made.
        cdk.CfnRule(
            self,
            "EdgeRegion",
            assertions=[cdk.CfnRuleAssertion(
                assert_=cdk.Fn.condition_equals(cdk.Aws.REGION, EDGE_REGION),
                assert_description=f"Deploy this stack in {EDGE_REGION}: CloudFront's web ACL and "
                "certificate live there.",
            )],
        )
