"""Delegates: an administrator of G1000001 invites a billing service (eligibility and claims) by email; its
person accepts with their own account and then checks claims for G1000001, audited naming the company, but
cannot open prior authorizations or manage anyone. The end date stops access by the time alone, the daily
job ends the delegation and mails both sides; an invitation works once, for 14 days, and only for the
account of the invited address; administrators and staff revoke at once."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from functions.agreements.logic import org_status
from functions.authorizations import logic as authorizations
from functions.authorizations.models import AuthorizationSearch
from functions.claims.logic import open_claim
from functions.delegations import logic
from functions.delegations.models import Invite
from functions.eligibility.logic import check
from functions.eligibility.models import EligibilityRequest
from functions.jobs.logic import run
from functions.link_provider.logic import my_links
from functions.provider_admin.logic import members
from functions.shared.core import audit, clock
from functions.shared.core.context import Ask
from functions.shared.core.errors import Problem
from functions.shared.core.states import Feature, LinkRole, LinkStatus
from functions.shared.services import access, delegations
from functions.shared.store.consents import ConsentView
from tests.unit.access.given import META, NOW, caller
from tests.unit.identity import active_account
from tests.unit.portal.conftest import PLAN

ADMIN, BILLER, OTHER = "admin-1", "biller", "other"
BILLING = [Feature.ELIGIBILITY, Feature.CLAIMS]
TODAY = delegations.today(NOW)
JANE = {"member_id": "M100001", "birth_date": date(1984, 3, 12)}


@pytest.fixture
def practice(repos: Any, portal: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """G1000001 with its administrator; a billing service's person and a stranger with accounts (the
    Provider Agreement accepted); the clock at NOW; mails recorded as (to, subject, text)."""
    portal(ADMIN, "G1000001")
    repos.links.links[(ADMIN, "G1000001")] = replace(repos.links.get(ADMIN, "G1000001"), role=LinkRole.ADMIN,
                                                     requester_email="admin@clinic.example")
    active_account(repos, account_id=ADMIN, email="admin@clinic.example")
    active_account(repos, account_id=BILLER, email="ann@acme-billing.example", first_name="Ann", last_name="Biller")
    active_account(repos, account_id=OTHER, email="bob@elsewhere.example", first_name="Bob", last_name="Other")
    for account_id in (BILLER, OTHER):
        document = access.provider_agreement(PLAN)
        repos.consents.consents[(account_id, document)] = ConsentView(account_id, document, accepted_at=NOW)
    repos.mails = []

    def sent(to: str, mail: Any, *, once_for: str | None = None) -> None:
        repos.mails.append((to, mail.subject, mail.text))

    for module in (logic, delegations):
        monkeypatch.setattr(module, "send_mail", sent)
    repos.now = NOW
    monkeypatch.setattr(clock, "now", lambda: repos.now)
    audit.acting_through("", "", None)  # nothing noted by an earlier test
    return repos


def invited(repos: Any, email: str = "Ann@Acme-Billing.example", ends_on: date = TODAY + timedelta(days=90),
            features: list[Feature] | None = None) -> str:
    """The administrator invites; returns the token of the invitation's link."""
    req = Invite(email=email, company="Acme Billing", features=features or BILLING, ends_on=ends_on)
    logic.invite("G1000001", req, caller(ADMIN), META, repos.now, PLAN, "https://portal.example")
    to, subject, text = repos.mails[-1]
    assert (to, subject) == (email.lower(), "CareSource: invitation to act for G1000001")
    return re.search(r"/delegation\.html#token=([A-Za-z0-9_-]+)", text).group(1)


def refused(call: Any, *args: Any, **kwargs: Any) -> Problem:
    with pytest.raises(Problem) as caught:
        call(*args, **kwargs)
    return caught.value


def ask(account_id: str = BILLER, now: Any = NOW) -> Ask:
    return Ask(caller(account_id), PLAN, META, now)


