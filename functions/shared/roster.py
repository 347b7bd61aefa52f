"""The plan's provider roster as the portal reads it: normalised matching against the current version."""

from __future__ import annotations

import re

from functions.shared.store.models import ROSTER_STATE_KEY, Provider, RosterState, bind_tables
from functions.shared.store.transactions import find

PRACTITIONER = "practitioner"
GROUP = "group"


def words(value: str | None) -> str:
    """Compare names ignoring case, spaces and punctuation: 'St. Mary's  Clinic' == 'st marys clinic'."""
    return re.sub(r"[\W_]+", "", (value or "").casefold())


def digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def zip5(value: str | None) -> str:
    """ZIP or ZIP+4 → its 5-digit ZIP ('' when it is neither)."""
    number = digits(value)
    return number[:5] if len(number) in (5, 9) else ""


def current_version() -> int | None:
    state = find(RosterState, ROSTER_STATE_KEY, 0)
    return state.current_version if state else None


def provider(provider_id: str, version: int) -> Provider | None:
    return find(Provider, provider_id.strip().upper(), version, consistent=False)


def providers_under_tax_id(tax_id: str, version: int) -> list[Provider]:
    bind_tables()
    # An index orders items with equal keys as it likes (DynamoDB does not sort them): sort here.
    providers = Provider.by_tax_id.query(tax_id, Provider.roster_version == version)
    return sorted(providers, key=lambda provider: provider.provider_id)
