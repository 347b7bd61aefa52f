"""Delivery claims of queued mail in memory, with the conditions of the DynamoDB repository."""

from __future__ import annotations

from datetime import datetime

from functions.shared.core.states import DeliveryState
from functions.shared.store.deliveries import Claim


class MemoryDeliveries:
    def __init__(self) -> None:
        self.claims: dict[str, tuple[DeliveryState, datetime | None]] = {}

    def claim(self, delivery_id: str, now: datetime, lease_until: datetime, expires_at: datetime) -> Claim:
        current = self.claims.get(delivery_id)
        if current is not None:
            state, lease = current
            if state == DeliveryState.SENT:
                return Claim.SENT
            if lease is not None and lease >= now:
                return Claim.BUSY
        self.claims[delivery_id] = (DeliveryState.SENDING, lease_until)
        return Claim.GO

    def sent(self, delivery_id: str, expires_at: datetime) -> None:
        self.claims[delivery_id] = (DeliveryState.SENT, None)

    def release(self, delivery_id: str) -> None:
        if self.claims.get(delivery_id, (None, None))[0] == DeliveryState.SENDING:
            del self.claims[delivery_id]


REPOSITORIES = {"deliveries": MemoryDeliveries}
