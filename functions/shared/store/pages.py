"""Newest-first pages of an index whose sort key starts with an ISO time: the paging every dated list
of the portal shares (admissions by facility, authorizations by provider)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model

from functions.shared.store.models import bind_tables

_AFTER_LAST_ID = "\uffff"  # sorts after every time of the last day
T = TypeVar("T")


@dataclass(frozen=True)
class StoredPage(Generic[T]):
    """What a repository's page query returns: the items, and the sort key to continue after (None: the
    list ends here). Every dated list of the portal (claims, authorizations, admissions) pages so."""

    items: tuple[T, ...]
    after: str | None


def newest_first(model: type[Model], index: GlobalSecondaryIndex, hash_value: str, first_day: date,
                 last_day: date, limit: int, after: str | None) -> tuple[list[Any], str | None]:
    """One Query of limit + 1 items between two days (the extra one only tells whether a next page
    exists); returns the page and the sort key to continue after, None on the last page."""
    bind_tables()
    attributes = index.Meta.attributes.values()
    hash_key = next(a for a in attributes if a.is_hash_key)
    sort_key = next(a for a in attributes if a.is_range_key)
    table_key = model._hash_key_attribute().attr_name
    start = ({hash_key.attr_name: {"S": hash_value}, sort_key.attr_name: {"S": after},
              table_key: {"S": after.rsplit("#", 1)[-1]}} if after else None)
    items = list(index.query(hash_value, sort_key.between(first_day.isoformat(),
                                                          f"{last_day.isoformat()}T{_AFTER_LAST_ID}"),
                             limit=limit + 1, last_evaluated_key=start, scan_index_forward=False))
    page = items[:limit]
    return page, getattr(page[-1], sort_key.attr_name) if len(items) > limit and page else None
