"""The account lifecycle: activity days, deactivation and reactivation, expiry of unactivated
registrations, and the jobs' progress markers.

The only code that moves an account between active, deactivated and gone (accounts.py owns every
other change of an account). Each transition is one conditional transaction with its audit record:
deactivation also ends every session and forgets every remembered device of the account in that
transaction, so the authorizer refuses them on their next request.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, Protocol

from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from functions.shared.core.audit import AuditEntry
from functions.shared.core.lifecycle import LifecycleKind, active_key, lifecycle_key
from functions.shared.core.states import AccountState
from functions.shared.store.accounts import EMAIL_KEY, USERNAME_KEY, AccountView
from functions.shared.store.audit import audit_item
from functions.shared.store.models import Account, Device, Session, UniqueKey, bind_tables
from functions.shared.store.transactions import StaleWrite, find, transact_or_stale
from functions.shared.store.unique_keys import JOB

JOB_KEY = JOB.prefix
# DynamoDB allows 100 items per transaction: the account, its audit record and up to this many
# sessions and devices go in one; any beyond (never seen in practice) are deleted right after.
_REVOKED_IN_TRANSACTION = 90


class Lifecycle(Protocol):
    def record_activity(self, account_id: str, session_hash: str, now: datetime) -> bool:
        """The authorizer's once-a-day write: the account's activity day becomes today (only if active
        and not already today) and the session remembers it. True if the account changed."""
        ...

    def on_day(self, kind: LifecycleKind, day: date) -> list[str]:
        """The ids of the accounts whose lifecycle index key is `kind#day` (an index query, no Scan)."""
        ...

    def deactivate(self, account_id: str, expected_key: str | None, now: datetime, audit: AuditEntry, *,
                   notice_pending: bool = False) -> int:
        """active -> deactivated (only while the activity day is still `expected_key`, when given), every
        session ended and every remembered device forgotten, at once. `notice_pending`: the account stays
        in the index under 'deactivated#<today>' until `notified` (the job retries a failed mail).
        Returns how many sessions and devices were revoked; StaleWrite if the account is not active (or
        was active again meanwhile)."""
        ...

    def notified(self, account_id: str, key: str) -> None:
        """The deactivation mail went out: the account leaves the index."""
        ...

    def reactivate(self, account_id: str, now: datetime, audit: AuditEntry) -> None:
        """deactivated -> active, the inactivity clock restarted today, failure counters cleared and any
        remembered device forgotten (the next sign-in needs the password and MFA). StaleWrite otherwise."""
        ...

    def mark_warned(self, account_id: str, key: str) -> bool:
        """Claim the inactivity warning for the activity day `key`: False if sent already or no longer due."""
        ...

    def unmark_warned(self, account_id: str, key: str) -> None:
        """Give the claim back (the mail could not be sent): the next run tries again."""
        ...

    def claim_notice(self, account_id: str, day: date) -> bool:
        """Claim today's 'how to get reactivated' mail of a deactivated account: False if claimed today."""
        ...

    def remove_registration(self, account: AccountView, expected_key: str, audit: AuditEntry) -> None:
        """Delete a registration never activated and release its email and user-name claims, at once.
        StaleWrite if it was activated or given a new activation secret meanwhile."""
        ...

    def unindexed(self) -> Iterator[AccountView]:
        """Active or pending accounts stored before the lifecycle index existed, read lazily page by page
        (a one-time migration: the only Scan of the lifecycle, run by hand)."""
        ...

    def index(self, account_id: str, key: str) -> bool:
        """Give an account its first lifecycle key; False if it has one already."""
        ...

    def done_through(self, job: str) -> date | None:
        """The last day `job` finished completely (its progress marker); None before its first run."""
        ...

    def finish_day(self, job: str, day: date) -> None:
        """Move the marker forward to `day` (never back)."""
        ...


