"""Which providers a caller may see: the rule every portal step (eligibility, claims, authorizations,
admissions) checks before it reads a provider's records.

- an active Practitioner link grants that Provider ID;
- an active Group link grants every provider billing under the group's Tax ID in the current roster
  version;
- a pending, denied, expired or removed link grants nothing.

Links are read consistently, so a link that was just granted or removed counts at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from functions.shared.states import LinkStatus, LinkType
from functions.shared.store import repositories
from functions.shared.store.links import LinkView
from functions.shared.store.roster import ProviderView


@dataclass(frozen=True)
class Visible:
    """A provider the caller may see, and the link that grants it."""

    provider_id: str
    via_link: str
    provider: ProviderView | None = None  # the roster's record, when there is one


def active_links(account_id: str) -> list[LinkView]:
    """The caller's links that grant access (consistent read)."""
    return [link for link in repositories().links.of_account(account_id, consistent=True)
            if link.status == LinkStatus.ACTIVE]


def granted_by(links: Iterable[LinkView], *, with_details: bool = False) -> dict[str, Visible]:
    """Every provider these links grant, by Provider ID (the first link granting it is named).

    The roster is read only where needed: for group links, and for practitioner links when
    `with_details` asks for the roster's record of each provider.
    """
    active = [link for link in links if link.status == LinkStatus.ACTIVE]
    roster = repositories().roster
    needs_roster = with_details or any(link.link_type == LinkType.GROUP for link in active)
    version = roster.current_version() if needs_roster else None
    seen: dict[str, Visible] = {}
    for link in active:
        if link.link_type == LinkType.GROUP:
            for provider in roster.under_tax_id(link.tax_id, version) if version else []:
                seen.setdefault(provider.provider_id, Visible(provider.provider_id, link.provider_id, provider))
        elif link.provider_id not in seen:
            record = roster.provider(link.provider_id, version) if with_details and version else None
            seen[link.provider_id] = Visible(link.provider_id, link.provider_id, record)
    return seen


def visible_providers(account_id: str) -> frozenset[str]:
    """The Provider IDs whose records this account may see now."""
    return frozenset(granted_by(active_links(account_id)))


def may_see(account_id: str, provider_ids: str | Iterable[str]) -> bool:
    """Whether this account may see every one of these Provider IDs (at least one must be asked for)."""
    wanted = {provider_ids} if isinstance(provider_ids, str) else set(provider_ids)
    wanted = {p.strip().upper() for p in wanted}
    return bool(wanted) and wanted <= visible_providers(account_id)
