"""Eligibility rules: who may check, how exact the member's identity must be, what the answer shows.

Any caller with an active link may check a member, acting for one of their Provider IDs, but only
with an exact identity (member ID + date of birth, or last + first name + date of birth). A near miss
gets the same "no member found" as an unknown member, never a hint of which field was wrong. Lookups
are rate limited per account (a guard against harvesting PHI), and every lookup is audited.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from functions.eligibility.models import (
    BenefitView,
    CoverageView,
    EligibilityRequest,
    EligibilityResult,
    MemberSummary,
    PrimaryCareProvider,
)
from functions.shared.core.http import Caller, RequestMeta
from functions.shared.core.money import dollars
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import Feature
from functions.shared.services import access, ratelimit
from functions.shared.services.member_identity import MEMBER_NOT_FOUND, find_member
from functions.shared.store import audit as audit_log
from functions.shared.store.members import BenefitKind, CoveragePeriod, Member

LOOKUP_WINDOW = timedelta(hours=1)
BENEFIT_LABELS = {
    BenefitKind.COPAY_OFFICE: "Office visit copay", BenefitKind.COPAY_SPECIALIST: "Specialist copay",
    BenefitKind.COPAY_URGENT_CARE: "Urgent care copay", BenefitKind.COPAY_EMERGENCY: "Emergency room copay",
    BenefitKind.DEDUCTIBLE: "Deductible", BenefitKind.OUT_OF_POCKET: "Out-of-pocket maximum"}
ACCUMULATORS = (BenefitKind.DEDUCTIBLE, BenefitKind.OUT_OF_POCKET)

def check(req: EligibilityRequest, who: Caller, plan: PlanProfile, meta: RequestMeta,
          now: datetime) -> EligibilityResult:
    access.scope_for(who.account_id, req.acting_for, plan, Feature.ELIGIBILITY)
    ratelimit.hit("eligibility", who.account_id, plan.eligibility_lookups_per_hour, LOOKUP_WINDOW, now)
    member = find_member(req.birth_date, req.member_id, req.last_name, req.first_name)
    detail = {"acting_for": req.acting_for, "by": "member_id" if req.member_id else "name",
              "service_date": req.service_date.isoformat()}
    if member is None:
        audit_log.record("phi.eligibility", "not_found", meta, subject=who.account_id, now=now, detail=detail)
        raise MEMBER_NOT_FOUND
    in_force = next((c for c in member.coverages if c.covers(req.service_date)), None)
    audit_log.record("phi.eligibility", "covered" if in_force else "not_covered", meta, subject=who.account_id,
                     now=now, detail={**detail, "member_id": member.profile.member_id})
    profile = member.profile
    others = [_coverage(c) for c in sorted(member.coverages, key=lambda c: c.start, reverse=True) if c is not in_force]
    summary = MemberSummary(member_id=profile.member_id, first_name=profile.first_name, last_name=profile.last_name,
                            birth_date=profile.birth_date)
    if in_force is None:
        return EligibilityResult(status="not_covered", service_date=req.service_date, member=summary,
                                 other_periods=others, message=_not_covered_message(member, req.service_date))
    return EligibilityResult(status="covered", service_date=req.service_date, member=summary,
                             coverage=_coverage(in_force), other_periods=others,
                             message=f"Covered on {req.service_date:%m/%d/%Y} by {in_force.plan_name}.")


def _not_covered_message(member: Member, day: date) -> str:
    before = [c for c in member.coverages if c.end is not None and c.end < day]
    after = [c for c in member.coverages if c.start > day]
    if after:
        return f"Not covered on {day:%m/%d/%Y}: coverage starts {min(c.start for c in after):%m/%d/%Y}."
    if before:
        return f"Not covered on {day:%m/%d/%Y}: coverage ended {max(c.end for c in before if c.end):%m/%d/%Y}."
    return f"Not covered on {day:%m/%d/%Y}."


def _coverage(period: CoveragePeriod) -> CoverageView:
    benefits = []
    for benefit in period.benefits:
        used = remaining = None
        if benefit.kind in ACCUMULATORS and benefit.used_cents is not None:
            used = dollars(benefit.used_cents)
            remaining = dollars(max(benefit.amount_cents - benefit.used_cents, 0))
        benefits.append(BenefitView(kind=benefit.kind, label=BENEFIT_LABELS[benefit.kind],
                                    amount=dollars(benefit.amount_cents), used=used, remaining=remaining))
    pcp = PrimaryCareProvider(provider_id=period.pcp_provider_id, name=period.pcp_name) \
        if period.pcp_provider_id else None
    return CoverageView(plan=period.plan_name, product=period.product, group_id=period.group_id,
                        start=period.start, end=period.end, primary_care_provider=pcp, benefits=benefits)
