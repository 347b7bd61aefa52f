"""MFA rules: enrol a factor, challenge it, verify it, and manage factors and remembered devices.

A code is bound to the sign-in attempt (stored on the session, hashed with the session as scope),
lives `plan.code_ttl`, allows five tries, and is spent by the write that upgrades the session.
Wrong codes and wrong re-authentication passwords count towards the account's pauses
(functions/shared/services/security/lockout.py).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from functions.mfa import mails
from functions.mfa.models import (
    ChallengeSent,
    ConfirmRequest,
    DeviceList,
    DeviceView,
    EnrolmentStarted,
    EnrolRequest,
    FactorList,
    VerifyRequest,
)
from functions.mfa.pages import SIGNED_IN_PAGE
from functions.shared.core import audit
from functions.shared.core.errors import WRONG_CREDENTIALS, FieldError, Problem, invalid_fields, session_ended
from functions.shared.core.http import Caller, RequestMeta
from functions.shared.core.phones import to_e164
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import FactorKind, FailureKind, PushStatus, SessionStage, TokenPurpose
from functions.shared.services import ratelimit
from functions.shared.services.notify.mail import send_mail
from functions.shared.services.notify.sms import send_push, send_sms
from functions.shared.services.security import lockout, totp
from functions.shared.services.security.passwords import dummy_verify, verify_password
from functions.shared.services.security.secrets import hash_secret, is_expired, new_code, new_token, same_hash
from functions.shared.services.signin import Started, factor_views, start
from functions.shared.store import audit as audit_log
from functions.shared.store import repositories
from functions.shared.store.accounts import AccountChange, AccountView, Factor, with_factor
from functions.shared.store.sessions import ChallengeView
from functions.shared.store.tokens import new_token_record
from functions.shared.store.transactions import StaleWrite

PUSH_ENROL = TokenPurpose.PUSH_ENROL
PUSH_CHALLENGE = TokenPurpose.PUSH_CHALLENGE
PUSH_TTL = timedelta(minutes=2)
ENROL_TTL = timedelta(minutes=10)
MAX_FACTORS = 10
SEND_WINDOW = timedelta(minutes=15)
WAITING_FOR_DEVICE = " (waiting for the device)"

REAUTH_WINDOW = timedelta(minutes=5)  # a session this young proved the password (or a factor) just now

NOT_NOW = Problem(403, "mfa-required", "Verify your identity first",
                  "Enter a code from one of your sign-in methods before changing them.")
REAUTH_FAILED = Problem(WRONG_CREDENTIALS, "reauthentication-failed", "The password is not right",
                        "Enter your current password to change your sign-in methods.",
                        errors=[FieldError("password", "This password is not right.", "invalid")])
REAUTH_REQUIRED = Problem(403, "reauthentication-required", "Confirm it is you",
                          "Enter your current password to add a sign-in method (or sign in again).",
                          errors=[FieldError("password", "Enter your current password.", "missing")])


def _account(who: Caller) -> AccountView:
    account = repositories().accounts.get(who.account_id)
    if account is None:
        raise session_ended()
    return account


def _factor(account: AccountView, factor_id: str, *, confirmed: bool | None = None) -> Factor:
    factor = account.factor(factor_id)
    if factor is None or (confirmed is not None and factor.confirmed != confirmed):
        raise Problem(404, "factor-not-found", "No such sign-in method",
                      "Choose one of the sign-in methods listed on the page.")
    return factor


def list_factors(who: Caller, plan: PlanProfile) -> FactorList:
    return FactorList(factors=factor_views(_account(who)), offered=list(plan.mfa_factors))


# --- enrolment ---------------------------------------------------------------------------------

def enrol(req: EnrolRequest, who: Caller, plan: PlanProfile, meta: RequestMeta,
          now: datetime) -> EnrolmentStarted:
    if req.kind not in plan.mfa_factors:
        raise invalid_fields([FieldError("kind", f"Choose one of: {', '.join(plan.mfa_factors)}.", "choice")])
    account = _account(who)
    _may_change_factors(account, who)
    if account.confirmed_factors:  # the very first factor, during set-up, needs no more than the sign-in
        _recently_authenticated(account, who, req.password, meta, now, action="mfa.enrol")
    if len(account.factors) >= MAX_FACTORS:
        raise Problem(409, "too-many-factors", "Too many sign-in methods",
                      "Remove a sign-in method you no longer use, then add the new one.")
    factor_id = uuid.uuid4().hex[:12]
    factor = Factor(factor_id=factor_id, kind=req.kind, label="", created_at=now)
    started = EnrolmentStarted(factor_id=factor_id, kind=req.kind)
    if req.kind == FactorKind.TOTP:
        seed = totp.new_seed()
        uri = totp.provisioning_uri(seed, account.email, plan.brand)
        factor = replace(factor, label="Authenticator app",
                         totp_secret_encrypted=totp.encrypt_seed(seed, account.account_id))
        started.otpauth_uri, started.secret, started.qr_svg = uri, seed, totp.qr_svg_data_uri(uri)
    elif req.kind == FactorKind.SMS:
        if not req.phone:
            raise invalid_fields([FieldError("phone", "Enter the mobile number for the codes.", "missing")])
        phone = to_e164(req.phone)
        factor = replace(factor, phone=phone, label=f"Text message to {_mask_phone(phone)}")
    elif req.kind == FactorKind.EMAIL:
        factor = replace(factor, label=f"Email to {_mask_email(account.email)}")
    else:
        factor = replace(factor, label="Push to a device" + WAITING_FOR_DEVICE)
    # Unconfirmed leftovers of abandoned enrolments are replaced, never piled up.
    repositories().accounts.add_factor(account, factor, audit.audit_event(
        "mfa.enrol", "started", meta, subject=account.account_id, now=now, detail={"kind": factor.kind}))
    if req.kind == FactorKind.TOTP:  # the first code from the app confirms it, with the usual five tries
        repositories().sessions.set_challenge(who.session_hash, ChallengeView(
            factor_id=factor_id, valid_until=now + ENROL_TTL, sent_at=now))
    elif req.kind in (FactorKind.SMS, FactorKind.EMAIL):
        started.sent_to = _send_code(account, factor, who.session_hash, plan, now)
    elif req.kind == FactorKind.PUSH:
        code = new_token()
        repositories().tokens.issue(new_token_record(hash_secret(code), PUSH_ENROL, account.account_id, now,
                                                     ENROL_TTL, ENROL_TTL, subject_ref=factor_id))
        started.enrol_code = code
    return started


def confirm(factor_id: str, req: ConfirmRequest, who: Caller, plan: PlanProfile, meta: RequestMeta,
            now: datetime) -> Started:
    """Prove the new factor works; a first factor also completes this sign-in's MFA and ends every
    other session of the account (any of them may be a password-only session of an intruder)."""
    account = _account(who)
    _may_change_factors(account, who)
    factor = _factor(account, factor_id, confirmed=False)
    if factor.kind == FactorKind.PUSH:  # the device proved its key when it enrolled
        if not factor.public_key:
            raise Problem(409, "device-not-enrolled", "The device has not enrolled yet",
                          "Enter the enrol code in the app on your device, then confirm here.")
        step = None
    else:
        step = _check_code(account, factor, req.code, who, now, meta)
    label = factor.label.replace(WAITING_FOR_DEVICE, "")
    repositories().devices.forget_all(account.account_id)  # a factor change revokes remembered devices
    confirmed = with_factor(account, replace(factor, confirmed=True, label=label))
    started = start(confirmed, SessionStage.FULL, plan, meta, now, action="mfa.enrol.confirmed",
                    next_page=SIGNED_IN_PAGE, replaces=who.session_hash, remember_device=req.remember_device,
                    change=AccountChange(confirm_factor=(factor_id, label, step),
                                         clear_code_failures=account.code_failures > 0))
    if not account.confirmed_factors:
        ended = repositories().sessions.end_all(account.account_id, keep=started.session_hash)
        audit_log.record("signout.everywhere", "first_factor", meta, subject=account.account_id, now=now,
                         detail={"sessions": ended})
    send_mail(account.email, mails.factor_changed(plan, added=label))
    return started


def _may_change_factors(account: AccountView, who: Caller) -> None:
    """Only a full session changes factors once one is confirmed. A session that has not finished MFA may
    set up the first factor only: a password-only session left over from before set-up (an intruder's,
    perhaps) must not add one of its own and reach full access with it."""
    if who.stage != SessionStage.FULL and (who.stage == SessionStage.MFA or account.confirmed_factors):
        raise NOT_NOW


def _recently_authenticated(account: AccountView, who: Caller, password: str | None, meta: RequestMeta,
                            now: datetime, *, action: str) -> None:
    """A session that signed in (password and factor) in the last minutes, or the password again now."""
    if password is None:
        session = repositories().sessions.get(who.session_hash)
        if session is None or now - session.created_at > REAUTH_WINDOW:
            raise REAUTH_REQUIRED
        return
    _check_password(account, password, meta, now, action=action)


def _check_password(account: AccountView, password: str, meta: RequestMeta, now: datetime, *,
                    action: str) -> None:
    """Re-authentication: counted and paused with the account's sign-in failures."""
    if lockout.is_paused(account, FailureKind.PASSWORD, now) or lockout.reset_required(account):
        dummy_verify(password)
        audit_log.record(action, "paused", meta, subject=account.account_id, now=now)
        raise REAUTH_FAILED
    if not verify_password(account.password_hash, password):
        lockout.count_failure(account, FailureKind.PASSWORD, meta, now, action=action, outcome="wrong_password")
        raise REAUTH_FAILED


