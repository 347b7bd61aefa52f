"""The prior-authorization metrics a plan publishes for each calendar year (CMS-0057-F: 42 CFR 422.122(c) and its
Medicaid, CHIP and Exchange counterparts; due by March 31 for the year before), and their publication.

The rules, each one stated in METHOD as well (the published figures carry it):
- **Year of the decision.** A request counts in the calendar year, in US Eastern time (America/New_York), of its
  initial determination (`decided_at`), not of its submission: the rule reports a year's determinations, and a
  request submitted on 30 December and decided on 2 January has no outcome in the first year. The requests come
  from the by-decision-month index (`decided_between`), never a Scan.
- **Initial determinations only.** An appeal (`appeal_of` set) is not a new request: it is left out of the
  approved/denied/extended/time figures and counted through the request it appeals. "Approved after appeal" is,
  of the year's denials and partial approvals, the share whose appeal (`appeal_id`) was approved in full or in
  part, with appeals decided by the time the figures are computed (a later computation of the same year may
  count more).
- **Partial approvals are approvals** (the rule asks for approved and denied); their count is shown apart too.
- **Not determinations, not in scope.** Withdrawn requests are left out. Drugs are outside the rule: a request
  every service code of which is an HCPCS J code (J0000-J9999, drugs administered other than by mouth) is left
  out; one with any other code counts.
- **Extended.** The plan asked for more information (a `more_info_requested` history event) before deciding:
  the portal's decision clock has no other extension. "Extended and approved" is a share of all determinations.
- **Every door.** Requests from the portal, providers' systems (api) and the plan's data (import) count alike,
  whether decided in the portal or in the plan's core system.
- **Numbers.** Times are hours from `submitted_at` to `decided_at`; the median of an even count is the mean of
  the two middle times. Percentages and hours are rounded half up to one decimal, computed in decimal
  arithmetic from whole microseconds (the same data always gives the same figures); a figure with nothing to
  count is null, never 0 or NaN.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from functions.pa_metrics.models import ExcludedCounts, PublishedYears, UrgencyMetrics, YearMetrics
from functions.shared.core.audit import Origin, SystemOrigin
from functions.shared.core.business_days import OFFICE_TIME_ZONE
from functions.shared.core.errors import Problem
from functions.shared.store import audit as audit_log
from functions.shared.store import repositories
from functions.shared.store.authorizations import (
    APPEALABLE,
    Authorization,
    AuthorizationStatus,
    AuthorizationUrgency,
    DecidedIn,
    Door,
)

JOB = "pa-metrics"  # the yearly schedule's job (infra/routes.py SCHEDULES)
TIME_ZONE = OFFICE_TIME_ZONE.key  # the offices' calendar, as business days count it
DRUG_CODE = re.compile(r"J\d{4}")  # HCPCS Level II J codes: drugs administered other than by mouth
MORE_INFO_REQUESTED = AuthorizationStatus.MORE_INFO_REQUESTED.value  # its history event
APPROVED = (AuthorizationStatus.APPROVED, AuthorizationStatus.PARTIALLY_APPROVED)
DECIDED = (*APPROVED, AuthorizationStatus.DENIED)
DOORS: tuple[Door, ...] = ("portal", "api", "import")
_ONE_DECIMAL = Decimal("0.1")
_MICROS_PER_HOUR = Decimal(3_600_000_000)
SCHEDULE_ORIGIN = SystemOrigin("pa-metrics-schedule")

METHOD = (
    "Counts the plan's initial determinations on prior-authorization requests for items and services made in the "
    "calendar year, in US Eastern time (America/New_York). A request counts in the year of its decision, not of "
    "its submission: one submitted on 30 December and decided on 2 January counts in the year of 2 January. "
    "Requests count whether they came through the provider portal, a provider's system (API) or the plan's own "
    "systems, and whether the portal or the plan's core system recorded the decision. "
    "Approved includes partial approvals, which are also shown on their own; denied means denied in full. "
    "Left out: withdrawn requests (no determination); appeals, which are not new requests; and drugs, that is "
    "requests whose every service code is an HCPCS J code (J0000-J9999, drugs administered other than by mouth). "
    "Approved after appeal: of the year's denials and partial approvals, the share whose appeal was approved in "
    "full or in part, counting appeals decided by the time the figures were computed. "
    "Extended: the plan asked the provider for more information before deciding (the only extension of the "
    "review time); extended and approved is the share of all determinations that were both. "
    "Decision time: hours from the request to its initial determination; the median of an even number of "
    "requests is the mean of the two middle times. Percentages and hours are rounded half up to one decimal; "
    "a figure with nothing to count is left empty."
)
BASIS_COLUMNS = ("request", "urgency", "door", "decided_in", "submitted_at", "decided_at", "hours", "outcome",
                 "extended", "appeal", "appeal_outcome", "counted", "left_out_because")


class LeftOut(StrEnum):
    """Why a request decided in the year is not in the figures."""

    APPEAL = "appeal"
    DRUG = "drug"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class BasisRow:
    """One request decided in the year: what the figures read from it."""

    authorization_id: str
    urgency: AuthorizationUrgency
    door: Door
    decided_in: DecidedIn
    submitted_at: datetime
    decided_at: datetime
    outcome: AuthorizationStatus
    extended: bool
    appeal_id: str | None
    appeal_outcome: AuthorizationStatus | None
    left_out: LeftOut | None  # None: counted

    @property
    def micros(self) -> int:
        """Time to the initial determination, in whole microseconds (exact, unlike float hours)."""
        return (self.decided_at - self.submitted_at) // timedelta(microseconds=1)

    @property
    def approved_after_appeal(self) -> bool:
        return self.appeal_outcome in APPROVED


# --- the calendar year ----------------------------------------------------------------------------------


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The first moment of `year` and of the next, in New York, as UTC times."""
    return (datetime(year, 1, 1, tzinfo=OFFICE_TIME_ZONE).astimezone(UTC),
            datetime(year + 1, 1, 1, tzinfo=OFFICE_TIME_ZONE).astimezone(UTC))


