"""Delegates on DynamoDB Local through the handlers: an administrator invites a billing service, its person
accepts with their own account and checks a claim (audited naming the company) but cannot open
authorizations; the invitation works once and only for the invited address; revocation (administrator,
staff) ends access at once; the daily job finds delegations past their end through the sparse
delegations-by-end index, ends them and mails both sides."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from devserver.roster import DEMO_ROSTER
from functions.jobs.handler import lambda_handler as jobs_handler
from functions.roster_import.logic import import_roster
from functions.shared.core.clock import now
from functions.shared.services import delegations
from functions.shared.services.security.secrets import hash_secret
from functions.shared.store.links import DynamoLinks
from functions.shared.store.models import AuditEvent, Link, Token
from tests.integration.browser import Browser
from tests.integration.conftest import wait_for
from tests.integration.helpers import (
    PROVEN_GROUP,
    last_code,
    mails_to,
    paid_riverside,
    sign_in,
    signed_in_user,
    staff_client,
)

ADMIN, ANN, BOB = "admin@riverside.example", "ann@acme-billing.example", "bob@elsewhere.example"
INVITATION = "CareSource: invitation to act for Riverside Family Practice"


class Context:
    function_name = "jobs"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:jobs"
    aws_request_id = "job-run"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def settle(browser: Browser, status: str) -> str | None:
    def current() -> str | None:
        links = browser.get("/links").body["links"]
        return next((link["status"] for link in links if link["provider_id"] == "G1000001"), None)

    return wait_for(lambda: current() == status and status) or current()


def signed_in_again(browser: Browser, email: str) -> None:
    """A new session (the clock moved past the last one): password, then a code by email."""
    assert sign_in(browser, login=email).status == 200
    factor = browser.get("/mfa/factors").body["factors"][0]["factor_id"]
    assert browser.post("/mfa/challenge", {"factor_id": factor}).status == 200
    assert browser.post("/mfa/verify", {"factor_id": factor, "code": last_code(email)}).status == 200


def agreed(browser: Browser) -> None:
    version = browser.get("/agreements/provider").body["version"]
    assert browser.post("/agreements/provider", {"version": version}).status == 200


@pytest.fixture
def admin(gateway, clock) -> Browser:
    """The first linker of G1000001, who proved the group's payment: its administrator, with access."""
    assert import_roster(DEMO_ROSTER.read_text(), "demo.csv", now()).status == "applied"
    paid_riverside()
    browser = signed_in_user(gateway, ADMIN, "Ada")
    assert browser.post("/links", PROVEN_GROUP).status == 200
    assert settle(browser, "pending_agreement") == "pending_agreement"
    agreed(browser)
    assert settle(browser, "active") == "active"
    return browser


def invite(admin: Browser, email: str = ANN, days: int = 30, features: Any = ("eligibility", "claims")) -> str:
    ends_on = delegations.today(now()) + timedelta(days=days)
    reply = admin.post("/providers/G1000001/delegations", {"email": email, "company": "Acme Billing",
                                                           "features": list(features), "ends_on": ends_on.isoformat()})
    assert reply.status == 200, reply.body
    mail = [m for m in mails_to(email) if m.subject == INVITATION][-1]
    return re.search(r"delegation\.html#token=([A-Za-z0-9_-]+)", mail.body).group(1)


@pytest.fixture
def ann(gateway, admin) -> Browser:
    """Acme Billing's person: her own account, the Provider Agreement accepted, the invitation accepted."""
    browser = signed_in_user(gateway, ANN, "Ann")
    agreed(browser)
    accepted = browser.post("/delegations/accept", {"token": invite(admin)})
    assert accepted.status == 200, accepted.body
    assert accepted.body["next"] == "/access.html" and accepted.body["company"] == "Acme Billing"
    return browser


def account_id(email: str) -> str:
    return next(link.account_id for link in Link.by_provider.query("G1000001") if link.requester_email == email)


def test_a_delegate_checks_a_claim_audited_with_its_company_but_cannot_open_authorizations(admin, ann):
    (mine,) = ann.get("/links").body["links"]
    assert (mine["role"], mine["status"], mine["company"]) == ("delegate", "active", "Acme Billing")
    assert mine["features"] == ["eligibility", "claims"]
    seen = ann.get("/portal/providers").body["providers"]
    assert [p["provider_id"] for p in seen] == ["G1000001", "P2000001", "P2000002"]  # the group, as its members see it
    claim = ann.get("/claims/C26000101?acting_for=G1000001")
    assert claim.status == 200 and claim.body["claim_id"] == "C26000101"
    refused = ann.post("/authorizations/search", {"acting_for": "G1000001", "provider_id": "G1000001",
                                                  "from_date": now().date().isoformat(),
                                                  "to_date": now().date().isoformat()})
    assert refused.status == 403 and refused.body["type"] == "/problems/feature-not-granted"
    assert ann.get("/providers/G1000001/delegations").body["type"] == "/problems/not-administrator"
    assert ann.get("/providers/G1000001/members").status == 403

    delegate = account_id(ANN)
    reads = [e for e in AuditEvent.query(delegate) if e.action == "phi.claim.read"]
    assert [(e.outcome, e.detail["delegate_company"]) for e in reads] == [("shown", "Acme Billing")]
    listed = admin.get("/providers/G1000001/delegations").body
    assert [(d["account_id"], d["company"], d["status"]) for d in listed["delegations"]] == [
        (delegate, "Acme Billing", "active")]
    assert ANN not in [m["email"] for m in admin.get("/providers/G1000001/members").body["members"]]
    assert wait_for(lambda: any(m.subject == "CareSource: Ann Doe now acts for Riverside Family Practice"
                                for m in mails_to(ADMIN)))


