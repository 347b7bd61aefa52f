"""The plan's provider roster as the portal reads it: normalised matching against the current version."""

from __future__ import annotations

import re

from pynamodb.exceptions import DoesNotExist

from functions.shared.store.models import ROSTER_STATE_KEY, Provider, RosterState, bind_tables

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
    bind_tables()
    try:
        return RosterState.get(ROSTER_STATE_KEY, 0, consistent_read=True).current_version
    except DoesNotExist:
        return None


def provider(provider_id: str, version: int) -> Provider | None:
    bind_tables()
    try:
        return Provider.get(provider_id.strip().upper(), version)
    except DoesNotExist:
        return None


def providers_under_tax_id(tax_id: str, version: int) -> list[Provider]:
    bind_tables()
    return list(Provider.by_tax_id.query(tax_id, Provider.roster_version == version))
