"""Provider-relations staff: review organizational agreements, oldest first, and decide each once."""

from __future__ import annotations

from datetime import datetime

from functions.shared import audit, workflow
from functions.shared.errors import Problem
from functions.shared.http import RequestMeta
from functions.shared.states import OrgAgreementStatus
from functions.shared.store import repositories
from functions.shared.store.transactions import StaleWrite
from functions.staff.models import OrgDecision, PendingList, PendingOrgAgreement


def pending() -> PendingList:
    return PendingList(agreements=[
        PendingOrgAgreement(tax_id=o.tax_id, group_name=o.group_name, signer_name=o.signer_name,
                            signer_title=o.signer_title, signed_at=o.signed_at,
                            waiting_requests=len(o.waiting_tokens))
        for o in repositories().org_agreements.pending()])


def decide(tax_id: str, req: OrgDecision, staff: str, meta: RequestMeta, now: datetime) -> int:
    """Record the decision once (with its audit record), then resume every request that waited for it.
    Returns how many."""
    agreements = repositories().org_agreements
    outcome = OrgAgreementStatus.APPROVED if req.approve else OrgAgreementStatus.REJECTED
    try:
        decided = agreements.decide(tax_id, req.approve, staff, req.reason, now, audit.audit_event(
            "agreement.organization", outcome, meta, subject=f"tax-id:{tax_id[-4:]}", now=now,
            detail={"by": staff}))
    except StaleWrite:
        raise Problem(409, "already-decided", "This agreement is not waiting for a decision",
                      "It was decided already. Reload the list.") from None
    if decided is None:
        raise Problem(404, "org-agreement-not-found", "No such agreement", "Reload the list.")
    tokens = decided.waiting_tokens  # as of the decision: later waits see it and resume themselves
    for token in tokens:
        if req.approve:
            workflow.resume(token, {"org_agreement": "approved"})
        else:
            workflow.resume(token, error="Rejected", cause=req.reason)
    agreements.resumed(tax_id, tokens)
    return len(tokens)
