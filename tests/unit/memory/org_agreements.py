"""Organizational agreements in memory, moved by the same transition table as the DynamoDB ones."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from functions.shared.core.audit import AuditEntry
from functions.shared.core.states import OrgAgreementState as Status
from functions.shared.store import repositories
from functions.shared.store.org_agreements import TRANSITIONS, WAIT_FROM, OrgAgreementView, Signature, may_move
from functions.shared.store.transactions import StaleWrite


class MemoryOrgAgreements:
    def __init__(self) -> None:
        self.agreements: dict[str, OrgAgreementView] = {}
        self._lock = threading.Lock()

    def get(self, tax_id: str) -> OrgAgreementView | None:
        return self.agreements.get(tax_id)

    def sign(self, signature: Signature, audit: AuditEntry) -> None:
        with self._lock:
            current = self.agreements.get(signature.tax_id)
            if (current.status if current else None) not in TRANSITIONS[Status.PENDING]:
                raise StaleWrite
            self.agreements[signature.tax_id] = OrgAgreementView(
                tax_id=signature.tax_id, status=Status.PENDING, group_name=signature.group_name,
                version=signature.version, signer_account_id=signature.signer_account_id,
                signer_name=signature.signer_name, signer_title=signature.signer_title,
                signed_at=signature.signed_at, pending_since=signature.signed_at,
                waiting_tokens=current.waiting_tokens if current else frozenset())
            repositories().audit.record(audit)

    def decide(self, tax_id: str, approve: bool, by: str, reason: str, now: datetime,
               audit: AuditEntry) -> OrgAgreementView | None:
        status = Status.APPROVED if approve else Status.REJECTED
        with self._lock:
            current = self.agreements.get(tax_id)
            if current is None:
                return None
            if not may_move(current.status, status):
                raise StaleWrite
            decided = replace(current, status=status, decided_at=now, decided_by=by, reason=reason,
                              pending_since=None)
            self.agreements[tax_id] = decided
            repositories().audit.record(audit)
            return decided

    def add_waiting(self, tax_id: str, group_name: str, token: str, audit: AuditEntry) -> bool:
        with self._lock:
            current = self.agreements.get(tax_id)
            if (current.status if current else None) not in WAIT_FROM:
                return False
            base = current or OrgAgreementView(tax_id=tax_id, status=Status.UNSIGNED, group_name=group_name)
            self.agreements[tax_id] = replace(base, waiting_tokens=base.waiting_tokens | {token})
            repositories().audit.record(audit)
            return True

    def resumed(self, tax_id: str, tokens: Iterable[str]) -> None:
        with self._lock:
            current = self.agreements[tax_id]
            self.agreements[tax_id] = replace(current, waiting_tokens=current.waiting_tokens - set(tokens))

    def pending(self) -> list[OrgAgreementView]:
        waiting = [a for a in self.agreements.values() if a.status == Status.PENDING]
        return sorted(waiting, key=lambda a: a.pending_since or datetime.min)


REPOSITORIES = {"org_agreements": MemoryOrgAgreements}
