"""Sign-in rules: one answer for every failure, waits per source (or a CAPTCHA) after repeated failures
that never keep the owner out (functions/shared/services/security/lockout.py), then a session whose stage says
what is still missing (MFA set-up, an MFA code, or nothing)."""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools import Logger

from functions.shared.core import audit
from functions.shared.core.errors import WRONG_CREDENTIALS, FieldError, Problem, session_ended
from functions.shared.core.http import Caller, RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import AccountState, FailureKind, SessionStage
from functions.shared.services.notify.mail import send_mail
from functions.shared.services.security import lockout
from functions.shared.services.security.passwords import dummy_verify, verify_password
from functions.shared.services.security.secrets import hash_secret, is_expired, same_hash
from functions.shared.services.signin import SessionView, Started, session_view, start, tell_how_to_reactivate
from functions.shared.store import audit as audit_log
from functions.shared.store import repositories
from functions.shared.store.accounts import AccountChange, AccountView
from functions.shared.store.transactions import StaleWrite
from functions.signin.mails import reset_required
from functions.signin.models import SignInRequest
from functions.signin.pages import NEXT_PAGE, RESEND_PAGE

logger = Logger(child=True)

SIGNIN_FAILED = Problem(
    WRONG_CREDENTIALS, "signin-failed", "Sign-in failed",
    "The user name or password is not right. After several failed tries sign-in waits for a few "
    "minutes. Forgot your password? Reset it from the sign-in page.")


def sign_in(req: SignInRequest, plan: PlanProfile, meta: RequestMeta, device_hash: str | None,
            now: datetime, portal_url: str = "") -> Started:
    login = req.login.casefold()
    account = repositories().accounts.find_by_login(login, by_email=plan.signin_with == "email_or_username",
                                                    by_username=True)
    remembered = account is not None and _remembered(account, device_hash, now)
    lockout.signin_gate(login, plan, meta, now, remembered=remembered, captcha_solution=req.captcha)
    if account is None:
        dummy_verify(req.password)  # as slow as a real check: timing must not tell who has an account
        lockout.count_signin_failure(login, plan, meta, now)
        # ...and written like a failure count (one transaction: a check and the record), for the same reason
        repositories().accounts.note(None, audit.audit_event("signin.password", "unknown_user", meta, now=now))
        raise SIGNIN_FAILED
    if lockout.reset_required(account):
        dummy_verify(req.password)
        audit_log.record("signin.password", "reset_required", meta, subject=account.account_id, now=now)
        raise SIGNIN_FAILED
    if not verify_password(account.password_hash, req.password):
        lockout.count_signin_failure(login, plan, meta, now)
        failures = lockout.count_failure(account, FailureKind.PASSWORD, meta, now, action="signin.password")
        if failures == lockout.MAX_CONSECUTIVE_FAILURES:
            send_mail(account.email, reset_required(plan, f"{portal_url.rstrip('/')}/forgot.html"))
        raise SIGNIN_FAILED
    if account.state == AccountState.DEACTIVATED:
        audit_log.record("signin.password", "deactivated", meta, subject=account.account_id, now=now)
        tell_how_to_reactivate(account, plan, now)
        raise SIGNIN_FAILED  # the same answer as a wrong password: the mail is the only difference

    change = AccountChange(mark_active_at=now, clear_password_failures=account.password_failures > 0)
    if account.state == AccountState.PENDING_ACTIVATION:
        change = _first_sign_in(account, req, plan, meta, now, change)
    stage = _stage(account, remembered)
    try:
        return start(account, stage, plan, meta, now, action="signin.password", next_page=NEXT_PAGE[stage],
                     change=change)
    except StaleWrite:
        if change.activate_with_code is None:
            raise
        raise _wrong_code() from None  # a newer code was mailed meanwhile


def _remembered(account: AccountView, device_hash: str | None, now: datetime) -> bool:
    """Whether this browser finished MFA for this account before and is still remembered."""
    if not device_hash:
        return False
    device = repositories().devices.get(device_hash)
    return device is not None and device.remembers(account.account_id, now)


def _stage(account: AccountView, remembered: bool) -> SessionStage:
    if not account.confirmed_factors:
        return SessionStage.MFA_SETUP
    return SessionStage.FULL if remembered else SessionStage.MFA


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
        raise session_ended()
    stage = SessionStage(who.stage)
    return session_view(account, stage, plan, session_token, NEXT_PAGE[stage])


def sign_out(session_hash: str, account_id: str, meta: RequestMeta, now: datetime) -> None:
    repositories().sessions.end(session_hash, audit.audit_event("signout", "ended", meta, subject=account_id,
                                                                now=now))


def sign_out_everywhere(account_id: str, meta: RequestMeta, now: datetime) -> int:
    # The audit record counts what was ended, so it is written after the sessions are gone.
    ended = repositories().sessions.end_all(account_id)
    audit_log.record("signout.everywhere", "ended", meta, subject=account_id, now=now, detail={"sessions": ended})
    return ended
