"""Linking a Provider ID and its administrators' rules, on the in-memory store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from functions.access_workflow.logic import run
from functions.link_provider.logic import request_link
from functions.link_provider.models import LinkRequest
from functions.provider_admin import logic as admin
from functions.shared.core.business_days import business_days_later
from functions.shared.core.errors import Problem
from functions.shared.core.plans import plan_profile
from functions.shared.core.states import LinkRole, LinkStatus
from tests.unit.access.given import GROUP_FORM, META, NOW, PAYMENT, caller
from tests.unit.identity import active_account

PLAN = plan_profile("caresource")
URL = "https://portal.example"


def link(repos, account_id: str, form: dict | None = None):
    """Link G1000001 (or `form`), proving the group's recent payment."""
    if repos.accounts.get(account_id) is None:
        active_account(repos, account_id=account_id, email=f"{account_id}@clinic.example")
    return request_link(LinkRequest(**(form or {**GROUP_FORM, "payment": PAYMENT})), caller(account_id), PLAN,
                        META, NOW)


def step(action: str, account_id: str, token: str | None = None) -> None:
    event = {"action": action, "link": {"account_id": account_id, "provider_id": "G1000001"}}
    run({**event, "token": token} if token else event, PLAN, URL, NOW)


@pytest.fixture
def ada(repos, outside) -> str:
    """The group's first linker, administrator with access."""
    link(repos, "ada")
    step("grant", "ada")
    return "ada"


@pytest.fixture
def sam(repos, ada) -> str:
    """A second linker whose request waits for the administrator."""
    link(repos, "sam")
    step("await_admin", "sam", "token-sam")
    return "sam"


def test_the_first_linker_proving_a_payment_becomes_the_administrator(repos, outside):
    view = link(repos, "ada")
    assert (view.role, view.status) == (LinkRole.ADMIN, LinkStatus.PENDING_AGREEMENT)
    assert view.provider_name == "Riverside Family Practice"
    assert repos.links.admin_tally == {"G1000001": 1}
    assert repos.audit.actions("ada") == [("link.create", "administrator")]
    assert repos.audit.entries[-1].detail == {"provider_id": "G1000001", "proof": "payment"}
    assert len(outside.started) == 1


def test_a_second_linker_asks_the_administrator(repos, ada, outside):
    view = link(repos, "sam")
    assert (view.role, view.status) == (LinkRole.MEMBER, LinkStatus.PENDING_ADMIN)
    assert repos.links.get("sam", "G1000001").decision_due == business_days_later(NOW, 5)
    assert repos.links.admin_tally == {"G1000001": 1}
    assert repos.audit.actions("sam") == [("link.create", "access_requested")]
    step("await_admin", "sam", "token-sam")
    assert ("ada@clinic.example", "access_requested") in outside.mails


@pytest.mark.parametrize("wrong", [{"tax_id": "12-3456780"}, {"zip": "43016"}, {"group_name": "Riverside Clinic"},
                                   {"provider_number": "G1000002"}, {"provider_type": "practitioner",
                                                                     "first_name": "A", "last_name": "B"}])
def test_any_wrong_field_fails_with_the_same_answer_and_stores_nothing(repos, outside, wrong):
    with pytest.raises(Problem) as refused:
        link(repos, "ada", {**GROUP_FORM, **wrong})
    assert (refused.value.status, refused.value.slug) == (422, "provider-not-matched")
    assert repos.links.links == {} and repos.links.admin_tally == {}
    assert repos.audit.actions("ada") == [("link.match", "no_match")]
    assert outside.started == []


def test_names_are_required_for_the_provider_type(repos, outside):
    # a rule of the form, checked with its fields (functions/shared/core/forms.py): nothing reaches the rules
    with pytest.raises(ValidationError) as refused:
        link(repos, "ada", {**GROUP_FORM, "group_name": None})
    assert [(e["loc"], e["msg"]) for e in refused.value.errors()] == [(("group_name",), "Enter the group's name.")]
    assert repos.audit.actions("ada") == []


def test_an_open_request_is_not_created_twice(repos, sam, outside):
    again = link(repos, "sam")
    assert again.status == LinkStatus.PENDING_ADMIN
    assert outside.started[-1] == outside.started[-2]  # the same execution: it cannot run twice
    assert [a for a in repos.audit.actions("sam") if a[0] == "link.create"] == [("link.create", "access_requested")]


def test_an_active_link_is_not_asked_for_again(repos, ada, outside):
    with pytest.raises(Problem) as refused:
        link(repos, "ada")
    assert (refused.value.status, refused.value.slug) == (409, "already-linked")


@pytest.mark.parametrize("close", ["denied", "expired"])
def test_a_closed_link_may_ask_again(repos, sam, outside, close):
    step(close, "sam")
    assert repos.links.get("sam", "G1000001").status == (LinkStatus.DENIED if close == "denied" else LinkStatus.EXPIRED)
    assert ("sam@clinic.example", "access_not_granted") in outside.mails
    again = link(repos, "sam")
    assert (again.role, again.status) == (LinkRole.MEMBER, LinkStatus.PENDING_ADMIN)
    assert repos.links.get("sam", "G1000001").waiting_token is None


def test_the_administrator_approves_once(repos, sam, outside):
    admin.decide("G1000001", "sam", True, caller("ada"), META, NOW)
    assert outside.resumed == [("token-sam", {"approved_by": "ada"})]
    with pytest.raises(Problem) as replay:
        admin.decide("G1000001", "sam", False, caller("ada"), META, NOW)
    assert (replay.value.status, replay.value.slug) == (409, "already-decided")
    assert len(outside.resumed) == 1
    assert repos.audit.actions("sam").count(("link.admin_decision", "approved")) == 1
    assert repos.links.get("sam", "G1000001").decided_by == "ada"


