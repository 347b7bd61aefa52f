"""Consents in memory: append-only."""

from __future__ import annotations

import threading

from functions.shared.core.audit import AuditEntry
from functions.shared.store import repositories
from functions.shared.store.consents import ConsentView


class MemoryConsents:
    def __init__(self) -> None:
        self.consents: dict[tuple[str, str], ConsentView] = {}
        self._lock = threading.Lock()

    def has(self, account_id: str, document: str) -> bool:
        return (account_id, document) in self.consents

    def record(self, consent: ConsentView, audit: AuditEntry) -> bool:
        with self._lock:
            key = (consent.account_id, consent.document)
            if key in self.consents:
                return False
            self.consents[key] = consent
            repositories().audit.record(audit)
            return True


REPOSITORIES = {"consents": MemoryConsents}