def _conditional(exc: UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class DynamoLifecycle:
    def record_activity(self, account_id: str, session_hash: str, now: datetime) -> bool:
        bind_tables()
        key = active_key(now)
        changed = True
        try:
            Account(account_id).update(
                actions=[Account.lifecycle_day.set(key), Account.last_active_at.set(now)],
                condition=(Account.state == AccountState.ACTIVE)
                & (Account.lifecycle_day.does_not_exist() | (Account.lifecycle_day != key)))
        except UpdateError as exc:
            if not _conditional(exc):
                raise
            changed = False  # recorded today by another session, or not active: nothing to record
        try:
            Session(session_hash).update(actions=[Session.active_day.set(key)],
                                         condition=Session.session_hash.exists())
        except UpdateError as exc:
            if not _conditional(exc):
                raise
        return changed

    def on_day(self, kind: LifecycleKind, day: date) -> list[str]:
        bind_tables()
        return [item.account_id for item in Account.by_lifecycle_day.query(lifecycle_key(kind, day))]

    def deactivate(self, account_id: str, expected_key: str | None, now: datetime, audit: AuditEntry, *,
                   notice_pending: bool = False) -> int:
        bind_tables()
        sessions = [item.session_hash for item in Session.by_account.query(account_id)]
        devices = [item.device_hash for item in Device.by_account.query(account_id)]
        revoked: list[Any] = [Session(h) for h in sessions] + [Device(h) for h in devices]
        now_revoked, later = revoked[:_REVOKED_IN_TRANSACTION], revoked[_REVOKED_IN_TRANSACTION:]
        guard = Account.state == AccountState.ACTIVE
        if expected_key is not None:
            guard &= Account.lifecycle_day == expected_key

        index = (Account.lifecycle_day.set(lifecycle_key(LifecycleKind.DEACTIVATED, now.date())) if notice_pending
                 else Account.lifecycle_day.remove())

        def build(tx: TransactWrite) -> None:
            tx.update(Account(account_id), actions=[
                Account.state.set(AccountState.DEACTIVATED), Account.deactivated_at.set(now), index,
                Account.warned_day.remove()], condition=guard)
            for item in now_revoked:
                tx.delete(item)
            tx.save(audit_item(audit))

        transact_or_stale(build)
        if later:
            _delete_all(later)
        return len(revoked)

    def notified(self, account_id: str, key: str) -> None:
        self._claim(account_id, [Account.lifecycle_day.remove()], Account.lifecycle_day == key)

    def reactivate(self, account_id: str, now: datetime, audit: AuditEntry) -> None:
        bind_tables()
        devices = [Device(item.device_hash) for item in Device.by_account.query(account_id)]

        def build(tx: TransactWrite) -> None:
            tx.update(Account(account_id), actions=[
                Account.state.set(AccountState.ACTIVE), Account.lifecycle_day.set(active_key(now)),
                Account.last_active_at.set(now), Account.deactivated_at.remove(), Account.notice_day.remove(),
                Account.password_failures.set(0), Account.password_locked_until.remove(),
                Account.code_failures.set(0), Account.code_locked_until.remove()],
                condition=Account.state == AccountState.DEACTIVATED)
            for item in devices[:_REVOKED_IN_TRANSACTION]:
                tx.delete(item)
            tx.save(audit_item(audit))

        transact_or_stale(build)
        _delete_all(devices[_REVOKED_IN_TRANSACTION:])

    def mark_warned(self, account_id: str, key: str) -> bool:
        return self._claim(account_id, [Account.warned_day.set(key)],
                           (Account.state == AccountState.ACTIVE) & (Account.lifecycle_day == key)
                           & (Account.warned_day.does_not_exist() | (Account.warned_day != key)))

    def unmark_warned(self, account_id: str, key: str) -> None:
        self._claim(account_id, [Account.warned_day.remove()], Account.warned_day == key)

    def claim_notice(self, account_id: str, day: date) -> bool:
        today = day.isoformat()
        return self._claim(account_id, [Account.notice_day.set(today)],
                           (Account.state == AccountState.DEACTIVATED)
                           & (Account.notice_day.does_not_exist() | (Account.notice_day != today)))

    def remove_registration(self, account: AccountView, expected_key: str, audit: AuditEntry) -> None:
        bind_tables()
        claims = [EMAIL_KEY + account.email]
        if account.username:
            claims.append(USERNAME_KEY + account.username.casefold())

        def build(tx: TransactWrite) -> None:
            tx.delete(Account(account.account_id), condition=(Account.state == AccountState.PENDING_ACTIVATION)
                      & (Account.lifecycle_day == expected_key))
            for key in claims:  # released only if still this account's
                tx.delete(UniqueKey(key), condition=UniqueKey.account_id == account.account_id)
            tx.save(audit_item(audit))

        transact_or_stale(build)

    def unindexed(self) -> Iterator[AccountView]:
        from functions.shared.store.accounts import _view

        bind_tables()
        for item in Account.scan(Account.lifecycle_day.does_not_exist()
                                 & Account.state.is_in(AccountState.ACTIVE, AccountState.PENDING_ACTIVATION),
                                 page_size=500):
            yield _view(item)

    def index(self, account_id: str, key: str) -> bool:
        return self._claim(account_id, [Account.lifecycle_day.set(key)], Account.lifecycle_day.does_not_exist())

    def done_through(self, job: str) -> date | None:
        item = find(UniqueKey, JOB_KEY + job)
        return date.fromisoformat(item.day) if item and item.day else None

    def finish_day(self, job: str, day: date) -> None:
        bind_tables()
        value = day.isoformat()
        try:
            UniqueKey(JOB_KEY + job).update(actions=[UniqueKey.day.set(value)],
                                            condition=UniqueKey.day.does_not_exist() | (UniqueKey.day < value))
        except UpdateError as exc:
            if not _conditional(exc):
                raise  # a later day recorded already (a concurrent run): the marker only moves forward

    @staticmethod
    def _claim(account_id: str, actions: list[Any], condition: Any) -> bool:
        bind_tables()
        try:
            Account(account_id).update(actions=actions, condition=Account.account_id.exists() & condition)
        except UpdateError as exc:
            if _conditional(exc):
                return False
            raise
        return True


def _delete_all(items: list[Any]) -> None:
    if not items:
        return
    by_model: dict[type, list[Any]] = {}
    for item in items:
        by_model.setdefault(type(item), []).append(item)
    for model, batch_items in by_model.items():
        with model.batch_write() as batch:
            for item in batch_items:
                batch.delete(item)


__all__ = ["JOB_KEY", "DynamoLifecycle", "Lifecycle", "StaleWrite"]
