"""MFA rules: enrol a factor, challenge it, verify it, and manage factors and remembered devices.

A code is bound to the sign-in attempt (stored on the session, hashed with the session as scope),
lives `plan.code_ttl`, allows five tries, and is spent by the write that upgrades the session.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from functions.mfa.models import (
    ChallengeSent,
    ConfirmRequest,
    EnrolmentStarted,
    EnrolRequest,
    FactorList,
    VerifyRequest,
)
from functions.shared import audit, ratelimit
from functions.shared.errors import FieldError, Problem, invalid_fields
from functions.shared.http import Caller, RequestMeta
from functions.shared.notify import templates
from functions.shared.notify.mail import send_mail
from functions.shared.notify.sms import send_push, send_sms
from functions.shared.phones import to_e164
from functions.shared.plans import PlanProfile
from functions.shared.security import lockout, totp
from functions.shared.security.passwords import verify_password
from functions.shared.security.secrets import hash_secret, is_expired, new_code, new_token, same_hash
from functions.shared.sessions import Stage
from functions.shared.signin import Started, factor_views, start
from functions.shared.store import accounts, sessions
from functions.shared.store.models import Account, Challenge, Factor, Session, Token
from functions.shared.store.transactions import StaleWrite

PUSH_ENROL = "push_enrol"
PUSH_CHALLENGE = "push_challenge"
PUSH_TTL = timedelta(minutes=2)
ENROL_TTL = timedelta(minutes=10)
MAX_FACTORS = 10
SEND_WINDOW = timedelta(minutes=15)

NOT_NOW = Problem(403, "mfa-required", "Verify your identity first",
                  "Enter a code from one of your sign-in methods before changing them.")


def _account(who: Caller) -> Account:
    account = accounts.get_account(who.account_id)
    if account is None:
        raise Problem(401, "unauthenticated", "Sign in first", "Your session has ended. Sign in again.")
    return account


def _factor(account: Account, factor_id: str, *, confirmed: bool | None = None) -> tuple[int, Factor]:
    for index, factor in enumerate(account.factors):
        if factor.factor_id == factor_id and (confirmed is None or factor.confirmed == confirmed):
            return index, factor
    raise Problem(404, "factor-not-found", "No such sign-in method",
                  "Choose one of the sign-in methods listed on the page.")


def list_factors(who: Caller, plan: PlanProfile) -> FactorList:
    return FactorList(factors=factor_views(_account(who)), offered=list(plan.mfa_factors))


# --- enrolment ---------------------------------------------------------------------------------

def enrol(req: EnrolRequest, who: Caller, plan: PlanProfile, meta: RequestMeta,
          now: datetime) -> EnrolmentStarted:
    # A session that still owes an MFA code must not add a factor of the attacker's choosing.
    if who.stage == Stage.MFA:
        raise NOT_NOW
    if req.kind not in plan.mfa_factors:
        raise invalid_fields([FieldError("kind", f"Choose one of: {', '.join(plan.mfa_factors)}.", "choice")])
    account = _account(who)
    if len(account.factors) >= MAX_FACTORS:
        raise Problem(409, "too-many-factors", "Too many sign-in methods",
                      "Remove a sign-in method you no longer use, then add the new one.")
    factor_id = uuid.uuid4().hex[:12]
    factor = Factor(factor_id=factor_id, kind=req.kind, confirmed=False, created_at=now, label="")
    started = EnrolmentStarted(factor_id=factor_id, kind=req.kind)
    if req.kind == "totp":
        seed = totp.new_seed()
        uri = totp.provisioning_uri(seed, account.email, plan.brand)
        factor.label = "Authenticator app"
        factor.totp_secret_encrypted = totp.encrypt_seed(seed, account.account_id)
        started.otpauth_uri, started.secret, started.qr_svg = uri, seed, totp.qr_svg_data_uri(uri)
    elif req.kind == "sms":
        if not req.phone:
            raise invalid_fields([FieldError("phone", "Enter the mobile number for the codes.", "missing")])
        factor.phone = to_e164(req.phone)
        factor.label = f"Text message to {_mask_phone(factor.phone)}"
    elif req.kind == "email":
        factor.label = f"Email to {_mask_email(account.email)}"
    else:
        factor.label = "Push to a device (waiting for the device)"
    _add_factor(account, factor, meta, now)
    if req.kind == "totp":  # the first code from the app confirms it, with the usual five tries
        sessions.set_challenge(who.session_hash, Challenge(factor_id=factor_id, valid_until=now + ENROL_TTL,
                                                           attempts=0, sent_at=now))
    elif req.kind in ("sms", "email"):
        started.sent_to = _send_code(account, factor, who.session_hash, plan, now)
    elif req.kind == "push":
        code = new_token()
        _save_token(code, PUSH_ENROL, account.account_id, factor_id, now + ENROL_TTL, now)
        started.enrol_code = code
    return started


def _add_factor(account: Account, factor: Factor, meta: RequestMeta, now: datetime) -> None:
    # Unconfirmed leftovers of abandoned enrolments are replaced, never piled up.
    kept = [f for f in account.factors if f.confirmed]
    accounts.update_account(
        account.account_id, [Account.factors.set([*kept, factor])], Account.factors == account.factors,
        audit.audit_event("mfa.enrol", "started", meta, subject=account.account_id, now=now,
                          detail={"kind": factor.kind}))
    account.factors = [*kept, factor]


def confirm(factor_id: str, req: ConfirmRequest, who: Caller, plan: PlanProfile, meta: RequestMeta,
            now: datetime) -> Started:
    """Prove the new factor works; a first factor also completes this sign-in's MFA."""
    if who.stage == Stage.MFA:
        raise NOT_NOW
    account = _account(who)
    index, factor = _factor(account, factor_id, confirmed=False)
    if factor.kind == "push":  # the device proved its key when it enrolled
        if not factor.public_key:
            raise Problem(409, "device-not-enrolled", "The device has not enrolled yet",
                          "Enter the enrol code in the app on your device, then confirm here.")
        step = None
    else:
        step = _check_code(account, factor, req.code, who, now, meta)
    label = factor.label.replace(" (waiting for the device)", "")
    update = [Account.factors[index].confirmed.set(True), Account.factors[index].label.set(label)]
    if step is not None:
        update.append(Account.factors[index].totp_last_step.set(step))
    sessions.forget_all_devices(account.account_id)  # a factor change revokes remembered devices
    account.factors[index].confirmed = True
    account.factors[index].label = label
    started = start(account, Stage.FULL, plan, meta, now, action="mfa.enrol.confirmed",
                    account_update=[*update, *_reset_code_failures(account)], replaces=who.session_hash,
                    remember_device=req.remember_device)
    send_mail(account.email, templates.factor_changed(plan, added=label))
    return started


