"""Authorization requests in memory, with the same idempotency claim and transition guard."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime

from functions.shared.core.audit import AuditEntry
from functions.shared.core.malware_scan import FileState, may_record
from functions.shared.store.authorizations import (
    APPEALABLE,
    Authorization,
    AuthorizationStatus,
    Change,
    FileNotListed,
    IdempotencyClaim,
    ServiceRequest,
    may_move,
)
from functions.shared.store.pages import StoredPage
from functions.shared.store.transactions import StaleWrite, UniqueKeyTaken
from tests.unit.memory.pages import newest_first


class MemoryAuthorizations:
    def __init__(self) -> None:
        self.requests: dict[str, Authorization] = {}
        self.keys: dict[str, IdempotencyClaim] = {}
        self.audit: list[AuditEntry] = []
        self._lock = threading.Lock()

    def create(self, authorization: Authorization, claim: IdempotencyClaim, audit: AuditEntry) -> None:
        with self._lock:
            if claim.key in self.keys:
                raise UniqueKeyTaken(claim.key)
            if authorization.appeal_of is not None:
                appealed = self.requests.get(authorization.appeal_of)
                if appealed is None or appealed.appeal_id is not None or appealed.status not in APPEALABLE:
                    raise StaleWrite
                self.requests[appealed.authorization_id] = replace(appealed,
                                                                   appeal_id=authorization.authorization_id)
            self.keys[claim.key] = claim
            self.requests[authorization.authorization_id] = authorization
            self.audit.append(audit)

    def put_new(self, authorization: Authorization, audit: AuditEntry) -> bool:
        with self._lock:
            if authorization.authorization_id in self.requests:
                return False
            self.requests[authorization.authorization_id] = authorization
            self.audit.append(audit)
            return True

    def holder(self, idempotency: str) -> IdempotencyClaim | None:
        return self.keys.get(idempotency)

    def get(self, authorization_id: str) -> Authorization | None:
        return self.requests.get(authorization_id)

    def page(self, provider_id: str, first_day: date, last_day: date, limit: int,
             after: str | None) -> StoredPage[Authorization]:
        return newest_first((a for a in self.requests.values() if a.requesting_provider_id == provider_id
                             and first_day <= a.submitted_at.date() <= last_day), lambda a: a.page_key, limit,
                            after)

    def of_member(self, member_id: str, first_day: date, last_day: date, limit: int,
                  after: str | None) -> StoredPage[Authorization]:
        return newest_first((a for a in self.requests.values() if a.member_id == member_id
                             and first_day <= a.submitted_at.date() <= last_day), lambda a: a.page_key, limit,
                            after)

    def pending(self, limit: int) -> list[Authorization]:
        waiting = [a for a in self.requests.values() if a.status == AuthorizationStatus.PENDING
                   and a.decided_in == "portal"]
        return sorted(waiting, key=lambda a: (a.due_at, a.authorization_id))[:limit]

    def decided_between(self, first: datetime, last: datetime) -> Iterator[Authorization]:
        decided = [a for a in self.requests.values() if a.decided_at is not None and first <= a.decided_at < last]
        return iter(sorted(decided, key=lambda a: (a.decided_at, a.authorization_id)))

    def move(self, authorization_id: str, expected: AuthorizationStatus, change: Change,
             audit: AuditEntry) -> Authorization:
        if not may_move(expected, change.status):
            raise ValueError(f"{expected} cannot become {change.status}")
        with self._lock:
            current = self.requests.get(authorization_id)
            if current is None or current.status != expected:
                raise StaleWrite
            lines = current.service_lines
            if change.approved_units is not None:
                lines = tuple(ServiceRequest(s.code, s.units, u)
                              for s, u in zip(lines, change.approved_units, strict=True))
            moved = replace(current, status=change.status, history=(*current.history, change.event),
                            service_lines=lines, attachments=(*current.attachments, *change.attachments),
                            decision_reason=change.reason if change.reason is not None else current.decision_reason,
                            decided_by=change.decided_by or current.decided_by,
                            decided_at=change.event.at if change.decided_by else current.decided_at,
                            payer_number=change.payer_number or current.payer_number)
            self.requests[authorization_id] = moved
            self.audit.append(audit)
            return moved

    def record_scan(self, authorization_id: str, sha256: str, state: FileState, audit: AuditEntry) -> bool:
        with self._lock:
            current = self.requests.get(authorization_id)
            if current is None or not any(a.sha256 == sha256 for a in current.attachments):
                raise FileNotListed(authorization_id)
            files = tuple(replace(a, scan=state) if a.sha256 == sha256 and may_record(a.scan, state) else a
                          for a in current.attachments)
            if files == current.attachments:
                return False
            self.requests[authorization_id] = replace(current, attachments=files)
            self.audit.append(audit)
            return True


REPOSITORIES = {"authorizations": MemoryAuthorizations}