# --- challenge and verify ----------------------------------------------------------------------

def _needs_mfa(who: Caller) -> None:
    if who.stage != SessionStage.MFA:
        raise Problem(409, "no-challenge-needed", "Nothing to verify",
                      "This session does not need a code now.")


def challenge(factor_id: str, who: Caller, plan: PlanProfile, now: datetime) -> ChallengeSent:
    _needs_mfa(who)
    account = _account(who)
    factor = _coded_factor(account, factor_id)
    if factor.kind in (FactorKind.SMS, FactorKind.EMAIL):
        sent_to = _send_code(account, factor, who.session_hash, plan, now)
        return ChallengeSent(factor_id=factor_id, kind=factor.kind, sent_to=sent_to,
                             valid_until=now + plan.code_ttl)
    if factor.kind == FactorKind.PUSH:
        return _send_push(account, factor, who.session_hash, plan, now)
    repositories().sessions.set_challenge(who.session_hash, ChallengeView(
        factor_id=factor_id, valid_until=now + plan.code_ttl, sent_at=now))
    return ChallengeSent(factor_id=factor_id, kind=factor.kind, valid_until=now + plan.code_ttl)


def verify(req: VerifyRequest, who: Caller, plan: PlanProfile, meta: RequestMeta,
           now: datetime) -> Started | None:
    """Upgrade the session after a good code (or an approved push); None while a push is pending."""
    _needs_mfa(who)
    account = _account(who)
    factor = _coded_factor(account, req.factor_id)
    step = None
    if factor.kind == FactorKind.PUSH:
        status = push_status(who.session_hash, factor.factor_id, now)
        if status == PushStatus.PENDING:
            return None
        if status != PushStatus.APPROVED:
            audit_log.record("mfa.verify", "push_denied", meta, subject=account.account_id, now=now)
            raise Problem(403, "push-denied", "The sign-in was not approved",
                          "It was denied on the device or timed out. Try again, or use another method.")
    else:
        step = _check_code(account, factor, req.code, who, now, meta)
    # TOTP: the same write spends the time step, so a replay cannot pass.
    change = AccountChange(spend_totp_step=(factor.factor_id, step) if step is not None else None,
                           clear_code_failures=account.code_failures > 0)
    try:
        return start(account, SessionStage.FULL, plan, meta, now, action="mfa.verify", next_page=SIGNED_IN_PAGE,
                     change=change, replaces=who.session_hash, remember_device=req.remember_device)
    except StaleWrite:
        raise _wrong_code() from None


