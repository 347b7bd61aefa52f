"""Sign-in rules: one answer for every failure, growing pauses after repeated failures, then a
session whose stage says what is still missing (MFA set-up, an MFA code, or nothing)."""

from __future__ import annotations

from datetime import datetime

from functions.shared import audit
from functions.shared.errors import FieldError, Problem
from functions.shared.http import RequestMeta
from functions.shared.plans import PlanProfile
from functions.shared.security import lockout
from functions.shared.security.passwords import dummy_verify, verify_password
from functions.shared.security.secrets import hash_secret, is_expired, same_hash
from functions.shared.sessions import Stage
from functions.shared.signin import Started, start
from functions.shared.store import accounts, sessions
from functions.shared.store.models import Account, AccountState
from functions.signin.models import SignInRequest

SIGNIN_FAILED = Problem(
    401, "signin-failed", "Sign-in failed",
    "The user name or password is not right. After several failed tries sign-in pauses for a few "
    "minutes. Forgot your password? Reset it from the sign-in page.")


def sign_in(req: SignInRequest, plan: PlanProfile, meta: RequestMeta, device_hash: str | None,
            now: datetime) -> Started:
    login = req.login.casefold()
    account = accounts.find_by_login(login, by_email=plan.signin_with == "email_or_username",
                                     by_username=True)
    if account is None:
        dummy_verify(req.password)  # as slow as a real check: timing must not tell who has an account
        audit.record("signin.password", "unknown_user", meta, now=now)
        raise SIGNIN_FAILED
    if lockout.is_locked(account.password_locked_until, now):
        dummy_verify(req.password)
        audit.record("signin.password", "paused", meta, subject=account.account_id, now=now)
        raise SIGNIN_FAILED
    if not verify_password(account.password_hash, req.password):
        _count_failure(account, "password", meta, now)
        raise SIGNIN_FAILED
    if account.state == AccountState.DEACTIVATED:
        audit.record("signin.password", "deactivated", meta, subject=account.account_id, now=now)
        raise SIGNIN_FAILED

    update = [Account.last_active_at.set(now)]
    if account.password_failures:
        update += [Account.password_failures.set(0), Account.password_locked_until.remove()]
    if account.state == AccountState.PENDING_ACTIVATION:
        update += _first_sign_in(account, req, plan, meta, now)
    return start(account, _stage(account, device_hash, now), plan, meta, now, action="signin.password",
                 account_update=update)


def _stage(account: Account, device_hash: str | None, now: datetime) -> str:
    if not account.confirmed_factors:
        return Stage.MFA_SETUP
    if device_hash:
        device = sessions.get_device(device_hash)
        if device and device.account_id == account.account_id and not is_expired(device.valid_until, now):
            return Stage.FULL
    return Stage.MFA


def _first_sign_in(account: Account, req: SignInRequest, plan: PlanProfile, meta: RequestMeta,
                   now: datetime) -> list:
    """Plans that verify the email with a mailed code check it here, once, with the password."""
    if plan.verification == "link":
        raise Problem(403, "account-not-activated", "Activate your account first",
                      "Open the link in the 'Activate Account' email we sent you, or ask for a new one.",
                      extra={"resend": "/resend.html"})
    if lockout.is_locked(account.code_locked_until, now):
        raise Problem(429, "code-paused", "Too many wrong codes",
                      "Wait a few minutes, then try again or ask for a new code.",
                      headers={"Retry-After": "60"})
    if req.verification_code is None:
        raise Problem(401, "verification-code-required", "Enter your verification code",
                      "This is your first sign-in: enter the code we mailed you when you registered.",
                      errors=[FieldError("verification_code", "Enter the 6-digit code from the email.",
                                         "missing")], extra={"resend": "/resend.html"})
    expected = account.activation_secret_hash
    given = hash_secret(req.verification_code, scope=account.account_id)
    if account.activation_expires_at is None or is_expired(account.activation_expires_at, now) \
            or not same_hash(given, expected):
        _count_failure(account, "code", meta, now)
        raise Problem(401, "verification-code-wrong", "The verification code is not right",
                      "Check the newest code we mailed you, or ask for a new one.",
                      errors=[FieldError("verification_code", "This code is wrong or expired.", "invalid")],
                      extra={"resend": "/resend.html"})
    return [Account.state.set(AccountState.ACTIVE), Account.activated_at.set(now),
            Account.activation_secret_hash.remove(), Account.activation_expires_at.remove(),
            Account.code_failures.set(0)]


def _count_failure(account: Account, kind: str, meta: RequestMeta, now: datetime) -> None:
    counter, until = ((Account.password_failures, Account.password_locked_until) if kind == "password"
                      else (Account.code_failures, Account.code_locked_until))
    failures = (account.password_failures if kind == "password" else account.code_failures) + 1
    actions = [counter.add(1)]
    pause_until = lockout.locked_until(failures, now)
    if pause_until:
        actions.append(until.set(pause_until))
    accounts.record_failure(account.account_id, actions,
                            audit.audit_event(f"signin.{kind}", "wrong", meta, subject=account.account_id,
                                              now=now, detail={"failures": failures}))


def sign_out(session_hash: str, account_id: str, meta: RequestMeta, now: datetime) -> None:
    sessions.end_session(session_hash)
    audit.record("signout", "ended", meta, subject=account_id, now=now)


def sign_out_everywhere(account_id: str, meta: RequestMeta, now: datetime) -> int:
    ended = sessions.end_all_sessions(account_id)
    audit.record("signout.everywhere", "ended", meta, subject=account_id, now=now, detail={"sessions": ended})
    return ended
