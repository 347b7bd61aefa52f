"""Fixed-window rate limits: which window an attempt falls in, and the 429 answer once it is used up.
The counting is the rate_limits repository's."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from functions.shared.core import clock
from functions.shared.core.errors import rate_limited
from functions.shared.store import repositories


def _key(action: str, subject: str, window: timedelta, now: datetime) -> tuple[str, int, int]:
    seconds = int(window.total_seconds())
    start = int(now.timestamp()) // seconds * seconds
    subject_hash = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"{action}#{subject_hash}#{start}", start, seconds


def _problem(start: int, seconds: int, now: datetime, detail: str | None = None) -> Exception:
    retry_after = max(start + seconds - int(now.timestamp()), 1)
    return rate_limited(retry_after, detail or "You have asked for this too many times. "
                        f"Wait {max(retry_after // 60, 1)} minute(s) and try again.")


def seconds_left(window: timedelta, now: datetime) -> int:
    """How long until the window `now` falls in ends: what a refusal asks the client to wait."""
    _, start, seconds = _key("", "", window, now)
    return max(start + seconds - int(now.timestamp()), 1)


def check(action: str, subject: str, limit: int, window: timedelta, now: datetime | None = None, *,
          detail: str | None = None) -> None:
    """Raise the 429 problem if `subject` already used up `limit`, without counting this attempt."""
    now = now or clock.now()
    key, start, seconds = _key(action, subject, window, now)
    if repositories().rate_limits.hits(key) >= limit:
        raise _problem(start, seconds, now, detail)


def hit(action: str, subject: str, limit: int, window: timedelta, now: datetime | None = None) -> None:
    """Count one attempt at `action` by `subject`; raise a 429 problem once `limit` is used up.

    The subject is hashed so the table never holds emails or addresses in clear.
    """
    now = now or clock.now()
    key, start, seconds = _key(action, subject, window, now)
    expires_at = datetime.fromtimestamp(start + 2 * seconds, now.tzinfo)
    if not repositories().rate_limits.hit(key, limit, expires_at):
        raise _problem(start, seconds, now)


def allow(action: str, subject: str, limit: int, window: timedelta, now: datetime | None = None) -> bool:
    """Count one use of `action` by `subject` if `limit` is not used up yet; False (no problem) once it is.
    For work that is skipped quietly when over the limit, such as a mail whose sending must not show."""
    now = now or clock.now()
    key, start, seconds = _key(action, subject, window, now)
    return repositories().rate_limits.hit(key, limit, datetime.fromtimestamp(start + 2 * seconds, now.tzinfo))


def check_all(checks: list[tuple[str, str, int, timedelta]], now: datetime | None = None, *,
              detail: str | None = None) -> dict[str, int]:
    """`check` for several (action, subject, limit, window) at once, in one read; returns each action's
    count (a limit of 0 only reads). Raises the 429 of the first one used up."""
    now = now or clock.now()
    keys = [_key(action, subject, window, now) for action, subject, _, window in checks]
    counts = repositories().rate_limits.hits_of([key for key, _, _ in keys])
    for (_, _, limit, _), (key, start, seconds) in zip(checks, keys, strict=True):
        if limit and counts[key] >= limit:
            raise _problem(start, seconds, now, detail)
    return {action: counts[key] for (action, _, _, _), (key, _, _) in zip(checks, keys, strict=True)}