# --- challenge and verify ----------------------------------------------------------------------

def challenge(factor_id: str, who: Caller, plan: PlanProfile, now: datetime) -> ChallengeSent:
    if who.stage != Stage.MFA:
        raise Problem(409, "no-challenge-needed", "Nothing to verify",
                      "This session does not need a code now.")
    account = _account(who)
    _, factor = _factor(account, factor_id, confirmed=True)
    if factor.kind in ("sms", "email"):
        sent_to = _send_code(account, factor, who.session_hash, plan, now)
        return ChallengeSent(factor_id=factor_id, kind=factor.kind, sent_to=sent_to,
                             valid_until=now + plan.code_ttl)
    if factor.kind == "push":
        return _send_push(account, factor, who.session_hash, plan, now)
    sessions.set_challenge(who.session_hash, Challenge(factor_id=factor_id, valid_until=now + plan.code_ttl,
                                                       attempts=0, sent_at=now))
    return ChallengeSent(factor_id=factor_id, kind=factor.kind, valid_until=now + plan.code_ttl)


def verify(req: VerifyRequest, who: Caller, plan: PlanProfile, meta: RequestMeta,
           now: datetime) -> Started | None:
    """Upgrade the session after a good code (or an approved push); None while a push is pending."""
    if who.stage != Stage.MFA:
        raise Problem(409, "no-challenge-needed", "Nothing to verify",
                      "This session does not need a code now.")
    account = _account(who)
    index, factor = _factor(account, req.factor_id, confirmed=True)
    update, condition = [], None
    if factor.kind == "push":
        status = _push_status(who.session_hash, factor.factor_id, now)
        if status == "pending":
            return None
        if status != "approved":
            audit.record("mfa.verify", "push_denied", meta, subject=account.account_id, now=now)
            raise Problem(403, "push-denied", "The sign-in was not approved",
                          "It was denied on the device or timed out. Try again, or use another method.")
    else:
        step = _check_code(account, factor, req.code, who, now, meta)
        if step is not None:  # TOTP: the same write spends the time step, so a replay cannot pass
            last = Account.factors[index].totp_last_step
            update.append(last.set(step))
            condition = last.does_not_exist() | (last < step)
    try:
        return start(account, Stage.FULL, plan, meta, now, action="mfa.verify",
                     account_update=[*update, *_reset_code_failures(account)], account_condition=condition,
                     replaces=who.session_hash, remember_device=req.remember_device)
    except StaleWrite:
        raise _wrong_code() from None


