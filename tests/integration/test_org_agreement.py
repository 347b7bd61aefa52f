"""The organizational agreement (plans that require one): signed once per group, decided by staff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from devserver.roster import DEMO_ROSTER
from functions.roster_import.logic import import_roster
from functions.shared.core.clock import now
from functions.shared.core.plans import PLANS
from functions.shared.store.models import Link, OrgAgreement
from tests.integration.browser import Browser
from tests.integration.conftest import concurrently, wait_for
from tests.integration.helpers import GROUP, mails_to
from tests.integration.test_links import settle

SIGNER, LATER = "owner@riverside.example", "later@riverside.example"


def cmo_user(gateway, email: str, username: str) -> Browser:
    """A cmo-plan user, registered with CAPTCHA, verified with the mailed code, MFA by email."""
    from tests.integration.helpers import last_code, sign_in
    from tests.integration.test_register import _solved_captcha, cmo_form

    browser = Browser(gateway)
    assert browser.post("/registrations", cmo_form(_solved_captcha(), email=email, username=username)).status == 202
    assert sign_in(browser, login=username, verification_code=last_code(email)).status == 200
    factor = browser.post("/mfa/factors", {"kind": "email"}).body["factor_id"]
    assert browser.post(f"/mfa/factors/{factor}/confirm", {"code": last_code(email)}).status == 200
    return browser


@pytest.fixture
def cmo(aws, clock, plan) -> None:
    plan("cmo")
    import_roster(DEMO_ROSTER.read_text(), "demo.csv", now())


class _StaffClient(Browser):
    def __init__(self, gateway, user: str) -> None:
        super().__init__(gateway, ip="127.0.0.1")  # the staff stand-in header counts from this machine only
        self.user = user

    def request(self, method, path, body=None, headers=None):
        return super().request(method, path, body, {**(headers or {}), "X-Staff-User": self.user})


def staff(gateway, user: str = "pr.staff") -> Browser:
    """Provider-relations staff: signed requests (locally the devserver's stand-in header)."""
    return _StaffClient(gateway, user)


def linked_and_agreed(browser: Browser) -> None:
    assert browser.post("/links", GROUP).status == 200
    settle(browser, "pending_agreement")
    browser.post("/agreements/provider", {"version": "2026-01"})
    assert settle(browser, "pending_org_agreement") == "pending_org_agreement"


def sign(browser: Browser, title: str = "owner") -> int:
    return browser.post("/agreements/organization", {"provider_id": "G1000001", "signer_name": "Olivia Owner",
                                                     "signer_title": title, "attest": True}).status


def test_signed_agreement_approved_by_staff_grants_access_and_later_users_do_not_sign(gateway, cmo):
    owner = cmo_user(gateway, SIGNER, "owner1")
    linked_and_agreed(owner)
    status = owner.get("/agreements/organization/G1000001").body
    assert status["status"] == "unsigned" and "24-48 hours" in status["promise"]
    assert owner.post("/agreements/organization", {"provider_id": "G1000001", "signer_name": "O",
                                                   "signer_title": "receptionist", "attest": True}).status == 422
    assert sign(owner) == 200
    assert sign(owner) == 409  # one agreement per group
    assert mails_to("provider-relations@portal.example.org")[-1].subject.startswith("organizational agreement")

    reviewer = staff(gateway)
    [pending] = reviewer.get("/staff/org-agreements").body["agreements"]
    assert pending["group_name"] == "Riverside Family Practice" and pending["signer_title"] == "owner"
    decided = reviewer.post(f"/staff/org-agreements/{pending['tax_id']}/decision",
                            {"approve": True, "reason": "Verified with the group's owner"})
    assert decided.status == 200
    replay = reviewer.post(f"/staff/org-agreements/{pending['tax_id']}/decision",
                           {"approve": False, "reason": "changed my mind"})
    assert replay.status == 409
    assert settle(owner, "active") == "active"
    assert OrgAgreement.get("123456789").decided_by.endswith("user/pr.staff")
    assert reviewer.get("/staff/org-agreements").body["agreements"] == []

    # a later user of the same group: administrator approves, agreement accepted, no second signature
    later = cmo_user(gateway, LATER, "later1")
    later.post("/links", GROUP)
    account_id = wait_for(lambda: next((m["account_id"] for m in owner.get("/providers/G1000001/members")
                                        .body["members"] if m["status"] == "pending_admin"), None))
    wait_for(lambda: Link.get(account_id, "G1000001").waiting_token)
    owner.post(f"/providers/G1000001/requests/{account_id}/decision", {"approve": True})
    settle(later, "pending_agreement")
    later.post("/agreements/provider", {"version": "2026-01"})
    assert settle(later, "active") == "active"


def test_rejected_agreement_tells_the_requester(gateway, cmo):
    owner = cmo_user(gateway, SIGNER, "owner1")
    linked_and_agreed(owner)
    sign(owner)
    reply = staff(gateway).post("/staff/org-agreements/123456789/decision",
                                {"approve": False, "reason": "Signer is not on file"})
    assert reply.status == 200
    assert settle(owner, "denied") == "denied"
    assert wait_for(lambda: any("did not approve the organizational agreement" in m.body
                                for m in mails_to(SIGNER)))


def test_staff_routes_refuse_browser_sessions(gateway, cmo):
    owner = cmo_user(gateway, SIGNER, "owner1")
    reply = owner.get("/staff/org-agreements")
    assert reply.status == 403


def test_provider_relations_is_reminded_before_the_promise_runs_out(gateway, cmo, monkeypatch):
    monkeypatch.setitem(PLANS, "cmo", PLANS["cmo"].model_copy(
        update={"org_agreement_remind_after": timedelta(seconds=1)}))
    owner = cmo_user(gateway, SIGNER, "owner1")
    linked_and_agreed(owner)
    sign(owner)
    assert wait_for(lambda: any(m.subject.startswith("Reminder: ")
                                for m in mails_to("provider-relations@portal.example.org")))
    staff(gateway).post("/staff/org-agreements/123456789/decision", {"approve": True, "reason": "ok then"})
    assert settle(owner, "active") == "active"  # still waiting after the reminder, then granted


def test_a_requester_not_yet_approved_can_neither_sign_nor_see_the_agreement(gateway, cmo):
    owner = cmo_user(gateway, SIGNER, "owner1")
    linked_and_agreed(owner)  # the administrator
    mallory = cmo_user(gateway, "mallory@elsewhere.example", "mallory1")
    assert mallory.post("/links", GROUP).body["status"] == "pending_admin"
    assert sign(mallory) == 403
    assert mallory.get("/agreements/organization/G1000001").status == 403
    assert OrgAgreement.get("123456789").status == "unsigned"
    assert sign(owner) == 200


def test_the_signer_sees_the_agreement_text_with_its_version(gateway, cmo):
    owner = cmo_user(gateway, SIGNER, "owner1")
    linked_and_agreed(owner)
    status = owner.get("/agreements/organization/G1000001").body
    assert status["version"] == "2026-01"
    assert status["text"].startswith("# Post-N-Track Organizational Agreement (version 2026-01)")


def test_concurrent_staff_decisions_record_exactly_one(gateway, cmo):
    from functions.shared.core.http import RequestMeta
    from functions.shared.store.models import AuditEvent
    from functions.staff.logic import decide
    from functions.staff.models import OrgDecision

    # Given a signed agreement that the group's request waits for
    owner = cmo_user(gateway, SIGNER, "owner1")
    linked_and_agreed(owner)
    assert sign(owner) == 200
    assert wait_for(lambda: OrgAgreement.get("123456789").waiting_tokens)

    # When eight staff members decide at once, half approving and half rejecting, each in its own call
    staff_users = [f"arn:aws:iam::123456789012:user/pr.staff{i}" for i in range(8)]
    results = concurrently(lambda i: decide("123456789", OrgDecision(approve=i % 2 == 0, reason=f"reviewer {i}"),
                                            staff_users[i], RequestMeta(f"r{i}", "198.51.100.9", "t"), now()), 8)

    # Then exactly one decision wins and resumes the waiting request; every other one is told it was decided
    winners = [i for i, r in enumerate(results) if not isinstance(r, Exception)]
    assert len(winners) == 1 and results[winners[0]] == 1
    winner = winners[0]
    losers = [(r.status, r.slug) for i, r in enumerate(results) if i != winner]
    assert losers == [(409, "already-decided")] * 7
    approved = winner % 2 == 0
    # and what is stored is the winner's decision, with one audit record of it
    org = OrgAgreement.get("123456789")
    assert (org.status, org.decided_by, org.reason) == ("approved" if approved else "rejected",
                                                        staff_users[winner], f"reviewer {winner}")
    assert org.pending_status is None and not org.waiting_tokens
    decisions = [(e.outcome, e.detail["by"]) for e in AuditEvent.query("tax-id:6789")
                 if e.action == "agreement.organization"]
    assert decisions == [("approved" if approved else "rejected", staff_users[winner])]
    assert settle(owner, "active" if approved else "denied") == ("active" if approved else "denied")
