"""Growing delays after repeated failures: never a permanent lock that an attacker could force."""

from __future__ import annotations

from datetime import datetime, timedelta

FREE_FAILURES = 4  # the 5th failure in a row starts the delays
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)


def delay_after(failures: int) -> timedelta:
    """How long sign-in pauses after `failures` failures in a row: 30 s, 1 min, 2 min ... 15 min."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES - 1, 16)  # capped: the count can grow without bound
    return min(MAX_DELAY, BASE_DELAY * 2**doublings)


def locked_until(failures: int, now: datetime) -> datetime | None:
    delay = delay_after(failures)
    return now + delay if delay else None


def is_locked(until: datetime | None, now: datetime) -> bool:
    return until is not None and now < until