def _check_code(account: Account, factor: Factor, code: str | None, who: Caller, now: datetime,
                meta: RequestMeta) -> int | None:
    """Check a code against the session's challenge; return the TOTP step used, if any."""
    if lockout.is_locked(account.code_locked_until, now):
        raise Problem(429, "code-paused", "Too many wrong codes",
                      "Wait a few minutes, then ask for a new code.", headers={"Retry-After": "60"})
    if code is None:
        raise invalid_fields([FieldError("code", "Enter the 6-digit code.", "missing")])
    session = sessions.get_session(who.session_hash)
    current = session.challenge if session else None
    if current is None or current.factor_id != factor.factor_id or is_expired(current.valid_until, now):
        raise Problem(409, "code-expired", "This code has expired",
                      "Ask for a new code and enter it within a few minutes.", extra={"resend": True})
    if not sessions.spend_attempt(who.session_hash, factor.factor_id):
        raise Problem(429, "code-tries-used", "Too many tries for this code",
                      "Ask for a new code.", extra={"resend": True})
    step = None
    if factor.kind == "totp":
        seed = totp.decrypt_seed(factor.totp_secret_encrypted, account.account_id)
        step = totp.matching_step(seed, code, now)
        good = step is not None and (factor.totp_last_step is None or step > factor.totp_last_step)
    else:
        good = same_hash(hash_secret(code, scope=who.session_hash), current.code_hash)
    if not good:
        _count_code_failure(account, meta, now)
        raise _wrong_code()
    return step


def _wrong_code() -> Problem:
    return Problem(401, "code-wrong", "The code is not right",
                   "Check the code and try again, or ask for a new one.",
                   errors=[FieldError("code", "This code is wrong, used or expired.", "invalid")])


def _count_code_failure(account: Account, meta: RequestMeta, now: datetime) -> None:
    failures = account.code_failures + 1
    actions = [Account.code_failures.add(1)]
    until = lockout.locked_until(failures, now)
    if until:
        actions.append(Account.code_locked_until.set(until))
    accounts.record_failure(account.account_id, actions, audit.audit_event(
        "mfa.code", "wrong", meta, subject=account.account_id, now=now, detail={"failures": failures}))


def _reset_code_failures(account: Account) -> list:
    if not account.code_failures:
        return []
    return [Account.code_failures.set(0), Account.code_locked_until.remove()]


