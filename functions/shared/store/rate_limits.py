"""Fixed-window rate counters: the only code that writes one. One conditional update per hit, no read."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pynamodb.exceptions import UpdateError

from functions.shared.store.models import RateCounter, bind_tables
from functions.shared.store.transactions import find


class RateLimits(Protocol):
    def hit(self, key: str, limit: int, expires_at: datetime) -> bool:
        """Count one hit on `key` unless it already has `limit` hits; False when the limit is used up."""
        ...

    def hits(self, key: str) -> int:
        """How many hits `key` has (eventually consistent)."""
        ...

    def hits_of(self, keys: list[str]) -> dict[str, int]:
        """How many hits each of `keys` has, in one read (eventually consistent)."""
        ...


class DynamoRateLimits:
    def hit(self, key: str, limit: int, expires_at: datetime) -> bool:
        bind_tables()
        try:
            RateCounter(key).update(
                actions=[RateCounter.hits.add(1), RateCounter.expires_at.set(expires_at)],
                condition=RateCounter.hits.does_not_exist() | (RateCounter.hits < limit),
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def hits(self, key: str) -> int:
        counter = find(RateCounter, key, consistent=False)
        return int(counter.hits) if counter else 0

    def hits_of(self, keys: list[str]) -> dict[str, int]:
        bind_tables()
        found = {counter.key: int(counter.hits or 0)
                 for counter in RateCounter.batch_get(list(dict.fromkeys(keys)), consistent_read=False)}
        return {key: found.get(key, 0) for key in keys}
