"""Consents: who accepted which version of which agreement, when and from where. Append-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from functions.shared.core.audit import AuditEntry
from functions.shared.store.audit import audit_item
from functions.shared.store.models import Consent, bind_tables
from functions.shared.store.transactions import cancellation_codes, find, transact


@dataclass(frozen=True)
class ConsentView:
    account_id: str
    document: str  # '<agreement>#<version>'
    accepted_at: datetime
    source_ip: str | None = None
    user_agent: str | None = None


class Consents(Protocol):
    def has(self, account_id: str, document: str) -> bool:
        """Whether the account accepted this document (consistent: an acceptance counts at once)."""
        ...

    def record(self, consent: ConsentView, audit: AuditEntry) -> bool:
        """Record an acceptance with its audit record; False (nothing written) when accepted before."""
        ...


class DynamoConsents:
    def has(self, account_id: str, document: str) -> bool:
        # One strongly consistent GetItem (PynamoDB's count() with a limit sends two Queries).
        return find(Consent, account_id, document) is not None

    def record(self, consent: ConsentView, audit: AuditEntry) -> bool:
        bind_tables()
        item = Consent(consent.account_id, consent.document, accepted_at=consent.accepted_at,
                       source_ip=consent.source_ip, user_agent=consent.user_agent)

        def build(tx: TransactWrite) -> None:
            tx.save(item, condition=Consent.document.does_not_exist())
            tx.save(audit_item(audit))

        try:
            transact(build)
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" not in cancellation_codes(exc):
                raise
            return False  # already accepted this version: accepting again changes nothing
        return True
