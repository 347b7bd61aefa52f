"""Domain errors. Logic raises these; shared/core/http.py turns each into one RFC 9457 problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# What each status tells a client to do. 401 only ever means "no live session: sign in again"; a
# wrong password or code in a request is 403 with its own type (the form shows it next to its field),
# so a client never mistakes a typo for an ended session.
SIGN_IN_AGAIN = 401
WRONG_CREDENTIALS = 403


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    code: str = "invalid"


@dataclass
class Problem(Exception):
    """A client-visible failure. `slug` names the problem type; `extra` adds extension members."""

    status: int
    slug: str
    title: str
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.slug}"


def invalid_fields(errors: list[FieldError], detail: str | None = None) -> Problem:
    return Problem(
        status=422,
        slug="validation",
        title="Some fields need attention",
        detail=detail or "Correct the fields marked below and send the form again.",
        errors=errors,
    )


def rate_limited(retry_after_seconds: int, detail: str) -> Problem:
    return Problem(
        status=429,
        slug="rate-limited",
        title="Too many requests",
        detail=detail,
        headers={"Retry-After": str(retry_after_seconds)},
    )


def service_unavailable(detail: str) -> Problem:
    return Problem(status=503, slug="service-unavailable", title="Try again shortly", detail=detail,
                   headers={"Retry-After": "30"})


# Error codes that mean "the service is busy or briefly failing": asking again later can succeed.
_TRANSIENT_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "Throttling", "RequestLimitExceeded",
    "TransactionConflictException", "InternalServerError", "ServiceUnavailable", "TooManyRequestsException",
    # TransactWriteItems cancellation reasons
    "ThrottlingError", "TransactionConflict", "ProvisionedThroughputExceeded",
})


def is_transient(exc: BaseException) -> bool:
    """Whether an AWS failure that escaped the SDK's own retries may pass if the client tries again
    (throttling, transaction conflicts, time-outs): the API then answers 503 with Retry-After, not 500."""
    from botocore.exceptions import BotoCoreError, ClientError

    for error in _causes(exc):
        if isinstance(error, BotoCoreError):
            return True  # connection failures and time-outs
        if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in _TRANSIENT_CODES:
            return True
        if getattr(error, "cause_response_code", None) in _TRANSIENT_CODES:  # PynamoDB's wrappers
            return True
        codes = {reason.code for reason in getattr(error, "cancellation_reasons", None) or [] if reason}
        if codes & _TRANSIENT_CODES and "ConditionalCheckFailed" not in codes:  # a refusal is not "busy"
            return True
    return False


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def session_ended() -> Problem:
    return Problem(SIGN_IN_AGAIN, "unauthenticated", "Sign in first", "Your session has ended. Sign in again.")
