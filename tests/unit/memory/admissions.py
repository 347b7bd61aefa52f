"""Admission notifications in memory: the same uniqueness, paging and once-only discharge."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime

from functions.shared.core.audit import AuditEntry
from functions.shared.store.admissions import Admission, AdmissionStatus, DischargeDisposition, unique_key
from functions.shared.store.pages import StoredPage
from functions.shared.store.transactions import StaleWrite, UniqueKeyTaken
from tests.unit.memory.pages import newest_first


class MemoryAdmissions:
    def __init__(self) -> None:
        self.admissions: dict[str, Admission] = {}
        self.claims: dict[str, str] = {}
        self.audit: list[AuditEntry] = []
        self._lock = threading.Lock()

    def create(self, admission: Admission, audit: AuditEntry) -> None:
        with self._lock:
            if admission.uniqueness in self.claims:
                raise UniqueKeyTaken(admission.uniqueness)
            self.claims[admission.uniqueness] = admission.admission_id
            self.admissions[admission.admission_id] = admission
            self.audit.append(audit)

    def holder(self, member_id: str, facility_provider_id: str, day: date) -> str | None:
        return self.claims.get(unique_key(member_id, facility_provider_id, day))

    def get(self, admission_id: str) -> Admission | None:
        return self.admissions.get(admission_id)

    def open_of_member(self, member_id: str) -> list[Admission]:
        return sorted((a for a in self.admissions.values()
                       if a.member_id == member_id and a.status == AdmissionStatus.ADMITTED),
                      key=lambda a: a.page_key, reverse=True)

    def page(self, facility_provider_id: str, first_day: date, last_day: date, limit: int,
             after: str | None) -> StoredPage[Admission]:
        return newest_first((a for a in self.admissions.values() if a.facility_provider_id == facility_provider_id
                             and first_day <= a.admitted_at.date() <= last_day), lambda a: a.page_key, limit, after)

    def discharge(self, admission_id: str, at: datetime, disposition: DischargeDisposition,
                  audit: AuditEntry) -> Admission:
        with self._lock:
            current = self.admissions.get(admission_id)
            if current is None or current.status != AdmissionStatus.ADMITTED:
                raise StaleWrite
            updated = replace(current, status=AdmissionStatus.DISCHARGED, discharged_at=at, disposition=disposition)
            self.admissions[admission_id] = updated
            self.audit.append(audit)
            return updated


REPOSITORIES = {"admissions": MemoryAdmissions}
