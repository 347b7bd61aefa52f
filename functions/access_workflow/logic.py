"""The steps of the access-approval workflow that touch data or people. Each is safe to run twice:
Step Functions retries tasks, and a retry must never grant twice or lose a waiting step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from functions.access_workflow import mails
from functions.shared.core import audit
from functions.shared.core.audit import SystemOrigin
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import LinkRole, LinkStatus, OrgAgreementState, WaitingFor
from functions.shared.services import access, workflow
from functions.shared.services.notify import templates
from functions.shared.services.notify.mail import send_mail
from functions.shared.store import repositories
from functions.shared.store.links import LinkView

logger = Logger(child=True)
WORKFLOW = SystemOrigin("access-workflow")


def _link(ref: dict[str, str]) -> LinkView:
    link = repositories().links.get(ref["account_id"], ref["provider_id"])
    if link is None:
        raise LookupError("the link of this workflow is gone")
    return link


def _event(action: str, outcome: str, link: LinkView, now: datetime) -> audit.AuditEntry:
    return audit.audit_event(action, outcome, WORKFLOW, subject=link.account_id, now=now,
                             detail={"provider_id": link.provider_id})


def _wait(link: LinkView, step: WaitingFor, token: str, now: datetime) -> None:
    repositories().links.wait_for(link.account_id, link.provider_id, step, token,
                                  _event("link.wait", step, link, now))


def await_staff(ref: dict[str, str], token: str, plan: PlanProfile, now: datetime) -> None:
    """A would-be first administrator waits for provider relations, who are told which Provider ID (the
    requester's own words stay out of the mail)."""
    link = _link(ref)
    _wait(link, WaitingFor.STAFF, token, now)
    send_mail(plan.provider_relations_email, mails.first_admin_to_verify(
        plan, link.provider_name, link.provider_id, plan.staff_verification_business_days))


def await_admin(ref: dict[str, str], token: str, plan: PlanProfile, portal_url: str, now: datetime) -> None:
    link = _link(ref)
    _wait(link, WaitingFor.ADMIN, token, now)
    admins = [m for m in repositories().links.of_provider(link.provider_id)
              if m.role == LinkRole.ADMIN and m.status == LinkStatus.ACTIVE]
    for admin in admins:
        send_mail(admin.requester_email, mails.access_requested(
            plan, link.requester_name, link.provider_name, link.provider_id, portal_url,
            plan.admin_decision_business_days))


def await_agreement(ref: dict[str, str], token: str, plan: PlanProfile, portal_url: str, now: datetime) -> None:
    link = _link(ref)
    # Store the token first, then look for the consent: an acceptance racing with this step either
    # finds the token (and resumes) or wrote its consent before we look (and we resume).
    _wait(link, WaitingFor.AGREEMENT, token, now)
    if repositories().consents.has(link.account_id, access.provider_agreement(plan)):
        workflow.resume(token, {"agreement": plan.provider_agreement_version})
        return
    send_mail(link.requester_email, mails.agreement_needed(plan, link.provider_name, portal_url))


def await_org(ref: dict[str, str], token: str, plan: PlanProfile, portal_url: str, now: datetime) -> None:
    link = _link(ref)
    waits = repositories().org_agreements.add_waiting(link.tax_id, link.provider_name, token,
                                                      _event("agreement.organization", "awaited", link, now))
    if not waits:
        workflow.resume(token, {"org_agreement": "approved"})  # one agreement per group: already approved
        return
    _wait(link, WaitingFor.ORG, token, now)
    send_mail(link.requester_email, mails.org_agreement_needed(plan, link.provider_name, link.provider_id, portal_url))


def remind_org(ref: dict[str, str], plan: PlanProfile, portal_url: str) -> None:
    link = _link(ref)
    org = repositories().org_agreements.get(link.tax_id)
    if org is None:
        return
    if org.status == OrgAgreementState.PENDING:
        send_mail(plan.provider_relations_email, templates.org_agreement_to_review(plan, org.group_name, True))
    elif org.status in (OrgAgreementState.UNSIGNED, OrgAgreementState.REJECTED):  # someone must sign (again)
        send_mail(link.requester_email,
                  mails.org_agreement_needed(plan, link.provider_name, link.provider_id, portal_url))


def grant(ref: dict[str, str], plan: PlanProfile, portal_url: str, now: datetime) -> None:
    link = _link(ref)
    # only the first run mails: retries find it active
    if repositories().links.grant_access(link.account_id, link.provider_id, now,
                                         _event("link.access", "granted", link, now)):
        send_mail(link.requester_email, mails.access_granted(plan, link.provider_name, portal_url))


REASONS = {"denied": (LinkStatus.DENIED, "the administrator of this Provider ID denied it."),
           "verification_denied": (LinkStatus.DENIED, "provider relations could not verify that you work for "
                                                      "this practice."),
           "expired": (LinkStatus.EXPIRED, "no decision was made in time."),
           "org_rejected": (LinkStatus.DENIED, "provider relations did not approve the organizational agreement.")}


def close(action: str, ref: dict[str, str], plan: PlanProfile, now: datetime) -> None:
    status, reason = REASONS[action]
    link = _link(ref)
    links = repositories().links
    verb = links.expire if status == LinkStatus.EXPIRED else links.deny
    if not verb(link.account_id, link.provider_id, now, _event("link.access", action, link, now)):
        return  # already closed by an earlier run of this step
    send_mail(link.requester_email, mails.access_not_granted(plan, link.provider_name, reason))


def run(event: dict[str, Any], plan: PlanProfile, portal_url: str, now: datetime) -> dict[str, str]:
    action, ref = event["action"], event["link"]
    logger.info("workflow step", extra={"action": action})
    if action == "await_staff":
        await_staff(ref, event["token"], plan, now)
    elif action == "await_admin":
        await_admin(ref, event["token"], plan, portal_url, now)
    elif action == "await_agreement":
        await_agreement(ref, event["token"], plan, portal_url, now)
    elif action == "await_org":
        await_org(ref, event["token"], plan, portal_url, now)
    elif action == "remind_org":
        remind_org(ref, plan, portal_url)
    elif action == "grant":
        grant(ref, plan, portal_url, now)
    elif action in REASONS:
        close(action, ref, plan, now)
    else:
        raise ValueError(f"unknown workflow action {action!r}")
    return {"action": action, "done": "yes"}
