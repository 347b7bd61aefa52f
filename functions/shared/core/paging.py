"""Cursors of paged lists: sealed, and bound to the caller, the list and its date range.

A cursor is `v1.<after>.<tag>`: the sort key of the last record the caller was shown, and an HMAC-SHA256
tag (key from Secrets Manager, `CURSOR_SECRET_NAME`) over it together with the caller's account, the kind
of record, the list (a provider's claims, a facility's admissions) and the search's first and last day.
A cursor edited, truncated, made up, issued to another account or for another list or range, or sealed
with a rotated key is a 422 on `cursor` ("search again"), never a 500. A cursor only ever carries the
key of a record shown on the page it came with (functions/shared/services/records.py), never one outside the
caller's scope.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from functions.shared.core.errors import FieldError, invalid_fields
from functions.shared.core.forms import Form

_VERSION = "v1"
_TAG_BYTES = 16  # 128-bit tag: forging one takes 2^128 guesses
_MAX_KEY_CHARS = 200


@dataclass(frozen=True)
class Binding:
    """What a cursor is good for: this account's search of this list over these days."""

    account_id: str
    kind: str
    list_key: str
    first_day: date
    last_day: date

    def message(self, after: str) -> bytes:
        fields = (_VERSION, self.account_id, self.kind, self.list_key, self.first_day.isoformat(),
                  self.last_day.isoformat(), after)
        return "\x00".join(fields).encode()


def seal(after: str | None, binding: Binding) -> str | None:
    """The cursor of the next page (None on the last page)."""
    if after is None:
        return None
    return f"{_VERSION}.{_b64(after.encode())}.{_b64(_tag(binding.message(after)))}"


def open_cursor(cursor: str | None, binding: Binding) -> str | None:
    """The sort key a cursor continues after; anything but a cursor this search issued is a 422."""
    if not cursor:
        return None
    try:
        version, body, tag = cursor.split(".")
        after = _unb64(body).decode()
        if version != _VERSION or not after or len(after) > _MAX_KEY_CHARS:
            raise ValueError
        if not hmac.compare_digest(_unb64(tag), _tag(binding.message(after))):
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid_fields([FieldError("cursor", "This page link does not belong to this search (or has "
                                                   "expired): search again from the first page.",
                                         "invalid")]) from None
    return after


MAX_RANGE_DAYS = 366


class PageRequest(Form):
    """What a search of a dated list carries besides its own fields (its `from_date` and `to_date` among
    them): the page size and the cursor of the page before; the range is at most MAX_RANGE_DAYS days."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    page_size: int = Field(default=25, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=400, description="next_cursor of the previous page")

    @field_validator("to_date", check_fields=False)
    @classmethod
    def _range(cls, value: date, info: ValidationInfo) -> date:
        return check_range(info.data.get("from_date"), value, MAX_RANGE_DAYS)


def check_range(first: date | None, last: date, max_days: int) -> date:
    """A date range's last day, checked against its first (for a field validator of the last day)."""
    if first is not None and last < first:
        raise ValueError("The last date is before the first.")
    if first is not None and (last - first).days > max_days:
        raise ValueError(f"Search at most {max_days} days at a time.")
    return last


def _tag(message: bytes) -> bytes:
    return hmac.new(_key(), message, hashlib.sha256).digest()[:_TAG_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not text or len(text) > 400:
        raise ValueError
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_given_key: bytes | None = None


def use_key(key: bytes | None) -> None:
    """Seal with this key instead of the secret (unit tests, which have no AWS); None: the secret."""
    global _given_key
    _given_key = key


def _key() -> bytes:
    if _given_key is not None:
        return _given_key
    from functions.shared.core.config import settings

    name = settings().cursor_secret_name
    if not name:
        raise RuntimeError("CURSOR_SECRET_NAME is not configured")
    # Derived, so the secret's value is never itself the MAC key of anything else.
    from functions.shared.core.aws import secret_values

    key = str(secret_values().get(name, max_age=3600))
    return hmac.new(key.encode(), b"portal-cursor-v1", hashlib.sha256).digest()
