"""The one clock of the portal. Code calls `clock.now()` at call time, so tests move time in one place."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
