"""Fixed-window rate limits kept in DynamoDB: one conditional update per check, no read first."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from functions.shared.errors import rate_limited
from functions.shared.store.models import RateCounter, bind_tables, utcnow


def hit(action: str, subject: str, limit: int, window: timedelta, now: datetime | None = None) -> None:
    """Count one attempt at `action` by `subject`; raise a 429 problem once `limit` is used up.

    The subject is hashed so the table never holds emails or addresses in clear.
    """
    bind_tables()
    now = now or utcnow()
    seconds = int(window.total_seconds())
    start = int(now.timestamp()) // seconds * seconds
    subject_hash = hashlib.sha256(subject.encode()).hexdigest()[:32]
    counter = RateCounter(f"{action}#{subject_hash}#{start}")
    try:
        counter.update(
            actions=[RateCounter.count.add(1),
                     RateCounter.expires_at.set(datetime.fromtimestamp(start + 2 * seconds, now.tzinfo))],
            condition=RateCounter.count.does_not_exist() | (RateCounter.count < limit),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        retry_after = start + seconds - int(now.timestamp())
        raise rate_limited(max(retry_after, 1), "You have asked for this too many times. "
                           f"Wait {max(retry_after // 60, 1)} minute(s) and try again.") from None
