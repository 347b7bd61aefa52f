"""Transactions shared by every repository: one connection, conflicts retried, outcomes named."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from functions.shared.store.models import bind_tables, connection

M = TypeVar("M", bound=Model)

_CONFLICT_RETRIES = 4


class UniqueKeyTaken(Exception):
    """A value that must be unique is already claimed; `key` is the claimed key (e.g. 'email#...')."""

    def __init__(self, key: str) -> None:
        super().__init__(key.split("#", 1)[0])
        self.key = key


class StaleWrite(Exception):
    """The record changed since it was read (another request won); nothing was written."""


def cancellation_codes(exc: TransactWriteError) -> list[str | None]:
    """Why each item of a cancelled transaction failed, in the order it was added (None: it did not)."""
    return [r.code if r else None for r in exc.cancellation_reasons]


def first_guard_failed(exc: TransactWriteError) -> bool:
    """The condition of the transaction's first item failed: the name or record it claims is taken."""
    return cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]


def transact(build: Callable[[TransactWrite], None]) -> None:
    """Run a transaction; retry only DynamoDB's transaction conflicts (concurrent transactions)."""
    for attempt in range(_CONFLICT_RETRIES + 1):
        try:
            with TransactWrite(connection=_bound()) as tx:
                build(tx)
            return
        except TransactWriteError as exc:
            codes = cancellation_codes(exc)
            if "TransactionConflict" in codes and "ConditionalCheckFailed" not in codes \
                    and attempt < _CONFLICT_RETRIES:
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311 - jitter, not a secret
                continue
            raise


def transact_or_stale(build: Callable[[TransactWrite], None]) -> None:
    """A transaction whose guard failing means 'someone else changed it first': StaleWrite."""
    try:
        transact(build)
    except TransactWriteError as exc:
        raise StaleWrite from exc


def transact_first_claimed(build: Callable[[TransactWrite], None], claimed: str, *, stale: bool = False) -> None:
    """A transaction whose first item claims `claimed`: UniqueKeyTaken when the claim exists already;
    `stale`: another item's guard failing is a StaleWrite."""
    try:
        transact(build)
    except TransactWriteError as exc:
        if first_guard_failed(exc):
            raise UniqueKeyTaken(claimed) from None
        if stale:
            raise StaleWrite from exc
        raise


def transact_unless_first_exists(build: Callable[[TransactWrite], None]) -> bool:
    """A transaction whose first item must not exist yet: False (nothing written) when it does."""
    try:
        transact(build)
    except TransactWriteError as exc:
        if first_guard_failed(exc):
            return False
        raise
    return True


def find(model: type[M], hash_key: Any, range_key: Any = None, *, consistent: bool = True) -> M | None:
    """One item by its key, or None."""
    bind_tables()
    try:
        return model.get(hash_key, range_key, consistent_read=consistent)
    except DoesNotExist:
        return None


def _bound() -> Connection:
    bind_tables()
    return connection()