def test_the_administrator_denies_and_the_workflow_closes_the_request(repos, sam, outside):
    admin.decide("G1000001", "sam", False, caller("ada"), META, NOW)
    assert outside.resumed == [("token-sam", "Denied")]
    step("denied", "sam")
    step("denied", "sam")  # a retried step changes nothing and mails nobody twice
    assert repos.links.get("sam", "G1000001").status == LinkStatus.DENIED
    assert outside.mails.count(("sam@clinic.example", "access_not_granted")) == 1
    assert repos.audit.actions("sam").count(("link.access", "denied")) == 1


def test_a_request_without_its_waiting_step_is_not_ready(repos, ada, outside):
    link(repos, "sam")  # the workflow has not stored its token yet
    with pytest.raises(Problem) as early:
        admin.decide("G1000001", "sam", True, caller("ada"), META, NOW)
    assert (early.value.status, early.value.slug) == (409, "request-not-ready")
    assert early.value.headers == {"Retry-After": "2"}


def test_only_active_administrators_manage_the_provider(repos, sam, outside):
    for who in ("sam", "nobody"):
        with pytest.raises(Problem) as refused:
            admin.members("G1000001", caller(who))
        assert (refused.value.status, refused.value.slug) == (403, "not-administrator")
        with pytest.raises(Problem):
            admin.decide("G1000001", "sam", True, caller(who), META, NOW)
    members = admin.members("G1000001", caller("ada")).members
    assert [(m.account_id, m.role, m.status) for m in members] == [
        ("ada", LinkRole.ADMIN, LinkStatus.ACTIVE), ("sam", LinkRole.MEMBER, LinkStatus.PENDING_ADMIN)]


def test_access_is_granted_once(repos, ada, outside):
    step("grant", "ada")
    assert outside.mails.count(("ada@clinic.example", "access_granted")) == 1
    assert repos.audit.actions("ada").count(("link.access", "granted")) == 1


@pytest.fixture
def sam_active(repos, sam, outside) -> str:
    admin.decide("G1000001", "sam", True, caller("ada"), META, NOW)
    step("grant", "sam")
    return "sam"


def test_the_last_administrator_cannot_step_down(repos, ada, outside):
    with pytest.raises(Problem) as refused:
        admin.step_down("G1000001", caller("ada"), META, NOW)
    assert (refused.value.status, refused.value.slug) == (409, "last-administrator")
    assert repos.links.admin_tally == {"G1000001": 1}
    assert repos.links.get("ada", "G1000001").role == LinkRole.ADMIN


def test_an_administrator_promotes_a_member_then_steps_down(repos, sam_active, outside):
    admin.promote("G1000001", "sam", caller("ada"), META, NOW)
    assert repos.links.admin_tally == {"G1000001": 2}
    with pytest.raises(Problem) as twice:
        admin.promote("G1000001", "sam", caller("ada"), META, NOW)
    assert (twice.value.status, twice.value.slug) == (409, "not-promotable")
    admin.step_down("G1000001", caller("ada"), META, NOW)
    assert repos.links.admin_tally == {"G1000001": 1}
    assert repos.links.get("ada", "G1000001").role == LinkRole.MEMBER
    with pytest.raises(Problem) as now_member:
        admin.members("G1000001", caller("ada"))
    assert now_member.value.slug == "not-administrator"
    with pytest.raises(Problem) as last:
        admin.step_down("G1000001", caller("sam"), META, NOW)
    assert last.value.slug == "last-administrator"
    assert next(a for a in repos.audit.entries if a.action == "link.admin").detail == {
        "provider_id": "G1000001", "by": "ada"}


def test_a_pending_request_cannot_be_promoted(repos, sam, outside):
    with pytest.raises(Problem) as refused:
        admin.promote("G1000001", "sam", caller("ada"), META, NOW)
    assert (refused.value.status, refused.value.slug) == (409, "not-promotable")
    assert repos.links.admin_tally == {"G1000001": 1}


def test_administrators_remove_members_but_not_administrators(repos, sam_active, outside):
    with pytest.raises(Problem) as self_removal:
        admin.remove("G1000001", "ada", caller("ada"), META, NOW)
    assert self_removal.value.slug == "remove-self"
    admin.promote("G1000001", "sam", caller("ada"), META, NOW)
    with pytest.raises(Problem) as an_admin:
        admin.remove("G1000001", "sam", caller("ada"), META, NOW)
    assert (an_admin.value.status, an_admin.value.slug) == (409, "remove-admin")
    admin.step_down("G1000001", caller("sam"), META, NOW)
    admin.remove("G1000001", "sam", caller("ada"), META, NOW + timedelta(minutes=1))
    removed = repos.links.get("sam", "G1000001")
    assert (removed.status, removed.decided_by) == (LinkStatus.REMOVED, "ada")
    with pytest.raises(Problem) as again:
        admin.remove("G1000001", "sam", caller("ada"), META, NOW)
    assert (again.value.status, again.value.slug) == (409, "not-active")
    assert "sam" not in [m.account_id for m in admin.members("G1000001", caller("ada")).members]
    # a removed member may ask again
    assert link(repos, "sam").status == LinkStatus.PENDING_ADMIN
