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


def test_a_second_open_admission_is_a_warning_to_confirm_not_a_refusal(office):
    first = filed(admitted_at=NOW - timedelta(days=2))
    warned = problem_of(filed)
    assert (warned.status, warned.slug) == (409, "confirm-warnings")
    [warning] = warned.extra["warnings"]
    assert (warning["code"], warning["admission_id"]) == ("open-admission", first.admission_id)
    assert first.admission_id in warning["message"] and "Jane Doe" in warning["message"]
    assert office.audit.actions("office")[-1] == ("phi.admission.create", "warned")
    again = filed(confirmed_warnings=["open-admission"])  # the user saw it and notifies anyway
    assert again.admission_id != first.admission_id
    assert office.admissions.audit[-1].detail["warnings_confirmed"] == ["open-admission"]
    # once the first stay is discharged, nothing to warn about
    discharge(first.admission_id, DischargeRequest(acting_for="G1000001", discharged_at=NOW - timedelta(days=1),
                                                   disposition="home"), Ask(caller("office"), PLAN, META, NOW))
    assert filed(member_id="M100004", birth_date=date(1990, 1, 30)).late is False


def test_an_open_admission_elsewhere_is_said_without_its_facility_or_number(office, portal):
    portal("solo", "P2000004")
    elsewhere = filed("solo", acting_for="P2000004", facility_provider_id="P2000004", attending_provider_id=None,
                      admitted_at=NOW - timedelta(days=3))
    warned = problem_of(filed)
    [warning] = warned.extra["warnings"]
    assert warning["code"] == "open-admission" and "admission_id" not in warning
    assert elsewhere.admission_id not in warning["message"] and "P2000004" not in warning["message"]


def test_a_member_not_covered_on_the_admit_date_is_a_warning_too(office):
    # Carlos Rivera's coverage ended on the last day of the month before the demo extract's day
    carlos = {"member_id": "M100002", "birth_date": date(1975, 7, 4)}
    warned = problem_of(filed, **carlos)
    assert [w["code"] for w in warned.extra["warnings"]] == ["not-covered"]
    assert f"{(NOW - timedelta(hours=5)):%m/%d/%Y}" in warned.extra["warnings"][0]["message"]
    with pytest.raises(Problem):  # confirming another warning does not confirm this one
        filed(**carlos, confirmed_warnings=["open-admission"])
    assert filed(**carlos, confirmed_warnings=["not-covered"]).member_name == "Carlos Rivera"


def test_the_same_stay_again_is_named_before_any_warning(office):
    first = filed()
    again = problem_of(filed, admitted_at=NOW - timedelta(hours=1), confirmed_warnings=["open-admission"])
    assert (again.slug, again.extra["admission_id"]) == ("admission-exists", first.admission_id)


def test_a_code_typed_without_its_dot_is_stored_and_shown_dotted(office):
    admission = filed(admitting_diagnosis="j189")
    assert admission.admitting_diagnosis == "J18.9"
    assert office.admissions.get(admission.admission_id).admitting_diagnosis == "J18.9"


def test_holidays_and_the_plans_closures_are_not_business_days(office, monkeypatch):
    from functions.shared.core import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 30, 14, 0, tzinfo=UTC))
    wednesday = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # the day before Thanksgiving
    on_friday = filed(admitted_at=wednesday, now=datetime(2026, 11, 27, 14, 0, tzinfo=UTC))
    assert on_friday.late is False and on_friday.notice_due.date() == date(2026, 11, 27)
    closed = PLAN.model_copy(update={"closure_dates": (date(2026, 11, 27),)})
    notice = notify(_request({"acting_for": "G1000001", "facility_provider_id": "G1000001", "admitted_at": wednesday,
                              "admission_type": "inpatient", "admitting_diagnosis": "J18.9",
                              "member_id": "M100004", "birth_date": date(1990, 1, 30)}),
                    Ask(caller("office"), closed, META, datetime(2026, 11, 30, 14, 0, tzinfo=UTC)))
    assert notice.late is False and notice.notice_due.date() == date(2026, 11, 30)
