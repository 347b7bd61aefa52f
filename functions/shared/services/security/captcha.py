"""ALTCHA proof-of-work CAPTCHA ("security code"): the browser spends CPU, no third party sees the user.

The HMAC key lives in Secrets Manager and is cached per container. A solved challenge is single use:
every request that carries one spends it first, in its own conditional write to the unique-keys table,
whatever happens to the rest of the request, so one solution can never answer two questions.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.shared.core.errors import FieldError, invalid_fields

CHALLENGE_TTL = timedelta(minutes=10)
MAX_NUMBER = 100_000  # ~0.1-0.5 s of hashing in a browser


def _hmac_key() -> str:
    from functions.shared.core.aws import secret_values
    from functions.shared.core.config import settings

    name = settings().captcha_secret_name
    if not name:
        raise RuntimeError("CAPTCHA_SECRET_NAME is not configured")
    return str(secret_values().get(name, max_age=300))


def new_challenge(now: datetime | None = None) -> dict[str, object]:
    from altcha import ChallengeOptionsV1, create_challenge_v1

    expires = (now or datetime.now(UTC)) + CHALLENGE_TTL
    challenge = create_challenge_v1(ChallengeOptionsV1(hmac_key=_hmac_key(), max_number=MAX_NUMBER,
                                                       expires=expires))
    return {"algorithm": challenge.algorithm, "challenge": challenge.challenge,
            "maxnumber": challenge.max_number, "salt": challenge.salt, "signature": challenge.signature}


# What an ALTCHA v1 solution holds; anything else is refused before the library sees it (it assumes
# these types and fails with AttributeError on others).
_SOLUTION_FIELDS: dict[str, type] = {"algorithm": str, "challenge": str, "number": int, "salt": str,
                                     "signature": str}


def _solution(payload: str) -> dict[str, Any] | None:
    try:
        solution = json.loads(base64.b64decode(payload, validate=True))
    except (ValueError, TypeError):
        return None
    if not isinstance(solution, dict):
        return None
    for name, kind in _SOLUTION_FIELDS.items():
        value = solution.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            return None
    return solution


def verified_challenge_id(payload: str) -> str:
    """The replay-guard id of a valid solution, or a 422 that asks for a new security code."""
    from altcha import verify_solution_v1

    problem = invalid_fields([FieldError("captcha", "The security code is missing, wrong or expired. "
                                                    "Solve a new one and send the form again.", "captcha")])
    solution = _solution(payload)
    if solution is None:
        raise problem
    try:
        ok, _ = verify_solution_v1(payload, _hmac_key(), check_expires=True)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise problem from None
    if not ok:
        raise problem
    return hashlib.sha256(solution["signature"].encode()).hexdigest()


def spend(payload: str, now: datetime) -> None:
    """Check a solution and spend it at once; a 422 on the `captcha` field if it is wrong or was used."""
    from functions.shared.store import repositories

    if not repositories().accounts.spend_captcha(verified_challenge_id(payload), now + CHALLENGE_TTL):
        raise invalid_fields([FieldError("captcha", "This security code was already used. Solve a new one.",
                                         "captcha")])