def _coded_factor(account: AccountView, factor_id: str) -> Factor:
    """A confirmed factor that answers with a code or a push (a passkey has routes of its own)."""
    factor = _factor(account, factor_id, confirmed=True)
    if factor.kind == FactorKind.PASSKEY:
        raise Problem(409, "passkey-not-a-code", "A passkey needs no code",
                      "Use your passkey: the browser asks your device for it (POST /mfa/passkeys/challenge).")
    return factor


def _check_code(account: AccountView, factor: Factor, code: str | None, who: Caller, now: datetime,
                meta: RequestMeta) -> int | None:
    """Check a code against the session's challenge; return the TOTP step used, if any."""
    if lockout.is_paused(account, FailureKind.CODE, now):
        raise Problem(429, "code-paused", "Too many wrong codes",
                      "Wait a few minutes, then ask for a new code.", headers={"Retry-After": "60"})
    if code is None:
        raise invalid_fields([FieldError("code", "Enter the 6-digit code.", "missing")])
    sessions = repositories().sessions
    session = sessions.get(who.session_hash)
    current = session.challenge if session else None
    if current is None or current.factor_id != factor.factor_id or is_expired(current.valid_until, now):
        raise Problem(409, "code-expired", "This code has expired",
                      "Ask for a new code and enter it within a few minutes.", extra={"resend": True})
    if not sessions.spend_attempt(who.session_hash, factor.factor_id):
        raise Problem(429, "code-tries-used", "Too many tries for this code",
                      "Ask for a new code.", extra={"resend": True})
    step = None
    if factor.kind == FactorKind.TOTP:
        assert factor.totp_secret_encrypted is not None
        seed = totp.decrypt_seed(factor.totp_secret_encrypted, account.account_id)
        step = totp.matching_step(seed, code, now)
        good = step is not None and (factor.totp_last_step is None or step > factor.totp_last_step)
    else:
        good = same_hash(hash_secret(code, scope=who.session_hash), current.code_hash)
    if not good:
        lockout.count_failure(account, FailureKind.CODE, meta, now, action="mfa.code")
        raise _wrong_code()
    return step


