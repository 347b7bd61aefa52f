"""The scheduled lifecycle jobs: inactivity warnings and deactivation, expiry of registrations never
activated, the end of delegations past their end date.

Each job walks the lifecycle index one day at a time (never a Scan), from the day after its progress
marker up to the day that falls due, and moves the marker only past days it finished completely: a
run stopped half-way (out of time, a failed account) is finished by the next, and a second run on
the same day reads nothing. Accounts of a day are handled in parallel, each on its own (one slow or
failing account does not hold up the rest); every change is one conditional transaction with its
audit record, so repeating it changes nothing. Failures are counted and named in the report, and the
run then fails so the schedule's retries and alarms see it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from enum import StrEnum

from aws_lambda_powertools import Logger
from pydantic import BaseModel

from functions.shared.core import audit
from functions.shared.core.audit import SystemOrigin
from functions.shared.core.errors import Problem
from functions.shared.core.lifecycle import LifecycleKind, lifecycle_key
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import AccountState
from functions.shared.services import delegations
from functions.shared.services.notify import lifecycle as mails
from functions.shared.services.notify.mail import send_mail
from functions.shared.store import repositories
from functions.shared.store.transactions import StaleWrite

logger = Logger(child=True)

WORKERS = 8
FIRST_RUN_LOOKBACK = timedelta(days=31)  # a job that never ran starts this far before its first due day
TIME_MARGIN_S = 20.0  # stop taking new accounts when less than this is left of the invocation
JOB_META = SystemOrigin("lifecycle-job")


class Outcome(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"  # no longer due (active again, already done): nothing to do
    FAILED = "failed"
    SKIPPED = "skipped"  # out of time: the next run takes it


class PhaseReport(BaseModel):
    phase: str
    through: date  # the newest day this phase covers
    days: list[date] = []  # the days read
    changed: int = 0
    unchanged: int = 0
    failed: list[str] = []  # account ids (no PII)
    complete: bool = True  # False: the next run continues where this one stopped


class JobReport(BaseModel):
    job: str
    as_of: date
    phases: list[PhaseReport]

    @property
    def failed(self) -> list[str]:
        return [a for p in self.phases for a in p.failed]


TimeLeft = Callable[[], float]
Act = Callable[[str, date], Outcome]


def run(job: str, plan: PlanProfile, now: datetime, time_left: TimeLeft) -> JobReport:
    try:
        phases = JOBS[job]
    except KeyError:
        raise ValueError(f"unknown job {job!r}; known: {', '.join(JOBS)}") from None
    today = now.date()
    return JobReport(job=job, as_of=today, phases=[phase(plan, now, today, time_left) for phase in phases])


# --- walking the index ---------------------------------------------------------------------------

def walk(marker: str, kind: LifecycleKind, through: date, act: Act, time_left: TimeLeft) -> PhaseReport:
    """Act on every account of the days after `marker`'s day up to `through`; move the marker past
    each day finished completely (and only while every earlier day was)."""
    lifecycle = repositories().lifecycle
    report = PhaseReport(phase=marker, through=through)
    last = lifecycle.done_through(marker)
    day = last + timedelta(days=1) if last else through - FIRST_RUN_LOOKBACK
    finished_so_far = True
    while day <= through:
        if time_left() < TIME_MARGIN_S:
            report.complete = False
            break
        report.days.append(day)
        outcomes = fan_out(lifecycle.on_day(kind, day), day, act, time_left)
        for account_id, outcome in outcomes:
            if outcome == Outcome.CHANGED:
                report.changed += 1
            elif outcome == Outcome.UNCHANGED:
                report.unchanged += 1
            elif outcome == Outcome.FAILED:
                report.failed.append(account_id)
        day_done = all(o in (Outcome.CHANGED, Outcome.UNCHANGED) for _, o in outcomes)
        finished_so_far = finished_so_far and day_done
        report.complete = report.complete and day_done
        if finished_so_far:
            lifecycle.finish_day(marker, day)
        day += timedelta(days=1)
    return report


def fan_out(account_ids: list[str], day: date, act: Act, time_left: TimeLeft) -> list[tuple[str, Outcome]]:
    """`act` on each account in parallel; an error is that account's failure only."""

    def one(account_id: str) -> Outcome:
        if time_left() < TIME_MARGIN_S:
            return Outcome.SKIPPED
        try:
            return act(account_id, day)
        except Exception:  # isolate: logged and reported, the others go on
            logger.exception("lifecycle job failed for an account", extra={"account_id": account_id})
            return Outcome.FAILED

    if not account_ids:
        return []
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(account_ids))) as pool:
        return list(zip(account_ids, pool.map(one, account_ids), strict=True))


