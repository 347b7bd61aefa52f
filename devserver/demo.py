"""Demo data loaded when the devserver starts (provider roster, members, claims, ...).

Each loader gets the environment and a boto3 session bound to the embedded AWS. Loaders never
create accounts with passwords: people register through the pages like real users.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Loader = Callable[[Mapping[str, str], Any], None]


def _demo_roster(env: Mapping[str, str], session: Any) -> None:
    from devserver.roster import demo_roster

    demo_roster(env, session)


def _demo_portal_data(env: Mapping[str, str], session: Any) -> None:
    from devserver.load import demo_portal_data
    from functions.shared import clock

    demo_portal_data(env, session, clock.now().date())


def _demo_admissions(env: Mapping[str, str], session: Any) -> None:
    """Admissions the facility G1000001 notified: one still in hospital, one discharged, one notified late."""
    from datetime import timedelta

    from functions.shared import audit, clock
    from functions.shared.http import RequestMeta
    from functions.shared.plans import current_plan
    from functions.shared.states import AdmissionStatus, AdmissionType, DischargeDisposition
    from functions.shared.store import repositories
    from functions.shared.store.admissions import Admission
    from functions.shared.workflow import business_days_later

    now = clock.now().replace(minute=0, second=0, microsecond=0)
    window = current_plan().admission_notice_business_days
    meta = RequestMeta("demo", "127.0.0.1", "demo")
    for number, (member_id, name, admitted_days_ago, notified_after, discharged_days_ago, diagnosis) in enumerate([
        ("M100001", "Jane Doe", 2, timedelta(hours=3), None, "J18.9"),
        ("M100001", "Jane Doe", 40, timedelta(hours=20), 36, "K35.80"),
        ("M100002", "Carlos Rivera", 75, timedelta(days=4), 71, "I21.4"),
    ]):
        admitted = now - timedelta(days=admitted_days_ago, hours=6)
        due = business_days_later(admitted, window)
        discharged = now - timedelta(days=discharged_days_ago) if discharged_days_ago else None
        admission = Admission(
            admission_id=f"ADM-DEMO00000{number + 1}", member_id=member_id, member_name=name,
            facility_provider_id="G1000001", attending_provider_id="P2000001", admitted_at=admitted,
            admission_type=AdmissionType.INPATIENT, admitting_diagnosis=diagnosis,
            notified_at=admitted + notified_after, notified_by="demo", notice_due=due,
            late=admitted + notified_after > due,
            status=AdmissionStatus.DISCHARGED if discharged else AdmissionStatus.ADMITTED, discharged_at=discharged,
            disposition=DischargeDisposition.HOME if discharged else None)
        repositories().admissions.create(admission, audit.audit_event("demo.admission", "loaded", meta, now=now))


def _demo_authorizations(env: Mapping[str, str], session: Any) -> None:
    """Requests of G1000001 in every state: waiting (one past due), information asked, approved, denied."""
    from datetime import date, timedelta

    from functions.authorizations.logic import DECISION_TIME
    from functions.shared import audit, clock
    from functions.shared.http import RequestMeta
    from functions.shared.states import AuthorizationStatus as Status
    from functions.shared.states import AuthorizationUrgency as Urgency
    from functions.shared.store import repositories
    from functions.shared.store.authorizations import Authorization, Change, Event, ServiceRequest

    now = clock.now().replace(second=0, microsecond=0)
    meta = RequestMeta("demo", "127.0.0.1", "demo")
    store = repositories().authorizations
    for number, (urgency, hours_ago, code, diagnosis, outcome, note) in enumerate([
        (Urgency.STANDARD, 20, "73721", "M25.561", None, None),
        (Urgency.EXPEDITED, 80, "27447", "M17.11", None, None),  # past its 72-hour clock
        (Urgency.STANDARD, 50, "E0601", "G47.33", Status.MORE_INFO_REQUESTED, "Send the sleep study report."),
        (Urgency.STANDARD, 200, "97110", "M54.50", Status.APPROVED, "Meets the criteria for 12 visits."),
        (Urgency.EXPEDITED, 120, "70553", "R51.9", Status.DENIED,
         "Not medically necessary: no neurological findings documented."),
    ]):
        submitted = now - timedelta(hours=hours_ago)
        request = Authorization(
            authorization_id=f"PA-DEMO00000{number + 1}", member_id="M100001", member_name="Jane Doe",
            requesting_provider_id="G1000001", servicing_provider_id="P2000001",
            service_lines=(ServiceRequest(code, 12 if code == "97110" else 1),), diagnosis_codes=(diagnosis,),
            service_from=date.today() + timedelta(days=7), service_to=date.today() + timedelta(days=60),
            urgency=urgency, clinical_notes=None, submitted_at=submitted, submitted_by="demo",
            due_at=submitted + DECISION_TIME[urgency], history=(Event(submitted, "submitted", "provider"),))
        entry = audit.audit_event("demo.authorization", "loaded", meta, now=now)
        store.create(request, f"pa-idempotency#demo#{number}", entry)
        if outcome is not None:
            decided = outcome != Status.MORE_INFO_REQUESTED
            store.move(request.authorization_id, Status.PENDING,
                       Change(outcome, Event(submitted + timedelta(hours=30), outcome.value, "plan", note),
                              reason=note if decided else None, decided_by="demo" if decided else None),
                       audit.audit_event("demo.authorization", "decided", meta, now=now))  # records are insert-only


LOADERS: list[Loader] = [_demo_roster, _demo_portal_data, _demo_admissions, _demo_authorizations]


def load(env: Mapping[str, str], session: Any, loaders: list[Loader] | None = None) -> list[str]:
    """Run every loader in order; returns their names for the start-up banner."""
    done = []
    for loader in LOADERS if loaders is None else loaders:
        loader(env, session)
        done.append(getattr(loader, "__name__", repr(loader)))
    return done
