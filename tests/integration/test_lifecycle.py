"""The account lifecycle on DynamoDB Local: activity days, the inactivity job, deactivated sign-in,
staff reactivation and deactivation, expiry of registrations never activated. The clock is frozen
and moved by whole days."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.jobs import logic as job_logic
from functions.jobs.handler import JobFailed, lambda_handler
from functions.shared.store.lifecycle import DynamoLifecycle
from functions.shared.store.models import Account, AuditEvent, Device, Session, UniqueKey
from tests.integration.browser import Browser
from tests.integration.conftest import outbox
from tests.integration.helpers import activation_token, last_code, mails_to, registration, sign_in

EMAIL = "jane.doe@clinic.example"
DAY0 = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)
STAFF = {"X-Staff-User": "pr-maria"}


class Context:
    """A Lambda context whose remaining time the test controls."""

    def __init__(self, time_left: Any = None) -> None:
        self.time_left = time_left or (lambda: 300.0)
        self.function_name = "jobs"
        self.memory_limit_in_mb = 256
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:jobs"
        self.aws_request_id = "job-run"

    def get_remaining_time_in_millis(self) -> int:
        return int(self.time_left() * 1000)


def run_job(clock, days: int, job: str = "deactivate", **context: Any) -> dict:
    clock.now = DAY0 + timedelta(days=days)
    return lambda_handler({"job": job}, Context(**context))


def account(email: str = EMAIL) -> Account:
    claim = UniqueKey.get("email#" + email)
    return Account.get(claim.account_id, consistent_read=True)


def subjects(email: str) -> list[str]:
    return [m.subject for m in mails_to(email)]


@pytest.fixture
def browser(gateway, clock) -> Browser:
    clock.now = DAY0
    return Browser(gateway)


def activated(browser: Browser, email: str = EMAIL) -> None:
    assert browser.post("/registrations", registration(email=email)).status == 202
    assert browser.post("/activations", {"token": activation_token(email)}).status == 200


def fully_signed_in(browser: Browser, email: str = EMAIL, remember_device: bool = False) -> None:
    """Registered, activated, signed in and enrolled (email codes): a full session."""
    activated(browser, email)
    assert sign_in(browser, login=email).status == 200
    factor = browser.post("/mfa/factors", {"kind": "email"}).body["factor_id"]
    confirmed = browser.post(f"/mfa/factors/{factor}/confirm",
                             {"code": last_code(email), "remember_device": remember_device})
    assert confirmed.status == 200 and confirmed.body["stage"] == "full", confirmed.body


def _failure_signature(reply) -> tuple:
    return reply.status, reply.body, sorted((k, v) for k, v in reply.headers if k.lower() != "date")


# --- activity ------------------------------------------------------------------------------------

def test_activity_is_written_at_most_once_a_day(browser, clock, monkeypatch):
    writes: list[str] = []
    original = DynamoLifecycle.record_activity

    def counted(self, account_id, session_hash, now):
        writes.append(now.date().isoformat())
        return original(self, account_id, session_hash, now)

    monkeypatch.setattr(DynamoLifecycle, "record_activity", counted)
    clock.now = DAY0.replace(hour=23)
    fully_signed_in(browser)
    signed_in_at = account().last_active_at
    assert account().lifecycle_day == "active#2027-01-04"
    for _ in range(4):  # requests every 29 minutes, across midnight
        clock.advance(minutes=29)
        assert browser.get("/mfa/devices").status == 200
    assert writes == ["2027-01-05"]  # the sign-in day was recorded by the sign-in itself
    stored = account()
    assert stored.lifecycle_day == "active#2027-01-05" and stored.last_active_at > signed_in_at


# --- the inactivity job --------------------------------------------------------------------------

def test_warning_at_day_50_once_and_deactivation_at_day_60(browser, clock):
    fully_signed_in(browser, remember_device=True)
    assert Device.count() == 1
    mails = len(mails_to(EMAIL))
    run_job(clock, 49)
    assert len(mails_to(EMAIL)) == mails
    run_job(clock, 50)
    assert subjects(EMAIL)[mails:] == ["Your CareSource Provider Portal account will be deactivated soon"]
    assert "March 05, 2027" in mails_to(EMAIL)[-1].body  # day 60
    run_job(clock, 50)  # the same day again
    run_job(clock, 59)
    assert len(mails_to(EMAIL)) == mails + 1 and account().state == "active"
    run_job(clock, 60)
    stored = account()
    assert stored.state == "deactivated" and stored.lifecycle_day is None
    deactivated = mails_to(EMAIL)[-1]
    assert deactivated.subject == "Your CareSource Provider Portal account was deactivated"
    assert "60 days" in deactivated.body and "1-800-488-0134" in deactivated.body
    assert Session.count() == 0 and Device.count() == 0  # every session and remembered device revoked
    run_job(clock, 61)
    assert len(mails_to(EMAIL)) == mails + 2
    [record] = [e for e in AuditEvent.scan() if e.action == "account.deactivate"]
    assert record.outcome == "inactivity" and record.subject == stored.account_id


def test_activity_before_day_60_restarts_the_clock(browser, clock):
    activated(browser)
    run_job(clock, 50)
    clock.now = DAY0 + timedelta(days=55)
    assert sign_in(browser).status == 200  # activity: the clock restarts on day 55
    run_job(clock, 60)
    run_job(clock, 104)
    assert account().state == "active"
    run_job(clock, 105)  # warned again for the new period, then on day 115 deactivated
    assert subjects(EMAIL).count("Your CareSource Provider Portal account will be deactivated soon") == 2
    run_job(clock, 115)
    assert account().state == "deactivated"


def test_an_account_never_signed_in_counts_from_its_activation(browser, clock):
    activated(browser)
    assert account().last_active_at is None and account().lifecycle_day == "active#2027-01-04"
    run_job(clock, 59)
    assert account().state == "active"
    run_job(clock, 60)
    assert account().state == "deactivated"


def test_a_missed_day_is_caught_up_by_the_next_run(browser, clock):
    activated(browser)
    run_job(clock, 40)
    report = run_job(clock, 61)  # no run on days 50 to 60
    assert account().state == "deactivated"
    deactivate = next(p for p in report["phases"] if p["phase"] == "deactivate")
    # from the day after the last run's due day (day 40 - 60) through today's (day 61 - 60)
    assert deactivate["days"][0] == "2026-12-16" and deactivate["days"][-1] == "2027-01-05"
    assert deactivate["changed"] == 1


def test_a_second_run_on_the_same_day_reads_and_changes_nothing(browser, clock):
    activated(browser)
    activated(Browser(browser.gateway), "sam.roe@clinic.example")
    first = run_job(clock, 60)
    audit_count, mail_count = AuditEvent.count(), len(outbox())
    second = run_job(clock, 60)
    assert all(p["days"] == [] for p in second["phases"])
    assert (AuditEvent.count(), len(outbox())) == (audit_count, mail_count)
    assert sum(p["changed"] for p in first["phases"]) >= 2


def test_a_run_stopped_half_way_is_finished_by_the_next(browser, clock, monkeypatch):
    emails = [f"user{i}@clinic.example" for i in range(3)]
    for email in emails:
        activated(Browser(browser.gateway), email)
    monkeypatch.setattr(job_logic, "WORKERS", 1)
    done: list[str] = []
    original = DynamoLifecycle.deactivate

    def counted(self, *args, **kwargs):
        done.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoLifecycle, "deactivate", counted)
    first = run_job(clock, 60, time_left=lambda: 300.0 if not done else 1.0)  # out of time after one account
    assert len(done) == 1
    assert not next(p for p in first["phases"] if p["phase"] == "deactivate")["complete"]
    run_job(clock, 60)
    assert sorted(account(e).state for e in emails) == ["deactivated"] * 3
    assert len(done) == 3  # none twice
    for email in emails:
        assert subjects(email).count("Your CareSource Provider Portal account was deactivated") == 1


def test_a_failed_mail_is_retried_by_the_next_run_and_the_run_fails(browser, clock, monkeypatch):
    from functions.shared.core.errors import service_unavailable

    activated(browser)
    real_send, mail_down = job_logic.send_mail, [True]

    def flaky(to, mail, **kwargs):
        if mail_down[0]:
            raise service_unavailable("mail is down")
        real_send(to, mail, **kwargs)

    monkeypatch.setattr(job_logic, "send_mail", flaky)
    with pytest.raises(JobFailed):
        run_job(clock, 60)
    assert account().state == "deactivated" and account().lifecycle_day == "deactivated#2027-03-05"
    mail_down[0] = False
    run_job(clock, 60)
    assert subjects(EMAIL).count("Your CareSource Provider Portal account was deactivated") == 1
    assert account().lifecycle_day is None


def test_the_cmo_mail_names_provider_relations(gateway, clock, plan):
    plan("cmo")
    from functions.shared.core.plans import plan_profile
    from functions.shared.services.notify.lifecycle import deactivated_for_inactivity

    mail = deactivated_for_inactivity(plan_profile("cmo"))
    assert "914-377-4477" in mail.text and "Provider Relations" in mail.text


# --- deactivated accounts ------------------------------------------------------------------------

def test_deactivated_sign_in_looks_like_a_wrong_password_and_mails_once_a_day(browser, clock):
    activated(browser)
    run_job(clock, 60)
    wrong = sign_in(browser, password="Wrong-Password-99")
    mails = len(mails_to(EMAIL))
    right = sign_in(browser)
    assert right.status == 403
    assert _failure_signature(right) == _failure_signature(wrong)
    assert subjects(EMAIL)[mails:] == ["Your CareSource Provider Portal account is deactivated"]
    assert "1-800-488-0134" in mails_to(EMAIL)[-1].body
    assert _failure_signature(sign_in(browser)) == _failure_signature(wrong)
    assert len(mails_to(EMAIL)) == mails + 1  # at most one a day
    clock.advance(days=1)
    sign_in(browser)
    assert len(mails_to(EMAIL)) == mails + 2


def test_staff_deactivation_ends_live_sessions_at_the_authorizer(browser, clock):
    fully_signed_in(browser, remember_device=True)
    assert browser.get("/mfa/devices").status == 200
    staff = Browser(browser.gateway, ip="127.0.0.1")  # the stand-in header counts from loopback only
    reply = staff.request("POST", "/staff/accounts/deactivations", {"account": EMAIL, "reason": "Left the practice"},
                          headers=STAFF)
    assert reply.status == 200, reply.body
    assert browser.get("/mfa/devices").status == 401  # the next request is refused
    assert Device.count() == 0
    assert mails_to(EMAIL)[-1].subject == "Your CareSource Provider Portal account was deactivated"
    record = next(e for e in AuditEvent.scan() if e.action == "account.deactivate")
    assert record.outcome == "staff" and record.detail["reason"] == "Left the practice"
    again = staff.request("POST", "/staff/accounts/deactivations", {"account": EMAIL, "reason": "Twice"},
                          headers=STAFF)
    assert again.status == 409 and again.body["type"] == "/problems/account-not-active"


def test_reactivation_restarts_the_clock_and_asks_for_mfa_again(browser, clock):
    fully_signed_in(browser, remember_device=True)
    device_cookie = browser.cookies["__Host-device"]
    run_job(clock, 60)
    clock.now = DAY0 + timedelta(days=70)
    staff = Browser(browser.gateway, ip="127.0.0.1")  # the stand-in header counts from loopback only
    reply = staff.request("POST", "/staff/accounts/reactivations",
                          {"account": EMAIL.upper(), "reason": "Caller verified by phone"}, headers=STAFF)
    assert reply.status == 200, reply.body
    stored = account()
    assert stored.state == "active" and stored.lifecycle_day == "active#2027-03-15"
    assert mails_to(EMAIL)[-1].subject == "Your CareSource Provider Portal account is active again"
    browser.cookies["__Host-device"] = device_cookie  # the browser still has its device cookie
    signed = sign_in(browser)
    assert signed.status == 200 and signed.body["stage"] == "mfa"  # password and MFA again
    run_job(clock, 70 + 59)
    assert account().state == "active"
    again = staff.request("POST", "/staff/accounts/reactivations", {"account": EMAIL, "reason": "Again"},
                          headers=STAFF)
    assert again.status == 409


def test_staff_routes_need_a_staff_identity_and_a_reason(browser):
    activated(browser)
    assert browser.post("/staff/accounts/reactivations", {"account": EMAIL, "reason": "x" * 5}).status == 403
    remote = browser.request("POST", "/staff/accounts/reactivations", {"account": EMAIL, "reason": "x" * 5},
                             headers=STAFF)
    assert remote.status == 403  # the stand-in header from another machine is no staff identity
    staff = Browser(browser.gateway, ip="127.0.0.1")
    short = staff.request("POST", "/staff/accounts/reactivations", {"account": EMAIL, "reason": ""}, headers=STAFF)
    assert short.status == 422
    unknown = staff.request("POST", "/staff/accounts/deactivations",
                              {"account": "nobody@clinic.example", "reason": "Left"}, headers=STAFF)
    assert unknown.status == 404


# --- expiry --------------------------------------------------------------------------------------

def test_registrations_never_activated_are_removed_after_the_grace_period(browser, clock):
    assert browser.post("/registrations", registration(email=EMAIL)).status == 202
    account_id = account().account_id
    assert account().lifecycle_day == "pending#2027-01-11"  # the activation link's last day
    run_job(clock, 7 + 29, job="expire")
    assert account().state == "pending_activation"
    run_job(clock, 7 + 30, job="expire")
    assert UniqueKey.count("email#" + EMAIL) == 0 and Account.count(account_id) == 0
    [record] = [e for e in AuditEvent.scan() if e.action == "account.expire"]
    assert record.subject == account_id
    assert "jane" not in str(record.detail.as_dict()).lower() and "clinic" not in str(record.detail.as_dict())
    run_job(clock, 7 + 30, job="expire")  # again: nothing
    assert len([e for e in AuditEvent.scan() if e.action == "account.expire"]) == 1
    assert browser.post("/registrations", registration(email=EMAIL)).status == 202  # the email is free again


# --- local runs ----------------------------------------------------------------------------------

def test_the_devserver_runs_a_job_as_of_a_given_day(browser, tmp_path):
    from devserver.gateway import HttpRequest
    from devserver.jobs import run_job
    from devserver.server import JOBS_PATH, PortalServer

    activated(browser)
    report = run_job("deactivate", "2027-03-04")  # day 59
    assert report["as_of"] == "2027-03-04" and account().state == "active"
    server = PortalServer(("127.0.0.1", 0), web_root=tmp_path)
    server.run_job = run_job
    try:
        reply = server.route(HttpRequest("POST", f"{JOBS_PATH}?name=deactivate&as_of=2027-03-05"))
        assert reply.status == 200 and json.loads(reply.body)["failed"] == []
        assert account().state == "deactivated"
        assert mails_to(EMAIL)[-1].subject == "Your CareSource Provider Portal account was deactivated"
        unknown = server.route(HttpRequest("POST", f"{JOBS_PATH}?name=nope"))
        assert unknown.status == 400
    finally:
        server.server_close()


# --- roster changes ------------------------------------------------------------------------------

def _link(email: str, provider_id: str, name: str, tax_id: str, *, active: bool) -> str:
    from functions.shared.core.audit import audit_event
    from functions.shared.core.http import RequestMeta
    from functions.shared.core.states import LinkType
    from functions.shared.store import repositories
    from functions.shared.store.links import NewLink

    meta = RequestMeta("r", "198.51.100.7", "test")
    account_id = account(email).account_id
    links = repositories().links
    kind = LinkType.GROUP if provider_id.startswith("G") else LinkType.PRACTITIONER
    links.create_as_admin(NewLink(account_id, provider_id, kind, tax_id, name, "Jane Doe", email, DAY0),
                          audit_event("link.request", "admin", meta, subject=account_id))
    if active:
        assert links.grant_access(account_id, provider_id, DAY0, audit_event("link.grant", "ok", meta))
    return account_id


def test_a_roster_that_drops_a_provider_or_moves_it_to_another_tax_id_ends_its_links(browser, clock):
    from devserver.roster import DEMO_ROSTER
    from functions.roster_import.logic import import_roster
    from functions.shared.store.models import Link

    demo = DEMO_ROSTER.read_text()
    assert import_roster(demo, "v1.csv", DAY0).status == "applied"
    people = {"maria": "p2000001", "james": "p2000002", "group": "g1000001"}
    for who in people:
        activated(Browser(browser.gateway), f"{who}@clinic.example")
    dropped = _link("maria@clinic.example", "P2000001", "Maria Lopez", "123456789", active=True)
    moved = _link("james@clinic.example", "P2000002", "James O'Neil", "123456789", active=False)
    kept = _link("group@clinic.example", "G1000001", "Riverside Family Practice", "123456789", active=True)
    lines = demo.splitlines()
    v2 = [line for line in lines if not line.startswith("P2000001")]
    v2 = [line.replace("James,O'Neil,,12-3456789", "James,O'Neil,,45-6789012") for line in v2]
    report = import_roster("\n".join(v2) + "\n", "v2.csv", DAY0 + timedelta(days=1))
    assert report.status == "applied" and report.links_ended == 2 and report.notices_failed == 0
    assert Link.get(dropped, "P2000001").status == "removed"  # was active
    assert Link.get(moved, "P2000002").status == "expired"  # was still a request
    assert Link.get(kept, "G1000001").status == "active"
    assert mails_to("maria@clinic.example")[-1].subject == "Your access to Maria Lopez ended"
    assert mails_to("james@clinic.example")[-1].subject == "Your access to James O'Neil ended"
    assert mails_to("group@clinic.example")[-1].subject == "Activate Account"
    ends = [e for e in AuditEvent.scan() if e.action == "link.end"]
    assert sorted(e.detail["provider_id"] for e in ends) == ["P2000001", "P2000002"]
    assert all(e.outcome == "roster_removed" for e in ends)
    assert UniqueKey.count("provider-admin#P2000001") == 0  # a returning provider gets a new first admin
    again = import_roster("\n".join(v2) + "\n", "v2-again.csv", DAY0 + timedelta(days=2))
    assert again.status == "unchanged" and again.links_ended == 0


def test_accounts_stored_before_the_index_are_backfilled_once(browser, clock):
    activated(browser)
    account().update(actions=[Account.lifecycle_day.remove()])  # as stored before the lifecycle existed
    report = run_job(clock, 1, job="backfill")
    assert report["phases"][0]["changed"] == 1 and account().lifecycle_day == "active#2027-01-04"
    assert run_job(clock, 1, job="backfill")["phases"][0]["changed"] == 0
    run_job(clock, 60)
    assert account().state == "deactivated"