def year_of(moment: datetime) -> int:
    """The calendar year in New York at `moment` (exact: the year changes on standard time)."""
    return moment.astimezone(OFFICE_TIME_ZONE).year


def refuse_unfinished(year: int, now: datetime) -> None:
    current = year_of(now)
    if year >= current:
        state = "has not ended" if year == current else "has not begun"
        raise Problem(409, "year-not-over", "The year is not over",
                      f"Metrics cover a whole calendar year; {year} {state} (US Eastern time). "
                      f"The latest year that can be computed is {current - 1}.")


# --- the rules --------------------------------------------------------------------------------------------


def left_out(a: Authorization) -> LeftOut | None:
    if a.appeal_of is not None:
        return LeftOut.APPEAL
    if a.status not in DECIDED:  # decisions are final: a decision time with another status is a later withdrawal
        return LeftOut.WITHDRAWN
    if a.service_lines and all(DRUG_CODE.fullmatch(line.code) for line in a.service_lines):
        return LeftOut.DRUG
    return None


def extended(a: Authorization) -> bool:
    return any(e.event == MORE_INFO_REQUESTED and (a.decided_at is None or e.at <= a.decided_at) for e in a.history)


def basis_row(a: Authorization, appeal: Authorization | None) -> BasisRow:
    assert a.decided_at is not None, "decided_between gives decided requests only"
    return BasisRow(authorization_id=a.authorization_id, urgency=a.urgency, door=a.door, decided_in=a.decided_in,
                    submitted_at=a.submitted_at, decided_at=a.decided_at, outcome=a.status, extended=extended(a),
                    appeal_id=a.appeal_id, appeal_outcome=appeal.status if appeal else None, left_out=left_out(a))


def percent(part: int, whole: int) -> float | None:
    if whole == 0:
        return None
    return float((Decimal(part * 100) / Decimal(whole)).quantize(_ONE_DECIMAL, ROUND_HALF_UP))


def _hours(micros: Decimal) -> float:
    return float((micros / _MICROS_PER_HOUR).quantize(_ONE_DECIMAL, ROUND_HALF_UP))


def average_hours(micros: Sequence[int]) -> float | None:
    return _hours(Decimal(sum(micros)) / Decimal(len(micros))) if micros else None


def median_hours(micros: Sequence[int]) -> float | None:
    if not micros:
        return None
    ordered, middle = sorted(micros), len(micros) // 2
    if len(ordered) % 2:
        return _hours(Decimal(ordered[middle]))
    return _hours(Decimal(ordered[middle - 1] + ordered[middle]) / 2)


def urgency_metrics(rows: Iterable[BasisRow], urgency: AuthorizationUrgency) -> UrgencyMetrics:
    counted = [r for r in rows if r.left_out is None and r.urgency == urgency]
    approved = [r for r in counted if r.outcome in APPROVED]
    partial = sum(1 for r in counted if r.outcome == AuthorizationStatus.PARTIALLY_APPROVED)
    denied = sum(1 for r in counted if r.outcome == AuthorizationStatus.DENIED)
    appealable = [r for r in counted if r.outcome in APPEALABLE]
    after_appeal = sum(1 for r in appealable if r.approved_after_appeal)
    longer = [r for r in counted if r.extended]
    longer_approved = sum(1 for r in longer if r.outcome in APPROVED)
    total, times = len(counted), [r.micros for r in counted]
    return UrgencyMetrics(
        determinations=total, approved=len(approved), partially_approved=partial, denied=denied,
        approved_percent=percent(len(approved), total), partially_approved_percent=percent(partial, total),
        denied_percent=percent(denied, total),
        appealable=len(appealable), appealed=sum(1 for r in appealable if r.appeal_id),
        approved_after_appeal=after_appeal, approved_after_appeal_percent=percent(after_appeal, len(appealable)),
        extended=len(longer), extended_approved=longer_approved,
        extended_approved_percent=percent(longer_approved, total),
        average_hours=average_hours(times), median_hours=median_hours(times))


