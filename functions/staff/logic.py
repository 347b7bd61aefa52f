"""Provider-relations staff: review organizational agreements, oldest first, and decide each once."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import UpdateError

from functions.shared import audit, workflow
from functions.shared.errors import Problem
from functions.shared.http import RequestMeta
from functions.shared.store.models import OrgAgreement, bind_tables
from functions.shared.store.transactions import find
from functions.staff.models import OrgDecision, PendingList, PendingOrgAgreement


def pending() -> PendingList:
    bind_tables()
    return PendingList(agreements=[
        PendingOrgAgreement(tax_id=o.tax_id, group_name=o.group_name, signer_name=o.signer_name,
                            signer_title=o.signer_title, signed_at=o.signed_at,
                            waiting_requests=len(o.waiting_tokens or ()))
        for o in OrgAgreement.pending.query("pending")])  # sparse index: no scan


def decide(tax_id: str, req: OrgDecision, staff: str, meta: RequestMeta, now: datetime) -> int:
    """Record the decision once, then resume every request that waited for it. Returns how many."""
    org = find(OrgAgreement, tax_id)
    if org is None:
        raise Problem(404, "org-agreement-not-found", "No such agreement", "Reload the list.")
    status = "approved" if req.approve else "rejected"
    try:
        org.update(actions=[OrgAgreement.status.set(status), OrgAgreement.decided_at.set(now),
                            OrgAgreement.decided_by.set(staff), OrgAgreement.reason.set(req.reason),
                            OrgAgreement.pending_status.remove(), OrgAgreement.pending_since.remove()],
                   condition=OrgAgreement.status == "pending")
    except UpdateError:
        raise Problem(409, "already-decided", "This agreement is not waiting for a decision",
                      "It was decided already. Reload the list.") from None
    audit.record("agreement.organization", status, meta, subject=f"tax-id:{tax_id[-4:]}", now=now,
                 detail={"by": staff})
    tokens = set(org.waiting_tokens or ())  # as of the decision: later waits see it and resume themselves
    for token in tokens:
        if req.approve:
            workflow.resume(token, {"org_agreement": "approved"})
        else:
            workflow.resume(token, error="Rejected", cause=req.reason)
    if tokens:
        org.update(actions=[OrgAgreement.waiting_tokens.delete(tokens)])
    return len(tokens)
