"""The provider roster in memory: rows per version and the version lookups read."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime

from functions.shared.store.roster import ProviderView
from functions.shared.store.transactions import StaleWrite


class MemoryRoster:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], ProviderView] = {}
        self.version: int | None = None
        self.applied: dict[str, int] = {}
        self._lock = threading.Lock()

    # -- what tests set up ---------------------------------------------------------------------------

    def load(self, *providers: ProviderView) -> None:
        """Make these providers the current roster (each carries its version)."""
        for p in providers:
            self.rows[(p.provider_id, p.roster_version)] = p
            self.version = max(self.version or 0, p.roster_version)

    # -- the Roster protocol ------------------------------------------------------------------------

    def current_version(self) -> int | None:
        return self.version

    def provider(self, provider_id: str, version: int) -> ProviderView | None:
        return self.rows.get((provider_id, version))

    def under_tax_id(self, tax_id: str, version: int) -> list[ProviderView]:
        return sorted((p for (_, v), p in self.rows.items() if v == version and p.tax_id == tax_id),
                      key=lambda p: p.provider_id)

    def already_applied(self, digest: str) -> bool:
        return digest in self.applied

    def write_version(self, providers: Iterable[ProviderView], expires_at: datetime) -> None:
        for p in providers:
            self.rows[(p.provider_id, p.roster_version)] = p

    def switch_to(self, version: int, previous: int | None, source: str, now: datetime) -> None:
        with self._lock:
            if self.version != previous:
                raise StaleWrite
            self.version = version

    def mark_applied(self, digest: str, version: int) -> None:
        self.applied.setdefault(digest, version)

    def drop_version(self, version: int, provider_ids: Iterable[str]) -> None:
        for provider_id in provider_ids:
            self.rows.pop((provider_id, version), None)

    def providers_of(self, version: int) -> list[ProviderView]:
        return [p for (_, v), p in sorted(self.rows.items()) if v == version]


REPOSITORIES = {"roster": MemoryRoster}
