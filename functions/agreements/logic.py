"""Agreements: the Provider Agreement each user accepts (per version), and the organizational
agreement a group signs once for all its users."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib import resources

from functions.agreements.models import (
    AcceptAgreement,
    OrgAgreementStatus,
    ProviderAgreement,
    SignOrgAgreement,
)
from functions.shared.core import audit
from functions.shared.core.errors import Problem
from functions.shared.core.http import Caller, RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import CLOSED_LINK_STATUSES, LinkRole, LinkStatus, LinkType, WaitingFor
from functions.shared.services import access, workflow
from functions.shared.services.notify import templates
from functions.shared.services.notify.mail import send_mail
from functions.shared.store import repositories
from functions.shared.store.consents import ConsentView
from functions.shared.store.links import LinkView
from functions.shared.store.org_agreements import Signature
from functions.shared.store.transactions import StaleWrite

ORG_AGREEMENT_VERSION = "2026-01"


@cache
def _template(name: str) -> str:
    return resources.files("functions.agreements").joinpath(f"texts/{name}.md").read_text()


def _text(name: str, version: str, plan: PlanProfile) -> str:
    return _template(name).format(brand=plan.brand, version=version, portal_name=plan.portal_name,
                                  support_phone=plan.support_phone)


def provider_agreement(who: Caller, plan: PlanProfile) -> ProviderAgreement:
    text = _text("provider-agreement", plan.provider_agreement_version, plan)
    return ProviderAgreement(version=plan.provider_agreement_version, text=text,
                             accepted=repositories().consents.has(who.account_id, access.provider_agreement(plan)))


def accept(req: AcceptAgreement, who: Caller, plan: PlanProfile, meta: RequestMeta, now: datetime) -> None:
    if req.version != plan.provider_agreement_version:
        raise Problem(409, "agreement-outdated", "A newer agreement exists",
                      "Reload the page, read the current Provider Agreement, and accept that one.")
    repos = repositories()
    repos.consents.record(
        ConsentView(who.account_id, access.provider_agreement(plan), accepted_at=now, source_ip=meta.source_ip or None,
                    user_agent=meta.user_agent or None),
        audit.audit_event("agreement.provider", "accepted", meta, subject=who.account_id, now=now,
                          detail={"version": req.version}))
    # Consent first, then the waiting requests (see access_workflow.await_agreement for the other side).
    for link in repos.links.of_account(who.account_id, consistent=True):
        if link.waiting_for == WaitingFor.AGREEMENT and link.waiting_token:
            workflow.resume(link.waiting_token, {"agreement": req.version})


def _group_link(who: Caller, provider_id: str) -> LinkView:
    link = repositories().links.get(who.account_id, provider_id)
    if link is None or link.link_type != LinkType.GROUP or link.status in CLOSED_LINK_STATUSES:
        raise Problem(404, "group-not-linked", "No such group link",
                      "Link your account to the group's Provider ID first.")
    if link.role == LinkRole.DELEGATE:  # someone outside the group never signs for it
        raise Problem(403, "delegate-not-signer", "A delegate cannot sign for the group",
                      "A supervisor, manager or owner of the group signs its organizational agreement.")
    if link.status == LinkStatus.PENDING_ADMIN:
        # Not vouched for by the group's administrator yet: may neither sign for it nor see who did.
        raise Problem(403, "not-yet-approved", "Your request is not approved yet",
                      "The administrator of this Provider ID approves your request first.")
    return link


def org_status(provider_id: str, who: Caller, plan: PlanProfile) -> OrgAgreementStatus:
    link = _group_link(who, provider_id)
    text = _text("organizational-agreement", ORG_AGREEMENT_VERSION, plan)
    document = {"version": ORG_AGREEMENT_VERSION, "text": text}
    org = repositories().org_agreements.get(link.tax_id)
    if org is None:
        return OrgAgreementStatus(**document, tax_id_last4=link.tax_id[-4:], group_name=link.provider_name,
                                  status="none", promise=plan.org_agreement_promise)
    return OrgAgreementStatus(**document, tax_id_last4=link.tax_id[-4:], group_name=org.group_name,
                              status=org.status,
                              signer_name=org.signer_name, signer_title=org.signer_title, signed_at=org.signed_at,
                              promise=plan.org_agreement_promise)


def sign(req: SignOrgAgreement, who: Caller, plan: PlanProfile, meta: RequestMeta, now: datetime) -> None:
    if not plan.requires_org_agreement:
        raise Problem(404, "not-required", "Not needed", "This plan has no organizational agreement.")
    link = _group_link(who, req.provider_id)
    signature = Signature(tax_id=link.tax_id, group_name=link.provider_name, version=ORG_AGREEMENT_VERSION,
                          signer_account_id=who.account_id, signer_name=req.signer_name,
                          signer_title=req.signer_title, signed_at=now, source_ip=meta.source_ip or None)
    try:
        repositories().org_agreements.sign(signature, audit.audit_event(
            "agreement.organization", "signed", meta, subject=who.account_id, now=now,
            detail={"provider_id": link.provider_id}))
    except StaleWrite:
        raise Problem(409, "org-agreement-exists", "Already signed",
                      "This group's organizational agreement is signed already; it waits for, or has, a "
                      "decision by provider relations.") from None
    send_mail(plan.provider_relations_email, templates.org_agreement_to_review(plan, link.provider_name, False))
