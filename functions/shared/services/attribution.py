"""Which members a Provider ID may get by the Provider Access API: those attributed to it.

A Provider ID stands for itself, and a group for every provider under its Tax ID in the current roster
(as in the portal). A member is attributed when, today, one of those providers is the PCP of a coverage
period that covers today, or billed or rendered one of the member's claims within the plan's look-back
window. Each member costs one GetItem (the member and coverage) and one Query page of the member's
claim index; nothing is scanned.
"""

from __future__ import annotations

from datetime import date, timedelta

from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import LinkType
from functions.shared.store import repositories
from functions.shared.store.claims import MEMBER_OWNER
from functions.shared.store.members import Member

CLAIMS_PER_PAGE = 100
MAX_CLAIM_PAGES = 5  # a member with more than 500 claims in the window is judged on the newest 500


def provider_scope(provider_id: str) -> frozenset[str]:
    roster = repositories().roster
    version = roster.current_version()
    record = roster.provider(provider_id, version) if version else None
    if record is None:
        return frozenset({provider_id})
    if record.provider_type == LinkType.GROUP:
        return frozenset({provider_id, *(p.provider_id for p in roster.under_tax_id(record.tax_id, version or 0))})
    return frozenset({provider_id})


def attributed(member: Member, scope: frozenset[str], plan: PlanProfile, today: date) -> bool:
    if any(c.covers(today) and c.pcp_provider_id in scope for c in member.coverages):
        return True
    first = today - timedelta(days=plan.attribution_lookback_days)
    after: str | None = None
    for _ in range(MAX_CLAIM_PAGES):
        page = repositories().claims.page(MEMBER_OWNER + member.profile.member_id, first, today, CLAIMS_PER_PAGE,
                                          after)
        if any(scope & c.provider_ids for c in page.items):
            return True
        if page.after is None:
            return False
        after = page.after
    return False
