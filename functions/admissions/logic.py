"""Hospital admission rules: a facility the caller acts for notifies the plan of a member's admission,
once per member, facility and admit day; a notification later than the plan's window (in business days)
is flagged late; the discharge is recorded once. What may be right but deserves a second look (the member
has an admission still open, or is not covered on the admit date) is answered with warnings the user
confirms before it is stored, never refused. Every read and write is audited; a record outside the
caller's scope answers like one that does not exist."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime

from functions.admissions.models import (
    AdmissionPage,
    AdmissionRequest,
    AdmissionSearch,
    AdmissionView,
    AdmissionWarning,
    DischargeRequest,
    WarningView,
)
from functions.shared.core.business_days import business_days_later
from functions.shared.core.context import Ask
from functions.shared.core.errors import FieldError, Problem, invalid_fields
from functions.shared.core.schemas import icd10cm_dotted
from functions.shared.core.states import Feature
from functions.shared.services import records
from functions.shared.services.member_identity import MEMBER_NOT_FOUND, find_member
from functions.shared.store import audit as audit_log
from functions.shared.store import repositories
from functions.shared.store.admissions import Admission
from functions.shared.store.members import Member
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
    scope = ADMISSION.scope(req.acting_for, ask, changing=True)
    facility = records.in_scope("facility_provider_id", req.facility_provider_id, scope, _FACILITY)
    member = find_member(req.birth_date, req.member_id)
    if member is None:
        ADMISSION.member_not_found("create", req.acting_for, ask)
        raise MEMBER_NOT_FOUND
    admitted_at = req.admitted_at.astimezone(UTC)
    still_open = repositories().admissions.open_of_member(member.profile.member_id)
    same_stay = next((a for a in still_open if a.facility_provider_id == facility
                      and a.admitted_at.date() == admitted_at.date()), None)
    if same_stay is not None:
        raise _already_notified(same_stay.admission_id)
    warnings = admission_warnings(member, req.admitted_at, still_open, scope)
    if {w.code for w in warnings} - set(req.confirmed_warnings):
        audit_log.record("phi.admission.create", "warned", ask.meta, subject=who.account_id, now=now,
                         detail={"acting_for": req.acting_for, "member_id": member.profile.member_id,
                                 "warnings": sorted({w.code.value for w in warnings})})
        raise _confirm(warnings)
    due = business_days_later(admitted_at, plan.admission_notice_business_days, plan.closure_dates)
    admission = Admission(
        admission_id="ADM-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(10)),
        member_id=member.profile.member_id, member_name=f"{member.profile.first_name} {member.profile.last_name}",
        facility_provider_id=facility, attending_provider_id=req.attending_provider_id,
        admitted_at=admitted_at, admission_type=req.admission_type, admitting_diagnosis=req.admitting_diagnosis,
        notified_at=now, notified_by=who.account_id, notice_due=due, late=now > due)
    entry = ADMISSION.entry("create", "notified", req.acting_for, admission, ask)
    if warnings:  # what the user confirmed, kept with the record's audit entry
        entry = replace(entry, detail={**entry.detail, "warnings_confirmed": sorted({w.code.value for w in warnings})})
    try:
        repositories().admissions.create(admission, entry)
    except UniqueKeyTaken:
        raise _already_notified(repositories().admissions.holder(admission.member_id, facility,
                                                                 admitted_at.date())) from None
    return view(admission)


def admission_warnings(member: Member, admitted_at: datetime, still_open: list[Admission],
                       scope: frozenset[str]) -> list[WarningView]:
    """What a notification should be checked for: the member's admissions without a discharge (named when the
    caller may open them; one at a facility outside the caller's scope only said to exist), and coverage on
    the admit date (the day as the facility gave it, in its own UTC offset)."""
    name = f"{member.profile.first_name} {member.profile.last_name}"
    warnings = [WarningView(
        code=AdmissionWarning.OPEN_ADMISSION, admission_id=a.admission_id,
        message=f"{name} has an admission still open at {a.facility_provider_id}: {a.admission_id}, admitted "
                f"{a.admitted_at:%m/%d/%Y}. Record its discharge if the member left; notify anyway if this is "
                "another stay.") for a in still_open if a.owner_id in scope]
    if any(a.owner_id not in scope for a in still_open):
        warnings.append(WarningView(
            code=AdmissionWarning.OPEN_ADMISSION,
            message=f"{name} has an admission at another facility with no discharge on file. Notify anyway if the "
                    "member was discharged or transferred from there."))
    day = admitted_at.date()
    if not any(coverage.covers(day) for coverage in member.coverages):
        warnings.append(WarningView(
            code=AdmissionWarning.NOT_COVERED,
            message=f"{name} is not covered by the plan on {day:%m/%d/%Y}, the admit date. Check the member's "
                    "eligibility; notify anyway if the plan should still know."))
    return warnings


def _confirm(warnings: list[WarningView]) -> Problem:
    return Problem(409, "confirm-warnings", "Check before notifying",
                   "Nothing was notified yet. Check each warning; to notify anyway, send the notification again "
                   "with the warnings' codes in confirmed_warnings.",
                   extra={"warnings": [w.model_dump(mode="json", exclude_none=True) for w in warnings]})


def _already_notified(admission_id: str | None) -> Problem:
    return Problem(409, "admission-exists", "This admission was already notified",
                   "The plan has a notification for this member at this facility on this admit date. Open it "
                   "to record the discharge.", extra={"admission_id": admission_id})


def open_admission(admission_id: str, acting_for: str, ask: Ask) -> AdmissionView:
    return view(ADMISSION.shown(ADMISSION.visible(admission_id, acting_for, ask), acting_for, ask))


def discharge(admission_id: str, req: DischargeRequest, ask: Ask) -> AdmissionView:
    now = ask.now
    admission = ADMISSION.changeable(admission_id, req.acting_for, ask)
    discharged_at = req.discharged_at.astimezone(UTC)
    if discharged_at < admission.admitted_at:
        raise invalid_fields([FieldError("discharged_at", "The discharge cannot be before the admission.", "range")])
    if discharged_at > now:  # the request model says so already; `now` is the request's own
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
        admitted_at=a.admitted_at, admission_type=a.admission_type,
        admitting_diagnosis=icd10cm_dotted(a.admitting_diagnosis),  # also one stored before codes were kept dotted
        notified_at=a.notified_at, late=a.late, notice_due=a.notice_due, discharged_at=a.discharged_at,
        disposition=a.disposition)

