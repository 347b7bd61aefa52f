"""The start page: each kind of item for the right person only (an administrator sees access requests and
its delegates' ends, a member does not; a billing member sees no prior authorizations or admissions),
decisions new since the last look and gone after it, no member data before the Provider Agreement, and
the caps."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from functions.shared.core.context import Ask
from functions.shared.core.states import Feature, LinkRole, LinkStatus
from functions.shared.services import access
from functions.shared.store.admissions import Admission, AdmissionStatus, AdmissionType
from functions.shared.store.authorizations import (
    Authorization,
    AuthorizationStatus,
    AuthorizationUrgency,
    Event,
    ServiceRequest,
)
from functions.start.logic import CAP, start_page
from functions.start.models import ItemKind, StartPage
from tests.unit.access.given import META, NOW, caller
from tests.unit.identity import active_account
from tests.unit.portal.conftest import PLAN

S = AuthorizationStatus


def look(account_id: str = "office", now: datetime = NOW) -> StartPage:
    return start_page(Ask(caller(account_id), PLAN, META, now))


def kinds(page: StartPage) -> list[ItemKind]:
    return [item.kind for item in page.items]


def titles(page: StartPage, kind: ItemKind) -> list[str]:
    return [item.title for item in page.items if item.kind == kind]


def request(repos, number: int, status: AuthorizationStatus = S.PENDING, *, days_ago: int = 5,
            decided_ago: timedelta | None = None, note: str | None = None,
            provider_id: str = "G1000001") -> Authorization:
    submitted = NOW - timedelta(days=days_ago)
    decided = NOW - decided_ago if decided_ago is not None else None
    history = [Event(submitted, "submitted", "provider")]
    if status != S.PENDING:
        history.append(Event(decided or submitted, status.value, "plan", note))
    a = Authorization(
        authorization_id=f"PA-T{number:07d}", member_id="M100001", member_name="Jane Doe",
        requesting_provider_id=provider_id, servicing_provider_id="P2000001",
        service_lines=(ServiceRequest("73721", 1),), diagnosis_codes=("M25.561",), service_from=date(2026, 3, 9),
        service_to=date(2026, 3, 20), urgency=AuthorizationUrgency.STANDARD, clinical_notes=None,
        submitted_at=submitted, submitted_by="someone", due_at=submitted + timedelta(days=7), status=status,
        decided_at=decided if status not in (S.PENDING, S.MORE_INFO_REQUESTED) else None,
        decision_reason=note if status == S.DENIED else None, history=tuple(history))
    repos.authorizations.requests[a.authorization_id] = a
    return a


def stay(repos, number: int, *, days_ago: float, discharged: bool = False) -> Admission:
    admitted = NOW - timedelta(days=days_ago)
    s = Admission(admission_id=f"ADM-T{number:07d}", member_id="M100002", member_name="Carlos Rivera",
                  facility_provider_id="G1000001", attending_provider_id="P2000001", admitted_at=admitted,
                  admission_type=AdmissionType.INPATIENT, admitting_diagnosis="J18.9", notified_at=admitted,
                  notified_by="someone", notice_due=admitted + timedelta(days=1), late=False,
                  status=AdmissionStatus.DISCHARGED if discharged else AdmissionStatus.ADMITTED,
                  discharged_at=NOW if discharged else None)
    repos.admissions.admissions[s.admission_id] = s
    return s


def given_preset(repos, account_id: str, preset: str) -> None:
    key = (account_id, "G1000001")
    repos.links.links[key] = replace(repos.links.links[key], features=access.FEATURE_PRESETS[preset])


def phi_reads(repos, account_id: str = "office") -> list:
    return [e for e in repos.audit.entries if e.action == "phi.start.read" and e.subject == account_id]


@pytest.fixture
def colleagues(office, portal):
    """`boss`, an administrator of G1000001, and `newbie`, whose request waits for an administrator."""
    portal("boss", "G1000001")
    active_account(office, account_id="boss", email="boss@clinic.example")
    key = ("boss", "G1000001")
    office.links.links[key] = replace(office.links.links[key], role=LinkRole.ADMIN)
    portal("newbie", "G1000001", status=LinkStatus.PENDING_ADMIN)
    key = ("newbie", "G1000001")
    office.links.links[key] = replace(office.links.links[key], requester_name="Nora New",
                                      decision_due=NOW + timedelta(days=10))
    return office


def test_an_administrator_sees_access_requests_and_a_member_does_not(colleagues):
    boss = look("boss")
    (item,) = [i for i in boss.items if i.kind == ItemKind.ACCESS_REQUEST]
    assert item.title == "Nora New asks for access to G1000001"
    assert item.link == "/members.html?provider=G1000001" and item.due == NOW + timedelta(days=10)
    assert ItemKind.ACCESS_REQUEST not in kinds(look("office"))
    assert ItemKind.ACCESS_REQUEST not in kinds(look("newbie"))  # a waiting request opens nothing


def test_information_requested_and_new_decisions_for_those_who_view_authorizations(office):
    request(office, 1, S.MORE_INFO_REQUESTED, note="Send the sleep study report.")
    request(office, 2, S.APPROVED, decided_ago=timedelta(days=2))
    request(office, 3, S.DENIED, days_ago=40, decided_ago=timedelta(days=30), note="Not medically necessary.")
    request(office, 4)  # waiting for the plan: nothing for the provider to do
    request(office, 5, S.MORE_INFO_REQUESTED, provider_id="P2000004")  # another practice's

    page = look()
    (asked,) = [i for i in page.items if i.kind == ItemKind.INFORMATION_REQUESTED]
    assert asked.title == "PA-T0000001: the plan asks for more information"
    assert asked.detail == "Jane Doe (M100001), 73721. The plan's note: Send the sleep study report."
    assert asked.link == "/authorizations.html?provider=G1000001&authorization=PA-T0000001"
    # on a first look, decisions of the last two weeks are new; the one of 30 days ago is not
    assert titles(page, ItemKind.AUTHORIZATION_DECIDED) == ["PA-T0000002 approved"]
    assert page.last_visit is None and page.has_access
    (audited,) = phi_reads(office)
    assert audited.detail["provider_ids"] == ["G1000001"] and audited.detail["authorizations"] == 4
    assert audited.detail["member_ids"] == ["M100001"]


def test_a_billing_member_sees_no_authorizations_or_admissions(office):
    request(office, 1, S.MORE_INFO_REQUESTED)
    request(office, 2, S.APPROVED, decided_ago=timedelta(days=1))
    stay(office, 1, days_ago=4)
    given_preset(office, "office", "billing")

    page = look()
    assert page.items == [] and page.features == ["eligibility", "claims"]
    assert phi_reads(office) == []  # nothing read, nothing audited
    assert office.accounts.get("office").start_seen_at is None


def test_decisions_since_the_last_look_disappear_after_it(office):
    request(office, 1, S.APPROVED, decided_ago=timedelta(hours=3))
    first = look()
    assert titles(first, ItemKind.AUTHORIZATION_DECIDED) == ["PA-T0000001 approved"]

    again = look(now=NOW + timedelta(minutes=5))
    assert titles(again, ItemKind.AUTHORIZATION_DECIDED) == [] and again.last_visit == NOW

    request(office, 2, S.DENIED, decided_ago=-timedelta(minutes=10), note="Not covered.")  # after that look
    later = look(now=NOW + timedelta(hours=1))
    assert titles(later, ItemKind.AUTHORIZATION_DECIDED) == ["PA-T0000002 denied"]
    assert later.items[0].detail.endswith("The plan's reason: Not covered.")
    assert later.last_visit == NOW + timedelta(minutes=5)


def test_open_stays_past_the_review_days_for_those_who_view_admissions(office, portal):
    stay(office, 1, days_ago=3)
    stay(office, 2, days_ago=1)  # too recent
    stay(office, 3, days_ago=5, discharged=True)
    stay(office, 4, days_ago=70)  # older than the 60 days read
    page = look()
    (item,) = [i for i in page.items if i.kind == ItemKind.ADMISSION_OPEN]
    assert item.title == "ADM-T0000001: no discharge recorded"
    assert item.detail.startswith("Carlos Rivera (M100002), inpatient, admitted 3 days ago.")
    assert item.link == "/admissions.html?provider=G1000001"
    assert phi_reads(office)[0].detail["admissions"] == 3

    portal("nurse", "G1000001")
    given_preset(office, "nurse", "clinical")
    assert [i.kind for i in look("nurse").items] == [ItemKind.ADMISSION_OPEN]
    portal("biller", "G1000001")
    given_preset(office, "biller", "billing")
    assert look("biller").items == []


def test_agreements_come_first_and_no_member_data_before_the_provider_agreement(office, portal):
    request(office, 1, S.MORE_INFO_REQUESTED)
    portal("late", "G1000001", agreed=False)
    page = look("late")
    assert [(i.kind, i.title) for i in page.items] == [(ItemKind.AGREEMENT, "Accept the new Provider Agreement")]
    assert phi_reads(office, "late") == []

    portal("joining", "G1000001", status=LinkStatus.PENDING_AGREEMENT, agreed=False)
    joining = look("joining")
    assert [(i.kind, i.provider_id, i.link) for i in joining.items] == [
        (ItemKind.AGREEMENT, "G1000001", "/agreement.html")]
    assert not joining.has_access and joining.features == []

    mixed = look()  # the office: the agreement accepted, the request listed
    assert kinds(mixed) == [ItemKind.INFORMATION_REQUESTED]


def test_each_kind_and_provider_id_lists_at_most_the_cap_and_counts_the_rest(office):
    for n in range(CAP + 5):
        request(office, n, S.MORE_INFO_REQUESTED, days_ago=1 + n % 80)
    page = look()
    assert len(page.items) == CAP
    (more,) = page.more
    assert (more.kind, more.provider_id, more.count, more.link) == (
        ItemKind.INFORMATION_REQUESTED, "G1000001", 5, "/authorizations.html?provider=G1000001")
    assert phi_reads(office)[0].detail["authorizations"] == CAP + 5


def test_nobody_linked_sees_an_empty_start(repos):
    active_account(repos, account_id="alone", email="alone@clinic.example")
    page = look("alone")
    assert (page.items, page.more, page.features, page.has_access) == ([], [], [], False)


def test_delegations_ending_soon_for_the_delegate_and_the_administrators(colleagues, portal):
    from functions.shared.services import delegations

    for account_id, last_day in (("acme", date(2026, 3, 12)), ("later", date(2026, 4, 30))):
        portal(account_id, "G1000001")
        key = (account_id, "G1000001")
        colleagues.links.links[key] = replace(
            colleagues.links.links[key], role=LinkRole.DELEGATE, features=(Feature.CLAIMS,), company="Acme Billing",
            requester_name="Ana Smith", ends_at=delegations.ends_at(last_day))
    request(colleagues, 1, S.MORE_INFO_REQUESTED)

    (mine,) = look("acme").items  # a delegate for claims: its own end, nothing of prior authorizations
    assert (mine.kind, mine.title) == (ItemKind.DELEGATION_ENDING, "Your access to G1000001 ends soon")
    assert "through 03/12/2026" in mine.detail
    assert look("later").items == []
    ending = [i.title for i in look("boss").items if i.kind == ItemKind.DELEGATION_ENDING]
    assert ending == ["Ana Smith (Acme Billing) acts for G1000001 until 03/12/2026"]
    assert ItemKind.DELEGATION_ENDING not in kinds(look("office"))