# --- inactivity ----------------------------------------------------------------------------------

def deactivation_notices(plan: PlanProfile, now: datetime, today: date, time_left: TimeLeft) -> PhaseReport:
    """Mail every account deactivated for inactivity and not told yet (its mail failed before)."""
    return walk("deactivation-notice", LifecycleKind.DEACTIVATED, today,
                lambda account_id, day: _notify_deactivated(account_id, day, plan), time_left)


def deactivations(plan: PlanProfile, now: datetime, today: date, time_left: TimeLeft) -> PhaseReport:
    """Deactivate accounts whose last activity is the plan's inactivity period ago (or more)."""
    due = today - plan.inactivity_period

    def act(account_id: str, day: date) -> Outcome:
        key = lifecycle_key(LifecycleKind.ACTIVE, day)
        account = repositories().accounts.get(account_id)
        if account is None or account.state != AccountState.ACTIVE or account.lifecycle_day != key:
            return Outcome.UNCHANGED
        event = audit.audit_event("account.deactivate", "inactivity", JOB_META, subject=account_id, now=now,
                                  detail={"last_active_day": day.isoformat(), "by": "inactivity-job"})
        try:
            repositories().lifecycle.deactivate(account_id, key, now, event, notice_pending=True)
        except StaleWrite:
            return Outcome.UNCHANGED  # active again since it was read
        # Deactivated all the same if the mail fails: the notices phase retries it and reports it.
        with contextlib.suppress(Problem):
            _notify_deactivated(account_id, today, plan)
        return Outcome.CHANGED

    return walk("deactivate", LifecycleKind.ACTIVE, due, act, time_left)


def _notify_deactivated(account_id: str, day: date, plan: PlanProfile) -> Outcome:
    """Send the deactivation mail, then take the account out of the index (it is told, once)."""
    account = repositories().accounts.get(account_id)
    key = lifecycle_key(LifecycleKind.DEACTIVATED, day)
    if account is None or account.state != AccountState.DEACTIVATED or account.lifecycle_day != key:
        return Outcome.UNCHANGED
    # raises: the next run mails again; two overlapping runs queue one delivery id, delivered once
    send_mail(account.email, mails.deactivated_for_inactivity(plan), once_for=f"deactivated {account_id} {key}")
    repositories().lifecycle.notified(account_id, key)
    return Outcome.CHANGED


def warnings(plan: PlanProfile, now: datetime, today: date, time_left: TimeLeft) -> PhaseReport:
    """Warn, once, accounts that will be deactivated in `inactivity_warning_before` days."""
    warn_through = today - (plan.inactivity_period - plan.inactivity_warning_before)

    def act(account_id: str, day: date) -> Outcome:
        key = lifecycle_key(LifecycleKind.ACTIVE, day)
        lifecycle = repositories().lifecycle
        account = repositories().accounts.get(account_id)
        if account is None or account.state != AccountState.ACTIVE or account.lifecycle_day != key \
                or not lifecycle.mark_warned(account_id, key):
            return Outcome.UNCHANGED
        try:
            send_mail(account.email, mails.inactivity_warning(plan, day + plan.inactivity_period))
        except Problem:
            lifecycle.unmark_warned(account_id, key)  # the next run tries again
            raise
        return Outcome.CHANGED

    return walk("inactivity-warning", LifecycleKind.ACTIVE, warn_through, act, time_left)


