"""The state machines, from the same ASL files the devserver runs: access approval, the
prior-authorization decision clock and the Provider Access export.

The state machine has a fixed name so that its ARN is known before it exists: the functions that
start or resume it (the Lambda task among them) get the ARN without a reference cycle. What they may
do with it is their capability (infra/capabilities.py: starts_workflow, resumes_workflow).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
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


def _arn(scope: Construct, name: str) -> str:
    return cdk.Stack.of(scope).format_arn(service="states", resource="stateMachine", resource_name=name,
                                          arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)


class Workflows(Construct):
    """`access_approval`: a Standard state machine whose only task is the `task` function."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, task: lambda_.IFunction,
                 logs: Logs) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        name = access_workflow_name(config)
        self.role = iam.Role(
            self,
            "AccessApprovalRole",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description="Runs the access-approval state machine",
        )
        # Only the unqualified function, which is what the ASL names: no versions or aliases (':*').
        self.role.add_to_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[task.function_arn]))
        # Vended-log delivery needs a CloudWatch Logs resource policy; /aws/vendedlogs/ keeps it small.
        self.log_group = logs.log_group(self, "AccessApprovalLogs", name=f"/aws/vendedlogs/states/{name}")
        self.access_approval = sfn.StateMachine(
            self,
            "AccessApproval",
            state_machine_name=name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            comment="Provider access approval (infra/workflows/access_approval.asl.json)",
            definition_body=sfn.DefinitionBody.from_file(str(ACCESS_APPROVAL_ASL)),
            definition_substitutions={TASK_PLACEHOLDER: task.function_arn},
            role=self.role,
            # Every event, without the states' input and output: executions carry no PHI, but keep it so.
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
            removal_policy=removal_policy(config.retain),
        )
        self.arn = access_workflow_arn(self, config)
        self.clock_role: iam.Role | None = None
        self.authorization_clock: sfn.StateMachine | None = None
        self.export_role: iam.Role | None = None
        self.provider_export: sfn.StateMachine | None = None

    def add_authorization_clock(self, config: StageConfig, task: lambda_.IFunction, logs: Logs) -> None:
        """The decision clock of prior authorizations: waits, then its `task` reminds and escalates."""
        stack = cdk.Stack.of(self)
        name = authorization_clock_name(config)
        self.clock_role = iam.Role(
            self,
            "AuthorizationClockRole",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description="Runs the prior-authorization decision clock",
        )
        self.clock_role.add_to_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"],
                                                          resources=[task.function_arn]))
        log_group = logs.log_group(self, "AuthorizationClockLogs", name=f"/aws/vendedlogs/states/{name}")
        self.authorization_clock = sfn.StateMachine(
            self,
            "AuthorizationClock",
            state_machine_name=name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            comment="Prior-authorization decision clock (infra/workflows/authorization_clock.asl.json)",
            definition_body=sfn.DefinitionBody.from_file(str(AUTHORIZATION_CLOCK_ASL)),
            definition_substitutions={CLOCK_TASK_PLACEHOLDER: task.function_arn},
            role=self.clock_role,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
            removal_policy=removal_policy(config.retain),
        )

    def add_provider_export(self, config: StageConfig, task: lambda_.IFunction, logs: Logs) -> None:
        """One Provider Access export per execution: its `task` writes the files, or marks the job failed."""
        stack = cdk.Stack.of(self)
        name = provider_export_name(config)
        self.export_role = iam.Role(
            self,
            "ProviderExportRole",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description="Runs the Provider Access export workflow",
        )
        self.export_role.add_to_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"],
                                                           resources=[task.function_arn]))
        log_group = logs.log_group(self, "ProviderExportLogs", name=f"/aws/vendedlogs/states/{name}")
        self.provider_export = sfn.StateMachine(
            self,
            "ProviderExport",
            state_machine_name=name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            comment="Provider Access export (infra/workflows/provider_export.asl.json)",
            definition_body=sfn.DefinitionBody.from_file(str(PROVIDER_EXPORT_ASL)),
            definition_substitutions={EXPORT_TASK_PLACEHOLDER: task.function_arn},
            role=self.export_role,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
            removal_policy=removal_policy(config.retain),
        )
