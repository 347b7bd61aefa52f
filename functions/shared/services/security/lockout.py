"""Failure counting and pauses, for every kind of failure: a wrong password at sign-in or at a
re-authentication, a wrong verification or MFA code.

Growing pauses after repeated failures, never a permanent lock that an attacker could force. Each
`FailureKind` has its own counter and pause on the account; the pause length is decided here (pure),
the count is kept by the accounts repository.

Sign-in is guarded so that a stranger cannot keep the owner out: failures are counted per login *and
source* (that source waits, others do not), per source over all logins (password spraying), and, on
plans with a CAPTCHA, per login over all sources, which then asks for a solved CAPTCHA instead of
refusing. A browser the account remembers (after a full MFA sign-in) skips those waits. The counters are
keyed by the login as typed, before any lookup, so unknown logins answer exactly like real ones. Only
`MAX_CONSECUTIVE_FAILURES` wrong passwords in a row (SP 800-63B 5.2.2) stop the account until its
password is reset; the owner is mailed when that happens.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from functions.shared.core import audit
from functions.shared.core.errors import FieldError, Problem
from functions.shared.core.http import RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import FailureKind
from functions.shared.services import ratelimit
from functions.shared.store import audit as audit_log
from functions.shared.store import repositories
from functions.shared.store.accounts import AccountView

FREE_FAILURES = 4  # the 5th failure in a row starts the pauses
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
SIGNIN_WINDOW = timedelta(minutes=15)
MAX_CONSECUTIVE_FAILURES = 100  # SP 800-63B: at most 100 failed attempts in a row on one account

SIGNIN_WAIT = ("Too many failed sign-ins from this network. Wait {minutes} minute(s) and try again, "
               "or reset your password from the sign-in page.")
CAPTCHA_REQUIRED = Problem(
    403, "captcha-required", "Solve the security code to sign in",
    "There were several failed sign-ins for this user name. Solve the security code and sign in again.",
    errors=[FieldError("captcha", "Solve the security code.", "captcha")], extra={"captcha": "/api/captcha"})


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


def reset_required(account: AccountView) -> bool:
    """Too many wrong passwords in a row: only a password reset (which clears the count) opens it again."""
    return account.password_failures >= MAX_CONSECUTIVE_FAILURES


def _login_and_source(login: str, meta: RequestMeta) -> str:
    return f"{login}\n{meta.source}"


def signin_gate(login: str, plan: PlanProfile, meta: RequestMeta, now: datetime, *, remembered: bool,
                captcha_solution: str | None) -> None:
    """Before a password is checked: wait per source, or step up to a CAPTCHA. A remembered device passes."""
    if remembered:
        return
    minutes = max(int(SIGNIN_WINDOW.total_seconds() // 60), 1)
    checks = [("signin-fail-source", meta.source, plan.signin_failures_per_source, SIGNIN_WINDOW),
              ("signin-fail", _login_and_source(login, meta), plan.signin_failures_per_login_and_source,
               SIGNIN_WINDOW)]
    if plan.requires_captcha:
        checks.append(("signin-fail-login", login, 0, SIGNIN_WINDOW))  # read only: it asks, never refuses
    try:
        counts = ratelimit.check_all(checks, now, detail=SIGNIN_WAIT.format(minutes=minutes))  # one read
    except Problem:
        audit_log.record("signin.password", "paused", meta, now=now)  # its metric feeds the lockout alarm
        raise
    if plan.requires_captcha and counts["signin-fail-login"] >= plan.signin_failures_before_captcha:
        if captcha_solution is None:
            raise CAPTCHA_REQUIRED
        from functions.shared.services.security import captcha

        captcha.spend(captcha_solution, now)


def count_signin_failure(login: str, plan: PlanProfile, meta: RequestMeta, now: datetime) -> None:
    """Count a failed sign-in on the per-source counters (the same for unknown logins)."""
    ratelimit.allow("signin-fail-source", meta.source, plan.signin_failures_per_source, SIGNIN_WINDOW, now)
    ratelimit.allow("signin-fail", _login_and_source(login, meta), plan.signin_failures_per_login_and_source,
                    SIGNIN_WINDOW, now)
    if plan.requires_captcha:
        ratelimit.allow("signin-fail-login", login, plan.signin_failures_before_captcha, SIGNIN_WINDOW, now)