def test_an_invitation_works_once_and_only_for_the_invited_address(gateway, admin):
    token = invite(admin)
    stored = Token.get(hash_secret(token))  # only the hash is stored, with the invitation's terms
    assert stored.purpose == "delegation_invite" and stored.invitation.company == "Acme Billing"
    assert stored.invitation.email == ANN and stored.subject_ref == "G1000001"
    bob = signed_in_user(gateway, BOB, "Bob")
    other = bob.post("/delegations/accept", {"token": token})
    assert other.status == 403 and other.body["type"] == "/problems/invitation-for-another-address"
    ann = signed_in_user(gateway, ANN, "Ann")
    first = ann.post("/delegations/accept", {"token": token})
    assert first.status == 200 and first.body["next"] == "/agreement.html"  # she has not accepted it yet
    again = ann.post("/delegations/accept", {"token": token})
    assert again.status == 409 and again.body["type"] == "/problems/invitation-used"
    assert ann.get("/portal/providers").body["type"] == "/problems/agreement-required"


def test_an_expired_invitation_says_so(gateway, admin, clock):
    token = invite(admin)
    clock.advance(days=15)
    ann = signed_in_user(gateway, ANN, "Ann")
    late = ann.post("/delegations/accept", {"token": token})
    assert late.status == 410 and late.body["type"] == "/problems/invitation-expired"


def test_revocation_by_the_administrator_or_staff_ends_access_at_once(gateway, admin, ann):
    delegate = account_id(ANN)
    assert ann.get("/claims/C26000101?acting_for=G1000001").status == 200
    revoked = admin.delete(f"/providers/G1000001/delegations/{delegate}")
    assert revoked.status == 200, revoked.body
    assert ann.get("/claims/C26000101?acting_for=G1000001").body["type"] == "/problems/no-access"
    assert wait_for(lambda: any(m.subject == "CareSource: your access to Riverside Family Practice ended"
                                for m in mails_to(ANN)))
    assert Link.get(delegate, "G1000001").ending is None
    twice = admin.delete(f"/providers/G1000001/delegations/{delegate}")
    assert twice.status == 409 and twice.body["type"] == "/problems/delegation-not-active"

    accepted = ann.post("/delegations/accept", {"token": invite(admin)})  # invited again
    assert accepted.status == 200
    staff = staff_client(gateway)
    path, reason = f"/staff/providers/G1000001/delegations/{delegate}", {"reason": "The practice called"}
    assert staff.delete(path, {}).status == 422  # a reason is recorded with it
    assert staff.delete(path, reason).status == 200
    assert Link.get(delegate, "G1000001").status == "removed"
    assert Browser(gateway).delete(path, reason).status in (401, 403)


def test_the_job_ends_delegations_past_their_end_through_the_index_and_mails_both_sides(gateway, admin, ann, clock):
    bob = signed_in_user(gateway, BOB, "Bob")
    agreed(bob)
    assert bob.post("/delegations/accept", {"token": invite(admin, BOB, days=300)}).status == 200
    delegate = account_id(ANN)
    end = Link.get(delegate, "G1000001").ends_at
    assert delegations.last_day(end) == delegations.today(now()) + timedelta(days=30)
    assert DynamoLinks().delegations_ending(end - timedelta(seconds=1)) == []

    clock.now = end + timedelta(minutes=5)
    signed_in_again(ann, ANN)
    stopped = ann.get("/claims/C26000101?acting_for=G1000001")  # the end date alone stops it, before the job
    assert stopped.status == 403 and stopped.body["type"] == "/problems/no-access"
    assert ann.get("/links").body["links"][0]["status"] == "expired"
    assert DynamoLinks().delegations_ending(clock.now) == [(delegate, "G1000001")]  # Bob's ends later
    report = jobs_handler({"job": "end-delegations"}, Context())
    assert report["phases"][0]["changed"] == 1 and report["phases"][0]["failed"] == []
    ended = Link.get(delegate, "G1000001")
    assert ended.status == "expired" and ended.decided_by == "end-date" and ended.ending is None
    assert Link.get(account_id(BOB), "G1000001").status == "active"
    assert DynamoLinks().delegations_ending(clock.now) == []
    assert wait_for(lambda: any(m.subject == "CareSource: your access to Riverside Family Practice ended"
                                for m in mails_to(ANN)))
    assert wait_for(lambda: any(m.subject == "CareSource: a delegate's access to Riverside Family Practice ended"
                                for m in mails_to(ADMIN)))
    (audited,) = [e for e in AuditEvent.query(delegate) if e.action == "link.delegation" and e.outcome == "ended"]
    assert audited.detail["company"] == "Acme Billing"
    second = jobs_handler({"job": "end-delegations"}, Context())
    assert second["phases"][0]["changed"] == 0 and second["phases"][0]["unchanged"] == 0
