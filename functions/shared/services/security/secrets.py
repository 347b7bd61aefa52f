"""Single-use secrets sent to users (links and codes): random, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

TOKEN_BYTES = 32  # 256 bits
CODE_DIGITS = 6


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_secret(secret: str, *, scope: str = "") -> str:
    """SHA-256 of a secret; `scope` binds short codes to their account so one hash fits one account."""
    return hashlib.sha256(f"{scope}\x00{secret}".encode()).hexdigest()


def same_hash(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


def is_expired(valid_until: datetime, now: datetime) -> bool:
    return now >= valid_until