def year_metrics(year: int, rows: Sequence[BasisRow], computed_at: datetime) -> YearMetrics:
    first, last = year_bounds(year)
    doors = Counter(r.door for r in rows if r.left_out is None)
    reasons = Counter(r.left_out for r in rows if r.left_out is not None)
    return YearMetrics(
        year=year, time_zone=TIME_ZONE, period_start=first, period_end=last, computed_at=computed_at,
        standard=urgency_metrics(rows, AuthorizationUrgency.STANDARD),
        expedited=urgency_metrics(rows, AuthorizationUrgency.EXPEDITED),
        by_door={door: doors[door] for door in DOORS},
        excluded=ExcludedCounts(appeals=reasons[LeftOut.APPEAL], drugs=reasons[LeftOut.DRUG],
                                withdrawn=reasons[LeftOut.WITHDRAWN]),
        method=METHOD)


def basis_csv(rows: Sequence[BasisRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(BASIS_COLUMNS)
    for r in rows:
        writer.writerow([r.authorization_id, r.urgency.value, r.door, r.decided_in, _iso(r.submitted_at),
                         _iso(r.decided_at), f"{_hours(Decimal(r.micros)):.1f}", r.outcome.value,
                         "yes" if r.extended else "no", r.appeal_id or "",
                         r.appeal_outcome.value if r.appeal_outcome else "", "no" if r.left_out else "yes",
                         r.left_out.value if r.left_out else ""])
    return out.getvalue().encode()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- on the store -------------------------------------------------------------------------------------------


def basis(year: int) -> list[BasisRow]:
    """Every request decided in `year`, in decision order, with the outcome of its appeal where it counts."""
    first, last = year_bounds(year)
    store = repositories().authorizations
    rows: list[BasisRow] = []
    for a in store.decided_between(first, last):
        appeal = None
        if a.appeal_id and a.status in APPEALABLE and left_out(a) is None:
            appeal = store.get(a.appeal_id)
        rows.append(basis_row(a, appeal))
    return rows


def publish(year: int, now: datetime, origin: Origin, by: str) -> YearMetrics:
    """Compute a past year's metrics and publish them with their basis (replacing an earlier computation),
    then audit the publication (a failed audit write fails the call: its retry publishes again)."""
    refuse_unfinished(year, now)
    rows = basis(year)
    metrics = year_metrics(year, rows, now)
    repositories().metrics_files.publish(year, metrics.model_dump_json().encode(), basis_csv(rows))
    audit_log.record("pa_metrics.publish", "published", origin, subject=by, now=now,
                     detail={"year": year, "requests": len(rows),
                             "determinations": metrics.standard.determinations + metrics.expedited.determinations})
    return metrics


def scheduled(job: str, now: datetime) -> YearMetrics:
    """The yearly schedule's run: the year before the current one."""
    if job != JOB:
        raise ValueError(f"unknown job {job!r}")  # a misrouted event fails loudly (retries, then dead letters)
    return publish(year_of(now) - 1, now, SCHEDULE_ORIGIN, SCHEDULE_ORIGIN.process)


def run_day(as_of: str | None, now: datetime) -> datetime:
    """A run's 'now': the clock, or the given day at the current time of day (runs of a chosen day)."""
    if not as_of:
        return now
    return datetime.combine(date.fromisoformat(as_of), now.astimezone(UTC).timetz())


def published_years() -> PublishedYears:
    years = repositories().metrics_files.years()
    return PublishedYears(years=years, latest=years[0] if years else None)


def published(year: int) -> YearMetrics:
    stored = repositories().metrics_files.published(year)
    if stored is None:
        raise Problem(404, "metrics-not-published", "Not published",
                      f"No prior-authorization metrics are published for {year}. "
                      "GET /public/prior-authorization-metrics lists the years that are.")
    return YearMetrics.model_validate_json(stored)


def basis_file(year: int, now: datetime, origin: Origin, by: str) -> bytes:
    """The per-request basis of a published year, for staff (the read is audited)."""
    stored = repositories().metrics_files.basis(year)
    if stored is None:
        raise Problem(404, "metrics-not-published", "Not published",
                      f"{year} has no published metrics, so no basis: compute it first "
                      f"(POST /staff/prior-authorization-metrics/{year}).")
    audit_log.record("pa_metrics.basis", "downloaded", origin, subject=by, now=now, detail={"year": year})
    return stored
