"""Passkeys (WebAuthn): register one from a full session, use it as the second factor after the password,
and, where the plan profile allows (`passwordless_passkeys`), sign in with it alone.

A passkey is a factor of the account (kind "passkey") holding the credential id, its COSE public key and
the authenticator's signature counter. Every ceremony's challenge is 32 random bytes that live
CHALLENGE_TTL, stored only as a hash in the tokens table, bound to the account and session it was issued
to (none for a passwordless sign-in), and spent in the same write as what it allows, so it works once.
The relying party is the portal's own host (PORTAL_URL, from the stage's domain); an IP address can never
be a WebAuthn RP ID, so a portal on a loopback address (the devserver) is the relying party "localhost".
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger

from functions.mfa import logic, mails
from functions.mfa.models import AssertionCredential, PasskeyAdded, PasskeyOptions, RegistrationCredential
from functions.mfa.pages import SIGNED_IN_PAGE
from functions.shared.core import audit
from functions.shared.core.config import settings
from functions.shared.core.errors import WRONG_CREDENTIALS, Problem
from functions.shared.core.http import Caller, RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import AccountState, FactorKind, FailureKind, SessionStage, TokenPurpose
from functions.shared.services import ratelimit
from functions.shared.services.notify.mail import send_mail
from functions.shared.services.security import lockout
from functions.shared.services.security.secrets import hash_secret
from functions.shared.services.signin import Started, start, tell_how_to_reactivate
from functions.shared.store import audit as audit_log
from functions.shared.store import repositories
from functions.shared.store.accounts import AccountChange, AccountView, Factor
from functions.shared.store.tokens import TokenView, new_token_record
from functions.shared.store.transactions import StaleWrite

if TYPE_CHECKING:
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

# py_webauthn (and the cryptography it loads, about 80 ms) is imported by the functions of a passkey
# ceremony only: the mfa function's other requests (codes, pushes) never pay for it at a cold start.

logger = Logger(child=True)

CHALLENGE_TTL = timedelta(minutes=5)
CEREMONY_TIMEOUT_MS = 180_000  # what the browser waits for the person; the challenge outlives it
KEEP_SPENT = timedelta(hours=1)  # a spent or expired challenge stays a little, then housekeeping drops it
ANYONE = "passwordless"  # the account of a passwordless challenge: none, until a passkey names one
OPTIONS_PER_SOURCE = 120  # passwordless challenges per source per OPTIONS_WINDOW (each page view asks one)
OPTIONS_WINDOW = timedelta(minutes=15)
SOURCE_FAILURES = "signin-fail-source"  # the per-source counter of failed sign-ins (security/lockout.py)
DEFAULT_NAME = "Passkey"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}

PASSKEY_FAILED = Problem(
    WRONG_CREDENTIALS, "passkey-failed", "The passkey was not accepted",
    "The passkey could not be checked, or the request to use it has expired. Try again; if it keeps "
    "failing, sign in with your password.")
SIGNIN_FAILED = Problem(
    WRONG_CREDENTIALS, "passkey-signin-failed", "Sign-in with a passkey failed",
    "This passkey cannot sign you in. Try again, or sign in with your user name and password.")
NOT_OFFERED = Problem(403, "passwordless-not-offered", "Sign in with your password first",
                      "This portal uses passkeys after the password, not instead of it.")
NO_PASSKEY = Problem(409, "no-passkey", "No passkey on this account",
                     "Choose another of your sign-in methods.")
REGISTRATION_FAILED = Problem(
    422, "passkey-registration-failed", "The passkey could not be added",
    "Your device's answer could not be checked, or the request to add it has expired. Try again.")
ALREADY_ADDED = Problem(409, "passkey-already-added", "This passkey is already on your account",
                        "It is listed under your sign-in methods.")


@dataclass(frozen=True)
class RelyingParty:
    rp_id: str
    origins: tuple[str, ...]


def relying_party(portal_url: str) -> RelyingParty:
    """The RP ID and the origins a passkey may be used from: the portal's host and origin. A loopback
    address is never a valid RP ID, so a local portal is "localhost" on the same port."""
    parts = urlsplit(portal_url)
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port else ""
    if host in LOOPBACK:
        return RelyingParty("localhost", (f"{parts.scheme}://localhost{port}",))
    return RelyingParty(host, (f"{parts.scheme}://{host}{port}",))


def _party() -> RelyingParty:
    return relying_party(settings().portal_url)


# --- challenges ----------------------------------------------------------------------------------

def _new_challenge(purpose: TokenPurpose, account_id: str, session_hash: str | None, now: datetime) -> bytes:
    challenge = secrets.token_bytes(32)
    repositories().tokens.issue(new_token_record(_challenge_hash(_b64(challenge), purpose), purpose, account_id,
                                                 now, CHALLENGE_TTL, KEEP_SPENT, subject_ref=session_hash))
    return challenge


def _challenge_hash(challenge: str, purpose: TokenPurpose) -> str:
    return hash_secret(challenge, scope=purpose)


def _issued_challenge(client_data_json: str, purpose: TokenPurpose, now: datetime) -> tuple[TokenView, bytes] | None:
    """The unspent, unexpired challenge the browser signed (read from its client data), or None."""
    try:
        challenge = json.loads(_unb64(client_data_json))["challenge"]
        if not isinstance(challenge, str) or len(_unb64(challenge)) != 32:
            return None
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    token = repositories().tokens.get(_challenge_hash(challenge, purpose))
    if token is None or not token.usable(purpose, now):
        return None
    return token, _unb64(challenge)


def _options(options: Any) -> PasskeyOptions:
    from webauthn import options_to_json

    return PasskeyOptions(public_key=json.loads(options_to_json(options)))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _passkeys(account: AccountView) -> list[Factor]:
    return [f for f in account.confirmed_factors if f.kind == FactorKind.PASSKEY and f.credential_id]


def _descriptors(account: AccountView) -> list[PublicKeyCredentialDescriptor]:
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

    return [PublicKeyCredentialDescriptor(id=_unb64(f.credential_id or "")) for f in _passkeys(account)]


# --- registration (a full session, the password again or a sign-in minutes old) --------------------

def registration_options(password: str | None, who: Caller, plan: PlanProfile, meta: RequestMeta,
                         now: datetime) -> PasskeyOptions:
    from webauthn import generate_registration_options
    from webauthn.helpers.structs import (
        AttestationConveyancePreference,
        AuthenticatorSelectionCriteria,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    account = logic._account(who)
    logic._recently_authenticated(account, who, password, meta, now, action="mfa.passkey.register")
    if len(account.factors) >= logic.MAX_FACTORS:
        raise Problem(409, "too-many-factors", "Too many sign-in methods",
                      "Remove a sign-in method you no longer use, then add the new one.")
    party = _party()
    challenge = _new_challenge(TokenPurpose.PASSKEY_REGISTER, account.account_id, who.session_hash, now)
    return _options(generate_registration_options(
        rp_id=party.rp_id, rp_name=plan.portal_name, user_id=account.account_id.encode(),
        user_name=account.username or account.email, user_display_name=f"{account.first_name} {account.last_name}",
        challenge=challenge, timeout=CEREMONY_TIMEOUT_MS, attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=_descriptors(account)))


def add(credential: RegistrationCredential, name: str | None, who: Caller, plan: PlanProfile, meta: RequestMeta,
        now: datetime) -> PasskeyAdded:
    from webauthn import verify_registration_response
    from webauthn.helpers.exceptions import WebAuthnException

    account = logic._account(who)
    issued = _issued_challenge(credential.response.client_data_json, TokenPurpose.PASSKEY_REGISTER, now)
    if issued is None or issued[0].account_id != account.account_id or issued[0].subject_ref != who.session_hash:
        audit_log.record("mfa.passkey.register", "no_challenge", meta, subject=account.account_id, now=now)
        raise REGISTRATION_FAILED
    token, challenge = issued
    party = _party()
    try:
        verified = verify_registration_response(
            credential=credential.as_webauthn(), expected_challenge=challenge, expected_rp_id=party.rp_id,
            expected_origin=list(party.origins), require_user_verification=True)
    except WebAuthnException as refused:  # InvalidRegistrationResponse, and the library's other refusals
        audit_log.record("mfa.passkey.register", "invalid", meta, subject=account.account_id, now=now,
                         detail={"reason": str(refused)[:200]})
        raise REGISTRATION_FAILED from None
    credential_id = _b64(verified.credential_id)
    if account.passkey(credential_id) is not None:
        raise ALREADY_ADDED
    label = name or DEFAULT_NAME
    factor = Factor(factor_id=uuid.uuid4().hex[:12], kind=FactorKind.PASSKEY, label=label, created_at=now,
                    confirmed=True, credential_id=credential_id,
                    credential_public_key=_b64(verified.credential_public_key), sign_count=verified.sign_count)
    try:
        repositories().accounts.add_passkey(account, factor, token.token_hash, now, audit.audit_event(
            "mfa.passkey.register", "added", meta, subject=account.account_id, now=now,
            detail={"factor_id": factor.factor_id}))
    except StaleWrite:
        raise REGISTRATION_FAILED from None
    repositories().devices.forget_all(account.account_id)  # a factor change revokes remembered devices
    send_mail(account.email, mails.factor_changed(plan, added=f"a passkey named “{label}”"))
    return PasskeyAdded(factor_id=factor.factor_id, label=label,
                        message="Your passkey was added. Use it the next time you sign in.")


def rename(factor_id: str, name: str, who: Caller, plan: PlanProfile, meta: RequestMeta, now: datetime) -> None:
    account = logic._account(who)
    factor = logic._factor(account, factor_id, confirmed=True)
    if factor.kind != FactorKind.PASSKEY:
        raise Problem(409, "not-a-passkey", "Only passkeys can be renamed",
                      "The other sign-in methods are named after where their codes go.")
    try:
        repositories().accounts.rename_factor(account, factor_id, name, audit.audit_event(
            "mfa.passkey.rename", "renamed", meta, subject=account.account_id, now=now,
            detail={"factor_id": factor_id}))
    except StaleWrite:
        raise Problem(409, "changed-meanwhile", "Your sign-in methods just changed",
                      "Reload the page and try again.") from None
    send_mail(account.email, mails.passkey_renamed(plan, factor.label, name))


# --- the second factor after the password ---------------------------------------------------------

def challenge(who: Caller, now: datetime) -> PasskeyOptions:
    from webauthn import generate_authentication_options
    from webauthn.helpers.structs import UserVerificationRequirement

    logic._needs_mfa(who)
    account = logic._account(who)
    if not _passkeys(account):
        raise NO_PASSKEY
    challenge_bytes = _new_challenge(TokenPurpose.PASSKEY_SIGNIN, account.account_id, who.session_hash, now)
    return _options(generate_authentication_options(
        rp_id=_party().rp_id, challenge=challenge_bytes, timeout=CEREMONY_TIMEOUT_MS,
        allow_credentials=_descriptors(account), user_verification=UserVerificationRequirement.REQUIRED))


def verify(credential: AssertionCredential, remember_device: bool, who: Caller, plan: PlanProfile,
           meta: RequestMeta, now: datetime) -> Started:
    logic._needs_mfa(who)
    account = logic._account(who)
    issued = _issued_challenge(credential.response.client_data_json, TokenPurpose.PASSKEY_SIGNIN, now)
    if issued is None or issued[0].account_id != account.account_id or issued[0].subject_ref != who.session_hash:
        audit_log.record("mfa.passkey", "no_challenge", meta, subject=account.account_id, now=now)
        raise PASSKEY_FAILED
    change = _checked(account, credential, issued, meta, now, action="mfa.passkey", failure=PASSKEY_FAILED)
    try:
        return start(account, SessionStage.FULL, plan, meta, now, action="mfa.passkey", next_page=SIGNED_IN_PAGE,
                     change=change, replaces=who.session_hash, remember_device=remember_device)
    except StaleWrite:  # the challenge was spent, or the counter moved, by a request just before this one
        raise PASSKEY_FAILED from None


# --- passwordless (plans with passwordless_passkeys) ----------------------------------------------

def signin_options(plan: PlanProfile, meta: RequestMeta, now: datetime) -> PasskeyOptions:
    from webauthn import generate_authentication_options
    from webauthn.helpers.structs import UserVerificationRequirement

    if not plan.passwordless_passkeys:
        raise NOT_OFFERED
    ratelimit.hit("passkey-options", meta.source, OPTIONS_PER_SOURCE, OPTIONS_WINDOW, now)
    challenge_bytes = _new_challenge(TokenPurpose.PASSKEY_SIGNIN, ANYONE, None, now)
    return _options(generate_authentication_options(
        rp_id=_party().rp_id, challenge=challenge_bytes, timeout=CEREMONY_TIMEOUT_MS,
        user_verification=UserVerificationRequirement.REQUIRED))


def sign_in(credential: AssertionCredential, plan: PlanProfile, meta: RequestMeta, now: datetime) -> Started:
    """A passkey alone: every failure answers alike (no one learns whether an account or passkey exists),
    and the rules of a password sign-in hold (deactivated or locked accounts refused, activity recorded,
    the same session)."""
    if not plan.passwordless_passkeys:
        raise NOT_OFFERED
    ratelimit.check_all([(SOURCE_FAILURES, meta.source, plan.signin_failures_per_source, lockout.SIGNIN_WINDOW)],
                        now, detail="Too many failed sign-ins from your network. Wait a few minutes, then try again.")
    issued = _issued_challenge(credential.response.client_data_json, TokenPurpose.PASSKEY_SIGNIN, now)
    account = _named_account(credential)
    if issued is None or issued[0].account_id != ANYONE or account is None \
            or account.passkey(credential.raw_id) is None:
        _refuse(plan, meta, now, account, "no_challenge" if issued is None or issued[0].account_id != ANYONE
                else "unknown_passkey")
    try:  # the signature first: only the passkey's holder learns (by mail) that the account is deactivated
        change = _checked(account, credential, issued, meta, now, action="signin.passkey", failure=SIGNIN_FAILED)
    except Problem:
        _count_failure(plan, meta, now)  # audited by the check
        raise
    if account.state == AccountState.DEACTIVATED:
        tell_how_to_reactivate(account, plan, now)
        _refuse(plan, meta, now, account, "deactivated")
    if account.state != AccountState.ACTIVE or lockout.reset_required(account) \
            or lockout.is_paused(account, FailureKind.PASSWORD, now):
        _refuse(plan, meta, now, account, "locked" if account.state == AccountState.ACTIVE else str(account.state))
    change = AccountChange(mark_active_at=now, spend_token=change.spend_token, passkey_used=change.passkey_used)
    try:
        return start(account, SessionStage.FULL, plan, meta, now, action="signin.passkey",
                     next_page=SIGNED_IN_PAGE, change=change)
    except StaleWrite:  # the challenge was spent (a replay or a race), or the counter moved meanwhile
        _refuse(plan, meta, now, account, "challenge_spent")


def _named_account(credential: AssertionCredential) -> AccountView | None:
    """The account the passkey's user handle names (a discoverable credential carries it)."""
    handle = credential.response.user_handle
    if not handle:
        return None
    try:
        account_id = _unb64(handle).decode()
    except (ValueError, binascii.Error):
        return None
    return repositories().accounts.get(account_id) if account_id and account_id != ANYONE else None


