"""Hospital admission rules: a facility the caller acts for notifies the plan of a member's admission,
once per member, facility and admit day; a notification later than the plan's window is flagged late;
the discharge is recorded once. Every read and write is audited; a record outside the caller's scope
answers like one that does not exist."""

from __future__ import annotations

import secrets
from datetime import UTC

from functions.admissions.models import (
    AdmissionPage,
    AdmissionRequest,
    AdmissionSearch,
    AdmissionView,
    DischargeRequest,
)
from functions.shared.core.context import Ask
from functions.shared.core.errors import FieldError, Problem, invalid_fields
from functions.shared.core.states import Feature
from functions.shared.services import records
from functions.shared.services.member_identity import MEMBER_NOT_FOUND, find_member
from functions.shared.services.workflow import business_days_later
from functions.shared.store import repositories
from functions.shared.store.admissions import Admission
from functions.shared.store.transactions import StaleWrite, UniqueKeyTaken

_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U to misread
ADMISSION_NOT_FOUND = Problem(404, "admission-not-found", "No admission found",
                              "No admission with this number is on file for the providers you act for.")
ADMISSION: records.RecordKind[Admission] = records.RecordKind(
    "admission", ADMISSION_NOT_FOUND, fetch=lambda number: repositories().admissions.get(number),
    per_hour=lambda plan: plan.admission_requests_per_hour, reads=Feature.ADMISSIONS_VIEW,
    writes=Feature.ADMISSIONS_NOTIFY)
_FACILITY = "Choose a facility you act for."


def notify(req: AdmissionRequest, ask: Ask) -> AdmissionView:
    who, plan, now = ask.who, ask.plan, ask.now
    facility = records.in_scope("facility_provider_id", req.facility_provider_id,
                                ADMISSION.scope(req.acting_for, ask, changing=True), _FACILITY)
    member = find_member(req.birth_date, req.member_id)
    if member is None:
        ADMISSION.member_not_found("create", req.acting_for, ask)
        raise MEMBER_NOT_FOUND
    admitted_at = req.admitted_at.astimezone(UTC)
    due = business_days_later(admitted_at, plan.admission_notice_business_days)
    admission = Admission(
        admission_id="ADM-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(10)),
        member_id=member.profile.member_id, member_name=f"{member.profile.first_name} {member.profile.last_name}",
        facility_provider_id=facility, attending_provider_id=req.attending_provider_id,
        admitted_at=admitted_at, admission_type=req.admission_type, admitting_diagnosis=req.admitting_diagnosis,
        notified_at=now, notified_by=who.account_id, notice_due=due, late=now > due)
    try:
        repositories().admissions.create(admission, ADMISSION.entry("create", "notified", req.acting_for, admission,
                                                                    ask))
    except UniqueKeyTaken:
        existing = repositories().admissions.holder(admission.member_id, facility, admitted_at.date())
        raise Problem(409, "admission-exists", "This admission was already notified",
                      "The plan has a notification for this member at this facility on this admit date. Open it "
                      "to record the discharge.", extra={"admission_id": existing}) from None
    return view(admission)


def open_admission(admission_id: str, acting_for: str, ask: Ask) -> AdmissionView:
    return view(ADMISSION.shown(ADMISSION.visible(admission_id, acting_for, ask), acting_for, ask))


def discharge(admission_id: str, req: DischargeRequest, ask: Ask) -> AdmissionView:
    now = ask.now
    admission = ADMISSION.changeable(admission_id, req.acting_for, ask)
    discharged_at = req.discharged_at.astimezone(UTC)
    if discharged_at < admission.admitted_at:
        raise invalid_fields([FieldError("discharged_at", "The discharge cannot be before the admission.", "range")])
    if discharged_at > now:
        raise invalid_fields([FieldError("discharged_at", "The discharge cannot be in the future.", "range")])
    try:
        return view(repositories().admissions.discharge(
            admission.admission_id, discharged_at, req.disposition,
            ADMISSION.entry("discharge", "discharged", req.acting_for, admission, ask)))
    except StaleWrite:
        raise Problem(409, "already-discharged", "The discharge is recorded already",
                      "This admission was discharged before. Reload it to see the discharge.") from None


def search(req: AdmissionSearch, ask: Ask) -> AdmissionPage:
    scope = ADMISSION.scope(req.acting_for, ask)
    facility = records.in_scope("facility_provider_id", req.facility_provider_id, scope, _FACILITY)
    page = ADMISSION.page(records.ListQuery(facility, req.from_date, req.to_date, req.page_size, req.cursor),
                          repositories().admissions.page, ask, scope=scope,
                          detail={"acting_for": req.acting_for, "facility": facility})
    return AdmissionPage(admissions=[view(a) for a in page.items], next_cursor=page.next_cursor)


def view(a: Admission) -> AdmissionView:
    return AdmissionView(
        admission_id=a.admission_id, status=a.status, member_id=a.member_id, member_name=a.member_name,
        facility_provider_id=a.facility_provider_id, attending_provider_id=a.attending_provider_id,
        admitted_at=a.admitted_at, admission_type=a.admission_type, admitting_diagnosis=a.admitting_diagnosis,
        notified_at=a.notified_at, late=a.late, notice_due=a.notice_due, discharged_at=a.discharged_at,
        disposition=a.disposition)

