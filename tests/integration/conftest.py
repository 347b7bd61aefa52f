"""Handlers on Amazon DynamoDB Local (one engine per test process) and moto for every other service.

Tables are created per module and emptied between tests; nothing serialises the engine, so
concurrent requests race on DynamoDB Local as they would on DynamoDB.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from devserver import dynamodb_local
from devserver.local_aws import (
    LOCAL_ENV,
    delete_tables,
    empty_tables,
    mail_dead_letters_url,
    provision,
    run_lambdas_in_process,
)
from functions.shared.core.config import settings
from tests.events import FakeContext, api_event

REGION = LOCAL_ENV["AWS_REGION"]


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    """One DynamoDB Local per test process; every SDK client of the process sends DynamoDB calls there."""
    import os

    engine = dynamodb_local.start()
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = engine.endpoint
    try:
        yield engine.endpoint
    finally:
        os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
        engine.stop()


@pytest.fixture(scope="module")
def aws(dynamodb_endpoint: str) -> Iterator[boto3.Session]:
    run_lambdas_in_process()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}):
        session = boto3.Session(region_name=REGION)
        provision(LOCAL_ENV, session)
        try:
            yield session
        finally:
            delete_tables(LOCAL_ENV, session)


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
    # Nothing queued by this test reaches the next one.
    outbox()
    from devserver.malware_scan import SCAN_QUEUE

    for name in (LOCAL_ENV["MAIL_QUEUE_URL"], mail_dead_letters_url(LOCAL_ENV), SCAN_QUEUE):
        mail_queue(name).clear()  # PurgeQueue is allowed once a minute
    empty_tables(LOCAL_ENV, session)
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
    """Every mail SES sent, once the mail queue is delivered (as the deployed sender would within moments)."""
    from moto.ses.models import ses_backends

    from devserver.mail_queue import drain

    drain()
    return ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages


def mail_queue(url: str) -> list[Any]:
    """The messages of a queue on moto, visible or not (tests look inside and empty it)."""
    from moto.sqs.models import sqs_backends

    return sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues[url.rsplit("/", 1)[-1]]._messages


def call(handler: Any, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, dict, Any]:
    response = handler(api_event(method, path, body, **kwargs), FakeContext())
    headers = {k: v[0] for k, v in response.get("multiValueHeaders", {}).items()}
    headers.update(response.get("headers") or {})
    payload = json.loads(response["body"]) if response.get("body") else None
    return response["statusCode"], headers, payload



class Clock:
    """One adjustable 'now' for the whole portal (functions.shared.core.clock): `clock.advance(minutes=31)`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from datetime import UTC, datetime

        from functions.shared.core import clock

        self.now = datetime.now(UTC)
        monkeypatch.setattr(clock, "now", lambda: self.now)

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

    from functions.shared.core.errors import Problem

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
