"""Password policy (from the plan profile) and argon2id hashing.

Passwords are NFKC-normalised once, so the same password typed on different keyboards hashes the
same; they are never truncated, and any Unicode character is allowed.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from functools import cache
from importlib import resources

from functions.shared.core.errors import FieldError
from functions.shared.core.plans import PasswordPolicy, PlanProfile

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1

_EDGE_CHARS = "0123456789!@#$%^&*()-_=+[]{};:'\",.<>/?\\|`~ "


def normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


@cache
def _common_passwords() -> frozenset[str]:
    data = resources.files("functions.shared.services.security").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def is_common(password: str) -> bool:
    """True for a listed password, also when only decorated with digits or symbols ('Password123!')."""
    lowered = password.casefold()
    core = lowered.strip(_EDGE_CHARS)
    common = _common_passwords()
    return lowered in common or (len(core) >= 4 and core in common)


GENERIC_CONTEXT_WORDS = ("password", "portal", "provider", "login", "welcome")
_LETTERS = re.compile(r"[^\W\d_]+")


def context_words(plan: PlanProfile, *names: str | None) -> frozenset[str]:
    """Words an attacker tries first against this portal: its brand and name, 'password', 'portal', and
    the user's own names; each word, and each name's words run together ('caresource')."""
    words = set(GENERIC_CONTEXT_WORDS)
    for text in (plan.brand, plan.portal_name, plan.key, *names):
        parts = _LETTERS.findall((text or "").casefold())
        words.update(p for p in parts if len(p) >= 3)
        if len("".join(parts)) >= 3:
            words.add("".join(parts))
    return frozenset(words)


def built_from(password: str, words: frozenset[str]) -> bool:
    """True when the password's letters are nothing but context words ('CareSource2026!',
    'Portal-Password-1'); digits and symbols around and between them do not count."""
    letters = "".join(_LETTERS.findall(password.casefold()))
    if not letters:
        return False
    ends = [False] * (len(letters) + 1)  # ends[i]: letters[:i] splits into context words
    ends[0] = True
    for i in range(1, len(letters) + 1):
        ends[i] = any(ends[i - len(w)] and letters[i - len(w):i] == w for w in words if len(w) <= i)
    return ends[-1]


def policy_errors(
    password: str, policy: PasswordPolicy, *, email: str, username: str | None = None,
    context: frozenset[str] = frozenset(), field: str = "password",
) -> list[FieldError]:
    """Every rule the password breaks, each with a message that tells the user what to change."""
    pw = normalise(password)
    errors: list[str] = []
    if len(pw) < policy.min_length:
        errors.append(f"Use at least {policy.min_length} characters.")
    if len(pw) > policy.max_length:
        errors.append(f"Use at most {policy.max_length} characters.")
    if policy.require_lower and not any(c.islower() for c in pw):
        errors.append("Add at least one lower-case letter.")
    if policy.require_upper and not any(c.isupper() for c in pw):
        errors.append("Add at least one capital letter.")
    if policy.require_digit and not any(c.isdigit() for c in pw):
        errors.append("Add at least one number.")
    if policy.require_special and all(c.isalnum() for c in pw):
        errors.append("Add at least one special character, such as ! # % or a space.")
    folded = pw.casefold()
    local_part = email.split("@", 1)[0].casefold()
    if (email and email.casefold() in folded) or (len(local_part) >= 3 and local_part in folded):
        errors.append("Do not include your email address or the part before the @.")
    if username and len(username) >= 3 and username.casefold() in folded:
        errors.append("Do not include your user name.")
    if context and built_from(pw, context):
        errors.append("Do not build your password from the portal's name, words like 'password' or "
                      "'portal', or your own name; add words of your own.")
    if policy.reject_common and is_common(pw):
        errors.append("This password is too common and easy to guess; choose another.")
    return [FieldError(field=field, message=m, code="password_policy") for m in errors]


@cache
def _hasher():  # noqa: ANN202 - argon2 is imported lazily to keep it out of cold starts that never hash
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB,
                          parallelism=ARGON2_PARALLELISM)


def hash_password(password: str) -> str:
    return _hasher().hash(normalise(password))


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash, normalise(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@cache
def _dummy_hash() -> str:
    return _hasher().hash("a password that no account has")


def dummy_verify(password: str) -> None:
    """Spend the time of a real check, for sign-ins of unknown users."""
    verify_password(_dummy_hash(), password)
