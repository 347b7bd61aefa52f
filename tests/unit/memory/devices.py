"""Remembered devices in memory."""

from __future__ import annotations

from functions.shared.core.audit import AuditEntry
from functions.shared.store import repositories
from functions.shared.store.devices import DeviceRecord
from functions.shared.store.transactions import StaleWrite


class MemoryDevices:
    def __init__(self) -> None:
        self.devices: dict[str, DeviceRecord] = {}

    def get(self, device_hash: str) -> DeviceRecord | None:
        return self.devices.get(device_hash)

    def of_account(self, account_id: str) -> list[DeviceRecord]:
        return [d for d in self.devices.values() if d.account_id == account_id]

    def forget(self, account_id: str, device_id: str, audit: AuditEntry) -> bool:
        device = next((d for d in self.of_account(account_id) if d.device_id == device_id), None)
        if device is None:
            return False
        del self.devices[device.device_hash]
        repositories().audit.record(audit)
        return True

    def forget_all(self, account_id: str) -> int:
        mine = self.of_account(account_id)
        for device in mine:
            del self.devices[device.device_hash]
        return len(mine)

    def check_new(self, device: DeviceRecord) -> None:
        if device.device_hash in self.devices:
            raise StaleWrite

    def put(self, device: DeviceRecord) -> None:
        self.devices[device.device_hash] = device


REPOSITORIES = {"devices": MemoryDevices}
