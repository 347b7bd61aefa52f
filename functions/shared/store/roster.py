"""The plan's provider roster: one version per import, and the version that lookups read.

The only code that writes roster rows. An import writes a whole new version, then switches lookups to
it in one conditional write, then drops the superseded rows; a file applied once is remembered by
its digest, so the same file again changes nothing.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from pynamodb.exceptions import PutError

from functions.shared.core.states import LinkType
from functions.shared.store.models import ROSTER_STATE_KEY, Provider, RosterState, UniqueKey, bind_tables
from functions.shared.store.transactions import StaleWrite, find
from functions.shared.store.unique_keys import ROSTER_IMPORT

APPLIED_KEY = ROSTER_IMPORT.prefix
VERSION_SHARDS = 16


def version_shard(version: int, provider_id: str) -> str:
    return f"{version}#{zlib.crc32(provider_id.encode()) % VERSION_SHARDS:02d}"


@dataclass(frozen=True)
class ProviderView:
    """One provider of the roster, as of one roster version."""

    provider_id: str
    roster_version: int
    provider_type: LinkType
    tax_id: str
    zips: frozenset[str]
    first_name: str | None = None
    last_name: str | None = None
    group_name: str | None = None
    addresses: tuple[dict[str, str], ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        """How the portal names the provider: a group's name, a practitioner's first and last name."""
        if self.provider_type == LinkType.GROUP:
            return self.group_name or self.provider_id
        return f"{self.first_name} {self.last_name}"


class Roster(Protocol):
    def current_version(self) -> int | None:
        """The version lookups read (None before the first import)."""
        ...

    def provider(self, provider_id: str, version: int) -> ProviderView | None: ...

    def under_tax_id(self, tax_id: str, version: int) -> list[ProviderView]:
        """Every provider billing under a Tax ID in one version, by Provider ID."""
        ...

    def already_applied(self, digest: str) -> bool: ...

    def write_version(self, providers: Iterable[ProviderView], expires_at: datetime) -> None:
        """Rows of a version lookups do not read yet."""
        ...

    def switch_to(self, version: int, previous: int | None, source: str, now: datetime) -> None:
        """Point lookups at `version`: StaleWrite when another import switched since `previous` was read."""
        ...

    def mark_applied(self, digest: str, version: int) -> None: ...

    def drop_version(self, version: int, provider_ids: Iterable[str]) -> None:
        """Delete the superseded rows of these providers; lookups no longer read them."""
        ...

    def providers_of(self, version: int) -> list[ProviderView]:
        """Every provider of one version (index queries, one per shard; never a Scan)."""
        ...


def _view(p: Provider) -> ProviderView:
    return ProviderView(provider_id=p.provider_id, roster_version=int(p.roster_version),
                        provider_type=LinkType(p.provider_type), tax_id=p.tax_id, zips=frozenset(p.zips or ()),
                        first_name=p.first_name, last_name=p.last_name, group_name=p.group_name,
                        addresses=tuple(dict(a.as_dict() if hasattr(a, "as_dict") else a)
                                        for a in (p.addresses or ())))


class DynamoRoster:
    def current_version(self) -> int | None:
        state = find(RosterState, ROSTER_STATE_KEY, 0)
        return int(state.current_version) if state else None

    def provider(self, provider_id: str, version: int) -> ProviderView | None:
        found = find(Provider, provider_id, version, consistent=False)  # normalised where it came in
        return _view(found) if found else None

    def under_tax_id(self, tax_id: str, version: int) -> list[ProviderView]:
        bind_tables()
        # An index orders items with equal keys as it likes (DynamoDB does not sort them): sort here.
        providers = Provider.by_tax_id.query(tax_id, Provider.roster_version == version)
        return sorted((_view(p) for p in providers), key=lambda provider: provider.provider_id)

    def already_applied(self, digest: str) -> bool:
        return find(UniqueKey, APPLIED_KEY + digest) is not None

    def write_version(self, providers: Iterable[ProviderView], expires_at: datetime) -> None:
        bind_tables()
        with Provider.batch_write() as batch:
            for p in providers:
                batch.save(Provider(p.provider_id, p.roster_version, provider_type=p.provider_type,
                                    first_name=p.first_name, last_name=p.last_name, group_name=p.group_name,
                                    tax_id=p.tax_id, zips=set(p.zips), addresses=[dict(a) for a in p.addresses],
                                    expires_at=expires_at, version_shard=version_shard(p.roster_version,
                                                                                       p.provider_id)))

    def switch_to(self, version: int, previous: int | None, source: str, now: datetime) -> None:
        bind_tables()
        state = RosterState(ROSTER_STATE_KEY, 0, current_version=version, imported_at=now, source=source)
        condition = (RosterState.current_version.does_not_exist() if previous is None
                     else RosterState.current_version == previous)
        try:
            state.save(condition=condition)
        except PutError as exc:
            raise StaleWrite from exc

    def mark_applied(self, digest: str, version: int) -> None:
        bind_tables()
        with contextlib.suppress(PutError):  # a concurrent import of the same file recorded it first
            UniqueKey(APPLIED_KEY + digest, account_id=str(version)).save(condition=UniqueKey.key.does_not_exist())

    def drop_version(self, version: int, provider_ids: Iterable[str]) -> None:
        bind_tables()
        with Provider.batch_write() as batch:
            for provider_id in provider_ids:
                batch.delete(Provider(provider_id, version))

    def providers_of(self, version: int) -> list[ProviderView]:
        bind_tables()
        return [_view(p) for shard in range(VERSION_SHARDS)
                for p in Provider.by_version.query(f"{version}#{shard:02d}")]
