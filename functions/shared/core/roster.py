"""How the portal compares roster details: names, Tax IDs and ZIP codes after normalising.

Pure helpers; the roster itself is read and written by its repository (functions/shared/store/roster.py).
"""

from __future__ import annotations

import re

from functions.shared.core.states import LinkType

PRACTITIONER = LinkType.PRACTITIONER
GROUP = LinkType.GROUP


def words(value: str | None) -> str:
    """Compare names ignoring case, spaces and punctuation: 'St. Mary's  Clinic' == 'st marys clinic'."""
    return re.sub(r"[\W_]+", "", (value or "").casefold())


def digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def zip5(value: str | None) -> str:
    """ZIP or ZIP+4 → its 5-digit ZIP ('' when it is neither)."""
    number = digits(value)
    return number[:5] if len(number) in (5, 9) else ""
