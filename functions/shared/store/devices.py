"""Remembered devices ("do not challenge me on this device"), keyed by the SHA-256 of their cookie.

This module is the only code that writes a device: a device is created with the session that
remembers it (`put_item`, inside the sessions repository's transaction) and forgotten here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pynamodb.transactions import TransactWrite

from functions.shared.core.audit import AuditEntry
from functions.shared.store.audit import audit_item
from functions.shared.store.models import Device, bind_tables
from functions.shared.store.transactions import find, transact


@dataclass(frozen=True)
class DeviceRecord:
    device_hash: str
    device_id: str  # shown to the user and used to revoke; not the secret
    account_id: str
    label: str
    created_at: datetime
    valid_until: datetime

    def remembers(self, account_id: str, now: datetime) -> bool:
        return self.account_id == account_id and now < self.valid_until


class Devices(Protocol):
    def get(self, device_hash: str) -> DeviceRecord | None: ...

    def of_account(self, account_id: str) -> list[DeviceRecord]: ...

    def forget(self, account_id: str, device_id: str, audit: AuditEntry) -> bool:
        """Forget one device of the account (with its audit record); False if there is none."""
        ...

    def forget_all(self, account_id: str) -> int:
        """Forget every device of the account; how many there were."""
        ...


def _to_view(item: Device) -> DeviceRecord:
    return DeviceRecord(device_hash=item.device_hash, device_id=item.device_id, account_id=item.account_id,
                        label=item.label, created_at=item.created_at, valid_until=item.valid_until)


def put_item(tx: TransactWrite, device: DeviceRecord) -> None:
    """Create `device` inside another repository's transaction (a session start)."""
    bind_tables()
    tx.save(Device(device.device_hash, device_id=device.device_id, account_id=device.account_id,
                   label=device.label, created_at=device.created_at, valid_until=device.valid_until,
                   expires_at=device.valid_until),
            condition=Device.device_hash.does_not_exist())


class DynamoDevices:
    def get(self, device_hash: str) -> DeviceRecord | None:
        item = find(Device, device_hash, consistent=False)
        return _to_view(item) if item else None

    def of_account(self, account_id: str) -> list[DeviceRecord]:
        bind_tables()
        return [_to_view(item) for item in Device.by_account.query(account_id)]

    def forget(self, account_id: str, device_id: str, audit: AuditEntry) -> bool:
        device = next((d for d in self.of_account(account_id) if d.device_id == device_id), None)
        if device is None:
            return False

        def build(tx: TransactWrite) -> None:
            tx.delete(Device(device.device_hash))
            tx.save(audit_item(audit))

        transact(build)
        return True

    def forget_all(self, account_id: str) -> int:
        bind_tables()
        keys = list(Device.by_account.query(account_id))
        with Device.batch_write() as batch:
            for item in keys:
                batch.delete(item)
        return len(keys)
