"""The audit log in memory: every entry kept in order."""

from __future__ import annotations

from functions.shared.core.audit import AuditEntry


class MemoryAuditLog:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        self.entries.append(entry)

    def actions(self, subject: str | None = None) -> list[tuple[str, str]]:
        """(action, outcome) of every entry, optionally of one subject: what tests assert on."""
        return [(e.action, e.outcome) for e in self.entries if subject is None or e.subject == subject]


REPOSITORIES = {"audit": MemoryAuditLog}
