"""Member repository: a member's profile and coverage periods, loaded from the plan's extracts.

A member and all their coverage periods are one item collection, so a lookup by member ID is one
Query; a lookup by name and date of birth first asks the sparse identity index. An identity check reads
the profile alone first (`profile`: one GetItem, the same work whether or not the member exists), and the
coverage periods (`coverages`) only once it matched. The portal only reads; the extract import is the
only writer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol

from pynamodb.exceptions import PutError

from functions.shared.store.models import bind_tables
from functions.shared.store.portal_models import COVERAGE_PREFIX, PROFILE, Benefit, MemberRecord
from functions.shared.store.transactions import find


class CoverageStatus(StrEnum):
    """FHIR Coverage.status."""

    ACTIVE = "active"
    CANCELLED = "cancelled"
    DRAFT = "draft"
    ENTERED_IN_ERROR = "entered-in-error"


class BenefitKind(StrEnum):
    COPAY_OFFICE = "copay_office"
    COPAY_SPECIALIST = "copay_specialist"
    COPAY_URGENT_CARE = "copay_urgent_care"
    COPAY_EMERGENCY = "copay_emergency"
    DEDUCTIBLE = "deductible"
    OUT_OF_POCKET = "out_of_pocket"


@dataclass(frozen=True)
class BenefitAmount:
    kind: BenefitKind
    amount_cents: int
    used_cents: int | None = None


@dataclass(frozen=True)
class CoveragePeriod:
    coverage_id: str
    status: CoverageStatus
    start: date
    end: date | None
    plan_name: str
    product: str
    group_id: str | None = None
    pcp_provider_id: str | None = None
    pcp_name: str | None = None
    benefits: tuple[BenefitAmount, ...] = ()

    def covers(self, day: date) -> bool:
        return self.status == CoverageStatus.ACTIVE and self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class MemberProfile:
    member_id: str
    first_name: str
    last_name: str
    birth_date: date


@dataclass(frozen=True)
class Member:
    profile: MemberProfile
    coverages: tuple[CoveragePeriod, ...] = field(default_factory=tuple)


def identity_key(last_name: str, first_name: str, birth_date: date) -> str:
    """The index key of a name and birth date: case, spaces and punctuation do not matter; hashed, so
    the index key itself reveals no name."""
    def norm(value: str) -> str:
        return "".join(ch for ch in value.casefold() if ch.isalnum())

    return hashlib.sha256(f"{norm(last_name)}|{norm(first_name)}|{birth_date.isoformat()}".encode()).hexdigest()


class Members(Protocol):
    def get(self, member_id: str) -> Member | None: ...

    def profile(self, member_id: str) -> MemberProfile | None: ...

    def coverages(self, member_id: str) -> tuple[CoveragePeriod, ...]: ...

    def ids_by_identity(self, last_name: str, first_name: str, birth_date: date) -> list[str]: ...

    def put_profile(self, profile: MemberProfile, content_hash: str, source: str) -> bool: ...

    def put_coverage(self, member_id: str, coverage: CoveragePeriod, content_hash: str, source: str) -> bool: ...


def coverage_record(coverage: CoveragePeriod) -> str:
    return f"{COVERAGE_PREFIX}{coverage.start.isoformat()}#{coverage.coverage_id}"


class DynamoMembers:
    def get(self, member_id: str) -> Member | None:
        bind_tables()
        profile: MemberProfile | None = None
        coverages: list[CoveragePeriod] = []
        for item in MemberRecord.query(member_id):
            if item.record == PROFILE:
                profile = _profile(item)
            else:
                coverages.append(_coverage(item))
        return Member(profile, tuple(coverages)) if profile else None

    def profile(self, member_id: str) -> MemberProfile | None:
        bind_tables()
        item = find(MemberRecord, member_id, PROFILE, consistent=False)
        # An absent member costs the same decoding as a present one: the time of the answer does not say
        # whether the member ID exists.
        profile = _profile(item if item is not None else MemberRecord.from_raw_data(_DECOY_PROFILE))
        return profile if item is not None else None

    def coverages(self, member_id: str) -> tuple[CoveragePeriod, ...]:
        bind_tables()
        return tuple(_coverage(item) for item in MemberRecord.query(
            member_id, MemberRecord.record.startswith(COVERAGE_PREFIX)))

    def ids_by_identity(self, last_name: str, first_name: str, birth_date: date) -> list[str]:
        bind_tables()
        key = identity_key(last_name, first_name, birth_date)
        return sorted({item.member_id for item in MemberRecord.by_identity.query(key)})

    def put_profile(self, profile: MemberProfile, content_hash: str, source: str) -> bool:
        item = MemberRecord(profile.member_id, PROFILE, content_hash=content_hash, source=source,
                            first_name=profile.first_name, last_name=profile.last_name,
                            birth_date=profile.birth_date.isoformat(),
                            identity_key=identity_key(profile.last_name, profile.first_name, profile.birth_date))
        return _put_if_changed(item, content_hash)

    def put_coverage(self, member_id: str, coverage: CoveragePeriod, content_hash: str, source: str) -> bool:
        item = MemberRecord(
            member_id, coverage_record(coverage), content_hash=content_hash, source=source,
            status=coverage.status, start=coverage.start.isoformat(),
            end=coverage.end.isoformat() if coverage.end else None, plan_name=coverage.plan_name,
            product=coverage.product, group_id=coverage.group_id, pcp_provider_id=coverage.pcp_provider_id,
            pcp_name=coverage.pcp_name,
            benefits=[Benefit(kind=b.kind, amount_cents=b.amount_cents, used_cents=b.used_cents)
                      for b in coverage.benefits] or None)
        return _put_if_changed(item, content_hash)


def _put_if_changed(item: MemberRecord, content_hash: str) -> bool:
    """Write unless the stored item came from the same content: a re-run of an extract writes nothing (the
    stored hash is read first: a refused conditional write would still be a billed write)."""
    bind_tables()
    stored = find(MemberRecord, item.member_id, item.record, consistent=False)
    if stored is not None and stored.content_hash == content_hash:
        return False
    try:
        item.save(condition=MemberRecord.member_id.does_not_exist() | (MemberRecord.content_hash != content_hash))
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


# A stored profile's shape (the attributes an import writes, names of a usual length), decoded in place of
# one that is not there.
_DECOY_PROFILE = {
    "member_id": {"S": "M000000000"}, "record": {"S": PROFILE}, "content_hash": {"S": "0" * 64},
    "source": {"S": "Patient/decoy-0000000000"}, "first_name": {"S": "Decoyname"}, "last_name": {"S": "Decoyname"},
    "birth_date": {"S": "1900-01-01"}, "identity_key": {"S": "0" * 64},
}


def _profile(item: MemberRecord) -> MemberProfile:
    return MemberProfile(item.member_id, item.first_name or "", item.last_name or "",
                         date.fromisoformat(item.birth_date or "1900-01-01"))


def _coverage(item: MemberRecord) -> CoveragePeriod:
    coverage_id = item.record.rsplit("#", 1)[-1]
    return CoveragePeriod(
        coverage_id=coverage_id, status=CoverageStatus(item.status or CoverageStatus.ACTIVE),
        start=date.fromisoformat(item.start or "1900-01-01"),
        end=date.fromisoformat(item.end) if item.end else None, plan_name=item.plan_name or "",
        product=item.product or "", group_id=item.group_id, pcp_provider_id=item.pcp_provider_id,
        pcp_name=item.pcp_name,
        benefits=tuple(BenefitAmount(BenefitKind(b.kind), int(b.amount_cents),
                                     int(b.used_cents) if b.used_cents is not None else None)
                       for b in item.benefits or []))
