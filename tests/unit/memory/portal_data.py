"""Members and claims in memory, with the same paging contract as the DynamoDB repositories."""

from __future__ import annotations

from datetime import date

from functions.shared.store.claims import Claim, ClaimSummary, payment_key
from functions.shared.store.members import CoveragePeriod, Member, MemberProfile, identity_key
from functions.shared.store.pages import StoredPage
from tests.unit.memory.pages import newest_first


class MemoryMembers:
    def __init__(self) -> None:
        self.profiles: dict[str, tuple[MemberProfile, str]] = {}
        self.periods: dict[tuple[str, str], tuple[CoveragePeriod, str]] = {}

    def get(self, member_id: str) -> Member | None:
        if member_id not in self.profiles:
            return None
        periods = tuple(c for (m, _), (c, _) in sorted(self.periods.items()) if m == member_id)
        return Member(self.profiles[member_id][0], periods)

    def profile(self, member_id: str) -> MemberProfile | None:
        stored = self.profiles.get(member_id)
        return stored[0] if stored else None

    def coverages(self, member_id: str) -> tuple[CoveragePeriod, ...]:
        return tuple(c for (m, _), (c, _) in sorted(self.periods.items()) if m == member_id)

    def ids_by_identity(self, last_name: str, first_name: str, birth_date: date) -> list[str]:
        key = identity_key(last_name, first_name, birth_date)
        return sorted(m for m, (p, _) in self.profiles.items()
                      if identity_key(p.last_name, p.first_name, p.birth_date) == key)

    def put_profile(self, profile: MemberProfile, content_hash: str, source: str) -> bool:
        if self.profiles.get(profile.member_id, (None, None))[1] == content_hash:
            return False
        self.profiles[profile.member_id] = (profile, content_hash)
        return True

    def put_coverage(self, member_id: str, coverage: CoveragePeriod, content_hash: str, source: str) -> bool:
        key = (member_id, f"{coverage.start.isoformat()}#{coverage.coverage_id}")
        if self.periods.get(key, (None, None))[1] == content_hash:
            return False
        self.periods[key] = (coverage, content_hash)
        return True


class MemoryClaims:
    def __init__(self) -> None:
        self.claims: dict[str, tuple[Claim, str]] = {}

    def get(self, claim_id: str) -> Claim | None:
        stored = self.claims.get(claim_id)
        return stored[0] if stored else None

    def payment_total(self, tax_id: str, number: str, since: date) -> int | None:
        key = payment_key(tax_id, number)
        paid = [c.payment.amount_cents for c, _ in self.claims.values()
                if c.payment and payment_key(c.billing_tax_id, c.payment.number) == key and c.payment.date >= since]
        return sum(paid) if paid else None

    def page(self, owner: str, first_day: date, last_day: date, limit: int,
             after: str | None) -> StoredPage[ClaimSummary]:
        found = newest_first((c for c, _ in self.claims.values()
                              if owner in c.owners and first_day <= c.service_from <= last_day),
                             lambda c: c.page_key, limit, after)
        return StoredPage(tuple(_summary(c) for c in found.items), found.after)

    def put(self, claim: Claim, content_hash: str, source: str) -> bool:
        if self.claims.get(claim.claim_id, (None, None))[1] == content_hash:
            return False
        self.claims[claim.claim_id] = (claim, content_hash)
        return True


def _summary(c: Claim) -> ClaimSummary:
    return ClaimSummary(c.claim_id, c.member_id, c.member_name, c.billing_provider_id, c.rendering_provider_id,
                        c.service_from, c.service_to, c.status, c.billed_cents, c.paid_cents)


REPOSITORIES = {"members": MemoryMembers, "claims": MemoryClaims}
