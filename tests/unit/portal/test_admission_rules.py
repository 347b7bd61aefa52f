"""Hospital admissions: notify once per member, facility and day; late after one business day; the
discharge once; nobody outside the facility's scope reads or writes one."""

from datetime import UTC, date, datetime, timedelta

import pytest

from functions.admissions.logic import discharge, notify, open_admission, search
from functions.admissions.models import AdmissionRequest, AdmissionSearch, DischargeRequest
from functions.shared.core.context import Ask
from functions.shared.core.errors import Problem
from functions.shared.store.admissions import AdmissionStatus
from tests.unit.access.given import META, caller
from tests.unit.portal.conftest import PLAN

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday
JANE = {"member_id": "M100001", "birth_date": date(1984, 3, 12)}


def filed(account_id: str = "office", now: datetime = NOW, **fields):
    values = {"acting_for": "G1000001", "facility_provider_id": "G1000001", "attending_provider_id": "P2000001",
              "admitted_at": now - timedelta(hours=5), "admission_type": "inpatient",
              "admitting_diagnosis": "j18.9", **JANE, **fields}
    return notify(_request(values), Ask(caller(account_id), PLAN, META, now))


def _request(values: dict) -> AdmissionRequest:
    return AdmissionRequest.model_validate(values)


def problem_of(call, *args, **kwargs) -> Problem:
    with pytest.raises(Problem) as caught:
        call(*args, **kwargs)
    return caught.value


@pytest.fixture
def office(repos, portal, monkeypatch):
    from functions.shared.core import clock

    monkeypatch.setattr(clock, "now", lambda: NOW)  # the request model refuses admissions in the future
    portal("office", "G1000001")
    return repos


def test_a_notification_on_time_is_stored_with_its_audit_record(office):
    admission = filed()
    assert admission.admission_id.startswith("ADM-") and admission.status == AdmissionStatus.ADMITTED
    assert (admission.member_name, admission.admitting_diagnosis, admission.late) == ("Jane Doe", "J18.9", False)
    assert office.admissions.audit[-1].action == "phi.admission.create"
    assert office.admissions.audit[-1].detail["member_id"] == "M100001"


def test_after_one_business_day_it_is_flagged_late(office):
    friday_night = datetime(2026, 2, 27, 23, 0, tzinfo=UTC)
    on_monday = filed(admitted_at=friday_night, now=datetime(2026, 3, 2, 22, 0, tzinfo=UTC))
    assert on_monday.late is False and on_monday.notice_due.date() == date(2026, 3, 2)  # weekends do not count
    late = filed(admitted_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC), member_id="M100004",
                 birth_date=date(1990, 1, 30))
    assert late.late is True


def test_the_same_member_facility_and_day_is_refused_and_named(office):
    first = filed()
    again = problem_of(filed, admitted_at=NOW - timedelta(hours=2))
    assert (again.status, again.slug, again.extra["admission_id"]) == (409, "admission-exists", first.admission_id)


def test_a_wrong_birth_date_or_a_bad_code_is_refused(office):
    assert problem_of(filed, birth_date=date(1984, 3, 13)).slug == "member-not-found"
    with pytest.raises(ValueError, match="admitting_diagnosis"):
        _request({"acting_for": "G1000001", "facility_provider_id": "G1000001", "admitted_at": NOW,
                  "admission_type": "inpatient", "admitting_diagnosis": "pneumonia", **JANE})
    with pytest.raises(ValueError, match="future"):
        _request({"acting_for": "G1000001", "facility_provider_id": "G1000001", "admission_type": "inpatient",
                  "admitted_at": NOW + timedelta(hours=1), "admitting_diagnosis": "J18.9", **JANE})


def test_the_discharge_is_recorded_once_and_never_before_the_admission(office):
    admission = filed()
    early = DischargeRequest(acting_for="G1000001", discharged_at=NOW - timedelta(days=1), disposition="home")
    assert problem_of(discharge, admission.admission_id, early, Ask(caller("office"), PLAN, META, NOW)).status == 422
    home = DischargeRequest(acting_for="G1000001", discharged_at=NOW - timedelta(hours=1), disposition="home")
    done = discharge(admission.admission_id, home, Ask(caller("office"), PLAN, META, NOW))
    assert done.status == AdmissionStatus.DISCHARGED and done.disposition == "home"
    twice = problem_of(discharge, admission.admission_id, home, Ask(caller("office"), PLAN, META, NOW))
    assert (twice.status, twice.slug) == (409, "already-discharged")


def test_another_provider_can_neither_file_nor_read_nor_discharge(office, portal):
    admission = filed()
    portal("solo", "P2000004")
    assert problem_of(filed, "solo", acting_for="P2000004").errors[0].field == "facility_provider_id"
    hidden = problem_of(open_admission, admission.admission_id, "P2000004", Ask(caller("solo"), PLAN, META, NOW))
    assert (hidden.status, hidden.slug) == (404, "admission-not-found")
    home = DischargeRequest(acting_for="P2000004", discharged_at=NOW, disposition="home")
    assert problem_of(discharge, admission.admission_id, home, Ask(caller("solo"), PLAN, META, NOW)).status == 404
    assert office.admissions.get(admission.admission_id).status == AdmissionStatus.ADMITTED


def test_the_facility_list_pages_newest_first(office):
    for hours in (30, 20, 10):
        member = {"member_id": "M100004", "birth_date": date(1990, 1, 30)} if hours == 20 else {}
        filed(admitted_at=NOW - timedelta(hours=hours), **(member or ({"member_id": "M100005",
                                                                      "birth_date": date(1962, 5, 18)}
                                                                     if hours == 10 else {})))
    query = {"acting_for": "G1000001", "facility_provider_id": "G1000001", "from_date": date(2026, 3, 1),
             "to_date": date(2026, 3, 4), "page_size": 2}
    first = search(AdmissionSearch(**query), Ask(caller("office"), PLAN, META, NOW))
    second = search(AdmissionSearch(**query, cursor=first.next_cursor), Ask(caller("office"), PLAN, META, NOW))
    times = [a.admitted_at for a in [*first.admissions, *second.admissions]]
    assert times == sorted(times, reverse=True) and len(times) == 3 and second.next_cursor is None
