"""Provider-relations staff: review organizational agreements, oldest first, and decide each once; verify
a Provider ID's would-be first administrator; reassign or remove its administrators. Every decision is
recorded once with its reason and the staff member in an audit record, and the people concerned are mailed."""

from __future__ import annotations

from datetime import datetime

from functions.shared.core import audit
from functions.shared.core.errors import Problem
from functions.shared.core.http import RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import LinkStatus, OrgAgreementState, WaitingFor
from functions.shared.services import member_features, workflow
from functions.shared.services.notify.mail import send_mail
from functions.shared.store import repositories
from functions.shared.store.links import LinkView
from functions.shared.store.transactions import StaleWrite, UniqueKeyTaken
from functions.staff import mails
from functions.staff.models import (
    AssignAdministrator,
    OrgDecision,
    PendingList,
    PendingOrgAgreement,
    ProviderLink,
    ProviderLinks,
    VerificationDecision,
)

NO_SUCH_LINK = Problem(404, "link-not-found", "No such link", "Check the Provider ID and account id.")


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
    outcome = OrgAgreementState.APPROVED if req.approve else OrgAgreementState.REJECTED
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


def provider_links(provider_id: str) -> ProviderLinks:
    """Everyone linked to a Provider ID or asking for it: one Query of the links' by-provider index."""
    links = repositories().links
    return ProviderLinks(provider_id=provider_id, has_administrator=links.has_administrator(provider_id), links=[
        ProviderLink(account_id=link.account_id, name=link.requester_name, email=link.requester_email,
                     role=link.role, status=link.status, requested_at=link.requested_at,
                     decision_due=link.decision_due, decided_by=link.decided_by,
                     features=list(member_features.shown(link)), features_set=link.features is not None,
                     company=link.company)
        for link in links.of_provider(provider_id)])


def _event(action: str, outcome: str, meta: RequestMeta, account_id: str, provider_id: str, staff: str,
           reason: str, now: datetime, **detail: str) -> audit.AuditEntry:
    return audit.audit_event(action, outcome, meta, subject=account_id, now=now,
                             detail={"provider_id": provider_id, "by": staff, "reason": reason, **detail})


def decide_verification(provider_id: str, account_id: str, req: VerificationDecision, staff: str,
                        meta: RequestMeta, now: datetime) -> None:
    """Approve (the account claims the Provider ID's administration and goes on to the Provider
    Agreement) or deny a would-be first administrator, once."""
    links = repositories().links
    event = _event("link.verification", "approved" if req.approve else "denied", meta, account_id, provider_id,
                   staff, req.reason, now)
    try:
        if req.approve:
            decided = links.verify_first_admin(account_id, provider_id, staff, now, event)
        else:
            decided = links.decide(account_id, provider_id, staff, now, event, step=WaitingFor.STAFF)
    except UniqueKeyTaken:
        raise Problem(409, "provider-administered", "This Provider ID has an administrator now",
                      "Deny this request; the requester can then ask that administrator for access.") from None
    except StaleWrite:
        current = links.get(account_id, provider_id)
        if current and current.status == LinkStatus.PENDING_VERIFICATION and not (
                current.decided_by or current.waiting_token):
            raise Problem(409, "request-not-ready", "This request is still being set up",
                          "Try again in a few seconds.", headers={"Retry-After": "2"}) from None
        raise Problem(409, "not-waiting-for-verification", "This request is not waiting for verification",
                      "It was decided already, expired, or is not a first administrator's request.") from None
    if decided is None:
        raise NO_SUCH_LINK
    assert decided.waiting_token
    if req.approve:
        workflow.resume(decided.waiting_token, {"verified_by": staff})
    else:
        workflow.resume(decided.waiting_token, error="Denied", cause="Provider relations could not verify it.")


def assign_administrator(provider_id: str, req: AssignAdministrator, staff: str, plan: PlanProfile,
                         portal_url: str, meta: RequestMeta, now: datetime) -> None:
    links = repositories().links
    member = _link(req.account_id, provider_id)
    replaced = _link(req.replaces, provider_id) if req.replaces else None
    detail = {"replaces": req.replaces} if req.replaces else {}
    try:
        links.assign_admin(req.account_id, provider_id, req.replaces, _event(
            "link.admin", "assigned_by_staff", meta, req.account_id, provider_id, staff, req.reason, now, **detail))
    except StaleWrite:
        raise Problem(409, "not-assignable", "This account cannot become an administrator now",
                      "It must be an active member of this Provider ID, and the one it replaces an active "
                      "administrator. Reload the list.") from None
    send_mail(member.requester_email, mails.made_administrator(plan, member.provider_name, portal_url))
    if replaced is not None:
        send_mail(replaced.requester_email, mails.no_longer_administrator(plan, replaced.provider_name))


def remove_administrator(provider_id: str, account_id: str, reason: str, staff: str, plan: PlanProfile,
                         meta: RequestMeta, now: datetime) -> None:
    """Remove an administrator's link; the last one's removal frees the Provider ID for a new, verified
    first administrator."""
    admin = _link(account_id, provider_id)
    try:
        repositories().links.remove_admin(account_id, provider_id, staff, now, _event(
            "link.admin", "removed_by_staff", meta, account_id, provider_id, staff, reason, now))
    except StaleWrite:
        raise Problem(409, "not-an-administrator", "This account is not an active administrator",
                      "Reload the list.") from None
    send_mail(admin.requester_email, mails.administrator_removed(plan, admin.provider_name))


def _link(account_id: str, provider_id: str) -> LinkView:
    link = repositories().links.get(account_id, provider_id)
    if link is None:
        raise NO_SUCH_LINK
    return link
