"""Fixed-window rate limits kept in DynamoDB: one conditional update per check, no read first."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from functions.shared import clock
from functions.shared.errors import rate_limited
from functions.shared.store.models import RateCounter, bind_tables
from functions.shared.store.transactions import find


def _key(action: str, subject: str, window: timedelta, now: datetime) -> tuple[str, int, int]:
    seconds = int(window.total_seconds())
    start = int(now.timestamp()) // seconds * seconds
    subject_hash = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"{action}#{subject_hash}#{start}", start, seconds


def _problem(start: int, seconds: int, now: datetime) -> Exception:
    retry_after = max(start + seconds - int(now.timestamp()), 1)
    return rate_limited(retry_after, "You have asked for this too many times. "
                        f"Wait {max(retry_after // 60, 1)} minute(s) and try again.")


def check(action: str, subject: str, limit: int, window: timedelta, now: datetime | None = None) -> None:
    """Raise the 429 problem if `subject` already used up `limit`, without counting this attempt."""
    now = now or clock.now()
    key, start, seconds = _key(action, subject, window, now)
    counter = find(RateCounter, key, consistent=False)
    if counter and counter.hits >= limit:
        raise _problem(start, seconds, now)


def hit(action: str, subject: str, limit: int, window: timedelta, now: datetime | None = None) -> None:
    """Count one attempt at `action` by `subject`; raise a 429 problem once `limit` is used up.

    The subject is hashed so the table never holds emails or addresses in clear.
    """
    bind_tables()
    now = now or clock.now()
    key, start, seconds = _key(action, subject, window, now)
    counter = RateCounter(key)
    try:
        counter.update(
            actions=[RateCounter.hits.add(1),
                     RateCounter.expires_at.set(datetime.fromtimestamp(start + 2 * seconds, now.tzinfo))],
            condition=RateCounter.hits.does_not_exist() | (RateCounter.hits < limit),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise _problem(start, seconds, now) from None