def _count_failure(plan: PlanProfile, meta: RequestMeta, now: datetime) -> None:
    # Counted with the password sign-ins' failures of this source: past the plan's limit both wait.
    ratelimit.allow(SOURCE_FAILURES, meta.source, plan.signin_failures_per_source, lockout.SIGNIN_WINDOW, now)


def _refuse(plan: PlanProfile, meta: RequestMeta, now: datetime, account: AccountView | None,
            outcome: str) -> NoReturn:
    _count_failure(plan, meta, now)
    audit_log.record("signin.passkey", outcome, meta, now=now, **({"subject": account.account_id} if account else {}))
    raise SIGNIN_FAILED


# --- the assertion itself -------------------------------------------------------------------------

def _checked(account: AccountView, credential: AssertionCredential, issued: tuple[TokenView, bytes],
             meta: RequestMeta, now: datetime, *, action: str, failure: Problem) -> AccountChange:
    """Verify the assertion against the stored passkey: the change that spends the challenge and moves
    the counter, or `failure` (audited). A counter that does not grow (unless both are zero) means a cloned
    authenticator: refused and audited as such."""
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import WebAuthnException

    token, challenge = issued
    factor = account.passkey(credential.raw_id)
    if factor is None or factor.credential_public_key is None:
        audit_log.record(action, "unknown_passkey", meta, subject=account.account_id, now=now)
        raise failure
    stored = factor.sign_count or 0
    party = _party()
    try:
        verified = verify_authentication_response(
            credential=credential.as_webauthn(), expected_challenge=challenge, expected_rp_id=party.rp_id,
            expected_origin=list(party.origins), credential_public_key=_unb64(factor.credential_public_key),
            credential_current_sign_count=0,  # the counter is checked below, so a clone is audited as one
            require_user_verification=True)
    except WebAuthnException as refused:  # InvalidAuthenticationResponse, and the library's other refusals
        audit_log.record(action, "invalid", meta, subject=account.account_id, now=now,
                         detail={"factor_id": factor.factor_id, "reason": str(refused)[:200]})
        raise failure from None
    if counter_went_back(stored, verified.new_sign_count):
        audit_log.record(action, "counter_regression", meta, subject=account.account_id, now=now,
                         detail={"factor_id": factor.factor_id, "stored": stored,
                                 "presented": verified.new_sign_count})
        raise failure
    return AccountChange(spend_token=(token.token_hash, now),
                         passkey_used=(factor.factor_id, stored, verified.new_sign_count, now))


def counter_went_back(stored: int, presented: int) -> bool:
    """WebAuthn's clone signal: a signature counter that did not grow, unless the authenticator keeps none
    (both zero, as synced passkeys do)."""
    return (stored > 0 or presented > 0) and presented <= stored
