"""Authenticator-app codes (TOTP, RFC 6238) with seeds encrypted by KMS and replay refused."""

from __future__ import annotations

import base64
import hmac
from datetime import datetime

import pyotp

from functions.shared.core.aws import client
from functions.shared.core.config import settings

STEP_SECONDS = 30
TOLERANCE_STEPS = 1  # accept the previous and the next code too: phone clocks drift


def new_seed() -> str:
    return pyotp.random_base32(32)  # 160 bits from `secrets`


def provisioning_uri(seed: str, account_name: str, issuer: str) -> str:
    return pyotp.TOTP(seed).provisioning_uri(name=account_name, issuer_name=issuer)


def qr_svg_data_uri(uri: str) -> str:
    import segno  # deferred: only enrolment draws QR codes

    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def matching_step(seed: str, code: str, now: datetime) -> int | None:
    """The time step whose code equals `code` (within the tolerance), compared in constant time."""
    totp = pyotp.TOTP(seed)
    current = int(now.timestamp()) // STEP_SECONDS
    found = None
    for step in range(current - TOLERANCE_STEPS, current + TOLERANCE_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def encrypt_seed(seed: str, account_id: str) -> str:
    blob = client("kms").encrypt(KeyId=settings().mfa_key_id, Plaintext=seed.encode(),
                                 EncryptionContext={"account_id": account_id})["CiphertextBlob"]
    return base64.b64encode(blob).decode()


def decrypt_seed(ciphertext: str, account_id: str) -> str:
    plain = client("kms").decrypt(CiphertextBlob=base64.b64decode(ciphertext),
                                  EncryptionContext={"account_id": account_id})["Plaintext"]
    return plain.decode()
