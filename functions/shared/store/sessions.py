"""Browser sessions, keyed by the SHA-256 of the cookie's token, and the MFA challenge each carries.

The only code that writes a session. Every check-and-change is one conditional write; a session start
is one transaction with the account change it carries, the remembered device and the audit record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from functions.shared.core.audit import AuditEntry
from functions.shared.core.lifecycle import active_key
from functions.shared.core.states import AccountState, PushStatus, SessionStage
from functions.shared.store import accounts, devices
from functions.shared.store.accounts import AccountChange, AccountView
from functions.shared.store.audit import audit_item
from functions.shared.store.devices import DeviceRecord
from functions.shared.store.models import Account, Challenge, Session, bind_tables
from functions.shared.store.transactions import StaleWrite, find, transact, transact_or_stale

MAX_CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class ChallengeView:
    """The MFA challenge of a sign-in attempt: bound to its session, single use, few tries."""

    factor_id: str
    valid_until: datetime
    sent_at: datetime
    attempts: int = 0
    code_hash: str | None = None
    push_number: str | None = None  # push: the number shown to match on the device
    push_status: PushStatus | None = None


@dataclass(frozen=True)
class SessionRecord:
    session_hash: str
    account_id: str
    stage: SessionStage
    created_at: datetime
    idle_until: datetime
    absolute_until: datetime
    source_ip: str | None = None
    user_agent: str | None = None
    challenge: ChallengeView | None = None
    active_day: str | None = None  # the lifecycle key this session last recorded for its account


class Sessions(Protocol):
    def start(self, session: SessionRecord, account: AccountView, audit: AuditEntry, *,
              change: AccountChange | None = None, replaces: str | None = None,
              device: DeviceRecord | None = None) -> None:
        """Create a session, end the one it replaces, change the account and remember the device, at once.
        StaleWrite if the account change's conditions fail (e.g. a TOTP step already used)."""
        ...

    def get(self, session_hash: str) -> SessionRecord | None: ...

    def touch(self, session_hash: str, now: datetime, idle: timedelta) -> SessionRecord | None:
        """Extend a live session's idle deadline; None if unknown, idle or past its lifetime."""
        ...

    def set_challenge(self, session_hash: str, challenge: ChallengeView) -> None:
        """Replace the session's challenge (tries start again); StaleWrite if the session is gone."""
        ...

    def spend_attempt(self, session_hash: str, factor_id: str) -> bool:
        """Count one try at the current challenge; False once its tries are used up (or it was replaced)."""
        ...

    def set_push_status(self, session_hash: str, expected_number: str, status: PushStatus, now: datetime,
                        audit: AuditEntry) -> bool:
        """Record a device's answer once, only while the push is pending, unexpired and the numbers match."""
        ...

    def end(self, session_hash: str, audit: AuditEntry) -> None:
        """End one session (ending it twice is fine)."""
        ...

    def end_all(self, account_id: str, *, keep: str | None = None) -> int:
        """End every session of an account (but `keep`); how many were ended."""
        ...


def _challenge_view(item: Challenge | None) -> ChallengeView | None:
    if item is None:
        return None
    return ChallengeView(factor_id=item.factor_id, valid_until=item.valid_until, sent_at=item.sent_at,
                         attempts=int(item.attempts or 0), code_hash=item.code_hash, push_number=item.push_number,
                         push_status=PushStatus(item.push_status) if item.push_status else None)


def _view(item: Session) -> SessionRecord:
    return SessionRecord(session_hash=item.session_hash, account_id=item.account_id,
                         stage=SessionStage(item.stage), created_at=item.created_at, idle_until=item.idle_until,
                         absolute_until=item.absolute_until, source_ip=item.source_ip, user_agent=item.user_agent,
                         challenge=_challenge_view(item.challenge), active_day=item.active_day)


def _active_day(account: AccountView, change: AccountChange | None) -> str | None:
    """What the session's account has recorded as its activity day once the session starts (so the
    authorizer writes again only on a later day)."""
    if change is not None and change.mark_active_at is not None:
        return active_key(change.mark_active_at)
    return account.lifecycle_day if account.state == AccountState.ACTIVE else None


