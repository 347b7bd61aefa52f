"""The device side of push sign-in: a phone app (or the reference device client) enrols its
Ed25519 public key, then answers sign-in requests by signing them. No session: the signature is
the proof, checked against the key enrolled for that account."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from functions.mfa.logic import WAITING_FOR_DEVICE
from functions.mfa.models import PushEnrolled, PushEnrolRequest, PushResponse
from functions.shared.core import audit
from functions.shared.core.config import settings
from functions.shared.core.errors import WRONG_CREDENTIALS, Problem
from functions.shared.core.http import RequestMeta
from functions.shared.core.states import PushStatus, TokenPurpose
from functions.shared.services.notify.sms import register_push_endpoint
from functions.shared.services.security.secrets import hash_secret
from functions.shared.store import audit as audit_log
from functions.shared.store import repositories
from functions.shared.store.tokens import TokenView
from functions.shared.store.transactions import StaleWrite

UNKNOWN = Problem(404, "push-request-unknown", "This request is not valid",
                  "It expired, was already answered, or was not meant for this device.")


def signature_ok(public_key_b64: str, message: str, signature_b64: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
        key.verify(base64.b64decode(signature_b64), message.encode())
    except (InvalidSignature, ValueError):
        return False
    return True


def _live_token(secret: str, purpose: TokenPurpose, now: datetime) -> TokenView:
    token = repositories().tokens.get(hash_secret(secret))
    if token is None or not token.usable(purpose, now):
        raise UNKNOWN
    return token


def enrol_device(req: PushEnrolRequest, meta: RequestMeta, now: datetime) -> PushEnrolled:
    token = _live_token(req.enrol_code, TokenPurpose.PUSH_ENROL, now)
    if not signature_ok(req.public_key, req.enrol_code, req.signature):
        raise Problem(WRONG_CREDENTIALS, "bad-signature", "The device signature is not valid",
                      "Enrol again from the app; the key and signature must match.")
    account = repositories().accounts.get(token.account_id)
    factor = account.factor(token.subject_ref) if account and token.subject_ref else None
    if account is None or factor is None:
        raise UNKNOWN
    endpoint = register_push_endpoint(settings().push_platform_arn, req.push_token)
    try:
        repositories().accounts.enrol_push_device(
            account, factor.factor_id, req.public_key, endpoint, f"Push to {req.device_name}{WAITING_FOR_DEVICE}",
            token.token_hash, now,
            audit.audit_event("mfa.push.device", "enrolled", meta, subject=account.account_id, now=now))
    except StaleWrite:
        raise UNKNOWN from None
    return PushEnrolled(factor_id=factor.factor_id)


def answer(req: PushResponse, meta: RequestMeta, now: datetime) -> None:
    token = _live_token(req.challenge_ref, TokenPurpose.PUSH_CHALLENGE, now)
    account = repositories().accounts.get(token.account_id)
    session = repositories().sessions.get(token.subject_ref) if token.subject_ref else None
    challenge = session.challenge if session else None
    factor = account.factor(challenge.factor_id) if account and challenge else None
    message = f"{req.challenge_ref}|{req.number}|{req.decision}"
    if factor is None or not factor.public_key or not signature_ok(factor.public_key, message, req.signature):
        audit_log.record("mfa.push.answer", "bad_signature", meta, subject=token.account_id, now=now)
        raise UNKNOWN
    assert token.subject_ref is not None and challenge is not None and challenge.push_number is not None
    # A wrong number is an answer too: it denies and ends the challenge, so it cannot be tried again
    # (someone approving a push they did not start would otherwise guess their way through).
    wrong_number = not secrets.compare_digest(req.number, challenge.push_number)
    status = PushStatus.APPROVED if req.decision == "approve" and not wrong_number else PushStatus.DENIED
    event = audit.audit_event("mfa.push.answer", "wrong_number" if wrong_number else status, meta,
                              subject=token.account_id, now=now)
    if not repositories().sessions.set_push_status(token.subject_ref, challenge.push_number, status, now, event):
        audit_log.record("mfa.push.answer", "not_pending", meta, subject=token.account_id, now=now)
        raise UNKNOWN
    if wrong_number:
        raise Problem(409, "push-number-mismatch", "The number does not match",
                      "That was not the number on the sign-in screen, so this sign-in was denied. If it was "
                      "you, start the sign-in again.")
