"""Cursors of paged lists: opaque to the client, bound to the search they came from.

A cursor carries the sort key of the last item shown and the list it belongs to (a provider's claims,
a facility's admissions); sent back with another search it is refused, so a client cannot page from
one provider's list into another's.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date

from functions.shared.errors import FieldError, invalid_fields


def encode(scope: str, after: str | None) -> str | None:
    """The cursor of the next page (None on the last page)."""
    if after is None:
        return None
    return base64.urlsafe_b64encode(json.dumps({"s": scope, "k": after}).encode()).decode().rstrip("=")


def decode(cursor: str | None, scope: str) -> str | None:
    """The sort key a cursor continues after; a cursor of another list is a 422 on `cursor`."""
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(data, dict) or data.get("s") != scope or not isinstance(data.get("k"), str):
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid_fields([FieldError("cursor", "This page link belongs to another search: search again.",
                                         "invalid")]) from None
    return str(data["k"])


def check_range(first: date | None, last: date, max_days: int) -> date:
    """A date range's last day, checked against its first (for a field validator of the last day)."""
    if first is not None and last < first:
        raise ValueError("The last date is before the first.")
    if first is not None and (last - first).days > max_days:
        raise ValueError(f"Search at most {max_days} days at a time.")
    return last
