"""Who has an account must not show in the work a request does: for an existing and an unknown address,
sign-in (wrong password), password-reset request and activation resend make the same AWS calls, of the
same kinds, in the same order (the timing itself is measured by `make bench`, not here)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.integration.browser import Browser
from tests.integration.helpers import active_account, registration

KNOWN, UNKNOWN = "jane.doe@clinic.example", "nobody@clinic.example"


@contextmanager
def calls() -> Iterator[list[str]]:
    """Every AWS API call made meanwhile, as 'service.Operation(tables;item kinds)' (the kinds sorted: the
    order of a transaction's items is PynamoDB's, not work)."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    made: list[str] = []

    def counting(client: Any, name: str, params: dict[str, Any]) -> Any:
        tables = params.get("TableName") or ",".join(
            sorted({next(iter(item.values()))["TableName"] for item in params.get("TransactItems", [])}))
        kinds = ",".join(sorted(next(iter(item)) for item in params.get("TransactItems", [])))
        made.append(f"{client.meta.service_model.service_name}.{name}({tables}{';' + kinds if kinds else ''})")
        return original(client, name, params)

    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield made
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def same_work(browser: Browser, path: str, known: dict[str, Any], unknown: dict[str, Any]) -> tuple[list, list]:
    with calls() as for_known:
        known_reply = browser.post(path, known)
    with calls() as for_unknown:
        unknown_reply = browser.post(path, unknown)
    assert known_reply.status == unknown_reply.status and known_reply.body == unknown_reply.body
    return for_known, for_unknown


def without_condition_kind(made: list[str]) -> list[str]:
    """An update of the account and a check of it are the same work: one item of the same table."""
    same = []
    for call in made:
        head, _, kinds = call.rstrip(")").partition(";")
        same.append(f"{head};{','.join(sorted(kinds.replace('ConditionCheck', 'Update').split(',')))})"
                    if kinds else call)
    return same


@pytest.fixture
def browser(gateway, clock) -> Browser:
    return Browser(gateway)


def test_sign_in_does_the_same_work_for_unknown_users(browser):
    active_account(browser)
    known, unknown = same_work(browser, "/sessions", {"login": KNOWN, "password": "Wrong-Guess-2026x"},
                               {"login": UNKNOWN, "password": "Wrong-Guess-2026x"})
    assert without_condition_kind(known) == without_condition_kind(unknown)
    assert sum(".TransactWriteItems(" in c for c in known) == 1


def test_password_reset_request_does_the_same_work_for_unknown_addresses(browser):
    active_account(browser)
    known, unknown = same_work(browser, "/password-resets", {"email": KNOWN}, {"email": UNKNOWN})
    assert known == unknown
    assert sum(c.startswith("sqs.SendMessage") for c in known) == 1  # a mail, or a decoy, queued


@pytest.mark.parametrize("state", ["pending", "active"])
def test_activation_resend_does_the_same_work_for_unknown_addresses(browser, state):
    if state == "pending":
        assert browser.post("/registrations", registration(email=KNOWN)).status == 202
    else:
        active_account(browser)
    known, unknown = same_work(browser, "/activations/resend", {"email": KNOWN}, {"email": UNKNOWN})
    assert without_condition_kind(known) == without_condition_kind(unknown)
    assert sum(c.startswith("sqs.SendMessage") for c in known) == 1
