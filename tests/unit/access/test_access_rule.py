"""Which providers a caller may see (functions/shared/services/access.py), and the portal's provider list."""

from __future__ import annotations

from dataclasses import replace

import pytest

from functions.link_provider.logic import accessible_providers
from functions.shared.core.errors import Problem
from functions.shared.core.plans import plan_profile
from functions.shared.core.states import LinkRole, LinkStatus, LinkType
from functions.shared.services import access
from functions.shared.store.consents import ConsentView
from functions.shared.store.links import LinkView
from tests.unit.access.given import GROUP, IN_GROUP, META, NOW, PRACTITIONER, TAX_ID, caller

PLAN = plan_profile("caresource")


def given(repos, account_id: str, provider_id: str, link_type: LinkType, status: LinkStatus,
          tax_id: str = TAX_ID) -> None:
    repos.links.links[(account_id, provider_id)] = LinkView(
        account_id=account_id, provider_id=provider_id, link_type=link_type, tax_id=tax_id, provider_name="x",
        role=LinkRole.MEMBER, status=status, requester_name="Jane Doe", requester_email="jane@clinic.example",
        requested_at=NOW)


def test_an_active_practitioner_link_grants_that_provider_id(repos, outside):
    given(repos, "jane", "P2000004", LinkType.PRACTITIONER, LinkStatus.ACTIVE, "456789012")
    assert access.visible_providers("jane") == {"P2000004"}
    assert access.may_see("jane", "P2000004") and access.may_see("jane", ["p2000004 "])
    assert not access.may_see("jane", ["P2000004", "G1000001"])
    assert not access.may_see("jane", [])


def test_an_active_group_link_grants_every_provider_under_its_tax_id(repos, outside):
    given(repos, "jane", "G1000001", LinkType.GROUP, LinkStatus.ACTIVE)
    assert access.visible_providers("jane") == {"G1000001", "P2000001"}
    assert access.may_see("jane", {"G1000001", "P2000001"})
    assert not access.may_see("jane", "P2000004")


def test_a_group_link_follows_the_current_roster_version(repos, outside):
    given(repos, "jane", "G1000001", LinkType.GROUP, LinkStatus.ACTIVE)
    joined = replace(PRACTITIONER, provider_id="P2000009", roster_version=2, tax_id=TAX_ID)
    repos.roster.load(replace(GROUP, roster_version=2), joined)  # P2000001 left the group in version 2
    assert access.visible_providers("jane") == {"G1000001", "P2000009"}
    assert not access.may_see("jane", "P2000001")


def test_a_group_link_grants_nothing_before_any_roster(repos, outside):
    repos.roster.version = None
    given(repos, "jane", "G1000001", LinkType.GROUP, LinkStatus.ACTIVE)
    assert access.visible_providers("jane") == frozenset()


@pytest.mark.parametrize("status", [s for s in LinkStatus if s != LinkStatus.ACTIVE])
def test_links_that_are_not_active_grant_nothing(repos, outside, status):
    given(repos, "jane", "G1000001", LinkType.GROUP, status)
    given(repos, "jane", "P2000004", LinkType.PRACTITIONER, status, "456789012")
    assert access.visible_providers("jane") == frozenset()
    assert not access.may_see("jane", "P2000004")


def test_a_change_to_a_link_counts_at_once(repos, outside):
    given(repos, "jane", "P2000004", LinkType.PRACTITIONER, LinkStatus.ACTIVE, "456789012")
    assert access.may_see("jane", "P2000004")
    repos.links.remove("jane", "P2000004", "ada", NOW, _entry())
    assert not access.may_see("jane", "P2000004")


def test_someone_elses_links_grant_nothing(repos, outside):
    given(repos, "ada", "G1000001", LinkType.GROUP, LinkStatus.ACTIVE)
    assert access.visible_providers("jane") == frozenset()


def _entry():
    from functions.shared.core.audit import audit_event

    return audit_event("link.remove", "removed", META, subject="jane", now=NOW)


def _accept(repos, account_id: str) -> None:
    repos.consents.record(ConsentView(account_id, f"provider_agreement#{PLAN.provider_agreement_version}", NOW),
                          _entry())


def test_the_portal_lists_what_the_rule_grants(repos, outside):
    given(repos, "jane", "G1000001", LinkType.GROUP, LinkStatus.ACTIVE)
    given(repos, "jane", "P2000001", LinkType.PRACTITIONER, LinkStatus.ACTIVE)
    given(repos, "jane", "P2000004", LinkType.PRACTITIONER, LinkStatus.PENDING_ADMIN, "456789012")
    _accept(repos, "jane")
    shown = accessible_providers(caller("jane"), PLAN).providers
    assert [(p.provider_id, p.via_link, p.name) for p in shown] == [
        ("G1000001", "G1000001", "Riverside Family Practice"), ("P2000001", "G1000001", "Ann Lee")]
    # Acting for either link opens P2000001: the portal pages offer it under both.
    assert [p.via_links for p in shown] == [["G1000001"], ["G1000001", "P2000001"]]
    assert {p.provider_id for p in shown} == access.visible_providers("jane")
    assert shown[1].zips == sorted(IN_GROUP.zips)


def test_the_portal_stays_closed_without_access_or_the_current_agreement(repos, outside):
    with pytest.raises(Problem) as closed:
        accessible_providers(caller("jane"), PLAN)
    assert (closed.value.status, closed.value.slug) == (403, "no-access")
    given(repos, "jane", "P2000004", LinkType.PRACTITIONER, LinkStatus.ACTIVE, "456789012")
    with pytest.raises(Problem) as agreement:
        accessible_providers(caller("jane"), PLAN)
    assert (agreement.value.status, agreement.value.slug) == (403, "agreement-required")
    _accept(repos, "jane")
    assert [p.provider_id for p in accessible_providers(caller("jane"), PLAN).providers] == ["P2000004"]
