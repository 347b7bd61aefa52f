"""The takeover of a Provider ID with directory data, tried over HTTP against the real handlers (DynamoDB
Local, Step Functions on moto): what the attacker gets, how the real practice gets in (a payment, or
provider relations), the administrator claim given back, and staff managing administrators."""

from __future__ import annotations

import pytest

from devserver.roster import DEMO_ROSTER
from functions.roster_import.logic import import_roster
from functions.shared.core.clock import now
from functions.shared.core.plans import PLANS
from functions.shared.store.models import AuditEvent, Link, UniqueKey
from tests.integration.browser import Browser
from tests.integration.conftest import wait_for
from tests.integration.helpers import (
    GROUP,
    PAYMENT,
    PROVEN_GROUP,
    mails_to,
    paid_riverside,
    signed_in_user,
    staff_client,
    verified_by_staff,
)
from tests.integration.test_links import settle

MALLORY, OWNER, FRONT = "mallory@attacker.example", "owner@riverside.example", "front@riverside.example"
CLAIM = "provider-admin#G1000001"


@pytest.fixture
def roster(aws, clock) -> None:
    assert import_roster(DEMO_ROSTER.read_text(), "demo.csv", now()).status == "applied"
    paid_riverside()


def claim() -> UniqueKey | None:
    try:
        return UniqueKey.get(CLAIM, consistent_read=True)
    except UniqueKey.DoesNotExist:
        return None


def account_of(email: str) -> str:
    return next(link.account_id for link in Link.scan() if link.requester_email == email)


def agree(browser: Browser) -> None:
    assert settle(browser, "pending_agreement") == "pending_agreement"
    assert browser.post("/agreements/provider", {"version": "2026-01"}).status == 200
    assert settle(browser, "active") == "active"


def test_directory_data_gets_no_access_and_no_administrator_claim(gateway, roster):
    mallory = signed_in_user(gateway, MALLORY)
    # Given only what a provider directory shows
    reply = mallory.post("/links", GROUP)
    # Then the request waits for provider relations, holding nothing
    assert reply.status == 200
    assert (reply.body["role"], reply.body["status"]) == ("admin", "pending_verification")
    assert settle(mallory, "pending_verification") == "pending_verification"
    wait_for(lambda: Link.get(account_of(MALLORY), "G1000001").waiting_token)
    assert claim() is None
    assert mallory.get("/portal/providers").status == 403
    assert mallory.get("/providers/G1000001/members").status == 403
    assert wait_for(lambda: any("verify the first administrator of G1000001" in m.subject
                                for m in mails_to(PLANS["caresource"].provider_relations_email)))
    # and a guessed payment is refused without saying which half was wrong
    for guess in ({"number": "EFT-7731042", "amount": "131.00"}, {"number": "EFT-0000001", "amount": "130.00"}):
        other = signed_in_user(gateway, f"m{guess['amount']}@attacker.example")
        refused = other.post("/links", {**GROUP, "payment": guess})
        assert refused.status == 422 and refused.body["type"] == "/problems/payment-not-verified"
    assert claim() is None
    assert [e.outcome for e in AuditEvent.scan() if e.action == "link.verify"] == ["payment_not_verified"] * 2
    # while the real practice, proving its payment, becomes the administrator at once
    owner = signed_in_user(gateway, OWNER)
    assert owner.post("/links", PROVEN_GROUP).body["role"] == "admin"
    agree(owner)
    assert (claim().account_id, claim().tally) == (account_of(OWNER), 1)


def test_strangers_cannot_use_up_the_offices_payment_proof(gateway, roster):
    # Given two stranger accounts, from two networks, failing ten times between them
    wrong = {**GROUP, "payment": {"number": "EFT-7731042", "amount": "129.99"}}
    for n, email in enumerate((MALLORY, "trudy@attacker.example")):
        stranger = signed_in_user(gateway, email)
        stranger.ip = f"192.0.2.{n + 1}"
        answers = [stranger.post("/links", wrong) for _ in range(5)]  # the plan's tries per account and day
        # each answer marks both payment fields alike and says the tries left
        assert [a.body["tries_left"] for a in answers] == [4, 3, 2, 1, 0]
        assert {e["field"] for e in answers[0].body["errors"]} == {"payment.number", "payment.amount"}
        assert answers[0].status == 422 and "left today" in answers[0].body["detail"]
        # past its own tries, an account is refused even the right payment, and told what to do
        spent = stranger.post("/links", PROVEN_GROUP)
        assert (spent.status, spent.body["type"], spent.body["tries_left"]) == (
            429, "/problems/payment-proof-tries-used", 0)
        assert spent.header("Retry-After") and "leave the payment out" in spent.body["detail"]
    # When the office proves its payment, then it becomes the administrator at once
    owner = signed_in_user(gateway, OWNER)
    reply = owner.post("/links", PROVEN_GROUP)
    assert (reply.status, reply.body["role"]) == (200, "admin")
    agree(owner)
    assert claim().account_id == account_of(OWNER)


