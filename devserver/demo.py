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
    """Members, coverage, claims and prior authorizations, as one FHIR NDJSON extract through the loader."""
    from devserver.load import demo_portal_data
    from functions.shared.core import clock

    demo_portal_data(env, session, clock.now().date())


def _demo_admissions(env: Mapping[str, str], session: Any) -> None:
    """Admissions the facility G1000001 notified: one still in hospital, one discharged, one notified late."""
    from datetime import timedelta

    from functions.shared.core import audit, clock
    from functions.shared.core.business_days import business_days_later
    from functions.shared.core.plans import current_plan
    from functions.shared.store import repositories
    from functions.shared.store.admissions import Admission, AdmissionStatus, AdmissionType, DischargeDisposition

    now = clock.now().replace(minute=0, second=0, microsecond=0)
    plan = current_plan()
    meta = audit.SystemOrigin("demo-data", "demo")
    for number, (member_id, name, admitted_days_ago, notified_after, discharged_days_ago, diagnosis) in enumerate([
        ("M100001", "Jane Doe", 2, timedelta(hours=3), None, "J18.9"),
        ("M100001", "Jane Doe", 40, timedelta(hours=20), 36, "K35.80"),
        ("M100002", "Carlos Rivera", 75, timedelta(days=4), 71, "I21.4"),
    ]):
        admitted = now - timedelta(days=admitted_days_ago, hours=6)
        due = business_days_later(admitted, plan.admission_notice_business_days, plan.closure_dates)
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


LOADERS: list[Loader] = [_demo_roster, _demo_portal_data, _demo_admissions]


def load(env: Mapping[str, str], session: Any, loaders: list[Loader] | None = None) -> list[str]:
    """Run every loader in order; returns their names for the start-up banner."""
    done = []
    for loader in LOADERS if loaders is None else loaders:
        loader(env, session)
        done.append(getattr(loader, "__name__", repr(loader)))
    return done
