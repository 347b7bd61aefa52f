"""Claim status: the access matrix, reason codes in plain words, payments, and pages that inserts
cannot shift."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from functions.claims.logic import open_claim, search
from functions.claims.models import ClaimSearch
from functions.shared.core.context import Ask
from functions.shared.core.errors import Problem
from functions.shared.core.plans import plan_profile
from functions.shared.core.states import LinkStatus
from functions.shared.store.claims import ClaimStatus
from tests.unit.access.given import META, NOW, caller
from tests.unit.portal.conftest import PLAN, TODAY

YEAR = {"from_date": TODAY - timedelta(days=365), "to_date": TODAY}


def opened(claim_id: str, acting_for: str = "G1000001", account_id: str = "office", plan=PLAN):
    return open_claim(claim_id, acting_for, Ask(caller(account_id), plan, META, NOW))


def listed(account_id: str = "office", **fields):
    return search(ClaimSearch(**{"acting_for": "G1000001", **YEAR, **fields}), Ask(caller(account_id), PLAN, META, NOW))


def problem_of(call, *args, **kwargs) -> Problem:
    with pytest.raises(Problem) as caught:
        call(*args, **kwargs)
    return caught.value


def test_a_denied_claim_shows_each_reason_code_with_its_meaning(repos, portal):
    portal("office", "G1000001")
    claim = opened("C26000102")
    assert claim.status == ClaimStatus.DENIED and claim.payment is None
    assert [(r.kind, r.code) for r in claim.lines[0].reasons] == [("CARC", "197"), ("RARC", "N54")]
    assert "authorization" in claim.lines[0].reasons[0].meaning
    assert claim.customer_service_phone == PLAN.support_phone
    assert repos.audit.actions("office") == [("phi.claim.read", "shown")]
    assert repos.audit.entries[-1].detail["member_id"] == "M100001"


def test_a_paid_claim_shows_its_payment_and_the_plans_claims_phone(repos, portal):
    portal("office", "G1000001")
    claim = opened("C26000101", plan=plan_profile("cmo"))
    assert (claim.payment.method, claim.payment.number, claim.payment.amount) == ("eft", "EFT-7731042", "130.00")
    assert [line.patient_responsibility for line in claim.lines] == ["10.00", "0.00"]
    assert claim.customer_service_phone == "914-377-4400"


@pytest.mark.parametrize(("link", "status", "sees"), [
    ("G1000001", LinkStatus.ACTIVE, True),  # the group bills it
    ("P2000004", LinkStatus.ACTIVE, False),  # an unrelated practitioner
    ("G1000001", LinkStatus.PENDING_AGREEMENT, False),
    ("G1000001", LinkStatus.REMOVED, False),
])
def test_provider_a_never_reads_provider_bs_claim(repos, portal, link, status, sees):
    portal("office", link, status=status)
    if sees:
        assert opened("C26000101", acting_for=link).claim_id == "C26000101"
        return
    problem = problem_of(opened, "C26000101", acting_for=link)
    if status == LinkStatus.ACTIVE:  # exactly like a claim that does not exist
        assert (problem.status, problem.slug) == (404, "claim-not-found")
        assert problem_of(opened, "C99999999", acting_for=link).detail == problem.detail
        assert repos.audit.actions("office")[0] == ("phi.claim.read", "not_found")
    else:
        assert (problem.status, problem.slug) == (403, "no-access")


def test_a_practitioner_sees_its_own_claims_only_even_of_a_shared_member(repos, portal):
    portal("solo", "P2000004")
    grace = listed("solo", acting_for="P2000004", member_id="M100005", birth_date=date(1962, 5, 18))
    assert [c.claim_id for c in grace.claims] == ["C26000108"]
    jane = listed("solo", acting_for="P2000004", member_id="M100001", birth_date=date(1984, 3, 12))
    assert jane.claims == []  # Jane's claims are all the group's
    assert problem_of(listed, "solo", acting_for="P2000004", provider_id="P2000001").errors[0].field == "provider_id"


def test_a_member_search_needs_the_exact_birth_date(repos, portal):
    portal("office", "G1000001")
    problem = problem_of(listed, member_id="M100001", birth_date=date(1984, 3, 13))
    assert (problem.status, problem.slug) == (404, "member-not-found")


def test_pages_run_newest_first_and_inserts_never_shift_them(repos, portal):
    portal("office", "G1000001")
    first = listed(provider_id="P2000001", page_size=3)
    assert len(first.claims) == 3 and first.next_cursor
    dates = [c.service_from for c in first.claims]
    assert dates == sorted(dates, reverse=True)
    template = repos.claims.get(first.claims[0].claim_id)
    newest = replace(template, claim_id="CNEW00001", service_from=TODAY, service_to=TODAY)
    older = first.claims[-1].service_from - timedelta(days=1)
    between = replace(template, claim_id="CMID00001", service_from=older, service_to=older)
    repos.claims.put(newest, "new", "test")  # newer than page 1: belongs before it, never on a later page
    repos.claims.put(between, "mid", "test")  # older than page 1: shows up on a later page, once
    seen = [c.claim_id for c in first.claims]
    cursor = first.next_cursor
    while cursor:
        page = listed(provider_id="P2000001", page_size=3, cursor=cursor)
        seen += [c.claim_id for c in page.claims]
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) and "CNEW00001" not in seen and "CMID00001" in seen
    assert listed(provider_id="P2000001", page_size=1).claims[0].claim_id == "CNEW00001"


def test_a_cursor_of_another_search_is_refused(repos, portal):
    portal("office", "G1000001")
    cursor = listed(provider_id="P2000001", page_size=1).next_cursor
    problem = problem_of(listed, provider_id="G1000001", page_size=1, cursor=cursor)
    assert (problem.status, problem.errors[0].field) == (422, "cursor")
    assert problem_of(listed, provider_id="G1000001", cursor="not-a-cursor").errors[0].field == "cursor"
