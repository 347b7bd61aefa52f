"""The lifecycle jobs' rules on in-memory repositories: which day falls due, once, and resumably."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.jobs import logic
from functions.shared.core.lifecycle import active_key, pending_key
from functions.shared.core.plans import plan_profile
from functions.shared.core.states import AccountState
from functions.shared.store.accounts import EMAIL_KEY
from functions.shared.store.devices import DeviceRecord
from tests.unit.identity import active_account

DAY0 = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)
PLAN = plan_profile("caresource")
WARNING = "inactivity_warning"
DEACTIVATED = "deactivated_inactivity"


@pytest.fixture
def mails(monkeypatch) -> list[tuple[str, str]]:
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(logic, "send_mail", lambda to, mail, **_: sent.append((to, mail.kind)))
    return sent


def run(day: int, job: str = "deactivate", time_left=lambda: 300.0) -> logic.JobReport:
    return logic.run(job, PLAN, DAY0 + timedelta(days=day), time_left)


def last_active_on_day0(repos, account_id: str = "acct-1", email: str = "jane.doe@clinic.example"):
    return active_account(repos, account_id=account_id, email=email, lifecycle_day=active_key(DAY0))


@pytest.mark.parametrize(("day", "state", "kinds"), [
    (49, AccountState.ACTIVE, []),
    (50, AccountState.ACTIVE, [WARNING]),
    (59, AccountState.ACTIVE, []),  # warned on day 50 only if the job ran then; see the next test
    (60, AccountState.DEACTIVATED, [DEACTIVATED]),
    (61, AccountState.DEACTIVATED, [DEACTIVATED]),
])
def test_a_single_run_on_day_n(repos, mails, day, state, kinds):
    last_active_on_day0(repos)
    run(day)
    assert repos.accounts.get("acct-1").state == state
    if day == 59:  # first run ever on day 59: the warning is late, but it is sent
        kinds = [WARNING]
    assert [kind for _, kind in mails] == kinds


def test_daily_runs_warn_once_on_day_50_and_deactivate_on_day_60(repos, mails):
    last_active_on_day0(repos)
    for day in range(40, 70):
        run(day)
        if day in (50, 60):
            run(day)  # twice on those days
    assert mails == [("jane.doe@clinic.example", WARNING), ("jane.doe@clinic.example", DEACTIVATED)]
    assert repos.accounts.get("acct-1").deactivated_at == DAY0 + timedelta(days=60)


def test_deactivation_revokes_sessions_and_devices_and_keeps_the_audit(repos, mails):
    last_active_on_day0(repos)
    repos.devices.put(DeviceRecord("d-hash", "d1", "acct-1", "Chrome on Linux", DAY0, DAY0 + timedelta(days=90)))
    run(60)
    assert repos.devices.of_account("acct-1") == []
    assert ("account.deactivate", "inactivity") in repos.audit.actions()


def test_the_second_run_of_a_day_reads_nothing(repos, mails):
    last_active_on_day0(repos)
    run(60)
    before = len(repos.lifecycle.queries)
    second = run(60)
    assert len(repos.lifecycle.queries) == before and all(p.days == [] for p in second.phases)


def test_the_due_day_is_read_from_the_index_only(repos, mails):
    last_active_on_day0(repos)
    run(59)
    run(60)
    deactivate_reads = [q for q in repos.lifecycle.queries[-3:]]
    assert "active#2027-01-04" in deactivate_reads  # day 0, read on day 60


def test_activity_after_the_warning_starts_a_new_period(repos, mails):
    last_active_on_day0(repos)
    run(50)
    repos.lifecycle.record_activity("acct-1", "no-session", DAY0 + timedelta(days=55))
    for day in range(56, 106):
        run(day)
    assert repos.accounts.get("acct-1").state == AccountState.ACTIVE
    assert [kind for _, kind in mails] == [WARNING, WARNING]  # day 50, then day 105 for the new period
    run(115)
    assert repos.accounts.get("acct-1").state == AccountState.DEACTIVATED


def test_an_interrupted_run_is_finished_by_the_next(repos, mails, monkeypatch):
    for i in range(5):
        last_active_on_day0(repos, account_id=f"acct-{i}", email=f"user{i}@clinic.example")
    monkeypatch.setattr(logic, "WORKERS", 1)
    first = run(60, time_left=lambda: 300.0 if len(mails) < 2 else 0.0)
    deactivate = next(p for p in first.phases if p.phase == "deactivate")
    assert deactivate.changed == 2 and not deactivate.complete
    assert repos.lifecycle.done_through("deactivate") < DAY0.date()  # the marker stays before the day
    run(60)
    states = [repos.accounts.get(f"acct-{i}").state for i in range(5)]
    assert states == [AccountState.DEACTIVATED] * 5
    assert sorted(to for to, kind in mails if kind == DEACTIVATED) == [f"user{i}@clinic.example" for i in range(5)]


def test_one_failing_account_does_not_stop_the_others_and_is_reported(repos, mails, monkeypatch):
    for i in range(3):
        last_active_on_day0(repos, account_id=f"acct-{i}", email=f"user{i}@clinic.example")
    real = repos.lifecycle.deactivate

    def broken(account_id, *args, **kwargs):
        if account_id == "acct-1":
            raise RuntimeError("throttled")
        return real(account_id, *args, **kwargs)

    monkeypatch.setattr(repos.lifecycle, "deactivate", broken)
    report = run(60)
    assert report.failed == ["acct-1"]
    assert repos.accounts.get("acct-0").state == repos.accounts.get("acct-2").state == AccountState.DEACTIVATED
    monkeypatch.setattr(repos.lifecycle, "deactivate", real)
    assert run(60).failed == [] and repos.accounts.get("acct-1").state == AccountState.DEACTIVATED


def test_a_warning_whose_mail_failed_is_sent_by_the_next_run(repos, monkeypatch):
    from functions.shared.core.errors import service_unavailable

    last_active_on_day0(repos)
    sent: list[str] = []

    def down(to, mail, **_):
        raise service_unavailable("down")

    monkeypatch.setattr(logic, "send_mail", down)
    assert run(50).failed == ["acct-1"]
    monkeypatch.setattr(logic, "send_mail", lambda to, mail, **_: sent.append(mail.kind))
    run(51)
    assert sent == [WARNING]


def test_unactivated_registrations_expire_after_the_grace_period_and_release_their_email(repos, mails):
    expires = DAY0 + timedelta(days=7)
    active_account(repos, state=AccountState.PENDING_ACTIVATION, lifecycle_day=pending_key(expires),
                   activation_expires_at=expires)
    run(7 + 29, job="expire")
    assert repos.accounts.get("acct-1") is not None
    run(7 + 30, job="expire")
    assert repos.accounts.get("acct-1") is None and EMAIL_KEY + "jane.doe@clinic.example" not in repos.accounts.claims
    [entry] = [e for e in repos.audit.entries if e.action == "account.expire"]
    assert "jane" not in str(entry.detail) and entry.subject == "acct-1"


def test_an_unknown_job_is_refused(repos):
    with pytest.raises(ValueError, match="unknown job"):
        run(1, job="nope")


def test_the_backfill_indexes_accounts_stored_before_the_index_then_they_fall_due(repos, mails):
    for i in range(5):
        active_account(repos, account_id=f"old-{i}", email=f"old{i}@clinic.example", last_active_at=DAY0)
    active_account(repos, account_id="never", email="never@clinic.example", activated_at=DAY0 - timedelta(days=3))
    report = run(1, job="backfill")
    assert report.phases[0].changed == 6
    assert repos.accounts.get("never").lifecycle_day == "active#2027-01-01"
    assert run(1, job="backfill").phases[0].changed == 0
    run(60)
    assert {repos.accounts.get(f"old-{i}").state for i in range(5)} == {AccountState.DEACTIVATED}
