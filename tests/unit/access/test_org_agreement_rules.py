"""The organizational agreement's transitions: signed by the group, decided once by staff."""

from __future__ import annotations

from dataclasses import replace

import pytest

from functions.access_workflow.logic import run
from functions.agreements import logic as agreements
from functions.agreements.models import SignOrgAgreement
from functions.shared.core.errors import Problem
from functions.shared.core.plans import plan_profile
from functions.shared.core.states import LinkRole, LinkStatus, LinkType
from functions.shared.core.states import OrgAgreementState as Status
from functions.shared.store.links import LinkView
from functions.shared.store.org_agreements import TRANSITIONS, may_move
from functions.staff import logic as staff
from functions.staff.models import OrgDecision
from tests.unit.access.given import META, NOW, TAX_ID, caller

PLAN = plan_profile("cmo")
STAFF = "arn:aws:iam::123456789012:user/pr.staff"
REF = {"account_id": "olivia", "provider_id": "G1000001"}


def group_link(repos, account_id: str, status: LinkStatus = LinkStatus.PENDING_ORG) -> None:
    repos.links.links[(account_id, "G1000001")] = LinkView(
        account_id=account_id, provider_id="G1000001", link_type=LinkType.GROUP, tax_id=TAX_ID,
        provider_name="Riverside Family Practice", role=LinkRole.ADMIN, status=status, requester_name="Olivia Owner",
        requester_email=f"{account_id}@clinic.example", requested_at=NOW)


def sign(account_id: str = "olivia") -> None:
    agreements.sign(SignOrgAgreement(provider_id="G1000001", signer_name="Olivia Owner", signer_title="owner",
                                     attest=True), caller(account_id), PLAN, META, NOW)


def decide(approve: bool, reason: str = "Checked with the group") -> int:
    return staff.decide(TAX_ID, OrgDecision(approve=approve, reason=reason), STAFF, META, NOW)


def decisions(repos) -> list[tuple[str, str]]:
    return [a for a in repos.audit.actions(f"tax-id:{TAX_ID[-4:]}") if a[0] == "agreement.organization"]


@pytest.fixture
def waiting(repos, outside) -> None:
    """The group's request waits for the agreement (the workflow's await_org step)."""
    group_link(repos, "olivia")
    run({"action": "await_org", "link": REF, "token": "token-olivia"}, PLAN, "https://portal.example", NOW)


def test_the_transition_table():
    assert may_move(None, Status.PENDING) and may_move(Status.UNSIGNED, Status.PENDING)
    assert may_move(Status.REJECTED, Status.PENDING)  # signed again after a rejection
    assert not may_move(Status.PENDING, Status.PENDING) and not may_move(Status.APPROVED, Status.PENDING)
    assert TRANSITIONS[Status.APPROVED] == TRANSITIONS[Status.REJECTED] == {Status.PENDING}


def test_a_waiting_request_creates_the_agreement_unsigned(repos, waiting, outside):
    org = repos.org_agreements.get(TAX_ID)
    assert (org.status, org.waiting_tokens) == (Status.UNSIGNED, {"token-olivia"})
    assert repos.links.get("olivia", "G1000001").waiting_token == "token-olivia"
    assert ("olivia@clinic.example", "org_agreement_needed") in outside.mails


def test_signing_makes_it_pending_once_with_its_audit_record(repos, waiting, outside):
    sign()
    org = repos.org_agreements.get(TAX_ID)
    assert (org.status, org.signer_name, org.signer_title, org.pending_since) == (
        Status.PENDING, "Olivia Owner", "owner", NOW)
    assert ("agreement.organization", "signed") in repos.audit.actions("olivia")
    assert ("provider-relations@portal.example.org", "org_agreement_review") in outside.mails
    with pytest.raises(Problem) as again:
        sign()
    assert (again.value.status, again.value.slug) == (409, "org-agreement-exists")
    assert repos.audit.actions("olivia").count(("agreement.organization", "signed")) == 1
    assert [p.tax_id for p in staff.pending().agreements] == [TAX_ID]