def test_a_billing_delegate_checks_claims_but_not_authorizations_and_is_audited_with_its_company(practice):
    accepted = logic.accept(invited(practice), caller(BILLER), META, NOW, PLAN)
    assert (accepted.provider_id, accepted.company, accepted.features) == ("G1000001", "Acme Billing", BILLING)
    assert accepted.next == "/access.html" and accepted.ends_on == TODAY + timedelta(days=90)
    assert practice.mails[-1][:2] == ("admin@clinic.example", "CareSource: Ann Biller now acts for G1000001")

    claim = open_claim("C26000101", "G1000001", ask())
    assert claim.claim_id == "C26000101"
    assert check(EligibilityRequest(acting_for="G1000001", service_date=NOW.date(), **JANE), caller(BILLER), PLAN,
                 META, NOW).status == "covered"
    search = AuthorizationSearch(acting_for="G1000001", provider_id="G1000001", from_date=NOW.date(),
                                 to_date=NOW.date())
    problem = refused(authorizations.search, search, ask())
    assert (problem.status, problem.slug) == (403, "feature-not-granted")
    assert "invite you again" in problem.detail

    reads = [e for e in practice.audit.entries if e.subject == BILLER and e.action.startswith("phi.")]
    assert [(e.action, e.detail["delegate_company"]) for e in reads] == [("phi.claim.read", "Acme Billing"),
                                                                        ("phi.eligibility", "Acme Billing")]
    (entry,) = [e for e in practice.audit.entries if e.action == "link.delegation" and e.outcome == "accepted"]
    assert entry.subject == BILLER and entry.detail["invited_by"] == ADMIN and entry.detail["company"] == "Acme Billing"

    # the administrator's own reads name no company
    open_claim("C26000101", "G1000001", ask(ADMIN))
    assert "delegate_company" not in practice.audit.entries[-1].detail


def test_a_delegate_sees_its_delegation_and_manages_nothing(practice):
    logic.accept(invited(practice), caller(BILLER), META, NOW, PLAN)
    (mine,) = my_links(caller(BILLER)).links
    assert (mine.role, mine.status, mine.company, mine.ends_on) == ("delegate", "active", "Acme Billing",
                                                                   TODAY + timedelta(days=90))
    assert mine.features == BILLING
    invite = Invite(email="x@y.example", company="C", features=BILLING, ends_on=TODAY)
    for call in (lambda: logic.listing("G1000001", caller(BILLER), NOW), lambda: members("G1000001", caller(BILLER)),
                 lambda: logic.invite("G1000001", invite, caller(BILLER), META, NOW, PLAN, "https://portal.example")):
        assert refused(call).slug == "not-administrator"
    assert refused(org_status, "G1000001", caller(BILLER), PLAN).slug == "delegate-not-signer"
    # the administrator's lists: the delegate among the delegations, not among the members
    assert [m.account_id for m in members("G1000001", caller(ADMIN)).members] == [ADMIN]
    (listed,) = logic.listing("G1000001", caller(ADMIN), NOW).delegations
    assert (listed.account_id, listed.company, listed.status, listed.email) == (
        BILLER, "Acme Billing", LinkStatus.ACTIVE, "ann@acme-billing.example")


def test_the_end_date_stops_access_by_the_time_alone(practice):
    logic.accept(invited(practice, ends_on=TODAY), caller(BILLER), META, NOW, PLAN)
    end = delegations.ends_at(TODAY)
    assert end > NOW and delegations.last_day(end) == TODAY
    practice.now = end - timedelta(seconds=1)
    assert open_claim("C26000101", "G1000001", ask(now=practice.now)).claim_id == "C26000101"
    practice.now = end  # the job has not run: the link is still stored as active
    assert practice.links.get(BILLER, "G1000001").status == LinkStatus.ACTIVE
    assert refused(open_claim, "C26000101", "G1000001", ask(now=end)).slug == "no-access"
    (mine,) = my_links(caller(BILLER)).links
    assert mine.status == "expired" and mine.features == []
    assert logic.listing("G1000001", caller(ADMIN), end).delegations[0].status == LinkStatus.EXPIRED