def test_provider_relations_verify_a_practice_without_a_payment(gateway, roster):
    owner = signed_in_user(gateway, OWNER)
    assert owner.post("/links", GROUP).body["status"] == "pending_verification"
    verified_by_staff(gateway, "G1000001", OWNER)
    agree(owner)
    assert claim().account_id == account_of(OWNER)
    assert [p["provider_id"] for p in owner.get("/portal/providers").body["providers"]] == [
        "G1000001", "P2000001", "P2000002"]
    decision = AuditEvent.query(account_of(OWNER), filter_condition=AuditEvent.action == "link.verification")
    assert [(e.outcome, e.detail["by"].rsplit("/", 1)[-1]) for e in decision] == [("approved", "pr.staff")]


def test_provider_relations_deny_and_nothing_is_claimed(gateway, roster):
    mallory = signed_in_user(gateway, MALLORY)
    mallory.post("/links", GROUP)
    account_id = wait_for(lambda: next((x.account_id for x in Link.scan() if x.waiting_token), None))
    staff = staff_client(gateway)
    decided = staff.post(f"/staff/providers/G1000001/verifications/{account_id}/decision",
                         {"approve": False, "reason": "The practice has never heard of this person"})
    assert decided.status == 200
    assert settle(mallory, "denied") == "denied"
    assert wait_for(lambda: any("could not verify" in m.body for m in mails_to(MALLORY)))
    assert claim() is None
    unsigned = Browser(gateway).post(f"/staff/providers/G1000001/verifications/{account_id}/decision",
                                     {"approve": True, "reason": "no"})
    assert unsigned.status == 403  # not a staff request: as API Gateway answers an unsigned one


def test_an_unfinished_first_link_that_expires_gives_the_claim_back(gateway, roster, monkeypatch):
    from datetime import timedelta

    monkeypatch.setitem(PLANS, "caresource", PLANS["caresource"].model_copy(
        update={"agreement_wait": timedelta(seconds=1)}))
    owner = signed_in_user(gateway, OWNER)
    assert owner.post("/links", PROVEN_GROUP).body["role"] == "admin"  # claimed, agreement never accepted
    assert settle(owner, "expired") == "expired"
    assert claim() is None
    # so the Provider ID is not left claimed by nobody: the next proven linker administers it
    front = signed_in_user(gateway, FRONT)
    assert front.post("/links", PROVEN_GROUP).body["role"] == "admin"
    assert claim().account_id == account_of(FRONT)


def test_staff_reassign_and_remove_administrators(gateway, roster):
    owner = signed_in_user(gateway, OWNER)
    owner.post("/links", PROVEN_GROUP)
    agree(owner)
    front = signed_in_user(gateway, FRONT)
    front.post("/links", {**GROUP, "payment": PAYMENT})  # an administrator exists: this asks them
    front_id = wait_for(lambda: next((x.account_id for x in Link.scan() if x.role == "member" and x.waiting_token),
                                     None))
    owner.post(f"/providers/G1000001/requests/{front_id}/decision", {"approve": True})
    agree(front)
    staff = staff_client(gateway)
    listed = staff.get("/staff/providers/G1000001/links").body
    assert listed["has_administrator"] and {x["role"] for x in listed["links"]} == {"admin", "member"}
    # staff see what each may use and change it as an administrator would
    member = next(x for x in listed["links"] if x["role"] == "member")
    assert member["features_set"] is False and "claims" in member["features"]
    changed = staff.request("PUT", f"/staff/providers/G1000001/members/{front_id}/features", {"preset": "billing"})
    assert changed.status == 200, changed.body
    listed = staff.get("/staff/providers/G1000001/links").body
    assert next(x for x in listed["links"] if x["role"] == "member")["features"] == ["eligibility", "claims"]

    # reassign: the front desk administers instead of the owner
    owner_id = account_of(OWNER)
    moved = staff.post("/staff/providers/G1000001/administrators",
                       {"account_id": front_id, "replaces": owner_id, "reason": "Owner retired"})
    assert moved.status == 200
    assert (Link.get(front_id, "G1000001").role, Link.get(owner_id, "G1000001").role) == ("admin", "member")
    assert claim().tally == 1
    assert any("you are an administrator" in m.subject for m in mails_to(FRONT))
    assert any("no longer an administrator" in m.subject for m in mails_to(OWNER))

    # remove the last administrator: the claim is given back, the removed person loses access
    removed = staff.post(f"/staff/providers/G1000001/administrators/{front_id}/removal",
                         {"reason": "Account reported compromised"})
    assert removed.status == 200
    assert claim() is None
    assert front.get("/portal/providers").status == 403
    assert any("was removed" in m.subject for m in mails_to(FRONT))
    again = staff.post(f"/staff/providers/G1000001/administrators/{front_id}/removal", {"reason": "again"})
    assert again.status == 409 and again.body["type"] == "/problems/not-an-administrator"
    outcomes = [e.outcome for e in AuditEvent.scan() if e.action == "link.admin"]
    assert sorted(outcomes) == ["assigned_by_staff", "removed_by_staff"]
