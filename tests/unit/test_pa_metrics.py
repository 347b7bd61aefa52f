"""The yearly prior-authorization metrics on the in-memory store: a generated year whose outcomes and times are
known gives exactly the expected percentages, averages and medians; the year of the decision counts (US Eastern
time); appeals, partial approvals, withdrawals, drug-only requests and extended reviews count as the rules say;
an empty year is nulls, not zeros."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from functions.pa_metrics import logic
from functions.pa_metrics.models import UrgencyMetrics, YearMetrics
from functions.shared.core.errors import Problem
from functions.shared.core.http import RequestMeta
from functions.shared.store import Repositories
from functions.shared.store.authorizations import (
    API_CLIENT,
    IMPORTED,
    Authorization,
    AuthorizationStatus,
    AuthorizationUrgency,
    Event,
    ServiceRequest,
)
from infra.routes import PA_METRICS, SCHEDULES

S = AuthorizationStatus
YEAR = 2025
NOW = datetime(2026, 1, 15, 11, 0, tzinfo=UTC)  # the schedule's day, 6:00 in New York
META = RequestMeta("req-1", "198.51.100.7", "pytest")
STAFF = "arn:aws:sts::123456789012:assumed-role/um-staff/pat"


class Year:
    """Requests written straight into the in-memory repository, each with a known outcome and time."""

    def __init__(self, repos: Repositories) -> None:
        self.store = repos.authorizations
        self.count = 0

    def add(self, status: S, *, hours: float = 10.0, submitted: datetime | None = None,
            urgency: str = "standard", codes: tuple[str, ...] = ("97110",), extended: bool = False,
            by: str = "acct-office", decided_in: str = "portal", appeal_of: str | None = None) -> Authorization:
        self.count += 1
        number = f"PA-{self.count:010d}"
        at = submitted or datetime(YEAR, 3, 1, 14, tzinfo=UTC) + timedelta(days=self.count)
        decided = at + timedelta(hours=hours) if status != S.PENDING else None
        history = [Event(at, "appealed" if appeal_of else "submitted", "provider")]
        if extended:
            history += [Event(at + timedelta(hours=1), "more_info_requested", "plan", "Send the notes."),
                        Event(at + timedelta(hours=2), "information_sent", "provider")]
        if decided is not None and status != S.WITHDRAWN:
            history.append(Event(decided, status.value, "plan"))
        if status == S.WITHDRAWN:  # the plan's data: decided, then withdrawn
            history += [Event(at + timedelta(hours=hours), "approved", "plan"),
                        Event(at + timedelta(hours=hours + 1), "withdrawn", "provider")]
        lines = tuple(ServiceRequest(code, 1, 1 if status == S.APPROVED else None) for code in codes)
        made = Authorization(
            authorization_id=number, member_id="M100001", member_name="Jane Doe",
            requesting_provider_id="G1000001", servicing_provider_id="P2000001", service_lines=lines,
            diagnosis_codes=("M54.50",), service_from=date(YEAR, 4, 1), service_to=date(YEAR, 5, 1),
            urgency=AuthorizationUrgency(urgency), clinical_notes=None, submitted_at=at, submitted_by=by,
            due_at=at + timedelta(days=7), status=status, decided_at=decided,
            decided_by="plan" if decided else None, decided_in=decided_in,  # type: ignore[arg-type]
            history=tuple(history), appeal_of=appeal_of)
        self.store.requests[number] = made
        if appeal_of:
            appealed = self.store.requests[appeal_of]
            self.store.requests[appeal_of] = replace(appealed, appeal_id=number)
        return made

    def appeal(self, of: Authorization, status: S, **fields: object) -> Authorization:
        return self.add(status, appeal_of=of.authorization_id, **fields)  # type: ignore[arg-type]


def published(repos: Repositories, year: int = YEAR) -> YearMetrics:
    return YearMetrics.model_validate_json(repos.metrics_files.published(year))


def empty() -> dict[str, object]:
    return {"determinations": 0, "approved": 0, "partially_approved": 0, "denied": 0, "approved_percent": None,
            "partially_approved_percent": None, "denied_percent": None, "appealable": 0, "appealed": 0,
            "approved_after_appeal": 0, "approved_after_appeal_percent": None, "extended": 0,
            "extended_approved": 0, "extended_approved_percent": None, "average_hours": None,
            "median_hours": None}


def test_a_generated_year_gives_exactly_the_expected_figures(repos):
    year = Year(repos)
    # Standard: 10 initial determinations taking 1..9 and 100 hours (mean 14.5, median (5 + 6) / 2 = 5.5)
    for h in (1, 2, 3):
        year.add(S.APPROVED, hours=h)
    year.add(S.APPROVED, hours=4, by=f"{API_CLIENT}ehr-1")  # a provider's system
    year.add(S.APPROVED, hours=5, by=IMPORTED, decided_in="core")  # the plan's data, decided in its core system
    year.add(S.APPROVED, hours=6, codes=("J1100", "96372"))  # a drug and its administration: not drug-only
    partial_1 = year.add(S.PARTIALLY_APPROVED, hours=7, extended=True)
    year.add(S.PARTIALLY_APPROVED, hours=8)  # not appealed
    denied_1 = year.add(S.DENIED, hours=9, extended=True)
    denied_2 = year.add(S.DENIED, hours=100)
    # Appeals: of the 4 denials and partial approvals, 3 appealed, 2 approved (in full or in part) on appeal
    year.appeal(denied_1, S.APPROVED, hours=30)
    year.appeal(partial_1, S.PARTIALLY_APPROVED, hours=40)
    year.appeal(denied_2, S.DENIED, submitted=datetime(YEAR, 12, 20, tzinfo=UTC), hours=24 * 20)  # decided 2026
    # Expedited: 3 determinations (2.5, 20 and 30 hours 5 minutes: mean 17.5277.. -> 17.5, median 20.0)
    year.add(S.APPROVED, hours=2.5, urgency="expedited", extended=True)
    exp_denied = year.add(S.DENIED, hours=20, urgency="expedited")
    year.add(S.DENIED, hours=30 + 5 / 60, urgency="expedited")
    # Left out: a drug-only request, a withdrawal after a decision, a request still waiting
    year.add(S.DENIED, hours=3, codes=("J9035", "J2505"))
    year.add(S.WITHDRAWN, hours=5)
    year.add(S.PENDING)
    year.appeal(exp_denied, S.PENDING)  # not decided yet: the denial is appealed, not approved after appeal

    logic.publish(YEAR, NOW, META, STAFF)
    figures = published(repos)

    assert figures.standard == UrgencyMetrics(
        determinations=10, approved=8, partially_approved=2, denied=2, approved_percent=80.0,
        partially_approved_percent=20.0, denied_percent=20.0, appealable=4, appealed=3, approved_after_appeal=2,
        approved_after_appeal_percent=50.0, extended=2, extended_approved=1, extended_approved_percent=10.0,
        average_hours=14.5, median_hours=5.5)
    assert figures.expedited == UrgencyMetrics(
        determinations=3, approved=1, partially_approved=0, denied=2, approved_percent=33.3,
        partially_approved_percent=0.0, denied_percent=66.7, appealable=2, appealed=1, approved_after_appeal=0,
        approved_after_appeal_percent=0.0, extended=1, extended_approved=1, extended_approved_percent=33.3,
        average_hours=17.5, median_hours=20.0)
    assert figures.by_door == {"portal": 11, "api": 1, "import": 1}
    assert (figures.excluded.appeals, figures.excluded.drugs, figures.excluded.withdrawn) == (2, 1, 1)
    assert (figures.year, figures.time_zone, figures.computed_at) == (YEAR, "America/New_York", NOW)
    assert (figures.period_start, figures.period_end) == (datetime(2025, 1, 1, 5, tzinfo=UTC),
                                                          datetime(2026, 1, 1, 5, tzinfo=UTC))
    assert "year of its decision" in figures.method and "J0000-J9999" in figures.method
    # The publication is audited, naming the staff member and the year
    (entry,) = repos.audit.entries
    assert (entry.action, entry.outcome, entry.subject, entry.detail["year"]) == (
        "pa_metrics.publish", "published", STAFF, YEAR)
    assert entry.detail == {"year": YEAR, "requests": 17, "determinations": 13}


def test_the_basis_lists_every_request_decided_in_the_year_with_why_it_counts_or_not(repos):
    year = Year(repos)
    denied = year.add(S.DENIED, hours=49.25, extended=True, by=IMPORTED, decided_in="core")
    appeal = year.appeal(denied, S.PARTIALLY_APPROVED, submitted=datetime(YEAR, 3, 5, tzinfo=UTC), hours=12)
    drug = year.add(S.APPROVED, hours=48, codes=("J0135",))
    logic.publish(YEAR, NOW, META, STAFF)
    rows = list(csv.DictReader(io.StringIO(repos.metrics_files.basis(YEAR).decode())))
    assert [r["request"] for r in rows] == [denied.authorization_id, appeal.authorization_id, drug.authorization_id]
    assert rows[0] == {
        "request": denied.authorization_id, "urgency": "standard", "door": "import", "decided_in": "core",
        "submitted_at": "2025-03-02T14:00:00Z", "decided_at": "2025-03-04T15:15:00Z", "hours": "49.3",
        "outcome": "denied", "extended": "yes", "appeal": appeal.authorization_id,
        "appeal_outcome": "partially_approved", "counted": "yes", "left_out_because": ""}
    assert [(r["counted"], r["left_out_because"]) for r in rows[1:]] == [("no", "appeal"), ("no", "drug")]
    assert published(repos).standard.approved_after_appeal_percent == 100.0


def test_a_request_counts_in_the_new_york_year_of_its_decision(repos):
    year = Year(repos)
    # Submitted 30 December 2024, decided 2 January 2025: no outcome in 2024, a determination of 2025
    across = year.add(S.APPROVED, submitted=datetime(2024, 12, 30, 15, tzinfo=UTC), hours=24 * 3)
    # 23:30 on 31 December in New York is already 2026 in UTC: still 2025
    late = year.add(S.DENIED, submitted=datetime(2025, 12, 31, 20, tzinfo=UTC), hours=8.5)
    # 00:30 on 1 January 2026 in New York: 2026
    year.add(S.APPROVED, submitted=datetime(2025, 12, 31, 20, tzinfo=UTC), hours=9.5)
    assert [r.authorization_id for r in logic.basis(2025)] == [across.authorization_id, late.authorization_id]
    assert [r.authorization_id for r in logic.basis(2024)] == []
    assert len(logic.basis(2026)) == 1


def test_an_empty_year_is_published_with_nulls_not_zeros(repos):
    logic.publish(2019, NOW, META, STAFF)
    figures = published(repos, 2019)
    assert figures.standard.model_dump() == figures.expedited.model_dump() == empty()
    assert figures.by_door == {"portal": 0, "api": 0, "import": 0}
    stored = json.loads(repos.metrics_files.published(2019))
    assert stored["standard"]["median_hours"] is None and stored["standard"]["approved_percent"] is None
    assert repos.metrics_files.basis(2019).decode() == ",".join(logic.BASIS_COLUMNS) + "\r\n"


@pytest.mark.parametrize(("now", "year"), [
    (NOW, 2026),  # the current year
    (NOW, 2031),  # a year to come
    (datetime(2026, 1, 1, 4, 30, tzinfo=UTC), 2025),  # 23:30 on 31 December in New York
])
def test_a_year_that_is_not_over_is_refused(repos, now, year):
    with pytest.raises(Problem) as refused:
        logic.publish(year, now, META, STAFF)
    assert (refused.value.status, refused.value.slug) == (409, "year-not-over")
    assert f"{logic.year_of(now) - 1}" in refused.value.detail
    assert repos.metrics_files.years() == [] and repos.audit.entries == []


def test_a_year_is_over_at_midnight_in_new_york(repos):
    logic.publish(2025, datetime(2026, 1, 1, 5, tzinfo=UTC), META, STAFF)
    assert logic.published_years().model_dump() == {"years": [2025], "latest": 2025}


def test_publishing_again_replaces_the_year_and_years_list_newest_first(repos):
    year = Year(repos)
    logic.publish(2024, NOW, META, STAFF)
    logic.publish(YEAR, NOW, META, STAFF)
    year.add(S.APPROVED)
    logic.publish(YEAR, NOW + timedelta(days=1), META, STAFF)
    assert logic.published_years().model_dump() == {"years": [2025, 2024], "latest": 2025}
    assert logic.published(YEAR).standard.determinations == 1
    assert logic.published(YEAR).computed_at == NOW + timedelta(days=1)
    with pytest.raises(Problem) as missing:
        logic.published(2023)
    assert (missing.value.status, missing.value.slug) == (404, "metrics-not-published")
    assert logic.published_years().model_dump() == {"years": [2025, 2024], "latest": 2025}


def test_no_year_published_yet(repos):
    assert logic.published_years().model_dump() == {"years": [], "latest": None}
    with pytest.raises(Problem) as missing:
        logic.basis_file(2025, NOW, META, STAFF)
    assert missing.value.status == 404 and repos.audit.entries == []


def test_reading_the_basis_is_audited(repos):
    Year(repos).add(S.APPROVED)
    logic.publish(YEAR, NOW, META, STAFF)
    content = logic.basis_file(YEAR, NOW, META, STAFF)
    assert content.startswith(b"request,urgency,door")
    assert repos.audit.actions(STAFF) == [("pa_metrics.publish", "published"), ("pa_metrics.basis", "downloaded")]


def test_the_schedule_publishes_the_year_before(repos):
    (schedule,) = [s for s in SCHEDULES if s.function == PA_METRICS]
    assert schedule.job == logic.JOB and (schedule.month, schedule.day) == (1, 15)
    Year(repos).add(S.APPROVED)
    assert logic.scheduled(logic.JOB, NOW).year == 2025
    assert repos.audit.actions("pa-metrics-schedule") == [("pa_metrics.publish", "published")]
    with pytest.raises(ValueError, match="unknown job"):
        logic.scheduled("deactivate", NOW)


def test_a_run_of_a_chosen_day_keeps_the_time_of_day():
    assert logic.run_day(None, NOW) == NOW
    assert logic.run_day("2027-01-15", NOW) == datetime(2027, 1, 15, 11, tzinfo=UTC)


@pytest.mark.parametrize(("part", "whole", "expected"), [
    (1, 16, 6.3),  # 6.25: half up, not to even
    (2, 3, 66.7), (1, 3, 33.3), (0, 5, 0.0), (5, 5, 100.0), (0, 0, None),
])
def test_percentages_round_half_up_and_are_null_without_a_denominator(part, whole, expected):
    assert logic.percent(part, whole) == expected


def test_medians_and_means_of_hours():
    hour = 3_600_000_000
    assert logic.median_hours([]) is None and logic.average_hours([]) is None
    assert logic.median_hours([3 * hour, 1 * hour, 2 * hour]) == 2.0
    assert logic.median_hours([4 * hour, 1 * hour, 2 * hour, 3 * hour]) == 2.5  # the mean of the middle two
    assert logic.median_hours([hour // 4, hour // 2]) == 0.4  # 0.375: half up
    assert logic.average_hours([hour, 2 * hour]) == 1.5
