"""Member eligibility: who may check, exact identity or nothing, covered vs not covered, audit, limits."""

from datetime import date, timedelta

import pytest

from functions.eligibility.logic import check
from functions.eligibility.models import EligibilityRequest
from functions.shared.core.errors import Problem
from functions.shared.core.states import LinkStatus
from tests.unit.access.given import META, NOW, caller
from tests.unit.portal.conftest import PLAN, TODAY

JANE = {"member_id": "M100001", "birth_date": date(1984, 3, 12)}


def ask(account_id: str = "office", plan=PLAN, **fields) -> object:
    values = {"acting_for": "G1000001", "service_date": TODAY, **JANE, **fields}
    return check(EligibilityRequest(**values), caller(account_id), plan, META, NOW)


def refused(**fields) -> Problem:
    with pytest.raises(Problem) as caught:
        ask(**fields)
    return caught.value


def test_a_covered_member_shows_plan_pcp_and_what_is_left_of_the_deductible(repos, portal):
    portal("office", "G1000001")
    answer = ask()
    assert answer.status == "covered" and answer.coverage.plan == "Medicaid Managed Care"
    assert answer.coverage.primary_care_provider.provider_id == "P2000001"
    deductible = next(b for b in answer.coverage.benefits if b.kind == "deductible")
    assert (deductible.amount, deductible.used, deductible.remaining) == ("500.00", "320.00", "180.00")
    office = next(b for b in answer.coverage.benefits if b.kind == "copay_office")
    assert office.amount == "10.00" and office.remaining is None
    assert repos.audit.actions("office") == [("phi.eligibility", "covered")]
    assert repos.audit.entries[-1].detail == {"acting_for": "G1000001", "by": "member_id", "member_id": "M100001",
                                              "service_date": TODAY.isoformat()}


def test_the_same_member_by_name_and_birth_date(repos, portal):
    portal("office", "G1000001")
    answer = ask(member_id=None, last_name="doe", first_name=" JANE")
    assert answer.member.member_id == "M100001" and answer.status == "covered"


@pytest.mark.parametrize("near_miss", [
    {"birth_date": date(1984, 3, 13)},  # right member ID, wrong date of birth
    {"member_id": "M100099"},  # unknown member
    {"member_id": None, "last_name": "Doe", "first_name": "Janet"},  # one letter off
    {"last_name": "Dole", "first_name": "Jane"},  # names given with the ID must match too
])
def test_a_near_miss_says_no_member_found_without_naming_the_field(repos, portal, near_miss):
    portal("office", "G1000001")
    problem = refused(**near_miss)
    assert (problem.status, problem.slug, problem.errors) == (404, "member-not-found", [])
    assert repos.audit.actions("office") == [("phi.eligibility", "not_found")]
    assert "member_id" not in repos.audit.entries[-1].detail  # who was searched for is not kept when unknown


def test_ended_and_future_coverage_say_not_covered_and_why(repos, portal):
    portal("office", "G1000001")
    ended = ask(member_id="M100002", birth_date=date(1975, 7, 4))
    assert ended.status == "not_covered" and ended.coverage is None and "coverage ended" in ended.message
    assert ended.other_periods[0].end < TODAY
    future = ask(member_id="M100003", birth_date=date(2019, 11, 20))
    assert future.status == "not_covered" and "coverage starts" in future.message
    covered_later = ask(member_id="M100003", birth_date=date(2019, 11, 20), service_date=TODAY + timedelta(days=40))
    assert covered_later.status == "covered"


@pytest.mark.parametrize(("setup", "slug"), [
    ({}, "no-access"),
    ({"status": LinkStatus.PENDING_ADMIN}, "no-access"),
    ({"status": LinkStatus.REMOVED}, "no-access"),
    ({"agreed": False}, "agreement-required"),
])
def test_without_an_active_link_and_the_agreement_nothing_is_read(repos, portal, setup, slug):
    if setup:
        portal("office", "G1000001", **setup)
    assert (refused().status, refused().slug) == (403, slug)
    assert repos.audit.entries == []


def test_a_caller_cannot_act_for_a_provider_id_of_someone_else(repos, portal):
    portal("office", "P2000004")
    problem = refused(acting_for="G1000001")
    assert (problem.status, problem.slug) == (403, "not-acting-for")


def test_lookups_are_rate_limited_per_account(repos, portal):
    portal("office", "G1000001")
    portal("other", "G1000001")
    strict = PLAN.model_copy(update={"eligibility_lookups_per_hour": 2})
    ask(plan=strict)
    with pytest.raises(Problem):  # a miss counts too
        ask(plan=strict, birth_date=date(1984, 3, 13))
    with pytest.raises(Problem) as caught:
        ask(plan=strict)
    assert caught.value.status == 429 and "Retry-After" in caught.value.headers
    assert ask("other", plan=strict).status == "covered"  # another account is not slowed down
