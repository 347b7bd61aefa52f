"""The state machines, from the same ASL files the devserver runs: access approval, the
prior-authorization decision clock, the Provider Access export and the portal-data import.

The state machine has a fixed name so that its ARN is known before it exists: the functions that
start or resume it (the Lambda task among them) get the ARN without a reference cycle. What they may
do with it is their capability (infra/capabilities.py: starts_workflow, resumes_workflow).
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import StageConfig
from infra.constructs._common import removal_policy
from infra.constructs.layer import REPO_ROOT
from infra.constructs.logs import Logs

ACCESS_APPROVAL_ASL = REPO_ROOT / "infra" / "workflows" / "access_approval.asl.json"
AUTHORIZATION_CLOCK_ASL = REPO_ROOT / "infra" / "workflows" / "authorization_clock.asl.json"
# The placeholder of the Lambda task in each ASL file (devserver/local_aws.py substitutes the same one).
TASK_PLACEHOLDER = "WorkflowFunction"
CLOCK_TASK_PLACEHOLDER = "ClockFunction"
PROVIDER_EXPORT_ASL = REPO_ROOT / "infra" / "workflows" / "provider_export.asl.json"
EXPORT_TASK_PLACEHOLDER = "ExportFunction"
PORTAL_DATA_IMPORT_ASL = REPO_ROOT / "infra" / "workflows" / "portal_data_import.asl.json"
IMPORT_TASK_PLACEHOLDER = "ImportFunction"


def access_workflow_name(config: StageConfig) -> str:
    return f"provider-portal-{config.name}-{config.plan}-access-approval"


def access_workflow_arn(scope: Construct, config: StageConfig) -> str:
    return _arn(scope, access_workflow_name(config))


def authorization_clock_name(config: StageConfig) -> str:
    return f"provider-portal-{config.name}-{config.plan}-authorization-clock"


def authorization_clock_arn(scope: Construct, config: StageConfig) -> str:
    return _arn(scope, authorization_clock_name(config))


def provider_export_name(config: StageConfig) -> str:
    return f"provider-portal-{config.name}-{config.plan}-provider-export"


def provider_export_arn(scope: Construct, config: StageConfig) -> str:
    return _arn(scope, provider_export_name(config))


def portal_data_import_name(config: StageConfig) -> str:
    return f"provider-portal-{config.name}-{config.plan}-portal-data-import"


def portal_data_import_arn(scope: Construct, config: StageConfig) -> str:
    return _arn(scope, portal_data_import_name(config))


def _arn(scope: Construct, name: str) -> str:
    return cdk.Stack.of(scope).format_arn(service="states", resource="stateMachine", resource_name=name,
                                          arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)


class Workflows(Construct):
    """`access_approval`: a Standard state machine whose only task is the `task` function; the decision
    clock and the export are added when their task functions exist."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, task: lambda_.IFunction,
                 logs: Logs) -> None:
        super().__init__(scope, construct_id)
        self.config, self.logs = config, logs
        self.role, self.access_approval, self.log_group = self._machine(
            "AccessApproval", access_workflow_name(config), ACCESS_APPROVAL_ASL, TASK_PLACEHOLDER, task,
            "Runs the access-approval state machine", "Provider access approval")
        self.arn = access_workflow_arn(self, config)
        self.clock_role: iam.Role | None = None
        self.authorization_clock: sfn.StateMachine | None = None
        self.export_role: iam.Role | None = None
        self.provider_export: sfn.StateMachine | None = None
        self.import_role: iam.Role | None = None
        self.portal_data_import: sfn.StateMachine | None = None

    def _machine(self, construct_id: str, name: str, asl: Path, placeholder: str, task: lambda_.IFunction,
                 role_description: str, comment: str) -> tuple[iam.Role, sfn.StateMachine, logs_.LogGroup]:
        """A Standard state machine from `asl` whose one task is `task`: its role may invoke only that
        function (unqualified, as the ASL names it), logs every event without execution data, traced."""
        stack = cdk.Stack.of(self)
        role = iam.Role(
            self,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description=role_description,
        )
        role.add_to_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[task.function_arn]))
        # Vended-log delivery needs a CloudWatch Logs resource policy; /aws/vendedlogs/ keeps it small.
        log_group = self.logs.log_group(self, f"{construct_id}Logs", name=f"/aws/vendedlogs/states/{name}")
        machine = sfn.StateMachine(
            self,
            construct_id,
            state_machine_name=name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            comment=f"{comment} (infra/workflows/{asl.name})",
            definition_body=sfn.DefinitionBody.from_file(str(asl)),
            definition_substitutions={placeholder: task.function_arn},
            role=role,
            # Every event, without the states' input and output: executions carry no PHI, but keep it so.
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
            removal_policy=removal_policy(self.config.retain),
        )
        return role, machine, log_group

    def add_authorization_clock(self, task: lambda_.IFunction) -> None:
        """The decision clock of prior authorizations: waits, then its `task` reminds and escalates."""
        self.clock_role, self.authorization_clock, _ = self._machine(
            "AuthorizationClock", authorization_clock_name(self.config), AUTHORIZATION_CLOCK_ASL,
            CLOCK_TASK_PLACEHOLDER, task, "Runs the prior-authorization decision clock",
            "Prior-authorization decision clock")

    def add_provider_export(self, task: lambda_.IFunction) -> None:
        """One Provider Access export per execution: its `task` writes the files, or marks the job failed."""
        self.export_role, self.provider_export, _ = self._machine(
            "ProviderExport", provider_export_name(self.config), PROVIDER_EXPORT_ASL, EXPORT_TASK_PLACEHOLDER,
            task, "Runs the Provider Access export workflow", "Provider Access export")

    def add_portal_data_import(self, task: lambda_.IFunction) -> None:
        """One portal-data import per execution: its `task` surveys the export, maps its ranges phase by
        phase (side by side within a phase), and writes the report."""
        self.import_role, self.portal_data_import, _ = self._machine(
            "PortalDataImport", portal_data_import_name(self.config), PORTAL_DATA_IMPORT_ASL,
            IMPORT_TASK_PLACEHOLDER, task, "Runs the portal-data import workflow", "Portal-data import")
