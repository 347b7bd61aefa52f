"""Handlers on moto. One moto backend per module, cleaned between tests by truncating the tables."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from devserver.local_aws import (
    LOCAL_ENV,
    MOTO_WRITES,
    provision,
    run_lambdas_in_process,
    serialise_moto_dynamodb_writes,
)
from functions.shared.config import settings
from tests.events import FakeContext, api_event

REGION = LOCAL_ENV["AWS_REGION"]


@pytest.fixture(scope="module")
def aws() -> Iterator[boto3.Session]:
    serialise_moto_dynamodb_writes()
    run_lambdas_in_process()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}):
        session = boto3.Session(region_name=REGION)
        provision(LOCAL_ENV, session)
        yield session


@pytest.fixture(autouse=True)
def clean(request: pytest.FixtureRequest) -> Iterator[None]:
    if "aws" not in request.fixturenames:
        yield
        return
    session: boto3.Session = request.getfixturevalue("aws")
    yield
    # Workflows of this test must not write into the next one: stop those still running.
    sfn = session.client("stepfunctions")
    for execution in sfn.list_executions(stateMachineArn=LOCAL_ENV["ACCESS_WORKFLOW_ARN"],
                                         statusFilter="RUNNING")["executions"]:
        with contextlib.suppress(Exception):  # moto cannot stop an execution that is just starting
            sfn.stop_execution(executionArn=execution["executionArn"])
    # Empty the tables in moto's memory (faster than deleting through the API, same end state),
    # holding the lock every moto write takes, so no late write lands half-way.
    from moto.dynamodb.models import dynamodb_backends

    with MOTO_WRITES:
        for table in list(dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables.values()):
            table.items.clear()
    outbox().clear()
    sms_outbox().clear()


@pytest.fixture
def plan(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Switch the plan profile for one test: `plan("cmo")`."""

    def use(key: str) -> None:
        monkeypatch.setenv("PLAN", key)
        settings.cache_clear()

    yield use
    settings.cache_clear()


def outbox() -> list[Any]:
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages


def call(handler: Any, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, dict, Any]:
    response = handler(api_event(method, path, body, **kwargs), FakeContext())
    headers = {k: v[0] for k, v in response.get("multiValueHeaders", {}).items()}
    headers.update(response.get("headers") or {})
    payload = json.loads(response["body"]) if response.get("body") else None
    return response["statusCode"], headers, payload



HANDLER_MODULES = ("register", "activate", "signin", "mfa", "password_reset", "authorizer", "link_provider",
                   "provider_admin", "agreements", "staff", "access_workflow")


class Clock:
    """One adjustable 'now' for every handler: `clock.advance(minutes=31)`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from datetime import UTC, datetime

        self.now = datetime.now(UTC)
        for name in HANDLER_MODULES:
            module = __import__(f"functions.{name}.handler", fromlist=["utcnow"])
            monkeypatch.setattr(module, "utcnow", lambda: self.now)

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture(scope="module")
def gateway(aws: boto3.Session) -> Any:
    from devserver.gateway import Gateway

    return Gateway()


def sms_outbox() -> dict[str, tuple[str, str]]:
    from moto.sns.models import sns_backends

    return sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages


def concurrently(request: Any, count: int) -> list[Any]:
    """Run `request(i)` `count` times at once, as separate Lambda containers would.

    Requests go to the logic layer: a Lambda container serves one request at a time, so one
    resolver object must never serve two threads (its current event is shared state).
    Returns each result, or the Problem it raised.
    """
    from concurrent.futures import ThreadPoolExecutor

    from functions.shared.errors import Problem

    def guarded(i: int) -> Any:
        try:
            return request(i)
        except Problem as problem:
            return problem

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(guarded, range(count)))


def wait_for(check: Any, timeout: float = 15.0) -> Any:
    """Poll until `check()` is truthy (workflows run in moto's background threads)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)
