"""Delivery claims of queued mail: the only code that writes one. One conditional write per step."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from pynamodb.exceptions import DeleteError, UpdateError

from functions.shared.core.states import DeliveryState
from functions.shared.store.models import Delivery, bind_tables
from functions.shared.store.transactions import find
from functions.shared.store.unique_keys import DELIVERY

KEY = DELIVERY.prefix


class Claim(StrEnum):
    GO = "go"  # this try sends the mail
    SENT = "sent"  # an earlier try sent it: nothing to do
    BUSY = "busy"  # another try is sending it right now: look again later


class Deliveries(Protocol):
    def claim(self, delivery_id: str, now: datetime, lease_until: datetime, expires_at: datetime) -> Claim:
        """Claim the delivery unless it was sent or another try holds an unexpired lease."""
        ...

    def sent(self, delivery_id: str, expires_at: datetime) -> None:
        """Mark the delivery sent (kept until `expires_at`, longer than any message lives in the queues)."""
        ...

    def release(self, delivery_id: str) -> None:
        """Give up a claim whose mail was not sent, so the next try may send it."""
        ...


class DynamoDeliveries:
    def claim(self, delivery_id: str, now: datetime, lease_until: datetime, expires_at: datetime) -> Claim:
        bind_tables()
        try:
            Delivery(KEY + delivery_id).update(
                actions=[Delivery.delivery_state.set(DeliveryState.SENDING), Delivery.lease_until.set(lease_until),
                         Delivery.expires_at.set(expires_at)],
                condition=Delivery.key.does_not_exist()
                | ((Delivery.delivery_state == DeliveryState.SENDING) & (Delivery.lease_until < now)),
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            item = find(Delivery, KEY + delivery_id)
            return Claim.SENT if item and item.delivery_state == DeliveryState.SENT else Claim.BUSY
        return Claim.GO

    def sent(self, delivery_id: str, expires_at: datetime) -> None:
        bind_tables()
        Delivery(KEY + delivery_id).update(actions=[Delivery.delivery_state.set(DeliveryState.SENT),
                                                    Delivery.lease_until.remove(),
                                                    Delivery.expires_at.set(expires_at)])

    def release(self, delivery_id: str) -> None:
        bind_tables()
        try:
            Delivery(KEY + delivery_id).delete(condition=Delivery.delivery_state == DeliveryState.SENDING)
        except DeleteError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
