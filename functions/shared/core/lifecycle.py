"""The account lifecycle's calendar: which index day an account sits on and when it falls due.

Pure rules (no AWS). Days are UTC calendar days ('2027-03-01'); the lifecycle index of the accounts
table is keyed '<kind>#<day>' (store/models.py AccountsByLifecycleDay).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum


class LifecycleKind(StrEnum):
    ACTIVE = "active"  # day = the last activity (a sign-in, an authenticated request, an activation)
    PENDING = "pending"  # day = the day the activation secret expires
    DEACTIVATED = "deactivated"  # day = the day of deactivation, until the user has been mailed


def day_of(at: datetime) -> date:
    return at.date()


def lifecycle_key(kind: LifecycleKind, day: date) -> str:
    return f"{kind}#{day.isoformat()}"


def active_key(at: datetime) -> str:
    return lifecycle_key(LifecycleKind.ACTIVE, day_of(at))


def pending_key(expires_at: datetime) -> str:
    return lifecycle_key(LifecycleKind.PENDING, day_of(expires_at))


def key_day(key: str | None) -> date | None:
    """The day of a lifecycle key; None for no key."""
    return date.fromisoformat(key.split("#", 1)[1]) if key else None