def test_the_job_ends_delegations_past_their_end_and_mails_both_sides_once(practice):
    logic.accept(invited(practice, ends_on=TODAY), caller(BILLER), META, NOW, PLAN)
    other = invited(practice, email="bob@elsewhere.example", ends_on=TODAY + timedelta(days=30))
    logic.accept(other, caller(OTHER), META, NOW, PLAN)
    practice.mails.clear()
    practice.now = delegations.ends_at(TODAY) + timedelta(hours=1)

    report = run("end-delegations", PLAN, practice.now, lambda: 300.0)
    (phase,) = report.phases
    assert (phase.changed, phase.unchanged, phase.failed) == (1, 0, [])
    assert practice.links.get(BILLER, "G1000001").status == LinkStatus.EXPIRED
    assert practice.links.get(OTHER, "G1000001").status == LinkStatus.ACTIVE  # its end is a month away
    assert sorted((to, subject) for to, subject, _ in practice.mails) == [
        ("admin@clinic.example", "CareSource: a delegate's access to G1000001 ended"),
        ("ann@acme-billing.example", "CareSource: your access to G1000001 ended")]
    assert all("M100001" not in text and "Jane" not in text for _, _, text in practice.mails)  # no PHI
    (ended,) = [e for e in practice.audit.entries if e.outcome == "ended"]
    assert ended.subject == BILLER and ended.detail["company"] == "Acme Billing"
    assert practice.links.ending == {(OTHER, "G1000001")}

    again = run("end-delegations", PLAN, practice.now, lambda: 300.0)
    assert (again.phases[0].changed, again.phases[0].unchanged) == (0, 0) and len(practice.mails) == 2


def test_a_failed_mail_keeps_the_ended_delegation_for_the_next_run(practice, monkeypatch):
    logic.accept(invited(practice, ends_on=TODAY), caller(BILLER), META, NOW, PLAN)
    practice.now = delegations.ends_at(TODAY)

    def unavailable(*args: Any, **kwargs: Any) -> None:
        raise Problem(503, "service-unavailable", "Try again", "")

    monkeypatch.setattr(delegations, "send_mail", unavailable)
    failed = run("end-delegations", PLAN, practice.now, lambda: 300.0).phases[0]
    assert failed.failed == [f"{BILLER} G1000001"] and not failed.complete
    assert practice.links.get(BILLER, "G1000001").status == LinkStatus.EXPIRED
    monkeypatch.setattr(delegations, "send_mail", lambda to, mail, **_: practice.mails.append((to, mail.subject, "")))
    practice.mails.clear()
    assert run("end-delegations", PLAN, practice.now, lambda: 300.0).phases[0].changed == 1
    assert len(practice.mails) == 2 and not practice.links.ending


def test_an_invitation_works_once_for_14_days_and_says_so(practice):
    token = invited(practice)
    assert refused(logic.accept, "x" * 43, caller(BILLER), META, NOW, PLAN).slug == "invitation-unknown"
    late = refused(logic.accept, token, caller(BILLER), META, NOW + timedelta(days=14), PLAN)
    assert (late.status, late.slug) == (410, "invitation-expired")
    logic.accept(token, caller(BILLER), META, NOW + timedelta(days=13), PLAN)
    used = refused(logic.accept, token, caller(BILLER), META, NOW + timedelta(days=13), PLAN)
    assert (used.status, used.slug) == (409, "invitation-used")
    stored = next(iter(practice.tokens.tokens.values()))
    assert token not in stored.token_hash and stored.invitation.email == "ann@acme-billing.example"


