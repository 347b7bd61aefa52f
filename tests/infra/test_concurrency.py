"""Reserved concurrency: every function has its own in the stages that reserve, sized by the documented rule
(infra/constructs/functions.py reserved_concurrency), and all of them fit in what one account may reserve."""

from __future__ import annotations

import math

import pytest

from infra import app as app_module
from infra.config import StageConfig, stages_from_context
from infra.constructs.functions import CONCURRENCY_FLOOR, api_served, reservable_concurrency, reserved_concurrency
from infra.routes import FUNCTIONS, MAIL_SENDER, ROUTES, function
from tests.infra.helpers import Synth, logical_id, refs, resources, synth

SERVED = api_served(ROUTES)
STAGES = stages_from_context(app_module.cdk_json_context())


@pytest.fixture(scope="module")
def staging(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synth(tmp_path_factory.mktemp("cdk.out"), stage="staging")


def _accounts() -> dict[tuple[str, str | None], list[StageConfig]]:
    """The stacks of cdk.json by account: a stage's plans deploy side by side in one account unless they name
    accounts of their own."""
    found: dict[tuple[str, str | None], list[StageConfig]] = {}
    for config in STAGES:
        found.setdefault((config.name, config.account), []).append(config)
    return found


@pytest.mark.parametrize("account", list(_accounts()), ids=lambda account: account[0])
def test_the_functions_of_every_plan_in_one_account_fit_in_what_it_may_reserve(account) -> None:
    total = 0
    for config in _accounts()[account]:
        reserved = {spec.name: reserved_concurrency(spec, config, SERVED) for spec in FUNCTIONS}
        if not config.reserve_concurrency:
            assert set(reserved.values()) == {None}
            continue
        assert all(value is not None and value >= CONCURRENCY_FLOOR for value in reserved.values()), reserved
        total += sum(reserved.values())  # type: ignore[arg-type]
        # AWS keeps 100 of the account's quota unreserved
        assert reservable_concurrency(config) == config.lambda_concurrency_quota - 100
        assert total <= reservable_concurrency(config), f"{config.name}: {total}"


def test_a_stage_on_the_default_quota_reserves_at_most_900() -> None:
    staging = next(config for config in STAGES if config.name == "staging")
    assert staging.lambda_concurrency_quota == 1000 and reservable_concurrency(staging) == 900
    # prod's two plans (caresource, cmo) share an account at 200 requests/s each: its quota must be raised
    prod = [config for config in STAGES if config.name == "prod"]
    assert len(prod) == 2 and all(config.lambda_concurrency_quota == 2000 for config in prod)


def test_the_dev_stage_reserves_nothing_and_the_others_do() -> None:
    # a new (dev) account may have a quota of 10: any reservation would fail its deployment
    assert {config.name: config.reserve_concurrency for config in STAGES} == {
        "dev": False, "staging": True, "prod": True}


def test_an_api_function_reserves_the_stage_rate_times_its_p99_duration() -> None:
    prod = next(config for config in STAGES if config.name == "prod")
    signin = function("signin")
    assert signin.name in SERVED and prod.throttling.rate_limit == 200 and signin.p99_ms == 250
    assert reserved_concurrency(signin, prod, SERVED) == 50
    # the authorizer answers for every signed-in route: it counts as served by the API
    authorizer = function("authorizer")
    assert reserved_concurrency(authorizer, prod, SERVED) == math.ceil(200 * authorizer.p99_ms / 1000)
    dev_like = prod.model_copy(update={"throttling": prod.throttling.model_copy(update={"rate_limit": 1})})
    assert reserved_concurrency(signin, dev_like, SERVED) == CONCURRENCY_FLOOR  # never below the floor


def test_an_event_driven_function_reserves_the_floor_or_its_own_number() -> None:
    prod = next(config for config in STAGES if config.name == "prod")
    assert reserved_concurrency(function("jobs"), prod, SERVED) == CONCURRENCY_FLOOR
    assert reserved_concurrency(function(MAIL_SENDER), prod, SERVED) == function(MAIL_SENDER).reserved_concurrency


def test_each_function_setting_reaches_the_template(staging: Synth) -> None:
    template = staging.template()
    config = staging.stack.config
    for spec in FUNCTIONS:
        fn = template["Resources"][logical_id(staging.stack, staging.stack.functions.functions[spec.name])]
        assert fn["Properties"]["ReservedConcurrentExecutions"] == reserved_concurrency(spec, config, SERVED), spec.name
    # the mail queue's event source never runs more batches than the sender may run at once
    (mapping,) = [m for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
                  if logical_id(staging.stack, staging.stack.functions.functions[MAIL_SENDER])
                  in set(refs(m["Properties"]["FunctionName"]))]
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": function(MAIL_SENDER).reserved_concurrency}


def test_a_dev_stage_function_has_no_reservation(dev: Synth, template: dict) -> None:
    ours = {logical_id(dev.stack, fn) for fn in dev.stack.functions.functions.values()}
    for name in ours:
        assert "ReservedConcurrentExecutions" not in template["Resources"][name]["Properties"], name


def test_a_stage_whose_functions_would_reserve_too_much_is_refused(tmp_path) -> None:
    stages = app_module.cdk_json_context()["stages"]
    stages["staging"]["throttling"] = {"rate_limit": 5000, "burst_limit": 5000}
    with pytest.raises(Exception, match="more than the 900 its account may reserve"):
        synth(tmp_path, stage="staging", stages=stages)