def _conditional(update: UpdateError) -> bool:
    return update.cause_response_code == "ConditionalCheckFailedException"


class DynamoSessions:
    def start(self, session: SessionRecord, account: AccountView, audit: AuditEntry, *,
              change: AccountChange | None = None, replaces: str | None = None,
              device: DeviceRecord | None = None) -> None:
        bind_tables()
        item = Session(session.session_hash, account_id=session.account_id, stage=str(session.stage),
                       created_at=session.created_at, idle_until=session.idle_until,
                       absolute_until=session.absolute_until, source_ip=session.source_ip,
                       user_agent=session.user_agent, expires_at=session.absolute_until,
                       active_day=_active_day(account, change))

        def build(tx: TransactWrite) -> None:
            tx.save(item, condition=Session.session_hash.does_not_exist())
            if replaces:
                tx.delete(Session(replaces), condition=Session.session_hash.exists())
            if change is None or not accounts.change_item(tx, account, change):
                # a deactivated account starts no session, even one whose sign-in raced the deactivation
                tx.condition_check(Account, account.account_id,
                                   condition=Account.state != AccountState.DEACTIVATED)
            if device is not None:
                devices.put_item(tx, device)
            tx.save(audit_item(audit))

        transact_or_stale(build)

    def get(self, session_hash: str) -> SessionRecord | None:
        item = find(Session, session_hash)
        return _view(item) if item else None

    def touch(self, session_hash: str, now: datetime, idle: timedelta) -> SessionRecord | None:
        bind_tables()
        item = Session(session_hash)
        try:
            item.update(actions=[Session.idle_until.set(now + idle)],
                        condition=Session.session_hash.exists() & (Session.idle_until > now)
                        & (Session.absolute_until > now))
        except UpdateError as exc:
            if _conditional(exc):
                return None
            raise
        return _view(item)  # the update returned the whole item

    def set_challenge(self, session_hash: str, challenge: ChallengeView) -> None:
        bind_tables()
        stored = Challenge(factor_id=challenge.factor_id, valid_until=challenge.valid_until,
                           sent_at=challenge.sent_at, attempts=challenge.attempts, code_hash=challenge.code_hash,
                           push_number=challenge.push_number,
                           push_status=str(challenge.push_status) if challenge.push_status else None)
        try:
            Session(session_hash).update(actions=[Session.challenge.set(stored)],
                                         condition=Session.session_hash.exists())
        except UpdateError as exc:
            raise StaleWrite from exc

    def spend_attempt(self, session_hash: str, factor_id: str) -> bool:
        bind_tables()
        try:
            Session(session_hash).update(
                actions=[Session.challenge.attempts.add(1)],
                condition=(Session.challenge.factor_id == factor_id)
                & (Session.challenge.attempts < MAX_CODE_ATTEMPTS),
            )
        except UpdateError as exc:
            if _conditional(exc):
                return False
            raise
        return True

    def set_push_status(self, session_hash: str, expected_number: str, status: PushStatus, now: datetime,
                        audit: AuditEntry) -> bool:
        bind_tables()

        def build(tx: TransactWrite) -> None:
            tx.update(Session(session_hash), actions=[Session.challenge.push_status.set(str(status))],
                      condition=(Session.challenge.push_status == PushStatus.PENDING)
                      & (Session.challenge.push_number == expected_number)
                      & (Session.challenge.valid_until > now))
            tx.save(audit_item(audit))

        try:
            transact_or_stale(build)
        except StaleWrite:
            return False
        return True

    def end(self, session_hash: str, audit: AuditEntry) -> None:
        bind_tables()

        def build(tx: TransactWrite) -> None:
            tx.delete(Session(session_hash))
            tx.save(audit_item(audit))

        transact(build)

    def end_all(self, account_id: str, *, keep: str | None = None) -> int:
        bind_tables()
        keys = [item for item in Session.by_account.query(account_id) if item.session_hash != keep]
        with Session.batch_write() as batch:
            for item in keys:
                batch.delete(item)
        return len(keys)
