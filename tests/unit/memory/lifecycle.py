"""The account lifecycle in memory, with the conditions of the DynamoDB repository."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime

from functions.shared.core.audit import AuditEntry
from functions.shared.core.lifecycle import LifecycleKind, active_key, lifecycle_key
from functions.shared.core.states import AccountState
from functions.shared.store import repositories
from functions.shared.store.accounts import EMAIL_KEY, USERNAME_KEY, AccountView
from functions.shared.store.transactions import StaleWrite


class MemoryLifecycle:
    def __init__(self) -> None:
        self.markers: dict[str, date] = {}
        self.queries: list[str] = []  # every index partition read, in order

    @property
    def _accounts(self) -> dict[str, AccountView]:
        return repositories().accounts.accounts  # type: ignore[attr-defined]

    def record_activity(self, account_id: str, session_hash: str, now: datetime) -> bool:
        key = active_key(now)
        account = self._accounts.get(account_id)
        changed = account is not None and account.state == AccountState.ACTIVE and account.lifecycle_day != key
        if changed:
            self._accounts[account_id] = replace(account, lifecycle_day=key, last_active_at=now)
        sessions = repositories().sessions.sessions  # type: ignore[attr-defined]
        if session_hash in sessions:
            sessions[session_hash] = replace(sessions[session_hash], active_day=key)
        return changed

    def on_day(self, kind: LifecycleKind, day: date) -> list[str]:
        key = lifecycle_key(kind, day)
        self.queries.append(key)
        return sorted(a.account_id for a in self._accounts.values() if a.lifecycle_day == key)

    def deactivate(self, account_id: str, expected_key: str | None, now: datetime, audit: AuditEntry, *,
                   notice_pending: bool = False) -> int:
        account = self._accounts.get(account_id)
        if account is None or account.state != AccountState.ACTIVE \
                or (expected_key is not None and account.lifecycle_day != expected_key):
            raise StaleWrite
        index = lifecycle_key(LifecycleKind.DEACTIVATED, now.date()) if notice_pending else None
        self._accounts[account_id] = replace(account, state=AccountState.DEACTIVATED, deactivated_at=now,
                                             lifecycle_day=index, warned_day=None)
        revoked = repositories().sessions.end_all(account_id) + repositories().devices.forget_all(account_id)
        repositories().audit.record(audit)
        return revoked

    def notified(self, account_id: str, key: str) -> None:
        account = self._accounts.get(account_id)
        if account is not None and account.lifecycle_day == key:
            self._accounts[account_id] = replace(account, lifecycle_day=None)

    def reactivate(self, account_id: str, now: datetime, audit: AuditEntry) -> None:
        account = self._accounts.get(account_id)
        if account is None or account.state != AccountState.DEACTIVATED:
            raise StaleWrite
        self._accounts[account_id] = replace(
            account, state=AccountState.ACTIVE, lifecycle_day=active_key(now), last_active_at=now,
            deactivated_at=None, notice_day=None, password_failures=0, password_locked_until=None,
            code_failures=0, code_locked_until=None)
        repositories().devices.forget_all(account_id)
        repositories().audit.record(audit)

    def mark_warned(self, account_id: str, key: str) -> bool:
        account = self._accounts.get(account_id)
        if account is None or account.state != AccountState.ACTIVE or account.lifecycle_day != key \
                or account.warned_day == key:
            return False
        self._accounts[account_id] = replace(account, warned_day=key)
        return True

    def unmark_warned(self, account_id: str, key: str) -> None:
        account = self._accounts.get(account_id)
        if account is not None and account.warned_day == key:
            self._accounts[account_id] = replace(account, warned_day=None)

    def claim_notice(self, account_id: str, day: date) -> bool:
        account = self._accounts.get(account_id)
        if account is None or account.state != AccountState.DEACTIVATED or account.notice_day == day.isoformat():
            return False
        self._accounts[account_id] = replace(account, notice_day=day.isoformat())
        return True

    def remove_registration(self, account: AccountView, expected_key: str, audit: AuditEntry) -> None:
        stored = self._accounts.get(account.account_id)
        if stored is None or stored.state != AccountState.PENDING_ACTIVATION or stored.lifecycle_day != expected_key:
            raise StaleWrite
        claims = repositories().accounts.claims  # type: ignore[attr-defined]
        keys = [EMAIL_KEY + account.email, *([USERNAME_KEY + account.username.casefold()] if account.username else [])]
        if any(claims.get(k) != account.account_id for k in keys):
            raise StaleWrite
        for key in keys:
            del claims[key]
        del self._accounts[account.account_id]
        repositories().audit.record(audit)

    def unindexed(self) -> Iterator[AccountView]:
        yield from sorted((a for a in self._accounts.values() if a.lifecycle_day is None
                           and a.state in (AccountState.ACTIVE, AccountState.PENDING_ACTIVATION)),
                          key=lambda a: a.account_id)

    def index(self, account_id: str, key: str) -> bool:
        account = self._accounts.get(account_id)
        if account is None or account.lifecycle_day is not None:
            return False
        self._accounts[account_id] = replace(account, lifecycle_day=key)
        return True

    def done_through(self, job: str) -> date | None:
        return self.markers.get(job)

    def finish_day(self, job: str, day: date) -> None:
        if job not in self.markers or self.markers[job] < day:
            self.markers[job] = day


REPOSITORIES = {"lifecycle": MemoryLifecycle}
