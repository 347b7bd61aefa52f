"""Delegations: someone outside the practice (a billing service) acting for a Provider ID with exactly the
features an administrator invited them for, until an end date or until revoked. A delegation is a link
with role `delegate` (functions/shared/store/links.py: its own rows of the transition table); the access
rule (functions/shared/services/access.py) gives its features only while it is active and before its end.

What the delegations step and the daily job share: when an end date ends, how a delegation ends (revoked:
at once, the delegate mailed; past its end: by the job, the delegate and the Provider ID's administrators
mailed), and those mails. Mails name the Provider ID, the company and dates only: no PHI.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone

from functions.shared.core import audit
from functions.shared.core.audit import Origin
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import Feature, LinkRole, LinkStatus
from functions.shared.services import access
from functions.shared.services.notify.mail import Mail, send_mail
from functions.shared.services.notify.templates import footer, html, quoted, simple
from functions.shared.store import repositories
from functions.shared.store.links import LinkView
from functions.shared.store.transactions import StaleWrite

# A delegation lasts through its end date in US Eastern time: it ends at the midnight after it, on standard
# time (UTC-5; 1 a.m. under daylight saving time), so no time-zone database is needed.
EASTERN_STANDARD = timezone(timedelta(hours=-5))
ENDED_BY_DATE = "end-date"  # `decided_by` of a delegation the job ended
AUDIT_ACTION = "link.delegation"


def today(now: datetime) -> date:
    """The day in US Eastern (standard) time: what 'today' is for an end date."""
    return now.astimezone(EASTERN_STANDARD).date()


def ends_at(last_day: date) -> datetime:
    """When a delegation through `last_day` ends (UTC)."""
    return datetime.combine(last_day + timedelta(days=1), time(), EASTERN_STANDARD).astimezone(UTC)


def last_day(end: datetime) -> date:
    """The end date of a delegation ending at `end`."""
    return today(end - timedelta(microseconds=1))


def administrators(provider_id: str) -> list[LinkView]:
    """The Provider ID's active administrators (who invite, and who hear of a delegation's end)."""
    return [link for link in repositories().links.of_provider(provider_id)
            if link.role == LinkRole.ADMIN and link.status == LinkStatus.ACTIVE]


def revoke(provider_id: str, account_id: str, by: str, meta: Origin, now: datetime, plan: PlanProfile, *,
           reason: str | None = None) -> LinkView:
    """End an active delegation at once, audited; the delegate is mailed. An administrator's (`by` their
    account) or staff's (`reason` given). LookupError when there is no such delegation, StaleWrite when it is
    no longer active."""
    delegation = repositories().links.get(account_id, provider_id)
    if delegation is None or delegation.role != LinkRole.DELEGATE:
        raise LookupError(account_id)
    staff = reason is not None
    detail = {"provider_id": provider_id, "company": delegation.company, "by": by, "staff": staff}
    repositories().links.end_delegation(account_id, provider_id, LinkStatus.REMOVED, by, now, audit.audit_event(
        AUDIT_ACTION, "revoked", meta, subject=account_id, now=now,
        detail=detail | ({"reason": reason} if staff else {})))
    send_mail(delegation.requester_email, revoked_mail(plan, delegation, staff=staff))
    return replace(delegation, status=LinkStatus.REMOVED, decided_by=by, decided_at=now)


def end_past_due(account_id: str, provider_id: str, plan: PlanProfile, meta: Origin, now: datetime) -> bool:
    """The daily job, for one delegation of the index past its end: ended (audited) and both sides mailed,
    then out of the index. One the job ended before whose mail failed is mailed again (once per delivery
    id); one ended otherwise (revoked, roster) only leaves the index. True when it ended here or was mailed."""
    links = repositories().links
    link = links.get(account_id, provider_id)
    if link is None:
        return False
    if link.role == LinkRole.DELEGATE and link.status == LinkStatus.ACTIVE and link.ends_at and link.ends_at <= now:
        try:
            links.end_delegation(account_id, provider_id, LinkStatus.EXPIRED, ENDED_BY_DATE, now, audit.audit_event(
                AUDIT_ACTION, "ended", meta, subject=account_id, now=now,
                detail={"provider_id": provider_id, "company": link.company, "ends_at": link.ends_at.isoformat()}))
            link = replace(link, status=LinkStatus.EXPIRED, decided_by=ENDED_BY_DATE, decided_at=now)
        except StaleWrite:  # revoked meanwhile
            link = links.get(account_id, provider_id) or link
    ended_here = link.status == LinkStatus.EXPIRED and link.decided_by == ENDED_BY_DATE
    if ended_here:  # raises if the mail cannot be queued: it stays in the index for the next run
        event = f"delegation ended {account_id} {provider_id} {link.ends_at.isoformat() if link.ends_at else ''}"
        send_mail(link.requester_email, ended_mail(plan, link), once_for=event)
        for admin in administrators(provider_id):
            send_mail(admin.requester_email, ended_admin_mail(plan, link), once_for=f"{event} {admin.account_id}")
    links.unindex_delegation(account_id, provider_id)
    return ended_here


def as_listed(link: LinkView, now: datetime | None = None) -> dict[str, object]:
    """How a delegate's own access list shows its delegation: its status as it counts now, the company and
    the last day, and what it means."""
    status = access.status_now(link, now)
    end = last_day(link.ends_at) if link.ends_at else None
    next_step = {LinkStatus.ACTIVE: f"You act for it for {link.company}: {features_text(link.features or ())}.",
                 LinkStatus.EXPIRED: "The delegation reached its end date. Ask the practice for a new invitation "
                                     "if you should go on.",
                 LinkStatus.REMOVED: "The delegation was revoked. Ask the practice if this is a mistake."}
    return {"status": status, "next_step": next_step.get(status, ""), "company": link.company, "ends_on": end}


# --- mails ---------------------------------------------------------------------------------------------

def _day(end: datetime) -> str:
    return last_day(end).strftime("%B %d, %Y")


def features_text(features: tuple[Feature, ...] | list[Feature]) -> str:
    return ", ".join(access.FEATURE_NAMES[f] for f in features) or "nothing"


def invitation_mail(plan: PlanProfile, provider_name: str, provider_id: str, company: str,
                    features: tuple[Feature, ...], end: datetime, link: str, valid_days: int) -> Mail:
    lines = [
        f"An administrator of {provider_name} (Provider ID {provider_id}) invites you, for {quoted(company)}, to "
        f"act for it in the {plan.portal_name}: {features_text(features)}, through {_day(end)}.",
        f"Sign in, or register, with this email address, then open the link below within {valid_days} days to "
        "accept. The link works once.",
        footer(plan),
    ]
    text = "\n\n".join([*lines[:2], link, lines[2]])
    return Mail(f"{plan.brand}: invitation to act for {provider_name}", text,
                html(lines, (link, "Accept the invitation")), "delegation_invitation")


def accepted_mail(plan: PlanProfile, delegation: LinkView) -> Mail:
    return simple("delegation_accepted", f"{plan.brand}: {delegation.requester_name} now acts for "
                                         f"{delegation.provider_name}",
                  f"{delegation.requester_name} of {quoted(delegation.company or '')} accepted your invitation and "
                  f"acts for Provider ID {delegation.provider_id} through "
                  f"{_day(delegation.ends_at) if delegation.ends_at else 'the end date'}: "
                  f"{features_text(delegation.features or ())}.",
                  "Revoke it at any time on the Members page.", footer(plan))


def revoked_mail(plan: PlanProfile, delegation: LinkView, *, staff: bool) -> Mail:
    who = "Provider relations" if staff else "An administrator of the Provider ID"
    return simple("delegation_revoked", f"{plan.brand}: your access to {delegation.provider_name} ended",
                  f"{who} ended your access to {delegation.provider_name} (Provider ID {delegation.provider_id}) "
                  f"for {quoted(delegation.company or '')}. It ends now.",
                  f"Questions: ask the practice, or call {plan.support_phone}.", footer(plan))


def ended_mail(plan: PlanProfile, delegation: LinkView) -> Mail:
    end = _day(delegation.ends_at) if delegation.ends_at else "its end date"
    return simple("delegation_ended", f"{plan.brand}: your access to {delegation.provider_name} ended",
                  f"Your access to {delegation.provider_name} (Provider ID {delegation.provider_id}) for "
                  f"{quoted(delegation.company or '')} ended with its end date, {end}.",
                  "If you should go on, ask an administrator of the practice for a new invitation.", footer(plan))


def ended_admin_mail(plan: PlanProfile, delegation: LinkView) -> Mail:
    end = _day(delegation.ends_at) if delegation.ends_at else "its end date"
    return simple("delegation_ended_admin", f"{plan.brand}: a delegate's access to {delegation.provider_name} ended",
                  f"{delegation.requester_name} of {quoted(delegation.company or '')} no longer acts for "
                  f"{delegation.provider_name} (Provider ID {delegation.provider_id}): the end date, {end}, "
                  "has passed.", "Invite them again on the Members page if they should go on.", footer(plan))
