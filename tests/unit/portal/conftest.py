"""Portal-data rules on the in-memory store: the demo roster's providers, the demo extract's members
and claims, and callers whose links and agreements each test chooses."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from devserver.demo_portal_data import ndjson
from functions.portal_data_import.fhir import Extract
from functions.portal_data_import.passes import parse
from functions.shared.core.plans import plan_profile
from functions.shared.core.states import LinkRole, LinkStatus, LinkType
from functions.shared.services import access
from functions.shared.store.consents import ConsentView
from functions.shared.store.links import LinkView
from tests.unit.access.given import GROUP, IN_GROUP, NOW, PRACTITIONER

PLAN = plan_profile("caresource")
TODAY = NOW.date()


@cache
def demo_extract() -> Extract:
    """The demo extract, validated once per test run (the import itself is tested on its own)."""
    extract = parse(ndjson(TODAY))
    assert not extract.problems
    return extract


@pytest.fixture
def portal(repos: Any) -> Any:
    """The demo roster and extract loaded; returns a helper that gives an account a link."""
    repos.roster.load(GROUP, IN_GROUP, PRACTITIONER)
    extract = demo_extract()
    for profile, content_hash, source in extract.profiles:
        repos.members.put_profile(profile, content_hash, source)
    for member_id, coverage, content_hash, source in extract.coverages:
        repos.members.put_coverage(member_id, coverage, content_hash, source)
    for claim, content_hash, source in extract.claims:
        repos.claims.put(claim, content_hash, source)

    def linked(account_id: str, provider_id: str, *, status: LinkStatus = LinkStatus.ACTIVE,
               agreed: bool = True) -> None:
        record = {GROUP.provider_id: GROUP, PRACTITIONER.provider_id: PRACTITIONER}[provider_id]
        repos.links.links[(account_id, provider_id)] = LinkView(
            account_id=account_id, provider_id=provider_id, link_type=LinkType(record.provider_type),
            tax_id=record.tax_id, provider_name=provider_id, role=LinkRole.MEMBER, status=status,
            requester_name="Jane Doe", requester_email=f"{account_id}@clinic.example", requested_at=NOW)
        if agreed:
            repos.consents.consents[(account_id, access.provider_agreement(PLAN))] = ConsentView(
                account_id=account_id, document=access.provider_agreement(PLAN), accepted_at=NOW)

    return linked


@pytest.fixture
def office(repos: Any, portal: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Account 'office' acting for G1000001; the plan's mails and the decision clocks are recorded, not sent."""
    from functions.shared.services import authorization_clock
    from functions.um_decisions import logic as um
    from tests.unit.identity import active_account

    portal("office", "G1000001")
    active_account(repos, account_id="office", email="office@clinic.example")
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(um, "send_mail", lambda to, mail: sent.append((to, mail.kind)))
    repos.sent = sent
    repos.clocks = []  # the decision clocks started: (request, submitted, due)
    monkeypatch.setattr(authorization_clock, "start", lambda *started: repos.clocks.append(started))
    return repos
