"""Fixed-window rate counters in memory."""

from __future__ import annotations

from datetime import datetime


class MemoryRateLimits:
    def __init__(self) -> None:
        self.counters: dict[str, int] = {}

    def hit(self, key: str, limit: int, expires_at: datetime) -> bool:
        if self.counters.get(key, 0) >= limit:
            return False
        self.counters[key] = self.counters.get(key, 0) + 1
        return True

    def hits(self, key: str) -> int:
        return self.counters.get(key, 0)

    def hits_of(self, keys: list[str]) -> dict[str, int]:
        return {key: self.counters.get(key, 0) for key in keys}


REPOSITORIES = {"rate_limits": MemoryRateLimits}
