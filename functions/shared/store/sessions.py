"""Session and remembered-device repository. Every check-and-change is one conditional write."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.transactions import TransactWrite

from functions.shared.audit import AuditEntry
from functions.shared.store.audit import audit_item
from functions.shared.store.models import Account, Challenge, Device, Session, bind_tables
from functions.shared.store.transactions import StaleWrite, find, transact_or_stale

MAX_CODE_ATTEMPTS = 5


def get_session(session_hash: str) -> Session | None:
    return find(Session, session_hash)


def touch_session(session_hash: str, now: datetime, idle: timedelta) -> Session | None:
    """Extend a live session's idle deadline and return it; None if unknown, idle or past its lifetime."""
    bind_tables()
    session = Session(session_hash)
    try:
        session.update(
            actions=[Session.idle_until.set(now + idle)],
            condition=Session.session_hash.exists() & (Session.idle_until > now)
            & (Session.absolute_until > now),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return session


def start_session(session: Session, account_update: list | None, account_id: str, audit: AuditEntry,
                  replaces: str | None = None, device: Device | None = None,
                  account_condition: object | None = None) -> None:
    """Create a session (and end the one it replaces) with the account change and audit record."""

    def build(tx: TransactWrite) -> None:
        tx.save(session, condition=Session.session_hash.does_not_exist())
        if replaces:
            tx.delete(Session(replaces), condition=Session.session_hash.exists())
        if account_update:
            guard = Account.account_id.exists()
            tx.update(Account(account_id), actions=account_update,
                      condition=guard & account_condition if account_condition is not None else guard)
        if device:
            tx.save(device, condition=Device.device_hash.does_not_exist())
        tx.save(audit_item(audit))

    transact_or_stale(build)


def set_challenge(session_hash: str, challenge: Challenge) -> None:
    bind_tables()
    try:
        Session(session_hash).update(actions=[Session.challenge.set(challenge)],
                                     condition=Session.session_hash.exists())
    except UpdateError as exc:
        raise StaleWrite from exc


def spend_attempt(session_hash: str, factor_id: str) -> bool:
    """Count one try at the current challenge; False once its tries are used up (or it was replaced)."""
    bind_tables()
    try:
        Session(session_hash).update(
            actions=[Session.challenge.attempts.add(1)],
            condition=(Session.challenge.factor_id == factor_id)
            & (Session.challenge.attempts < MAX_CODE_ATTEMPTS),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def set_push_status(session_hash: str, expected_number: str, status: str, now: datetime) -> bool:
    """Record a device's answer once, only while the push is pending and unexpired."""
    bind_tables()
    try:
        Session(session_hash).update(
            actions=[Session.challenge.push_status.set(status)],
            condition=(Session.challenge.push_status == "pending")
            & (Session.challenge.push_number == expected_number)
            & (Session.challenge.valid_until > now),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def end_session(session_hash: str) -> None:
    bind_tables()
    with contextlib.suppress(DeleteError):  # already gone: signing out twice is fine
        Session(session_hash).delete()


def _delete_all(model: type[Session] | type[Device], account_id: str) -> int:
    bind_tables()
    keys = list(model.by_account.query(account_id))
    with model.batch_write() as batch:
        for item in keys:
            batch.delete(item)
    return len(keys)


def end_all_sessions(account_id: str) -> int:
    return _delete_all(Session, account_id)


def forget_all_devices(account_id: str) -> int:
    return _delete_all(Device, account_id)


def get_device(device_hash: str) -> Device | None:
    return find(Device, device_hash, consistent=False)


def list_devices(account_id: str) -> list[Device]:
    bind_tables()
    return list(Device.by_account.query(account_id))


def forget_device(account_id: str, device_id: str) -> bool:
    for device in list_devices(account_id):
        if device.device_id == device_id:
            device.delete()
            return True
    return False