def test_staff_approve_once_and_every_waiting_request_resumes(repos, waiting, outside):
    sign()
    assert decide(True) == 1
    assert outside.resumed == [("token-olivia", {"org_agreement": "approved"})]
    org = repos.org_agreements.get(TAX_ID)
    assert (org.status, org.decided_by, org.waiting_tokens) == (Status.APPROVED, STAFF, frozenset())
    for approve in (False, True):
        with pytest.raises(Problem) as replay:
            decide(approve)
        assert (replay.value.status, replay.value.slug) == (409, "already-decided")
    assert decisions(repos) == [("agreement.organization", "approved")]
    assert staff.pending().agreements == []
    with pytest.raises(Problem) as after_approval:
        sign()
    assert after_approval.value.slug == "org-agreement-exists"


def test_a_later_request_of_an_approved_group_goes_straight_through(repos, waiting, outside):
    sign()
    decide(True)
    group_link(repos, "later")
    run({"action": "await_org", "link": {**REF, "account_id": "later"}, "token": "token-later"}, PLAN,
        "https://portal.example", NOW)
    assert outside.resumed[-1] == ("token-later", {"org_agreement": "approved"})
    assert repos.links.get("later", "G1000001").waiting_token is None
    assert "token-later" not in repos.org_agreements.get(TAX_ID).waiting_tokens


def test_staff_reject_once_then_the_group_may_sign_again(repos, waiting, outside):
    sign()
    assert decide(False, "Signer is not on file") == 1
    assert outside.resumed == [("token-olivia", "Rejected")]
    assert repos.org_agreements.get(TAX_ID).status == Status.REJECTED
    with pytest.raises(Problem) as replay:
        decide(True)
    assert replay.value.slug == "already-decided"
    sign()  # signed again after the rejection
    org = repos.org_agreements.get(TAX_ID)
    assert (org.status, org.reason, org.decided_by) == (Status.PENDING, None, None)
    decide(True)
    assert repos.org_agreements.get(TAX_ID).status == Status.APPROVED
    assert decisions(repos) == [("agreement.organization", "rejected"), ("agreement.organization", "approved")]


def test_a_decision_needs_a_signed_agreement(repos, waiting, outside):
    with pytest.raises(Problem) as unsigned:
        decide(True)
    assert (unsigned.value.status, unsigned.value.slug) == (409, "already-decided")
    assert repos.org_agreements.get(TAX_ID).status == Status.UNSIGNED
    with pytest.raises(Problem) as missing:
        staff.decide("987654321", OrgDecision(approve=True, reason="no such group"), STAFF, META, NOW)
    assert (missing.value.status, missing.value.slug) == (404, "org-agreement-not-found")
    assert decisions(repos) == []


def test_only_an_approved_member_of_the_group_signs_or_reads_it(repos, waiting, outside):
    group_link(repos, "mallory", LinkStatus.PENDING_ADMIN)
    with pytest.raises(Problem) as refused:
        sign("mallory")
    assert (refused.value.status, refused.value.slug) == (403, "not-yet-approved")
    with pytest.raises(Problem):
        agreements.org_status("G1000001", caller("mallory"), PLAN)
    repos.links.links[("mallory", "G1000001")] = replace(repos.links.get("mallory", "G1000001"),
                                                          status=LinkStatus.DENIED)
    with pytest.raises(Problem) as closed:
        sign("mallory")
    assert (closed.value.status, closed.value.slug) == (404, "group-not-linked")
    assert repos.org_agreements.get(TAX_ID).status == Status.UNSIGNED
    assert agreements.org_status("G1000001", caller("olivia"), PLAN).status == Status.UNSIGNED


def test_plans_without_an_organizational_agreement_refuse_signing(repos, waiting, outside):
    with pytest.raises(Problem) as refused:
        agreements.sign(SignOrgAgreement(provider_id="G1000001", signer_name="Olivia Owner", signer_title="owner",
                                         attest=True), caller("olivia"), plan_profile("caresource"), META, NOW)
    assert (refused.value.status, refused.value.slug) == (404, "not-required")
