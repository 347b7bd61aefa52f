"""Failure counting and pauses, for every kind of failure: a wrong password at sign-in or at a
re-authentication, a wrong verification or MFA code.

Growing pauses after repeated failures, never a permanent lock that an attacker could force. Each
`FailureKind` has its own counter and pause on the account; the pause length is decided here (pure),
the count is kept by the accounts repository.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from functions.shared import audit
from functions.shared.http import RequestMeta
from functions.shared.states import FailureKind
from functions.shared.store import repositories
from functions.shared.store.accounts import AccountView

FREE_FAILURES = 4  # the 5th failure in a row starts the pauses
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)


def delay_after(failures: int) -> timedelta:
    """How long a kind pauses after `failures` failures in a row: 30 s, 1 min, 2 min ... 15 min."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES - 1, 16)  # capped: the count can grow without bound
    return min(MAX_DELAY, BASE_DELAY * 2**doublings)


def locked_until(failures: int, now: datetime) -> datetime | None:
    delay = delay_after(failures)
    return now + delay if delay else None


def is_locked(until: datetime | None, now: datetime) -> bool:
    return until is not None and now < until


def is_paused(account: AccountView, kind: FailureKind, now: datetime) -> bool:
    """Whether attempts of `kind` on this account must wait (right answers included)."""
    return is_locked(account.paused_until(kind), now)


def count_failure(account: AccountView, kind: FailureKind, meta: RequestMeta, now: datetime, *, action: str,
                  outcome: str = "wrong") -> int:
    """Count one failure of `kind`, pausing that kind once the free failures are used; with its audit record.
    Returns the failures in a row, this one included."""
    failures = account.failures(kind) + 1
    repositories().accounts.record_failure(
        account.account_id, kind, locked_until(failures, now),
        audit.audit_event(action, outcome, meta, subject=account.account_id, now=now,
                          detail={"failures": failures, "kind": str(kind)}))
    return failures
