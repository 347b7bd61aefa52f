"""The capability table (infra/capabilities.py) against the route table, the Settings model and the
devserver: a capability declared on a `Function` is all it takes (no synth here)."""

from __future__ import annotations

from typing import get_args

import pytest
from aws_cdk.assertions import Template

from devserver.local_aws import LOCAL_ENV, PROVISIONERS
from functions.shared.core.config import Settings
from infra.capabilities import CAPABILITIES, COMMON_ENV, RESOURCES, grants
from infra.routes import FUNCTIONS, Capability, Function, Route
from tests.infra.helpers import actions, logical_id, role_statements
from tests.infra.test_app import _stack


def test_every_capability_name_has_an_entry_and_every_function_uses_known_ones() -> None:
    assert set(get_args(Capability)) == set(CAPABILITIES)
    for spec in FUNCTIONS:
        assert set(spec.uses) <= set(CAPABILITIES), spec.name
        assert len(set(spec.uses)) == len(spec.uses), f"{spec.name} lists a capability twice"


def test_every_grant_names_actions_without_wildcards() -> None:
    for name, capability in CAPABILITIES.items():
        assert capability.resource in RESOURCES, name
        for grant in capability.grants:
            assert grant.actions, name
            assert all(":" in a and "*" not in a for a in grant.actions), name


def test_every_resource_variable_is_an_optional_settings_field() -> None:
    fields = {f.alias: f for f in Settings.model_fields.values() if f.alias}
    for name, resource in RESOURCES.items():
        if resource.env:
            assert resource.env in fields, name
            assert not fields[resource.env].is_required(), f"{name}: functions without it must still start"
    assert set(COMMON_ENV) <= {alias for alias, f in fields.items() if f.is_required()}


def test_devserver_sets_and_provisions_every_resource() -> None:
    assert set(PROVISIONERS) == set(RESOURCES)
    for name, resource in RESOURCES.items():
        if resource.env:
            assert resource.local is not None, name
            assert LOCAL_ENV[resource.env] == resource.local, name
    assert {v for k, v in LOCAL_ENV.items() if k in COMMON_ENV} and set(COMMON_ENV) <= set(LOCAL_ENV)


SERVICE_KEYS = {"roster_key", "portal_data_key", "mail_queue_key", "secrets_key"}


def test_capabilities_do_not_overlap_by_accident() -> None:
    # Two capabilities may share a resource (start/resume the workflow), never a (target, action) pair,
    # except a larger capability that includes a smaller one (imports_rosters reads rosters too), and the
    # KMS key of a bucket, queue or the secrets, which every capability on it needs (usable through S3, SQS or
    # Secrets Manager only).
    for a, spec_a in CAPABILITIES.items():
        for b, spec_b in CAPABILITIES.items():
            if a < b:
                pairs_a = {(g.target, x) for g in grants((a,)) for x in g.actions if g.target not in SERVICE_KEYS}
                pairs_b = {(g.target, x) for g in grants((b,)) for x in g.actions if g.target not in SERVICE_KEYS}
                overlap = pairs_a & pairs_b
                assert not overlap or pairs_a <= pairs_b or pairs_b <= pairs_a, (a, b, overlap)
                assert spec_a.grants or spec_b.grants or spec_a.resource != spec_b.resource


def test_unknown_capability_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.constructs import functions as functions_module

    monkeypatch.setattr(functions_module, "has_code", lambda name: True)
    with pytest.raises(ValueError, match="unknown capabilities"):
        _stack((Function("hello", uses=("flies",)),),  # type: ignore[arg-type]
               (Route("GET", "/hello", "hello", public=True),))


def test_optional_resource_absent_drops_its_capability(monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.constructs import functions as functions_module

    monkeypatch.setattr(functions_module, "has_code", lambda name: True)
    stack = _stack((Function("pusher", uses=("sends_push",)),), (Route("POST", "/push", "pusher", public=True),))
    assert stack.config.push_platform_arn is None
    template = Template.from_stack(stack).to_json()
    fn = template["Resources"][logical_id(stack, stack.functions.functions["pusher"])]  # not CDK's own handlers
    assert "PUSH_PLATFORM_ARN" not in fn["Properties"]["Environment"]["Variables"]
    statements = role_statements(template, logical_id(stack, stack.functions.roles["pusher"]))
    assert not any(a.startswith("sns:") for s in statements for a in actions(s))
