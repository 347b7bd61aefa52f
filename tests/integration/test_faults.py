"""Faults that lose nothing: SES, SNS, SQS, Step Functions and DynamoDB failing under the handlers.

Failures are injected where every SDK call passes (botocore's `BaseClient._make_api_call`, which PynamoDB's
client uses too), after the SDK's own retries: what a user sees when a service stays down for a while.
Each test shows the user a retryable answer (503 problem+json with Retry-After) or the work queued, no
half-made record, the queued mail delivered once the service recovers, and nothing sent twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from devserver.local_aws import LOCAL_ENV, mail_dead_letters_url
from devserver.mail_queue import drain
from functions.mail_sender.handler import lambda_handler as mail_sender
from functions.register.handler import lambda_handler as register
from functions.shared.store.models import Account, AuditEvent, UniqueKey
from infra.redrive import redrive
from tests.events import FakeContext
from tests.integration.browser import Browser
from tests.integration.conftest import call, mail_queue, outbox, sms_outbox
from tests.integration.helpers import GROUP, active_account, mails_to, registration, sign_in, signed_in_user

EMAIL = "jane.doe@clinic.example"
QUEUE = LOCAL_ENV["MAIL_QUEUE_URL"]
DEAD_LETTERS = mail_dead_letters_url(LOCAL_ENV)


@contextmanager
def failing(service: str, operation: str, code: str, *, times: int | None = None,
            reasons: list[str] | None = None) -> Iterator[list[str]]:
    """Make `service.operation` fail with `code` (the first `times` calls, or every call); yields the calls
    that failed. `reasons`: a transaction's cancellation reasons."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    original = BaseClient._make_api_call
    failed: list[str] = []

    def make_api_call(client: Any, name: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == service and name == operation \
                and (times is None or len(failed) < times):
            failed.append(name)
            error: dict[str, Any] = {"Error": {"Code": code, "Message": "injected fault"},
                                     "ResponseMetadata": {"HTTPStatusCode": 400 if code != "InternalFailure" else 500}}
            if reasons:
                error["CancellationReasons"] = [{"Code": r, "Message": "injected"} for r in reasons]
            raise ClientError(error, name)
        return original(client, name, params)

    BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
    try:
        yield failed
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def retryable(status: int, headers: Any, body: dict[str, Any]) -> bool:
    content_type = headers.get("Content-Type") if isinstance(headers, dict) else headers("Content-Type")
    retry_after = headers.get("Retry-After") if isinstance(headers, dict) else headers("Retry-After")
    return (status == 503 and content_type == "application/problem+json"
            and body["type"] == "/problems/service-unavailable" and int(retry_after) > 0)


def queued_for(email: str) -> list[Any]:
    return [m for m in mail_queue(QUEUE) if email in m.body]


def activation_mails(email: str = EMAIL) -> list[Any]:
    return [m for m in mails_to(email) if m.subject == "Activate Account"]


# --- SES ------------------------------------------------------------------------------------------


def test_while_ses_throttles_mail_waits_and_goes_out_once_when_it_recovers(aws):
    with failing("sesv2", "SendEmail", "TooManyRequestsException") as failed:
        status, _, _ = call(register, "POST", "/registrations", registration())
        assert status == 202  # the user is not kept waiting on SES
        assert outbox() == [] and len(failed) == 1  # tried, not sent, not lost
        assert len(mail_queue(QUEUE)) == 1
        outbox()
        assert len(failed) == 2  # tried again
    assert len(activation_mails()) == 1
    assert mail_queue(QUEUE) == []
    assert len(activation_mails()) == 1  # drained again: nothing more
    # The claim says sent; no other claim is left half-taken.
    claims = [k for k in UniqueKey.scan() if k.key.startswith("delivery#")]
    assert len(claims) == 1


def test_a_message_that_arrives_twice_is_mailed_once(aws):
    status, _, _ = call(register, "POST", "/registrations", registration())
    assert status == 202
    [queued] = mail_queue(QUEUE)
    twice = {"Records": [{"messageId": "first", "body": queued.body}, {"messageId": "again", "body": queued.body}]}
    assert mail_sender(twice, FakeContext()) == {"batchItemFailures": []}
    assert mail_sender({"Records": [{"messageId": "later", "body": queued.body}]}, FakeContext()) == {
        "batchItemFailures": []}
    assert len(activation_mails()) == 1  # outbox() also delivered the original message


def test_mail_failing_every_try_waits_in_the_dead_letter_queue_and_a_redrive_sends_it_once(aws):
    with failing("sesv2", "SendEmail", "MessageRejected") as failed:
        assert call(register, "POST", "/registrations", registration())[0] == 202
        for _ in range(6):  # the queue's five receives, then SQS moves it aside
            drain()
        assert len(failed) == 5
    assert mail_queue(QUEUE) == [] and len(mail_queue(DEAD_LETTERS)) == 1
    assert outbox() == []  # dead letters wait for people: nothing is sent by itself

    sqs = aws.client("sqs")
    assert redrive(sqs, DEAD_LETTERS, QUEUE) == 1
    assert mail_queue(DEAD_LETTERS) == []
    assert len(activation_mails()) == 1
    assert redrive(sqs, DEAD_LETTERS, QUEUE) == 0
    assert len(activation_mails()) == 1


def test_a_redriven_message_that_was_already_sent_is_not_sent_again(aws):
    assert call(register, "POST", "/registrations", registration())[0] == 202
    [queued] = mail_queue(QUEUE)
    body = queued.body
    assert len(activation_mails()) == 1
    # A copy reached the dead-letter queue anyway (e.g. deleted too late): redriving it sends nothing.
    aws.client("sqs").send_message(QueueUrl=DEAD_LETTERS, MessageBody=body)
    assert redrive(aws.client("sqs"), DEAD_LETTERS, QUEUE) == 1
    assert len(activation_mails()) == 1


# --- SQS ------------------------------------------------------------------------------------------


def test_when_mail_cannot_be_queued_the_user_is_told_to_retry_and_the_retry_mails_once(gateway):
    browser = Browser(gateway)
    active_account(browser)
    with failing("sqs", "SendMessage", "InternalFailure"):
        reply = browser.post("/password-resets", {"email": EMAIL})
    assert retryable(reply.status, reply.header, reply.body)
    resets = [m for m in mails_to(EMAIL) if "password" in m.subject.lower()]
    assert resets == []
    assert browser.post("/password-resets", {"email": EMAIL}).status == 202
    assert len([m for m in mails_to(EMAIL) if "password" in m.subject.lower()]) == 1


# --- SNS ------------------------------------------------------------------------------------------


def test_an_sns_error_asks_to_retry_and_the_retry_sends_one_code(gateway):
    browser = Browser(gateway)
    active_account(browser)
    assert sign_in(browser).body["stage"] == "mfa_setup"
    with failing("sns", "Publish", "InternalError"):
        reply = browser.post("/mfa/factors", {"kind": "sms", "phone": "(415) 555-2671"})
    assert retryable(reply.status, reply.header, reply.body)
    assert sms_outbox() == {}
    assert not any(f.confirmed for f in next(Account.scan()).factors)
    again = browser.post("/mfa/factors", {"kind": "sms", "phone": "(415) 555-2671"})
    assert again.status == 200
    [(_, text)] = list(sms_outbox().values())
    code = text.split("code: ")[1][:6]
    assert browser.post(f"/mfa/factors/{again.body['factor_id']}/confirm", {"code": code}).status == 200


# --- DynamoDB -------------------------------------------------------------------------------------


def test_dynamodb_throttling_asks_to_retry_and_writes_nothing(aws):
    with failing("dynamodb", "TransactWriteItems", "ProvisionedThroughputExceededException"):
        status, headers, body = call(register, "POST", "/registrations", registration())
    assert retryable(status, headers, body)
    assert list(Account.scan()) == [] and [k for k in UniqueKey.scan() if not k.key.startswith("delivery#")] == []
    assert queued_for(EMAIL) == [] and mails_to(EMAIL) == []
    assert call(register, "POST", "/registrations", registration())[0] == 202
    assert len(list(Account.scan())) == 1 and len(activation_mails()) == 1


def test_a_transaction_conflict_is_retried_inside_the_request(aws):
    with failing("dynamodb", "TransactWriteItems", "TransactionCanceledException", times=1,
                 reasons=["TransactionConflict"]) as failed:
        status, _, _ = call(register, "POST", "/registrations", registration())
    assert failed and status == 202
    assert len(list(Account.scan())) == 1 and len(activation_mails()) == 1


def test_conflicts_that_do_not_pass_ask_to_retry_and_write_nothing(aws):
    with failing("dynamodb", "TransactWriteItems", "TransactionCanceledException",
                 reasons=["TransactionConflict"]) as failed:
        status, headers, body = call(register, "POST", "/registrations", registration())
    assert len(failed) > 1  # retried before giving up
    assert retryable(status, headers, body)
    assert list(Account.scan()) == [] and [e for e in AuditEvent.scan() if e.action.startswith("account")] == []
    assert queued_for(EMAIL) == [] and mails_to(EMAIL) == []


# --- Step Functions -------------------------------------------------------------------------------


@pytest.fixture
def roster(aws, clock) -> None:
    from devserver.roster import DEMO_ROSTER
    from functions.roster_import.logic import import_roster
    from functions.shared.core.clock import now

    assert import_roster(DEMO_ROSTER.read_text(), "demo.csv", now()).status == "applied"


def test_a_workflow_that_cannot_start_asks_to_retry_and_the_retry_starts_it_once(gateway, roster, aws):
    browser = signed_in_user(gateway, "ada@clinic.example", "Ada")
    with failing("stepfunctions", "StartExecution", "ServiceUnavailable"):
        reply = browser.post("/links", GROUP)
    assert retryable(reply.status, reply.header, reply.body)
    again = browser.post("/links", GROUP)
    assert again.status == 200 and again.body["role"] == "admin"
    assert browser.post("/links", GROUP).status == 200  # and once more: still one approval
    executions = aws.client("stepfunctions").list_executions(
        stateMachineArn=LOCAL_ENV["ACCESS_WORKFLOW_ARN"])["executions"]
    assert len(executions) == 1
