"""Audit repository: append-only records, written alone or inside another repository's transaction."""

from __future__ import annotations

from enum import Enum
from typing import Any, Protocol

from functions.shared.core.audit import AuditEntry, Origin, audit_event
from functions.shared.store.models import AuditEvent, bind_tables


class AuditLog(Protocol):
    def record(self, entry: AuditEntry) -> None: ...


def audit_item(entry: AuditEntry) -> AuditEvent:
    """The stored form of an entry; repositories put it in the transaction of the change it records."""
    bind_tables()
    # States (StrEnum) are stored as their plain values.
    detail = {k: str(v) if isinstance(v, Enum) else v for k, v in entry.detail.items()}
    return AuditEvent(subject=entry.subject, at_id=entry.at_id, action=entry.action, outcome=str(entry.outcome),
                      request_id=entry.request_id, source_ip=entry.source_ip, detail=detail or None,
                      expires_at=entry.expires_at)


class DynamoAuditLog:
    def record(self, entry: AuditEntry) -> None:
        audit_item(entry).save(condition=AuditEvent.at_id.does_not_exist())


def record(action: str, outcome: str, meta: Origin, **kwargs: Any) -> None:
    """Write a record on its own, for a decision that changes nothing else."""
    from functions.shared.store import repositories

    repositories().audit.record(audit_event(action, outcome, meta, **kwargs))
