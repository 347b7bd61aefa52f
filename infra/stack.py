"""One stack per stage and plan. It only composes the constructs; each concern lives in its own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from infra.config import StageConfig
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
from infra.constructs.waf import Waf
from infra.constructs.workflows import Workflows, access_workflow_arn, authorization_clock_arn
from infra.routes import (
    ACCESS_WORKFLOW,
    AUDIT_ARCHIVE,
    AUTHORIZATION_CLOCK,
    FUNCTIONS,
    MAIL_SENDER,
    PORTAL_DATA_IMPORT,
    ROSTER_IMPORT,
    ROUTES,
    Function,
    Route,
)


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
            audit_archive=self.audit_archive,
            specs=functions,
            routes=routes,
        )
        self.workflows: Workflows | None = None
        if has_workflow:
            self.workflows = Workflows(self, "Workflows", config=config,
                                       task=self.functions.functions[ACCESS_WORKFLOW], logs=self.logs)
            if has_clock:
                self.workflows.add_authorization_clock(config, self.functions.functions[AUTHORIZATION_CLOCK],
                                                       self.logs)
        if ROSTER_IMPORT in self.functions.functions:
            self.storage.notify(self.functions.functions[ROSTER_IMPORT])
        if PORTAL_DATA_IMPORT in self.functions.functions:
            self.portal_data.notify(self.functions.functions[PORTAL_DATA_IMPORT])
        if AUDIT_ARCHIVE in self.functions.functions:
            self.audit_archive.stream_to(self.tables.tables["audit"], self.functions.functions[AUDIT_ARCHIVE],
                                         self.functions.dead_letter_queues[AUDIT_ARCHIVE])
        self.api = Api(self, "Api", config=config, functions=self.functions, logs=self.logs, routes=routes)
        self.waf = Waf(self, "Waf", config=config, stage_arn=self.api.rest_api.deployment_stage.stage_arn,
                       logs=self.logs)
        has_sender = any(spec.name == MAIL_SENDER for spec in functions)
        self.monitoring = Monitoring(self, "Monitoring", config=config, functions=self.functions, api=self.api,
                                     mail_queues=(self.notifications.queue, self.notifications.dead_letters)
                                     if has_sender else None)
        self.schedules = Schedules(self, "Schedules", config=config, functions=self.functions,
                                   alarm_topic=self.monitoring.topic)
        cdk.CfnOutput(self, "ApiUrl", value=self.api.rest_api.url, description="Base URL of the API stage")
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
        if self.workflows:
            cdk.CfnOutput(self, "AccessWorkflowArn", value=self.workflows.access_approval.state_machine_arn,
                          description="The access-approval state machine")
        if self.api.staff_policy:
            cdk.CfnOutput(self, "StaffPolicyArn", value=self.api.staff_policy.managed_policy_arn,
                          description="Attach to provider-relations staff roles: invoke the staff routes only")
