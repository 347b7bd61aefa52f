"""Stage selection, plan override, prod protections, the route/authorizer rules and the layer bundler."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from functions.shared.core.plans import PLANS
from infra import app as app_module
from infra.config import StageConfig, stages_from_context
from infra.constructs import api as api_module
from infra.constructs import functions as functions_module
from infra.constructs import layer as layer_module
from infra.routes import ACCESS_WORKFLOW, AUTHORIZER, FUNCTIONS, Function, Route
from infra.stack import PortalStack
from tests.infra.helpers import NO_BUNDLING, Synth, actions, logical_id, resources, role_statements, synth

PUSH_APP = "arn:aws:sns:us-east-1:123456789012:app/GCM/provider-portal"
# Kept on delete and replacement, removed when the first deployment rolls back (no name left blocking).
KEPT = "RetainExceptOnCreate"


@pytest.fixture(scope="module")
def prod_cmo(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    # prod with a push platform application configured, so that push permissions pass cdk-nag too.
    stages = app_module.cdk_json_context()["stages"]
    stages["prod"] = {**stages["prod"], "push_platform_arn": PUSH_APP}
    return synth(tmp_path_factory.mktemp("cdk.out"), stage="prod", plan="cmo", stages=stages)


def test_prod_with_plan_override_synthesizes_one_protected_stack(prod_cmo: Synth) -> None:
    stack = prod_cmo.stack
    assert stack.stack_name == "ProviderPortal-prod-cmo"
    assert stack.termination_protection is True
    template = prod_cmo.template()
    for name, table in resources(template, "AWS::DynamoDB::Table").items():
        assert table["Properties"]["DeletionProtectionEnabled"] is True, name
        assert table["DeletionPolicy"] == KEPT, name
    for name, key in resources(template, "AWS::KMS::Key").items():
        assert key["DeletionPolicy"] == KEPT, name
    for name, group in resources(template, "AWS::Logs::LogGroup").items():
        assert group["Properties"]["RetentionInDays"] == stack.config.log_retention_days, name
    # Rosters, reports, their access logs, failed imports and the running approvals outlive the stack
    # (the pages bucket is rebuilt from git by every deployment).
    pages = logical_id(stack, stack.web.bucket)
    for type_ in ("AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::StepFunctions::StateMachine"):
        found = {k: v for k, v in resources(template, type_).items() if k != pages}
        assert found, type_
        for name, resource in found.items():
            assert resource["DeletionPolicy"] == KEPT, name
    assert template["Resources"][pages]["DeletionPolicy"] == "Delete"
    names = sorted(m["Properties"]["StateMachineName"]
                   for m in resources(template, "AWS::StepFunctions::StateMachine").values())
    assert names == ["provider-portal-prod-cmo-access-approval", "provider-portal-prod-cmo-authorization-clock",
                     "provider-portal-prod-cmo-portal-data-import", "provider-portal-prod-cmo-provider-export"]
    for fn in stack.functions.functions.values():
        env = template["Resources"][logical_id(stack, fn)]["Properties"]["Environment"]["Variables"]
        assert env["PLAN"] == "cmo" and env["STAGE"] == "prod"


def test_push_functions_reach_only_their_platform_application(prod_cmo: Synth) -> None:
    stack, template = prod_cmo.stack, prod_cmo.template()
    endpoints = PUSH_APP.replace(":app/", ":endpoint/") + "/*"
    for name, spec in stack.functions.specs.items():
        env = template["Resources"][logical_id(stack, stack.functions.functions[name])]["Properties"]["Environment"]
        statements = role_statements(template, logical_id(stack, stack.functions.roles[name]))
        push = {a for s in statements if s.get("Resource") in (PUSH_APP, endpoints) for a in actions(s)}
        if "sends_push" in spec.uses:
            assert env["Variables"]["PUSH_PLATFORM_ARN"] == PUSH_APP
            assert {"sns:CreatePlatformEndpoint", "sns:Publish"} <= push
        else:
            assert not push and "PUSH_PLATFORM_ARN" not in env["Variables"]


def test_default_selects_every_stage_of_cdk_json() -> None:
    # build_app builds one stack per config returned here (see the prod test for the wiring).
    configs = stages_from_context(app_module.cdk_json_context())
    assert [c.stack_name for c in configs] == [
        "ProviderPortal-dev-caresource", "ProviderPortal-staging-caresource", "ProviderPortal-prod-caresource",
        "ProviderPortal-prod-cmo",
    ]
    with_plan = stages_from_context({**app_module.cdk_json_context(), "plan": "cca"})
    # prod lists its plans (caresource, cmo): cca goes only where a stage takes any plan
    assert [(c.name, c.plan) for c in with_plan] == [("dev", "cca"), ("staging", "cca")]
    with pytest.raises(ValueError, match="add 'cca' under its 'plans'"):
        stages_from_context({**app_module.cdk_json_context(), "stage": "prod", "plan": "cca"})


def test_cdk_json_runs_the_app_as_a_module() -> None:
    import json

    cdk_json = json.loads(app_module.CDK_JSON.read_text())
    assert cdk_json["app"].endswith("-m infra.app")
    assert cdk_json["notices"] is False


@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_every_stage_in_cdk_json_is_valid(name: str) -> None:
    configs = stages_from_context({**app_module.cdk_json_context(), "stage": name})
    assert configs
    for config in configs:
        assert config.plan in PLANS
        assert config.retain == (name == "prod")


def test_unknown_stage_or_plan_is_refused() -> None:
    context = app_module.cdk_json_context()
    with pytest.raises(ValueError, match="unknown stage"):
        stages_from_context({**context, "stage": "qa"})
    with pytest.raises(ValueError, match="unknown plan profile"):
        stages_from_context({**context, "stage": "dev", "plan": "acme"})


def test_sender_must_be_in_the_mail_domain() -> None:
    (dev,) = stages_from_context({**app_module.cdk_json_context(), "stage": "dev"})
    values = dev.model_dump() | {"mail_sender": "no-reply@elsewhere.example.org"}
    with pytest.raises(ValueError, match="must be an address in"):
        StageConfig.model_validate(values)


def test_context_arguments_are_parsed_like_the_cli() -> None:
    parsed = app_module.parse_context_args(
        ["-c", "stage=prod", "--context", "plan=cmo", "--context=aws:cdk:bundling-stacks=[]"]
    )
    assert parsed == {"stage": "prod", "plan": "cmo", "aws:cdk:bundling-stacks": []}
    with pytest.raises(SystemExit):
        app_module.parse_context_args(["stage=prod"])


# --- routes and the authorizer (no nag, no full synth: construct and template only) ------------------


def _stack(functions: tuple[Function, ...], routes: tuple[Route, ...]) -> PortalStack:
    app = cdk.App(context={**app_module.cdk_json_context(), **NO_BUNDLING}, builtin_cloud_formation_validation=False)
    (config,) = stages_from_context({**app_module.cdk_json_context(), "stage": "dev"})
    return PortalStack(app, config, functions=functions, routes=routes)


WITHOUT_AUTHORIZER = tuple(f for f in FUNCTIONS if f.name != AUTHORIZER)


def test_protected_route_without_authorizer_fails_the_synth() -> None:
    with pytest.raises(ValueError, match="no 'authorizer' function"):
        _stack(WITHOUT_AUTHORIZER, (Route("GET", "/me", "activate"),))


def test_public_routes_need_no_authorizer() -> None:
    stack = _stack(WITHOUT_AUTHORIZER, (Route("POST", "/registrations", "register", public=True),))
    assert stack.api.authorizer is None


def test_routes_are_nested_and_a_changed_route_deploys_the_api_again() -> None:
    """The methods live in the API's nested stack; the stage's deployment (in the portal stack) waits for
    that stack and is replaced whenever a route or its function changes."""

    def deployment(routes: tuple[Route, ...]) -> str:
        stack = _stack(WITHOUT_AUTHORIZER, routes)
        assert all(cdk.Stack.of(method) is stack.api.routes_stack for method in stack.api.methods.values())
        template = Template.from_stack(stack).to_json()
        assert not resources(template, "AWS::ApiGateway::Method")
        ((logical, props),) = resources(template, "AWS::ApiGateway::Deployment").items()
        nested = stack.api.routes_stack.nested_stack_resource
        assert nested is not None and stack.resolve(nested.logical_id) in props["DependsOn"]
        return logical

    register = Route("POST", "/registrations", "register", public=True)
    first = deployment((register,))
    assert deployment((register, Route("GET", "/captcha", "register", public=True))) != first
    assert deployment((Route("POST", "/registrations", "activate", public=True),)) != first


def test_sms_may_reach_phone_numbers_but_no_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(functions_module, "has_code", lambda name: True)
    stack = _stack((Function("texter", uses=("sends_sms",)),), (Route("POST", "/texts", "texter", public=True),))
    template = Template.from_stack(stack).to_json()
    statements = role_statements(template, logical_id(stack, stack.functions.roles["texter"]))
    (publish,) = [s for s in statements if s["Action"] == "sns:Publish"]
    assert publish["NotResource"] == "arn:*:sns:*:*:*" and "Resource" not in publish


def test_route_to_unknown_function_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown function"):
        _stack(FUNCTIONS, (Route("GET", "/x", "nope", public=True),))


@pytest.mark.parametrize("flags", [{"public": True}, {"partial": True}])
def test_iam_route_cannot_also_be_public_or_partial(flags: dict[str, bool]) -> None:
    functions = SimpleNamespace(functions={f.name: None for f in FUNCTIONS})
    with pytest.raises(ValueError, match="signed with IAM"):
        api_module.check_routes((Route("GET", "/staff/x", "staff", iam=True, **flags),), functions)


def test_iam_routes_need_no_authorizer() -> None:
    stack = _stack(WITHOUT_AUTHORIZER, (Route("GET", "/staff/org-agreements", "staff", iam=True),))
    assert stack.api.authorizer is None and stack.api.staff_policy is not None


def test_starting_the_workflow_needs_the_workflow_function() -> None:
    without_workflow = tuple(f for f in FUNCTIONS if f.name != ACCESS_WORKFLOW)
    with pytest.raises(ValueError, match="no access workflow"):
        _stack(without_workflow, (Route("POST", "/links", "link_provider"),))


def test_stack_without_workflow_or_roster_import_has_neither(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(functions_module, "has_code", lambda name: True)
    stack = _stack((Function("hello"),), (Route("GET", "/hello", "hello", public=True),))
    template = Template.from_stack(stack).to_json()
    assert stack.workflows is None and not resources(template, "AWS::StepFunctions::StateMachine")
    assert not resources(template, "Custom::S3BucketNotifications")
    assert stack.api.staff_policy is None and "StaffPolicyArn" not in template["Outputs"]


# --- the layer bundler -------------------------------------------------------------------------------


def test_pip_command_targets_the_lambda_platform() -> None:
    command = layer_module.pip_install_command("/out/python")
    platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
    assert layer_module.PIP_PLATFORM in platforms and "manylinux_2_28_aarch64" in platforms
    assert not any(p.startswith("manylinux_2_35") for p in platforms), "newer than the Lambda glibc"
    assert command[command.index("--python-version") + 1] == "3.12"
    assert "--only-binary=:all:" in command
    assert command[command.index("-r") + 1].endswith("runtime.txt")
    assert command[command.index("-c") + 1].endswith("constraints.txt")
    arch = "aarch64" if layer_module.ARCHITECTURE.name == lambda_.Architecture.ARM_64.name else "x86_64"
    assert all(p.endswith(arch) for p in platforms)


def test_bundler_raises_instead_of_falling_back_to_docker(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    failed = SimpleNamespace(returncode=1, stdout="", stderr="No matching distribution found for x")
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(RuntimeError, match="No matching distribution"):
        layer_module.PipLayerBundler().try_bundle(str(tmp_path))


def test_bundler_installs_into_the_python_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = []
    monkeypatch.setattr(
        subprocess, "run", lambda cmd, **k: calls.append(cmd) or SimpleNamespace(returncode=0, stdout="", stderr="")
    )
    assert layer_module.PipLayerBundler().try_bundle(str(tmp_path)) is True
    assert calls[0][calls[0].index("--target") + 1] == str(tmp_path / "python")