def test_only_the_invited_address_accepts_and_the_answer_tells_nothing_else(practice):
    token = invited(practice)
    wrong = refused(logic.accept, token, caller(OTHER), META, NOW, PLAN)
    assert (wrong.status, wrong.slug) == (403, "invitation-for-another-address")
    assert "ann" not in wrong.detail.lower() and "bob" not in wrong.detail.lower()
    assert practice.links.get(OTHER, "G1000001") is None
    assert logic.accept(token, caller(BILLER), META, NOW, PLAN).provider_id == "G1000001"  # still usable by Ann


def test_an_invitation_stands_only_while_its_inviter_administers_and_never_beside_a_link(practice):
    token = invited(practice)
    practice.links.links[(ADMIN, "G1000001")] = replace(practice.links.get(ADMIN, "G1000001"), role=LinkRole.MEMBER)
    assert refused(logic.accept, token, caller(BILLER), META, NOW, PLAN).slug == "invitation-withdrawn"
    practice.links.links[(ADMIN, "G1000001")] = replace(practice.links.get(ADMIN, "G1000001"), role=LinkRole.ADMIN)
    practice.links.links[(BILLER, "G1000001")] = replace(practice.links.get(ADMIN, "G1000001"), account_id=BILLER,
                                                         role=LinkRole.MEMBER)
    assert refused(logic.accept, token, caller(BILLER), META, NOW, PLAN).slug == "already-linked"


def test_the_terms_are_checked_when_inviting(practice):
    for ends_on in (TODAY - timedelta(days=1), TODAY + timedelta(days=366)):
        problem = refused(invited, practice, ends_on=ends_on)
        assert problem.status == 422 and problem.errors[0].field == "ends_on"
    invited(practice, features=[Feature.AUTHORIZATIONS_SUBMIT], ends_on=TODAY + timedelta(days=365))
    token = next(iter(practice.tokens.tokens.values()))
    assert token.invitation.features == (Feature.AUTHORIZATIONS_VIEW, Feature.AUTHORIZATIONS_SUBMIT)  # implied


def test_revoking_ends_access_at_once_and_mails_the_delegate(practice):
    logic.accept(invited(practice), caller(BILLER), META, NOW, PLAN)
    logic.revoke("G1000001", BILLER, ADMIN, META, NOW, PLAN)
    assert practice.links.get(BILLER, "G1000001").status == LinkStatus.REMOVED and not practice.links.ending
    assert practice.mails[-1][:2] == ("ann@acme-billing.example", "CareSource: your access to G1000001 ended")
    assert refused(open_claim, "C26000101", "G1000001", ask()).slug == "no-access"
    assert refused(logic.revoke, "G1000001", BILLER, ADMIN, META, NOW, PLAN).slug == "delegation-not-active"
    assert refused(logic.revoke, "G1000001", ADMIN, ADMIN, META, NOW, PLAN).slug == "delegation-not-found"
    (revoked,) = [e for e in practice.audit.entries if e.outcome == "revoked"]
    assert revoked.detail == {"provider_id": "G1000001", "company": "Acme Billing", "by": ADMIN, "staff": False}


def test_staff_revoke_and_a_new_invitation_makes_a_new_delegation(practice):
    logic.accept(invited(practice), caller(BILLER), META, NOW, PLAN)
    logic.revoke("G1000001", BILLER, "arn:aws:iam::1:user/pr", META, NOW, PLAN, reason="The practice called")
    assert "Provider relations" in practice.mails[-1][2]
    (revoked,) = [e for e in practice.audit.entries if e.outcome == "revoked"]
    assert revoked.detail["staff"] and revoked.detail["reason"] == "The practice called"
    again = logic.accept(invited(practice, ends_on=TODAY + timedelta(days=7)), caller(BILLER), META, NOW, PLAN)
    assert again.ends_on == TODAY + timedelta(days=7)
    assert practice.links.get(BILLER, "G1000001").status == LinkStatus.ACTIVE
    assert practice.links.ending == {(BILLER, "G1000001")}
