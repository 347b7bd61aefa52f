"""What a Provider ID's administrator may do: decide access requests (once), remove members, make
another member an administrator, and step down while another administrator remains."""

from __future__ import annotations

from datetime import datetime

from functions.provider_admin.models import Member, Members
from functions.shared.core import audit
from functions.shared.core.errors import Problem
from functions.shared.core.http import Caller, RequestMeta
from functions.shared.core.states import LinkRole, LinkStatus
from functions.shared.services import access, member_features, workflow
from functions.shared.store import repositories
from functions.shared.store.links import LinkView
from functions.shared.store.transactions import StaleWrite


def _target(provider_id: str, account_id: str) -> LinkView:
    link = repositories().links.get(account_id, provider_id)
    if link is None:
        raise Problem(404, "member-not-found", "No such member or request", "Reload the list.")
    return link


def members(provider_id: str, who: Caller) -> Members:
    mine = access.require_admin(who.account_id, provider_id)
    shown = [member(m) for m in repositories().links.of_provider(provider_id)
             if m.status != LinkStatus.REMOVED and m.role != LinkRole.DELEGATE]  # delegates: functions/delegations
    return Members(provider_id=provider_id, provider_name=mine.provider_name, members=shown)


def member(m: LinkView) -> Member:
    return Member(account_id=m.account_id, name=m.requester_name, email=m.requester_email, role=m.role,
                  status=m.status, requested_at=m.requested_at, decision_due=m.decision_due,
                  features=list(member_features.shown(m)), features_set=m.features is not None)


def decide(provider_id: str, account_id: str, approve: bool, who: Caller, meta: RequestMeta, now: datetime) -> None:
    access.require_admin(who.account_id, provider_id)
    links = repositories().links
    try:  # the decision is recorded once; the guard refuses a second one
        request = links.decide(account_id, provider_id, who.account_id, now, audit.audit_event(
            "link.admin_decision", "approved" if approve else "denied", meta, subject=account_id, now=now,
            detail={"provider_id": provider_id, "by": who.account_id}))
    except StaleWrite:
        current = links.get(account_id, provider_id)
        if current and current.status == LinkStatus.PENDING_ADMIN and not (current.decided_by or current.waiting_token):
            raise Problem(409, "request-not-ready", "This request is still being set up",
                          "Try again in a few seconds.", headers={"Retry-After": "2"}) from None
        raise Problem(409, "already-decided", "This request is not waiting for a decision",
                      "It was decided already, expired, or was withdrawn. Reload the list.") from None
    if request is None:
        raise Problem(404, "member-not-found", "No such member or request", "Reload the list.")
    assert request.waiting_token
    if approve:
        workflow.resume(request.waiting_token, {"approved_by": who.account_id})
    else:
        workflow.resume(request.waiting_token, error="Denied", cause="The administrator denied the request.")


def remove(provider_id: str, account_id: str, who: Caller, meta: RequestMeta, now: datetime) -> None:
    access.require_admin(who.account_id, provider_id)
    if account_id == who.account_id:
        raise Problem(409, "remove-self", "Use 'step down' for yourself",
                      "An administrator leaves by stepping down, once another administrator exists.")
    member = _target(provider_id, account_id)
    if member.role == LinkRole.ADMIN:
        raise Problem(409, "remove-admin", "Administrators step down themselves",
                      "Ask that administrator to step down first.")
    try:
        repositories().links.remove(account_id, provider_id, who.account_id, now, audit.audit_event(
            "link.remove", "removed", meta, subject=account_id, now=now,
            detail={"provider_id": provider_id, "by": who.account_id}))
    except StaleWrite:
        raise Problem(409, "not-active", "Not an active member", "Reload the list.") from None


def promote(provider_id: str, account_id: str, who: Caller, meta: RequestMeta, now: datetime) -> None:
    access.require_admin(who.account_id, provider_id)
    _target(provider_id, account_id)
    try:
        repositories().links.promote(account_id, provider_id, audit.audit_event(
            "link.admin", "promoted", meta, subject=account_id, now=now,
            detail={"provider_id": provider_id, "by": who.account_id}))
    except StaleWrite:
        raise Problem(409, "not-promotable", "Only active members can become administrators",
                      "Reload the list.") from None


def step_down(provider_id: str, who: Caller, meta: RequestMeta, now: datetime) -> None:
    access.require_admin(who.account_id, provider_id)
    try:
        repositories().links.step_down(who.account_id, provider_id, audit.audit_event(
            "link.admin", "stepped_down", meta, subject=who.account_id, now=now,
            detail={"provider_id": provider_id}))
    except StaleWrite:
        raise Problem(409, "last-administrator", "You are the only administrator",
                      "Make another member an administrator first.") from None

