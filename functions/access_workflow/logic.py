"""The steps of the access-approval workflow that touch data or people. Each is safe to run twice:
Step Functions retries tasks, and a retry must never grant twice or lose a waiting step."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import PutError, UpdateError

from functions.shared import audit, workflow
from functions.shared.http import RequestMeta
from functions.shared.notify import templates
from functions.shared.notify.mail import send_mail
from functions.shared.plans import PlanProfile
from functions.shared.states import OPEN_LINK_STATUSES
from functions.shared.store import links
from functions.shared.store.models import Link, LinkStatus, OrgAgreement, bind_tables
from functions.shared.store.transactions import StaleWrite, find

logger = Logger(child=True)
WORKFLOW = RequestMeta(request_id="", source_ip="", user_agent="access-workflow")


def _link(ref: dict[str, str]) -> Link:
    link = links.get(ref["account_id"], ref["provider_id"])
    if link is None:
        raise LookupError("the link of this workflow is gone")
    return link


def _wait(link: Link, status: str, waiting_for: str, token: str) -> None:
    links.update(link, [Link.status.set(status), Link.waiting_for.set(waiting_for), Link.waiting_token.set(token)],
                 Link.status.is_in(*OPEN_LINK_STATUSES))


def await_admin(ref: dict[str, str], token: str, plan: PlanProfile, portal_url: str, now: datetime) -> None:
    link = _link(ref)
    _wait(link, LinkStatus.PENDING_ADMIN, "admin", token)
    admins = [m for m in links.of_provider(link.provider_id)
              if m.role == "admin" and m.status == LinkStatus.ACTIVE]
    for admin in admins:
        send_mail(admin.requester_email, templates.access_requested(
            plan, link.requester_name, link.provider_name, link.provider_id, portal_url,
            plan.admin_decision_business_days))


def await_agreement(ref: dict[str, str], token: str, plan: PlanProfile, portal_url: str) -> None:
    link = _link(ref)
    # Store the token first, then look for the consent: an acceptance racing with this step either
    # finds the token (and resumes) or wrote its consent before we look (and we resume).
    _wait(link, LinkStatus.PENDING_AGREEMENT, "agreement", token)
    if links.has_consent(link.account_id, f"provider_agreement#{plan.provider_agreement_version}"):
        workflow.resume(token, {"agreement": plan.provider_agreement_version})
        return
    send_mail(link.requester_email, templates.agreement_needed(plan, link.provider_name, portal_url))


def _enqueue(tax_id: str, group_name: str, token: str) -> bool:
    """Add a waiting step to the group's agreement (created unsigned on first need); False if approved."""
    bind_tables()
    for _ in range(3):  # loses at most to a concurrent creation, then adds to it
        try:
            OrgAgreement(tax_id).update(actions=[OrgAgreement.waiting_tokens.add({token})],
                                        condition=OrgAgreement.tax_id.exists() & (OrgAgreement.status != "approved"))
            return True
        except UpdateError:
            current = find(OrgAgreement, tax_id)
            if current and current.status == "approved":
                return False
            if current is None:
                with contextlib.suppress(PutError):
                    OrgAgreement(tax_id, status="unsigned", group_name=group_name, waiting_tokens={token}).save(
                        condition=OrgAgreement.tax_id.does_not_exist())
                    return True
    raise RuntimeError("could not register the wait for the organizational agreement")


def await_org(ref: dict[str, str], token: str, plan: PlanProfile, portal_url: str, now: datetime) -> None:
    link = _link(ref)
    if not _enqueue(link.tax_id, link.provider_name, token):
        workflow.resume(token, {"org_agreement": "approved"})  # one agreement per group: already approved
        return
    _wait(link, LinkStatus.PENDING_ORG, "org", token)
    send_mail(link.requester_email,
              templates.org_agreement_needed(plan, link.provider_name, link.provider_id, portal_url))


def remind_org(ref: dict[str, str], plan: PlanProfile, portal_url: str) -> None:
    link = _link(ref)
    bind_tables()
    org = OrgAgreement.get(link.tax_id, consistent_read=True)
    if org.status == "pending":
        send_mail(plan.provider_relations_email, templates.org_agreement_to_review(plan, org.group_name, True))
    elif org.status in ("unsigned", "rejected"):  # someone authorised must sign (again)
        send_mail(link.requester_email,
              templates.org_agreement_needed(plan, link.provider_name, link.provider_id, portal_url))


def grant(ref: dict[str, str], plan: PlanProfile, portal_url: str, now: datetime) -> None:
    link = _link(ref)
    event = audit.audit_event("link.access", "granted", WORKFLOW, subject=link.account_id, now=now,
                              detail={"provider_id": link.provider_id})
    if links.now_active(link, now, event):  # only the first run mails: retries find it active
        send_mail(link.requester_email, templates.access_granted(plan, link.provider_name, portal_url))


REASONS = {"denied": (LinkStatus.DENIED, "the administrator of this Provider ID denied it."),
           "expired": (LinkStatus.EXPIRED, "no decision was made in time."),
           "org_rejected": (LinkStatus.DENIED, "provider relations did not approve the organizational agreement.")}


def close(action: str, ref: dict[str, str], plan: PlanProfile, now: datetime) -> None:
    status, reason = REASONS[action]
    link = _link(ref)
    try:
        links.update(link, [Link.status.set(status), Link.decided_at.set(now), Link.waiting_token.remove(),
                            Link.waiting_for.remove()], Link.status.is_in(*OPEN_LINK_STATUSES),
                     audit.audit_event("link.access", action, WORKFLOW, subject=link.account_id, now=now,
                                       detail={"provider_id": link.provider_id}))
    except StaleWrite:
        return  # already closed by an earlier run of this step
    send_mail(link.requester_email, templates.access_not_granted(plan, link.provider_name, reason))


def run(event: dict[str, Any], plan: PlanProfile, portal_url: str, now: datetime) -> dict[str, str]:
    action, ref = event["action"], event["link"]
    logger.info("workflow step", extra={"action": action})
    if action == "await_admin":
        await_admin(ref, event["token"], plan, portal_url, now)
    elif action == "await_agreement":
        await_agreement(ref, event["token"], plan, portal_url)
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
