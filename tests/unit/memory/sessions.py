"""Sessions and their MFA challenges in memory, with the conditions of the DynamoDB repository."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from functions.shared.core.audit import AuditEntry
from functions.shared.core.lifecycle import active_key
from functions.shared.core.states import AccountState, PushStatus
from functions.shared.store import repositories
from functions.shared.store.accounts import AccountChange, AccountView
from functions.shared.store.devices import DeviceRecord
from functions.shared.store.sessions import MAX_CODE_ATTEMPTS, ChallengeView, SessionRecord
from functions.shared.store.transactions import StaleWrite


class MemorySessions:
    def __init__(self) -> None:
        self.sessions: dict[str, SessionRecord] = {}

    def start(self, session: SessionRecord, account: AccountView, audit: AuditEntry, *,
              change: AccountChange | None = None, replaces: str | None = None,
              device: DeviceRecord | None = None) -> None:
        if session.session_hash in self.sessions or (replaces and replaces not in self.sessions):
            raise StaleWrite
        changed = repositories().accounts.changed(account.account_id, change) if change else None
        stored = repositories().accounts.get(account.account_id)
        if stored is None or stored.state == AccountState.DEACTIVATED:
            raise StaleWrite
        if device is not None:
            repositories().devices.check_new(device)
        active_day = (active_key(change.mark_active_at) if change and change.mark_active_at
                      else account.lifecycle_day if account.state == AccountState.ACTIVE else None)
        self.sessions[session.session_hash] = replace(session, active_day=active_day)
        if replaces:
            del self.sessions[replaces]
        if changed is not None:
            repositories().accounts.put(changed)
        if change is not None and change.spend_token is not None:
            repositories().tokens.spend(*change.spend_token)
        if device is not None:
            repositories().devices.put(device)
        repositories().audit.record(audit)

    def get(self, session_hash: str) -> SessionRecord | None:
        return self.sessions.get(session_hash)

    def touch(self, session_hash: str, now: datetime, idle: timedelta) -> SessionRecord | None:
        session = self.sessions.get(session_hash)
        if session is None or session.idle_until <= now or session.absolute_until <= now:
            return None
        self.sessions[session_hash] = replace(session, idle_until=now + idle)
        return self.sessions[session_hash]

    def set_challenge(self, session_hash: str, challenge: ChallengeView) -> None:
        if session_hash not in self.sessions:
            raise StaleWrite
        self.sessions[session_hash] = replace(self.sessions[session_hash], challenge=challenge)

    def spend_attempt(self, session_hash: str, factor_id: str) -> bool:
        session = self.sessions.get(session_hash)
        challenge = session.challenge if session else None
        if session is None or challenge is None or challenge.factor_id != factor_id \
                or challenge.attempts >= MAX_CODE_ATTEMPTS:
            return False
        self.sessions[session_hash] = replace(session, challenge=replace(challenge, attempts=challenge.attempts + 1))
        return True

    def set_push_status(self, session_hash: str, expected_number: str, status: PushStatus, now: datetime,
                        audit: AuditEntry) -> bool:
        session = self.sessions.get(session_hash)
        challenge = session.challenge if session else None
        if session is None or challenge is None or challenge.push_status != PushStatus.PENDING \
                or challenge.push_number != expected_number or challenge.valid_until <= now:
            return False
        self.sessions[session_hash] = replace(session, challenge=replace(challenge, push_status=status))
        repositories().audit.record(audit)
        return True

    def end(self, session_hash: str, audit: AuditEntry) -> None:
        self.sessions.pop(session_hash, None)
        repositories().audit.record(audit)

    def end_all(self, account_id: str, *, keep: str | None = None) -> int:
        mine = [h for h, s in self.sessions.items() if s.account_id == account_id and h != keep]
        for session_hash in mine:
            del self.sessions[session_hash]
        return len(mine)


REPOSITORIES = {"sessions": MemorySessions}