def _send_code(account: Account, factor: Factor, session_hash: str, plan: PlanProfile, now: datetime) -> str:
    ratelimit.hit("mfa-send", account.account_id, plan.code_sends_per_15_min, SEND_WINDOW, now)
    code = new_code()
    sessions.set_challenge(session_hash, Challenge(
        factor_id=factor.factor_id, code_hash=hash_secret(code, scope=session_hash),
        valid_until=now + plan.code_ttl, attempts=0, sent_at=now))
    minutes = int(plan.code_ttl.total_seconds() // 60)
    if factor.kind == "sms":
        send_sms(factor.phone, f"{plan.brand} code: {code}. It expires in {minutes} minutes. "
                               "Never share it; we will never call to ask for it.")
        return _mask_phone(factor.phone)
    send_mail(account.email, templates.mfa_code(plan, code, minutes))
    return _mask_email(account.email)


# --- push --------------------------------------------------------------------------------------

def _send_push(account: Account, factor: Factor, session_hash: str, plan: PlanProfile,
               now: datetime) -> ChallengeSent:
    ratelimit.hit("mfa-send", account.account_id, plan.code_sends_per_15_min, SEND_WINDOW, now)
    number = f"{secrets.randbelow(90) + 10}"
    ref = new_token()
    valid_until = now + PUSH_TTL
    _save_token(ref, PUSH_CHALLENGE, account.account_id, session_hash, valid_until, now)
    sessions.set_challenge(session_hash, Challenge(
        factor_id=factor.factor_id, valid_until=valid_until, attempts=0, sent_at=now,
        push_number=number, push_status="pending"))
    send_push(factor.push_endpoint, {"type": "mfa_push", "challenge_ref": ref, "factor_id": factor.factor_id,
                                     "portal": plan.portal_name})
    return ChallengeSent(factor_id=factor.factor_id, kind="push", push_number=number, valid_until=valid_until)


def _push_status(session_hash: str, factor_id: str, now: datetime) -> str:
    session: Session | None = sessions.get_session(session_hash)
    current = session.challenge if session else None
    if current is None or current.factor_id != factor_id or current.push_status is None:
        return "missing"
    if current.push_status == "pending" and is_expired(current.valid_until, now):
        return "expired"
    return current.push_status


def _save_token(secret: str, purpose: str, account_id: str, ref: str, valid_until: datetime,
                now: datetime) -> None:
    accounts.save_token(Token(hash_secret(secret), purpose=purpose, account_id=account_id, subject_ref=ref,
                              created_at=now, valid_until=valid_until, expires_at=valid_until + ENROL_TTL))


# --- managing factors and devices ---------------------------------------------------------------

def remove_factor(factor_id: str, password: str, who: Caller, plan: PlanProfile, meta: RequestMeta,
                  now: datetime) -> None:
    account = _account(who)
    _, factor = _factor(account, factor_id)
    if not verify_password(account.password_hash, password):
        audit.record("mfa.remove", "wrong_password", meta, subject=account.account_id, now=now)
        raise Problem(401, "reauthentication-failed", "The password is not right",
                      "Enter your current password to remove a sign-in method.",
                      errors=[FieldError("password", "This password is not right.", "invalid")])
    others = [f for f in account.confirmed_factors if f.factor_id != factor_id]
    if factor.confirmed and not others:
        raise Problem(409, "last-factor", "Keep at least one sign-in method",
                      "Add another sign-in method before removing this one.")
    remaining = [f for f in account.factors if f.factor_id != factor_id]
    try:
        accounts.update_account(account.account_id, [Account.factors.set(remaining)],
                                Account.factors == account.factors,
                                audit.audit_event("mfa.remove", "removed", meta, subject=account.account_id,
                                                  now=now, detail={"kind": factor.kind}))
    except StaleWrite:
        raise Problem(409, "changed-meanwhile", "Your sign-in methods just changed",
                      "Reload the page and try again.") from None
    sessions.forget_all_devices(account.account_id)
    send_mail(account.email, templates.factor_changed(plan, removed=factor.label))


def _mask_phone(e164: str) -> str:
    return f"•••-•••-{e164[-4:]}"


def _mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"
