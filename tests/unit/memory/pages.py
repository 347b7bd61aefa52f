"""Newest-first pages of records in memory, as the DynamoDB repositories page (store/pages.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from functions.shared.store.pages import StoredPage

T = TypeVar("T")


def newest_first(items: Iterable[T], key: Callable[[T], str], limit: int, after: str | None) -> StoredPage[T]:
    matching = sorted(items, key=key, reverse=True)
    if after is not None:
        matching = [item for item in matching if key(item) < after]
    page = matching[:limit]
    return StoredPage(tuple(page), key(page[-1]) if len(matching) > limit and page else None)

REPOSITORIES: dict[str, object] = {}  # a helper of the repositories here, not one itself
