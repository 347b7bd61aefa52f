"""Which members a Provider ID may get by the Provider Access API: those attributed to it.

A Provider ID stands for itself, and a group for every provider under its Tax ID in the current roster
(as in the portal). A member is attributed when, today, one of those providers is the PCP of a coverage
period that covers today, or billed or rendered one of the member's claims, or requested or was to serve
one of the member's prior authorizations, within the plan's look-back window. Each member costs one
Query of its items, then a Query page of its claim index and, if need be, of its requests; nothing is
scanned.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import LinkType
from functions.shared.store import repositories
from functions.shared.store.claims import MEMBER_OWNER
from functions.shared.store.members import Member
from functions.shared.store.pages import StoredPage

PER_PAGE = 100
MAX_PAGES = 5  # a member with more than 500 claims (or requests) in the window is judged on the newest 500


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
    member_id = member.profile.member_id
    return _any_page(lambda after: repositories().claims.page(MEMBER_OWNER + member_id, first, today, PER_PAGE,
                                                              after), scope) or \
        _any_page(lambda after: repositories().authorizations.of_member(member_id, first, today, PER_PAGE, after),
                  scope)


def _any_page(page_after: Callable[[str | None], StoredPage[Any]], scope: frozenset[str]) -> bool:
    """Whether a record of these pages names a provider of `scope` (at most MAX_PAGES pages, newest first)."""
    after: str | None = None
    for _ in range(MAX_PAGES):
        page = page_after(after)
        if any(scope & record.provider_ids for record in page.items):
            return True
        if page.after is None:
            return False
        after = page.after
    return False
