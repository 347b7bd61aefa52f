"""Linking to a Provider ID, administrator requests and the approval workflow (Step Functions on moto)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from devserver.roster import DEMO_ROSTER
from functions.roster_import.logic import import_roster
from functions.shared.core.clock import now
from functions.shared.core.plans import PLANS
from functions.shared.store.models import Link, UniqueKey
from tests.integration.browser import Browser
from tests.integration.conftest import concurrently, wait_for
from tests.integration.helpers import GROUP, PRACTITIONER, PROVEN_GROUP, mails_to, paid_riverside, signed_in_user

ADMIN, SECOND = "admin@riverside.example", "frontdesk@riverside.example"


@pytest.fixture
def roster(aws, clock) -> None:
    assert import_roster(DEMO_ROSTER.read_text(), "demo.csv", now()).status == "applied"
    paid_riverside()


def link_status(email_browser: Browser, provider_id: str = "G1000001") -> str | None:
    links = email_browser.get("/links").body["links"]
    return next((link["status"] for link in links if link["provider_id"] == provider_id), None)


def settle(browser: Browser, status: str, provider_id: str = "G1000001") -> str | None:
    return wait_for(lambda: link_status(browser, provider_id) == status and status) or link_status(
        browser, provider_id)


@pytest.fixture
def admin(gateway, roster) -> Browser:
    """The group's first linker, who proved the group's payment (its administrator), with access granted."""
    browser = signed_in_user(gateway, ADMIN, "Ada")
    reply = browser.post("/links", PROVEN_GROUP)
    assert reply.status == 200 and reply.body["role"] == "admin"
    assert settle(browser, "pending_agreement") == "pending_agreement"
    version = browser.get("/agreements/provider").body["version"]
    assert browser.post("/agreements/provider", {"version": version}).status == 200
    assert settle(browser, "active") == "active"
    return browser


def test_first_linker_proving_a_payment_becomes_administrator_and_sees_the_group(admin):
    providers = admin.get("/portal/providers")
    assert providers.status == 200
    assert [p["provider_id"] for p in providers.body["providers"]] == ["G1000001", "P2000001", "P2000002"]
    assert wait_for(lambda: any(m.subject == "CareSource: you have access to Riverside Family Practice"
                                for m in mails_to(ADMIN)))


def test_portal_stays_closed_until_access_is_granted(gateway, roster):
    user = signed_in_user(gateway, SECOND)
    reply = user.get("/portal/providers")
    assert reply.status == 403 and reply.body["type"] == "/problems/no-access"
    user.post("/links", PRACTITIONER)  # directory data only: provider relations must verify first
    assert settle(user, "pending_verification", "P2000002") == "pending_verification"
    assert user.get("/portal/providers").status == 403


def test_second_linker_asks_the_administrator_who_approves(admin, gateway):
    second = signed_in_user(gateway, SECOND, "Sam")
    reply = second.post("/links", GROUP)
    assert reply.status == 200 and reply.body["role"] == "member" and reply.body["status"] == "pending_admin"
    assert wait_for(lambda: any("a request to join" in m.subject for m in mails_to(ADMIN)))
    members = admin.get("/providers/G1000001/members").body["members"]
    request = next(m for m in members if m["email"] == SECOND)
    assert request["status"] == "pending_admin" and request["decision_due"]
    wait_for(lambda: Link.get(request["account_id"], "G1000001").waiting_token)
    decision = f"/providers/G1000001/requests/{request['account_id']}/decision"
    assert admin.post(decision, {"approve": True}).status == 200
    replay = admin.post(decision, {"approve": False})
    assert replay.status == 409 and replay.body["type"] == "/problems/already-decided"
    assert settle(second, "pending_agreement") == "pending_agreement"
    version = second.get("/agreements/provider").body["version"]
    second.post("/agreements/provider", {"version": version})
    assert settle(second, "active") == "active"
    assert second.get("/portal/providers").status == 200


def test_administrator_denies_and_the_requester_is_told(admin, gateway):
    second = signed_in_user(gateway, SECOND)
    second.post("/links", GROUP)
    account_id = wait_for(lambda: next((link.account_id for link in Link.scan()
                                        if link.role == "member" and link.waiting_token), None))
    assert admin.post(f"/providers/G1000001/requests/{account_id}/decision", {"approve": False}).status == 200
    assert settle(second, "denied") == "denied"
    assert wait_for(lambda: any("was not granted" in m.body for m in mails_to(SECOND)))  # mailed after
    assert second.get("/portal/providers").status == 403


def test_a_request_without_decision_expires(admin, gateway, monkeypatch):
    from functions.shared.core import business_days

    monkeypatch.setattr(business_days, "business_days_later",
                        lambda start, days, closures=(): start + timedelta(seconds=1))
    second = signed_in_user(gateway, SECOND)
    second.post("/links", GROUP)
    assert settle(second, "expired") == "expired"
    assert wait_for(lambda: any("no decision was made in time" in m.body for m in mails_to(SECOND)))


def test_only_administrators_of_that_provider_manage_it(admin, gateway):
    other = signed_in_user(gateway, "someone@elsewhere.example")
    assert other.post("/links", {**PRACTITIONER, "provider_number": "P2000004", "first_name": "Robert",
                                 "last_name": "Chen", "tax_id": "456789012", "zip": "02108"}).status == 200
    reply = other.get("/providers/G1000001/members")
    assert reply.status == 403 and reply.body["type"] == "/problems/not-administrator"
    assert admin.get("/providers/P2000004/members").status == 403


@pytest.mark.parametrize("wrong", [{"tax_id": "12-3456780"}, {"zip": "43016"}, {"group_name": "Riverside Clinic"},
                                   {"provider_number": "G1000002"}])
def test_any_wrong_field_fails_with_the_same_message(gateway, roster, wrong):
    user = signed_in_user(gateway, SECOND)
    reply = user.post("/links", {**GROUP, **wrong})
    assert reply.status == 422 and reply.body["type"] == "/problems/provider-not-matched"
    assert reply.body["detail"].startswith("Check every field")
    assert list(Link.scan()) == []


def test_link_attempts_are_limited_per_account(gateway, roster):
    user = signed_in_user(gateway, SECOND)
    statuses = [user.post("/links", {**GROUP, "zip": "11111"}).status for _ in range(11)]
    assert statuses == [422] * 10 + [429]


def test_failures_are_limited_per_tax_id_across_accounts(gateway, roster, monkeypatch):
    monkeypatch.setitem(PLANS, "caresource", PLANS["caresource"].model_copy(
        update={"link_failures_per_tax_id_per_hour": 3}))
    users = [signed_in_user(gateway, f"user{i}@x.example") for i in range(2)]
    assert [users[0].post("/links", {**GROUP, "zip": "11111"}).status for _ in range(3)] == [422] * 3
    blocked = users[1].post("/links", GROUP)  # right details, but the Tax ID is under attack
    assert blocked.status == 429


def test_twenty_concurrent_first_links_yield_exactly_one_administrator(gateway, roster):
    from functions.link_provider.logic import request_link
    from functions.link_provider.models import LinkRequest
    from functions.shared.core.http import Caller, RequestMeta
    from functions.shared.core.plans import plan_profile
    from functions.shared.store.models import Account, AuditEvent

    # Given twenty signed-in people of one group (their sign-in is tested elsewhere)
    ids = [f"racer-{i:02d}" for i in range(20)]
    for account_id in ids:
        Account(account_id, plan="caresource", email=f"{account_id}@riverside.example", state="active",
                password_hash="-", first_name="Racer", last_name=account_id, created_at=now()).save()

    # When all of them link the group's Provider ID at once, each in its own thread and logic call
    results = concurrently(lambda i: request_link(
        LinkRequest(**PROVEN_GROUP), Caller(ids[i], f"session-{i}", "full"), plan_profile("caresource"),
        RequestMeta(f"r{i}", "198.51.100.9", "t"), now()), 20)

    # Then exactly one becomes the administrator, and every other one gets a request for that administrator
    assert [type(r).__name__ for r in results] == ["LinkView"] * 20
    winners = [r for r in results if r.role == "admin"]
    assert len(winners) == 1 and winners[0].status == "pending_agreement"
    assert sorted((r.role, r.status) for r in results if r not in winners) == [("member", "pending_admin")] * 19
    winner_id = ids[results.index(winners[0])]
    # and what is stored agrees: one administrator claim counting one, one administrator link
    claim = UniqueKey.get("provider-admin#G1000001")
    assert (claim.tally, claim.account_id) == (1, winner_id)
    stored = {link.account_id: (link.role, link.status) for link in Link.scan()}
    assert stored == {i: ("admin", "pending_agreement") if i == winner_id else ("member", "pending_admin")
                      for i in ids}
    # and each link was created with exactly one audit record saying which
    created = [(e.subject, e.outcome) for i in ids for e in AuditEvent.query(i) if e.action == "link.create"]
    assert sorted(created) == sorted((i, "administrator" if i == winner_id else "access_requested") for i in ids)


def test_a_new_agreement_version_asks_again(admin, monkeypatch):
    monkeypatch.setitem(PLANS, "caresource", PLANS["caresource"].model_copy(
        update={"provider_agreement_version": "2027-01"}))
    reply = admin.get("/portal/providers")
    assert reply.status == 403 and reply.body["type"] == "/problems/agreement-required"
    stale = admin.post("/agreements/provider", {"version": "2026-01"})
    assert stale.status == 409
    assert admin.post("/agreements/provider", {"version": "2027-01"}).status == 200
    assert admin.get("/portal/providers").status == 200


def test_administrators_promote_step_down_and_remove(admin, gateway):
    second = signed_in_user(gateway, SECOND)
    second.post("/links", GROUP)
    member_id = wait_for(lambda: next((link.account_id for link in Link.scan()
                                       if link.role == "member" and link.waiting_token), None))
    admin.post(f"/providers/G1000001/requests/{member_id}/decision", {"approve": True})
    settle(second, "pending_agreement")
    second.post("/agreements/provider", {"version": "2026-01"})
    assert settle(second, "active") == "active"

    alone = admin.delete("/providers/G1000001/admins/me")
    assert alone.status == 409 and alone.body["type"] == "/problems/last-administrator"
    assert admin.post("/providers/G1000001/admins", {"account_id": member_id}).status == 200
    assert admin.delete("/providers/G1000001/admins/me").status == 200
    assert UniqueKey.get("provider-admin#G1000001").tally == 1
    assert admin.get("/providers/G1000001/members").status == 403  # no longer an administrator
    admin_id = next(link.account_id for link in Link.scan() if link.requester_email == ADMIN)
    assert second.delete(f"/providers/G1000001/members/{admin_id}").status == 200
    assert link_status(admin) == "removed"
    assert admin.get("/portal/providers").status == 403
