"""Sign-in rules: one answer for every failure, growing pauses after repeated failures, then a
session whose stage says what is still missing (MFA set-up, an MFA code, or nothing)."""

from __future__ import annotations

from datetime import datetime

from functions.shared import audit
from functions.shared.errors import WRONG_CREDENTIALS, FieldError, Problem
from functions.shared.http import Caller, RequestMeta
from functions.shared.plans import PlanProfile
from functions.shared.security import lockout
from functions.shared.security.passwords import dummy_verify, verify_password
from functions.shared.security.secrets import hash_secret, is_expired, same_hash
from functions.shared.signin import SessionView, Started, session_view, start
from functions.shared.states import AccountState, FailureKind, SessionStage
from functions.shared.store import repositories
from functions.shared.store.accounts import AccountChange, AccountView
from functions.shared.store.transactions import StaleWrite
from functions.signin.models import SignInRequest
from functions.signin.pages import NEXT_PAGE, RESEND_PAGE

SIGNIN_FAILED = Problem(
    WRONG_CREDENTIALS, "signin-failed", "Sign-in failed",
    "The user name or password is not right. After several failed tries sign-in pauses for a few "
    "minutes. Forgot your password? Reset it from the sign-in page.")


def sign_in(req: SignInRequest, plan: PlanProfile, meta: RequestMeta, device_hash: str | None,
            now: datetime) -> Started:
    login = req.login.casefold()
    account = repositories().accounts.find_by_login(login, by_email=plan.signin_with == "email_or_username",
                                                    by_username=True)
    if account is None:
        dummy_verify(req.password)  # as slow as a real check: timing must not tell who has an account
        audit.record("signin.password", "unknown_user", meta, now=now)
        raise SIGNIN_FAILED
    if lockout.is_paused(account, FailureKind.PASSWORD, now):
        dummy_verify(req.password)
        audit.record("signin.password", "paused", meta, subject=account.account_id, now=now)
        raise SIGNIN_FAILED
    if not verify_password(account.password_hash, req.password):
        lockout.count_failure(account, FailureKind.PASSWORD, meta, now, action="signin.password")
        raise SIGNIN_FAILED
    if account.state == AccountState.DEACTIVATED:
        audit.record("signin.password", "deactivated", meta, subject=account.account_id, now=now)
        raise SIGNIN_FAILED

    change = AccountChange(mark_active_at=now, clear_password_failures=account.password_failures > 0)
    if account.state == AccountState.PENDING_ACTIVATION:
        change = _first_sign_in(account, req, plan, meta, now, change)
    stage = _stage(account, device_hash, now)
    try:
        return start(account, stage, plan, meta, now, action="signin.password", next_page=NEXT_PAGE[stage],
                     change=change)
    except StaleWrite:
        if change.activate_with_code is None:
            raise
        raise _wrong_code() from None  # a newer code was mailed meanwhile


def _stage(account: AccountView, device_hash: str | None, now: datetime) -> SessionStage:
    if not account.confirmed_factors:
        return SessionStage.MFA_SETUP
    if device_hash:
        device = repositories().devices.get(device_hash)
        if device and device.remembers(account.account_id, now):
            return SessionStage.FULL
    return SessionStage.MFA


def _first_sign_in(account: AccountView, req: SignInRequest, plan: PlanProfile, meta: RequestMeta,
                   now: datetime, change: AccountChange) -> AccountChange:
    """Plans that verify the email with a mailed code check it here, once, with the password."""
    if plan.verification == "link":
        raise Problem(403, "account-not-activated", "Activate your account first",
                      "Open the link in the 'Activate Account' email we sent you, or ask for a new one.",
                      extra={"resend": RESEND_PAGE})
    if lockout.is_paused(account, FailureKind.CODE, now):
        raise Problem(429, "code-paused", "Too many wrong codes",
                      "Wait a few minutes, then try again or ask for a new code.",
                      headers={"Retry-After": "60"})
    if req.verification_code is None:
        raise Problem(WRONG_CREDENTIALS, "verification-code-required", "Enter your verification code",
                      "This is your first sign-in: enter the code we mailed you when you registered.",
                      errors=[FieldError("verification_code", "Enter the 6-digit code from the email.",
                                         "missing")], extra={"resend": RESEND_PAGE})
    expected = account.activation_secret_hash
    given = hash_secret(req.verification_code, scope=account.account_id)
    if expected is None or account.activation_expires_at is None \
            or is_expired(account.activation_expires_at, now) or not same_hash(given, expected):
        lockout.count_failure(account, FailureKind.CODE, meta, now, action="signin.code")
        raise _wrong_code()
    return AccountChange(mark_active_at=change.mark_active_at,
                         clear_password_failures=change.clear_password_failures,
                         activate_with_code=(expected, now))


def _wrong_code() -> Problem:
    return Problem(WRONG_CREDENTIALS, "verification-code-wrong", "The verification code is not right",
                   "Check the newest code we mailed you, or ask for a new one.",
                   errors=[FieldError("verification_code", "This code is wrong or expired.", "invalid")],
                   extra={"resend": RESEND_PAGE})


def current(who: Caller, plan: PlanProfile, session_token: str | None) -> SessionView:
    account = repositories().accounts.get(who.account_id)
    if account is None or session_token is None:
        raise Problem(401, "unauthenticated", "Sign in first", "Your session has ended. Sign in again.")
    stage = SessionStage(who.stage)
    return session_view(account, stage, plan, session_token, NEXT_PAGE[stage])


def sign_out(session_hash: str, account_id: str, meta: RequestMeta, now: datetime) -> None:
    repositories().sessions.end(session_hash, audit.audit_event("signout", "ended", meta, subject=account_id,
                                                                now=now))


def sign_out_everywhere(account_id: str, meta: RequestMeta, now: datetime) -> int:
    # The audit record counts what was ended, so it is written after the sessions are gone.
    ended = repositories().sessions.end_all(account_id)
    audit.record("signout.everywhere", "ended", meta, subject=account_id, now=now, detail={"sessions": ended})
    return ended
