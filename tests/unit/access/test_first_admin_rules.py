"""A Provider ID's first administrator: proven by a payment or verified by provider relations before any
access or claim; the claim given back when that first link closes; staff reassigning and removing
administrators. The attack: someone who knows only directory data (name, Tax ID, provider number, ZIP)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from functions.access_workflow.logic import run
from functions.link_provider.logic import proof_tries_left, request_link
from functions.link_provider.models import LinkRequest
from functions.shared.core.business_days import business_days_later
from functions.shared.core.errors import Problem
from functions.shared.core.http import RequestMeta
from functions.shared.core.plans import plan_profile
from functions.shared.core.states import LinkRole, LinkStatus
from functions.shared.services import access
from functions.shared.services.workflow import workflow_input
from functions.staff import logic as staff
from functions.staff.models import AssignAdministrator, VerificationDecision
from tests.unit.access.given import GROUP_FORM, META, NOW, PAYMENT, caller
from tests.unit.identity import active_account

PLAN = plan_profile("caresource")
URL = "https://portal.example"
STAFF = "arn:aws:iam::123456789012:user/pr-desk"


def link(repos, account_id: str, payment: dict | None = None, plan=PLAN, meta: RequestMeta = META, **form: str):
    if repos.accounts.get(account_id) is None:
        active_account(repos, account_id=account_id, email=f"{account_id}@clinic.example")
    body = {**GROUP_FORM, **form, **({"payment": payment} if payment else {})}
    return request_link(LinkRequest(**body), caller(account_id), plan, meta, NOW)


def step(action: str, account_id: str, token: str | None = None) -> None:
    event = {"action": action, "link": {"account_id": account_id, "provider_id": "G1000001"}}
    run({**event, "token": token} if token else event, PLAN, URL, NOW)


def verify(account_id: str, approve: bool = True) -> None:
    staff.decide_verification("G1000001", account_id, VerificationDecision(
        approve=approve, reason="Called the practice's number on file"), STAFF, META, NOW)


def active_admin(repos, account_id: str) -> None:
    link(repos, account_id, PAYMENT)
    step("grant", account_id)


def test_directory_data_alone_grants_nothing_and_claims_nothing(repos, outside):
    mallory = link(repos, "mallory")  # every field right, as in any provider directory
    assert (mallory.role, mallory.status) == (LinkRole.ADMIN, LinkStatus.PENDING_VERIFICATION)
    assert "Provider relations will verify" in mallory.next_step
    assert repos.links.admin_tally == {} and not repos.links.has_administrator("G1000001")
    assert access.visible_providers("mallory") == frozenset()
    assert repos.audit.actions("mallory") == [("link.create", "verification_requested")]
    stored = repos.links.get("mallory", "G1000001")
    assert stored.decision_due == business_days_later(NOW, PLAN.staff_verification_business_days)
    assert workflow_input(stored, PLAN)["needs_verification"] is True
    step("await_staff", "mallory", "token-m")
    assert (PLAN.provider_relations_email, "first_admin_to_verify") in outside.mails
    # the real practice, with its payment, still becomes the administrator at once
    ada = link(repos, "ada", PAYMENT)
    assert (ada.role, ada.status) == (LinkRole.ADMIN, LinkStatus.PENDING_AGREEMENT)
    assert repos.links.admin_tally == {"G1000001": 1}


@pytest.mark.parametrize("wrong", [{"number": "EFT-7731043", "amount": "130.00"},
                                   {"number": "EFT-7731042", "amount": "130.01"},
                                   {"number": "004418", "amount": "96.00"}])
def test_a_wrong_payment_is_refused_alike_and_stores_nothing(repos, outside, wrong):
    with pytest.raises(Problem) as refused:
        link(repos, "mallory", wrong)
    assert (refused.value.status, refused.value.slug) == (422, "payment-not-verified")
    assert refused.value.detail == (
        "We found no payment to this Tax ID in the last 180 days with this number and total. You have 4 tries left "
        "today.")  # the same words whether the number or the amount was wrong, and both fields marked alike
    assert [(e.field, e.message) for e in refused.value.errors] == [
        (field, "Check the number and the total against your remittance advice or bank statement.")
        for field in ("payment.number", "payment.amount")]
    assert refused.value.extra == {"tries_left": 4}
    assert repos.links.links == {} and repos.links.admin_tally == {}
    assert repos.audit.actions("mallory") == [("link.verify", "payment_not_verified")]
    assert repos.audit.entries[-1].detail == {"provider_id": "G1000001", "tries_left": 4}  # no number or amount
    assert outside.started == []


def test_a_payment_number_is_read_as_people_type_it(repos, outside):
    assert link(repos, "ada", {"number": "eft 7731042", "amount": "130"}).role == LinkRole.ADMIN


def test_an_old_payment_proves_nothing(repos, outside):
    old_plan = PLAN.model_copy(update={"payment_proof_days": 20})  # the payment was 21 days ago
    with pytest.raises(Problem) as refused:
        link(repos, "ada", PAYMENT, plan=old_plan)
    assert refused.value.slug == "payment-not-verified"


WRONG = {"number": "EFT-1", "amount": "1.00"}


def refusal(repos, account_id: str, payment: dict, meta: RequestMeta = META) -> Problem:
    with pytest.raises(Problem) as refused:
        link(repos, account_id, payment, meta=meta)
    return refused.value


def test_an_account_past_its_own_tries_is_refused_with_what_to_do(repos, outside):
    lefts = [refusal(repos, "mallory", WRONG).extra["tries_left"]
             for _ in range(PLAN.payment_proof_failures_per_account_per_day)]
    assert lefts == [4, 3, 2, 1, 0]
    limited = refusal(repos, "mallory", PAYMENT)  # even the right one: the account used up its own tries
    assert (limited.status, limited.slug, limited.extra) == (429, "payment-proof-tries-used", {"tries_left": 0})
    assert int(limited.headers["Retry-After"]) > 0
    assert "leave the payment out" in limited.detail
    assert {e.field for e in limited.errors} == {"payment.number", "payment.amount"}
    # without a payment, provider relations can still verify
    assert link(repos, "mallory").status == LinkStatus.PENDING_VERIFICATION


def test_strangers_failing_never_use_up_the_offices_proof(repos, outside):
    # Given two stranger accounts, each from its own network, failing ten times between them
    for account_id, source in (("mallory", "198.51.100.20"), ("trudy", "198.51.100.21")):
        for _ in range(PLAN.payment_proof_failures_per_account_per_day):
            refusal(repos, account_id, WRONG, RequestMeta("r", source, "t"))
    # When the office proves its payment, then it becomes the administrator at once
    ada = link(repos, "ada", PAYMENT)
    assert (ada.role, ada.status) == (LinkRole.ADMIN, LinkStatus.PENDING_AGREEMENT)


def test_a_targeted_provider_id_slows_guessing_to_one_try_per_account(repos, outside):
    for n in range(PLAN.payment_proof_failures_per_provider_per_day):
        refusal(repos, f"guesser{n}", WRONG, RequestMeta("r", f"198.51.100.{n}", "t"))
    # a fresh account gets one try for the Provider ID now: a wrong one leaves none
    assert refusal(repos, "eve", WRONG, RequestMeta("r", "203.0.113.1", "t")).extra == {"tries_left": 0}
    assert refusal(repos, "eve", PAYMENT, RequestMeta("r", "203.0.113.1", "t")).status == 429
    # and the office, which has not failed today, still gets its proof checked
    assert link(repos, "ada", PAYMENT).role == LinkRole.ADMIN


def test_failures_from_one_source_are_limited_across_its_accounts(repos, outside):
    for n in range(PLAN.payment_proof_failures_per_source_per_day):
        refusal(repos, f"sock{n // PLAN.payment_proof_failures_per_account_per_day}", WRONG)
    assert refusal(repos, "another-sock", WRONG).status == 429  # the same network: its tries are used up
    assert link(repos, "ada", PAYMENT, meta=RequestMeta("r", "203.0.113.9", "t")).role == LinkRole.ADMIN


def test_the_tries_left_are_the_smallest_of_the_counts():
    assert proof_tries_left(0, 0, 0, PLAN) == PLAN.payment_proof_failures_per_account_per_day
    assert proof_tries_left(2, 9, 0, PLAN) == 1  # the source's count is nearer its limit
    assert proof_tries_left(0, 0, PLAN.payment_proof_failures_per_provider_per_day, PLAN) == 1
    assert proof_tries_left(1, 0, PLAN.payment_proof_failures_per_provider_per_day, PLAN) == 0


def test_staff_verify_the_first_administrator_who_then_claims_it(repos, outside):
    link(repos, "ada")
    step("await_staff", "ada", "token-ada")
    verify("ada")
    assert outside.resumed == [("token-ada", {"verified_by": STAFF})]
    assert repos.links.admin_tally == {"G1000001": 1}
    assert repos.audit.actions("ada")[-1] == ("link.verification", "approved")
    assert repos.audit.entries[-1].detail == {"provider_id": "G1000001", "by": STAFF,
                                              "reason": "Called the practice's number on file"}
    step("await_agreement", "ada", "token-agreement")
    step("grant", "ada")
    assert access.visible_providers("ada") == {"G1000001", "P2000001"}
    with pytest.raises(Problem) as twice:
        verify("ada")
    assert (twice.value.status, twice.value.slug) == (409, "not-waiting-for-verification")


def test_staff_cannot_verify_a_second_first_administrator(repos, outside):
    link(repos, "mallory")
    step("await_staff", "mallory", "token-m")
    active_admin(repos, "ada")
    with pytest.raises(Problem) as refused:
        verify("mallory")
    assert (refused.value.status, refused.value.slug) == (409, "provider-administered")
    assert repos.links.admin_tally == {"G1000001": 1} and outside.resumed == []


def test_staff_deny_and_the_workflow_closes_the_request(repos, outside):
    link(repos, "mallory")
    with pytest.raises(Problem) as early:
        verify("mallory", approve=False)  # the workflow has not stored its token yet
    assert early.value.slug == "request-not-ready"
    step("await_staff", "mallory", "token-m")
    verify("mallory", approve=False)
    assert outside.resumed == [("token-m", "Denied")]
    step("verification_denied", "mallory")
    assert repos.links.get("mallory", "G1000001").status == LinkStatus.DENIED
    assert ("mallory@clinic.example", "access_not_granted") in outside.mails
    assert repos.links.admin_tally == {}


@pytest.mark.parametrize("close", ["expired", "denied"])
def test_a_first_administrators_closed_link_gives_the_claim_back(repos, outside, close):
    link(repos, "ada", PAYMENT)  # claimed; the Provider Agreement was never accepted
    assert repos.links.admin_tally == {"G1000001": 1}
    step(close, "ada")
    assert repos.links.get("ada", "G1000001").status in (LinkStatus.EXPIRED, LinkStatus.DENIED)
    assert repos.links.admin_tally == {}
    # the Provider ID can be administered again: the next proven linker becomes its administrator
    assert link(repos, "bob", PAYMENT).role == LinkRole.ADMIN


def test_a_members_closed_request_leaves_the_claim_alone(repos, outside):
    active_admin(repos, "ada")
    link(repos, "sam")
    step("expired", "sam")
    assert repos.links.admin_tally == {"G1000001": 1}


@pytest.fixture
def sam_member(repos, outside) -> str:
    from functions.provider_admin import logic as admin

    active_admin(repos, "ada")
    link(repos, "sam")
    step("await_admin", "sam", "token-sam")
    admin.decide("G1000001", "sam", True, caller("ada"), META, NOW)
    step("grant", "sam")
    return "sam"


def test_staff_reassign_the_administrator(repos, sam_member, outside):
    staff.assign_administrator("G1000001", _assign("sam", replaces="ada"), STAFF, PLAN, URL, META, NOW)
    assert repos.links.get("sam", "G1000001").role == LinkRole.ADMIN
    assert repos.links.get("ada", "G1000001").role == LinkRole.MEMBER
    assert repos.links.admin_tally == {"G1000001": 1}
    assert ("sam@clinic.example", "made_administrator") in outside.mails
    assert ("ada@clinic.example", "no_longer_administrator") in outside.mails
    entry = next(e for e in repos.audit.entries if e.outcome == "assigned_by_staff")
    assert entry.detail == {"provider_id": "G1000001", "by": STAFF, "reason": "The office manager left",
                            "replaces": "ada"}
    with pytest.raises(Problem) as again:  # ada is no longer an administrator to replace
        staff.assign_administrator("G1000001", _assign("sam", replaces="ada"), STAFF, PLAN, URL, META, NOW)
    assert (again.value.status, again.value.slug) == (409, "not-assignable")


def test_staff_remove_administrators_and_the_last_one_frees_the_provider(repos, sam_member, outside):
    staff.assign_administrator("G1000001", _assign("sam"), STAFF, PLAN, URL, META, NOW)
    assert repos.links.admin_tally == {"G1000001": 2}
    staff.remove_administrator("G1000001", "ada", "Left the practice", STAFF, PLAN, META, NOW)
    assert repos.links.get("ada", "G1000001").status == LinkStatus.REMOVED
    assert repos.links.admin_tally == {"G1000001": 1}
    assert ("ada@clinic.example", "administrator_removed") in outside.mails
    assert access.visible_providers("ada") == frozenset()
    staff.remove_administrator("G1000001", "sam", "Account compromised", STAFF, PLAN, META, NOW + timedelta(1))
    assert repos.links.admin_tally == {}
    with pytest.raises(Problem) as gone:
        staff.remove_administrator("G1000001", "sam", "again", STAFF, PLAN, META, NOW)
    assert (gone.value.status, gone.value.slug) == (409, "not-an-administrator")
    assert [e.outcome for e in repos.audit.entries if e.action == "link.admin"][-2:] == [
        "removed_by_staff", "removed_by_staff"]
    # nobody administers G1000001 now: the next linker must prove a payment or be verified
    assert link(repos, "carol").status == LinkStatus.PENDING_VERIFICATION


def test_staff_see_everyone_linked_to_a_provider(repos, sam_member, outside):
    seen = staff.provider_links("G1000001")
    assert seen.has_administrator
    assert [(v.account_id, v.role, v.status) for v in seen.links] == [
        ("ada", LinkRole.ADMIN, LinkStatus.ACTIVE), ("sam", LinkRole.MEMBER, LinkStatus.ACTIVE)]


def test_plans_whose_staff_approve_the_organizational_agreement_keep_the_first_linker(repos, outside):
    cmo = plan_profile("cmo")
    view = link(repos, "ada", plan=cmo)
    assert (view.role, view.status) == (LinkRole.ADMIN, LinkStatus.PENDING_AGREEMENT)


def test_plans_whose_staff_always_verify_ignore_a_payment(repos, outside):
    staff_only = PLAN.model_copy(update={"first_admin_proof": "staff"})
    assert link(repos, "ada", PAYMENT, plan=staff_only).status == LinkStatus.PENDING_VERIFICATION
    assert repos.links.admin_tally == {}


def _assign(account_id: str, replaces: str | None = None) -> AssignAdministrator:
    return AssignAdministrator(account_id=account_id, replaces=replaces, reason="The office manager left")