def _wrong_code() -> Problem:
    return Problem(WRONG_CREDENTIALS, "code-wrong", "The code is not right",
                   "Check the code and try again, or ask for a new one.",
                   errors=[FieldError("code", "This code is wrong, used or expired.", "invalid")])


def _send_code(account: AccountView, factor: Factor, session_hash: str, plan: PlanProfile, now: datetime) -> str:
    ratelimit.hit("mfa-send", account.account_id, plan.code_sends_per_15_min, SEND_WINDOW, now)
    code = new_code()
    repositories().sessions.set_challenge(session_hash, ChallengeView(
        factor_id=factor.factor_id, code_hash=hash_secret(code, scope=session_hash),
        valid_until=now + plan.code_ttl, sent_at=now))
    minutes = int(plan.code_ttl.total_seconds() // 60)
    if factor.kind == FactorKind.SMS:
        assert factor.phone is not None
        send_sms(factor.phone, f"{plan.brand} code: {code}. It expires in {minutes} minutes. "
                               "Never share it; we will never call to ask for it.")
        return _mask_phone(factor.phone)
    send_mail(account.email, mails.mfa_code(plan, code, minutes))
    return _mask_email(account.email)


# --- push --------------------------------------------------------------------------------------

def _send_push(account: AccountView, factor: Factor, session_hash: str, plan: PlanProfile,
               now: datetime) -> ChallengeSent:
    ratelimit.hit("mfa-send", account.account_id, plan.code_sends_per_15_min, SEND_WINDOW, now)
    number = f"{secrets.randbelow(90) + 10}"
    ref = new_token()
    valid_until = now + PUSH_TTL
    repositories().tokens.issue(new_token_record(hash_secret(ref), PUSH_CHALLENGE, account.account_id, now,
                                                 PUSH_TTL, ENROL_TTL, subject_ref=session_hash))
    repositories().sessions.set_challenge(session_hash, ChallengeView(
        factor_id=factor.factor_id, valid_until=valid_until, sent_at=now, push_number=number,
        push_status=PushStatus.PENDING))
    assert factor.push_endpoint is not None
    send_push(factor.push_endpoint, {"type": "mfa_push", "challenge_ref": ref, "factor_id": factor.factor_id,
                                     "portal": plan.portal_name})
    return ChallengeSent(factor_id=factor.factor_id, kind=FactorKind.PUSH, push_number=number,
                         valid_until=valid_until)


def push_status(session_hash: str, factor_id: str, now: datetime) -> PushStatus | None:
    """The device's answer to this session's push; None if there is no push or it timed out."""
    session = repositories().sessions.get(session_hash)
    current = session.challenge if session else None
    if current is None or current.factor_id != factor_id or current.push_status is None:
        return None
    if current.push_status == PushStatus.PENDING and is_expired(current.valid_until, now):
        return None
    return current.push_status


# --- managing factors and devices ---------------------------------------------------------------

def remove_factor(factor_id: str, password: str, who: Caller, plan: PlanProfile, meta: RequestMeta,
                  now: datetime) -> None:
    """Re-authenticate with the password (counted and paused like a sign-in), keep one factor."""
    account = _account(who)
    factor = _factor(account, factor_id)
    _check_password(account, password, meta, now, action="mfa.remove")
    others = [f for f in account.confirmed_factors if f.factor_id != factor_id]
    if factor.confirmed and not others:
        raise Problem(409, "last-factor", "Keep at least one sign-in method",
                      "Add another sign-in method before removing this one.")
    try:
        repositories().accounts.remove_factor(
            account, factor_id,
            audit.audit_event("mfa.remove", "removed", meta, subject=account.account_id, now=now,
                              detail={"kind": factor.kind}),
            clear_password_failures=account.password_failures > 0)
    except StaleWrite:
        raise Problem(409, "changed-meanwhile", "Your sign-in methods just changed",
                      "Reload the page and try again.") from None
    repositories().devices.forget_all(account.account_id)
    send_mail(account.email, mails.factor_changed(plan, removed=factor.label))


def list_devices(who: Caller) -> DeviceList:
    return DeviceList(devices=[DeviceView(device_id=d.device_id, label=d.label, created_at=d.created_at,
                                          valid_until=d.valid_until)
                               for d in repositories().devices.of_account(who.account_id)])


def forget_device(device_id: str, who: Caller, meta: RequestMeta, now: datetime) -> None:
    event = audit.audit_event("mfa.device", "forgotten", meta, subject=who.account_id, now=now)
    if not repositories().devices.forget(who.account_id, device_id, event):
        raise Problem(404, "device-not-found", "No such device", "Reload the list of devices.")


def _mask_phone(e164: str) -> str:
    return f"•••-•••-{e164[-4:]}"


def _mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"
