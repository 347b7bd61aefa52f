"""Admission repository: hospital admission notifications, one per member, facility and admit day.

Creating one claims 'admission#<member>#<facility>#<admit day>' in the same transaction as the record
and its audit entry, so a duplicate (or a retried submission racing the first) is refused whatever the
timing; the claim names the admission that holds it. A discharge is recorded once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar, Protocol

from pynamodb.transactions import TransactWrite

from functions.shared.core.audit import AuditEntry
from functions.shared.store.audit import audit_item
from functions.shared.store.declared import DeclaredRecord, RecordKeys
from functions.shared.store.models import UniqueKey, bind_tables
from functions.shared.store.pages import StoredPage, newest_first
from functions.shared.store.portal_models import AdmissionRecord
from functions.shared.store.transactions import StaleWrite, find, transact_first_claimed, transact_or_stale
from functions.shared.store.unique_keys import ADMISSION


class AdmissionType(StrEnum):
    INPATIENT = "inpatient"
    OBSERVATION = "observation"


class AdmissionStatus(StrEnum):
    ADMITTED = "admitted"
    DISCHARGED = "discharged"


class DischargeDisposition(StrEnum):
    """Where the member went (UB-04 patient discharge status, in plain words)."""

    HOME = "home"
    HOME_HEALTH = "home_health"
    SKILLED_NURSING = "skilled_nursing"
    REHABILITATION = "rehabilitation"
    TRANSFERRED = "transferred_hospital"
    HOSPICE = "hospice"
    LEFT_AGAINST_ADVICE = "left_against_medical_advice"
    EXPIRED = "expired"

ADMISSION_KEY = ADMISSION.prefix


@dataclass(frozen=True)
class Admission(DeclaredRecord):
    KEYS: ClassVar[RecordKeys] = RecordKeys("admission_id", ("facility_provider_id", "attending_provider_id"),
                                            "admitted_at", owner="facility_provider_id")

    admission_id: str
    member_id: str
    member_name: str
    facility_provider_id: str
    attending_provider_id: str | None
    admitted_at: datetime
    admission_type: AdmissionType
    admitting_diagnosis: str
    notified_at: datetime
    notified_by: str
    notice_due: datetime
    late: bool
    status: AdmissionStatus = AdmissionStatus.ADMITTED
    discharged_at: datetime | None = None
    disposition: DischargeDisposition | None = None

    @property
    def uniqueness(self) -> str:
        return unique_key(self.member_id, self.facility_provider_id, self.admitted_at.date())


def unique_key(member_id: str, facility_provider_id: str, day: date) -> str:
    return f"{ADMISSION_KEY}{member_id}#{facility_provider_id}#{day.isoformat()}"


class Admissions(Protocol):
    def create(self, admission: Admission, audit: AuditEntry) -> None:
        """Store a new notification; UniqueKeyTaken when the member, facility and day are notified already."""
        ...

    def holder(self, member_id: str, facility_provider_id: str, day: date) -> str | None:
        """The admission already notified for this member, facility and admit day, if any."""
        ...

    def get(self, admission_id: str) -> Admission | None: ...

    def open_of_member(self, member_id: str) -> list[Admission]:
        """The member's admissions without a discharge, at any facility, newest first."""
        ...

    def page(self, facility_provider_id: str, first_day: date, last_day: date, limit: int,
             after: str | None) -> StoredPage[Admission]:
        """Newest first, one Query of limit + 1 items; `after` continues a previous page."""
        ...

    def discharge(self, admission_id: str, at: datetime, disposition: DischargeDisposition,
                  audit: AuditEntry) -> Admission:
        """admitted -> discharged, once; StaleWrite when it is discharged already."""
        ...


class DynamoAdmissions:
    def create(self, admission: Admission, audit: AuditEntry) -> None:
        bind_tables()

        def build(tx: TransactWrite) -> None:
            tx.save(UniqueKey(admission.uniqueness, account_id=admission.admission_id),
                    condition=UniqueKey.key.does_not_exist())
            tx.save(_record(admission), condition=AdmissionRecord.admission_id.does_not_exist())
            tx.save(audit_item(audit))

        transact_first_claimed(build, admission.uniqueness)

    def holder(self, member_id: str, facility_provider_id: str, day: date) -> str | None:
        claim = find(UniqueKey, unique_key(member_id, facility_provider_id, day))
        return claim.account_id if claim else None

    def get(self, admission_id: str) -> Admission | None:
        item = find(AdmissionRecord, admission_id)
        return _admission(item) if item else None

    def open_of_member(self, member_id: str) -> list[Admission]:
        bind_tables()
        return [_admission(item) for item in AdmissionRecord.by_member.query(
            member_id, scan_index_forward=False, filter_condition=AdmissionRecord.status == AdmissionStatus.ADMITTED)]

    def page(self, facility_provider_id: str, first_day: date, last_day: date, limit: int,
             after: str | None) -> StoredPage[Admission]:
        page, next_after = newest_first(AdmissionRecord, AdmissionRecord.by_facility, facility_provider_id,
                                        first_day, last_day, limit, after)
        return StoredPage(tuple(_admission(i) for i in page), next_after)

    def discharge(self, admission_id: str, at: datetime, disposition: DischargeDisposition,
                  audit: AuditEntry) -> Admission:
        bind_tables()

        def build(tx: TransactWrite) -> None:
            tx.update(AdmissionRecord(admission_id),
                      actions=[AdmissionRecord.status.set(AdmissionStatus.DISCHARGED),
                               AdmissionRecord.discharged_at.set(at), AdmissionRecord.disposition.set(disposition)],
                      condition=AdmissionRecord.status == AdmissionStatus.ADMITTED)
            tx.save(audit_item(audit))

        transact_or_stale(build)
        stored = self.get(admission_id)
        if stored is None:  # deleted meanwhile: nothing the portal does
            raise StaleWrite
        return stored


def _record(a: Admission) -> AdmissionRecord:
    return AdmissionRecord(
        a.admission_id, member_id=a.member_id, member_name=a.member_name,
        facility_provider_id=a.facility_provider_id, attending_provider_id=a.attending_provider_id,
        admitted_at=a.admitted_at, admit_key=a.page_key, admission_type=a.admission_type,
        admitting_diagnosis=a.admitting_diagnosis, notified_at=a.notified_at, notified_by=a.notified_by,
        notice_due=a.notice_due, late=a.late, status=a.status, discharged_at=a.discharged_at,
        disposition=a.disposition)


def _admission(item: AdmissionRecord) -> Admission:
    return Admission(
        admission_id=item.admission_id, member_id=item.member_id, member_name=item.member_name,
        facility_provider_id=item.facility_provider_id, attending_provider_id=item.attending_provider_id,
        admitted_at=item.admitted_at, admission_type=AdmissionType(item.admission_type),
        admitting_diagnosis=item.admitting_diagnosis, notified_at=item.notified_at, notified_by=item.notified_by,
        notice_due=item.notice_due, late=bool(item.late), status=AdmissionStatus(item.status),
        discharged_at=item.discharged_at,
        disposition=DischargeDisposition(item.disposition) if item.disposition else None)