# --- expiry --------------------------------------------------------------------------------------

def expiries(plan: PlanProfile, now: datetime, today: date, time_left: TimeLeft) -> PhaseReport:
    """Remove registrations never activated, `registration_grace` after their activation secret expired."""
    due = today - plan.registration_grace

    def act(account_id: str, day: date) -> Outcome:
        key = lifecycle_key(LifecycleKind.PENDING, day)
        account = repositories().accounts.get(account_id)
        if account is None or account.state != AccountState.PENDING_ACTIVATION or account.lifecycle_day != key:
            return Outcome.UNCHANGED
        # No PII: the random account id, the plan and the days only.
        event = audit.audit_event("account.expire", "removed", JOB_META, subject=account_id, now=now,
                                  detail={"plan": account.plan, "registered_day": account.created_at.date().isoformat(),
                                          "activation_expired_day": day.isoformat()})
        try:
            repositories().lifecycle.remove_registration(account, key, event)
        except StaleWrite:
            return Outcome.UNCHANGED
        return Outcome.CHANGED

    return walk("expire", LifecycleKind.PENDING, due, act, time_left)


# --- delegations ---------------------------------------------------------------------------------

def end_delegations(plan: PlanProfile, now: datetime, today: date, time_left: TimeLeft) -> PhaseReport:
    """End the delegations past their end (one Query of the sparse delegations-by-end index: only those in
    force, or ended by this job and not yet mailed), mail the delegates and the Provider IDs' administrators.
    Whatever a run leaves (out of time, a failed mail) stays in the index for the next."""
    due = repositories().links.delegations_ending(now)
    meta = SystemOrigin("delegation-job")

    def act(key: str, _day: date) -> Outcome:
        account_id, provider_id = key.split(" ", 1)
        ended = delegations.end_past_due(account_id, provider_id, plan, meta, now)
        return Outcome.CHANGED if ended else Outcome.UNCHANGED

    report = PhaseReport(phase="end-delegations", through=today, days=[today])
    for key, outcome in fan_out([f"{a} {p}" for a, p in due], today, act, time_left):
        if outcome == Outcome.CHANGED:
            report.changed += 1
        elif outcome == Outcome.UNCHANGED:
            report.unchanged += 1
        else:
            report.complete = False
            if outcome == Outcome.FAILED:
                report.failed.append(key)
    return report


# --- one-time migration ----------------------------------------------------------------------------

def backfill(plan: PlanProfile, now: datetime, today: date, time_left: TimeLeft) -> PhaseReport:
    """Give accounts stored before the lifecycle index their key (run by hand once, until complete):
    active ones count from their last activity (else activation), pending ones from their link's expiry."""
    lifecycle = repositories().lifecycle
    report = PhaseReport(phase="backfill", through=today)
    for account in lifecycle.unindexed():
        if time_left() < TIME_MARGIN_S:  # the next run goes on: indexed accounts are no longer read
            report.complete = False
            break
        if account.state == AccountState.ACTIVE:
            kind, since = LifecycleKind.ACTIVE, account.last_active_at or account.activated_at or account.created_at
        else:
            kind, since = LifecycleKind.PENDING, account.activation_expires_at or account.created_at
        if lifecycle.index(account.account_id, lifecycle_key(kind, since.date())):
            report.changed += 1
        else:
            report.unchanged += 1
    return report


Phase = Callable[[PlanProfile, datetime, date, TimeLeft], PhaseReport]
# Deactivations before warnings (an account due today is deactivated, not warned), then the notices
# whose mail failed (today's included).
JOBS: dict[str, tuple[Phase, ...]] = {
    "deactivate": (deactivations, warnings, deactivation_notices),
    "expire": (expiries,),
    "end-delegations": (end_delegations,),
    "backfill": (backfill,),  # once, by hand, after the first deployment of the lifecycle (not scheduled)
}
