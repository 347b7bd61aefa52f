"""Claim status rules: a claim is shown only to a caller who may see one of its providers.

The caller acts for one of their Provider IDs; that link's providers are the scope. A claim outside
the scope answers exactly like a claim that does not exist, so claim numbers cannot be probed. A
member search needs the member's exact identity (member ID + date of birth) and lists only claims of
providers in scope. Every read is audited; searches are rate limited per account.
"""

from __future__ import annotations

from functions.claims.models import (
    ClaimDetail,
    ClaimLineDetail,
    ClaimPageView,
    ClaimSearch,
    ClaimSummaryView,
    PaymentDetail,
    ReasonCodeView,
)
from functions.shared.core import reason_codes
from functions.shared.core.context import Ask
from functions.shared.core.errors import Problem
from functions.shared.core.money import dollars
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import Feature
from functions.shared.services import records
from functions.shared.services.member_identity import MEMBER_NOT_FOUND, find_member
from functions.shared.store import audit as audit_log
from functions.shared.store import repositories
from functions.shared.store.claims import MEMBER_OWNER, PROVIDER_OWNER, Claim, ClaimStatus, ClaimSummary

STATUS_TEXT = {
    ClaimStatus.RECEIVED: "Received: not processed yet.",
    ClaimStatus.PENDED: "Pended: waiting for information or review before a decision.",
    ClaimStatus.PAID: "Paid.",
    ClaimStatus.DENIED: "Denied: see the reasons below.",
    ClaimStatus.ADJUSTED: "Adjusted: processed again after the first decision.",
}
CLAIM_NOT_FOUND = Problem(
    404, "claim-not-found", "No claim found",
    "No claim with this number is on file for the providers you act for. Check the claim number, or "
    "choose the Provider ID the claim was billed under.")
CLAIM: records.RecordKind[Claim] = records.RecordKind(
    "claim", CLAIM_NOT_FOUND, fetch=lambda number: repositories().claims.get(number),
    per_hour=lambda plan: plan.claim_searches_per_hour, reads=Feature.CLAIMS,
    writes=Feature.CLAIMS)


def open_claim(claim_id: str, acting_for: str, ask: Ask) -> ClaimDetail:
    return _detail(CLAIM.shown(CLAIM.visible(claim_id, acting_for, ask), acting_for, ask), ask.plan)


def search(req: ClaimSearch, ask: Ask) -> ClaimPageView:
    scope = CLAIM.scope(req.acting_for, ask)
    detail: dict[str, str | int] = {"acting_for": req.acting_for}
    if req.member_id:
        member = find_member(req.birth_date, req.member_id) if req.birth_date else None
        if member is None:
            audit_log.record("phi.claim.search", "member_not_found", ask.meta, subject=ask.who.account_id,
                             now=ask.now, detail={**detail, "by": "member"})
            raise MEMBER_NOT_FOUND
        owner = MEMBER_OWNER + member.profile.member_id
        detail |= {"by": "member", "member_id": member.profile.member_id}
    else:
        provider_id = records.in_scope("provider_id", req.provider_id or "", scope,
                                       "Choose a Provider ID you act for or one of its providers.")
        owner = PROVIDER_OWNER + provider_id
        detail |= {"by": "provider", "provider_id": provider_id}
    # A member's claims at providers outside the caller's scope are never listed.
    page = CLAIM.page(records.ListQuery(owner, req.from_date, req.to_date, req.page_size, req.cursor),
                      repositories().claims.page, ask, scope=scope, detail=detail)
    return ClaimPageView(claims=[_summary(s) for s in page.items], next_cursor=page.next_cursor)


def _reasons(stored: tuple[str, ...]) -> list[ReasonCodeView]:
    explained = [reason_codes.explain(code) for code in stored]
    return [ReasonCodeView(kind=r.kind, code=r.code, meaning=r.meaning) for r in explained]


def _summary(s: ClaimSummary) -> ClaimSummaryView:
    return ClaimSummaryView(claim_id=s.claim_id, member_id=s.member_id, member_name=s.member_name,
                            billing_provider_id=s.billing_provider_id, rendering_provider_id=s.rendering_provider_id,
                            service_from=s.service_from, service_to=s.service_to, status=s.status,
                            billed=dollars(s.billed_cents), paid=dollars(s.paid_cents))


def _detail(claim: Claim, plan: PlanProfile) -> ClaimDetail:
    payment = claim.payment
    return ClaimDetail(
        claim_id=claim.claim_id, status=claim.status, status_text=STATUS_TEXT[claim.status],
        member_id=claim.member_id, member_name=claim.member_name, billing_provider_id=claim.billing_provider_id,
        rendering_provider_id=claim.rendering_provider_id, service_from=claim.service_from,
        service_to=claim.service_to, received_on=claim.received_on, billed=dollars(claim.billed_cents),
        allowed=dollars(claim.allowed_cents), paid=dollars(claim.paid_cents),
        patient_responsibility=dollars(claim.patient_cents), reasons=_reasons(claim.reason_codes),
        lines=[ClaimLineDetail(sequence=line.sequence, procedure_code=line.procedure_code,
                               modifiers=list(line.modifiers), service_date=line.service_date, units=line.units,
                               billed=dollars(line.billed_cents), allowed=dollars(line.allowed_cents),
                               paid=dollars(line.paid_cents), patient_responsibility=dollars(line.patient_cents),
                               reasons=_reasons(line.reason_codes)) for line in claim.lines],
        payment=PaymentDetail(method=payment.method, number=payment.number, date=payment.date,
                              amount=dollars(payment.amount_cents)) if payment else None,
        customer_service_phone=plan.claims_phone)
