"""Delegations of a Provider ID (functions/shared/services/delegations.py says what one is).

An administrator invites someone outside the practice by email address, for a company, with features and
an end date at most a year away. The invitation is a single-use secret stored only as its hash
(functions/shared/store/tokens.py) with those terms, valid 14 days. The invitee accepts it signed in with
their own account, whose address must be the invited one; accepting creates the delegate's active link,
spends the invitation and checks that the inviter still administers the Provider ID, in one transaction
with its audit record (no approval: the administrator chose them). The answers never tell whether an
address has an account elsewhere. Administrators, and staff, revoke a delegation at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from functions.delegations.models import Accepted, Delegation, Delegations, Invite, Invited
from functions.shared.core import audit
from functions.shared.core.errors import FieldError, Problem, invalid_fields
from functions.shared.core.http import Caller, RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import LinkRole, LinkStatus, TokenPurpose
from functions.shared.services import access, delegations, ratelimit
from functions.shared.services.notify.mail import send_mail
from functions.shared.services.security.secrets import hash_secret, is_expired, new_token
from functions.shared.store import audit as audit_log
from functions.shared.store import repositories
from functions.shared.store.links import DelegationRefused, LinkView, NewLink
from functions.shared.store.tokens import InvitationTerms, TokenView, new_token_record
from functions.shared.store.transactions import StaleWrite

INVITE = TokenPurpose.DELEGATION_INVITE
INVITATION_TTL = timedelta(days=14)
SPENT_MEMORY = timedelta(days=30)  # how long a spent or expired link still says so (then: not valid)
LONGEST = timedelta(days=365)
INVITES_PER_DAY = 20  # per Provider ID: an administrator's session cannot be used to mail strangers in bulk
ACTION = delegations.AUDIT_ACTION

NOT_FOUND = Problem(404, "delegation-not-found", "No such delegation", "Reload the list.")
NOT_ACTIVE = Problem(409, "delegation-not-active", "This delegation has ended already",
                     "It was revoked or reached its end date. Reload the list.")


def invitation_page(portal_url: str, token: str) -> str:
    # In the fragment: browsers never send it to a server or in a Referer header.
    return f"{portal_url.rstrip('/')}/delegation.html#token={token}"


def invite(provider_id: str, req: Invite, who: Caller, meta: RequestMeta, now: datetime, plan: PlanProfile,
           portal_url: str) -> Invited:
    mine = access.require_admin(who.account_id, provider_id)
    first = delegations.today(now)
    last = first + LONGEST
    if not first <= req.ends_on <= last:
        raise invalid_fields([FieldError("ends_on", f"Choose a day from {first:%m/%d/%Y} to {last:%m/%d/%Y}: a "
                                                    "delegation lasts at most a year.", "out_of_range")])
    ratelimit.hit("delegation-invites", provider_id, INVITES_PER_DAY, timedelta(days=1), now)
    features = access.normal_features(req.features)
    end = delegations.ends_at(req.ends_on)
    token = new_token()
    record = new_token_record(hash_secret(token), INVITE, who.account_id, now, INVITATION_TTL, SPENT_MEMORY,
                              subject_ref=provider_id,
                              invitation=InvitationTerms(req.email, req.company, features, end))
    repositories().tokens.issue(record, audit.audit_event(
        ACTION, "invited", meta, subject=who.account_id, now=now,
        detail={"provider_id": provider_id, "company": req.company, "features": [f.value for f in features],
                "ends_on": req.ends_on.isoformat()}))
    send_mail(req.email, delegations.invitation_mail(plan, mine.provider_name, provider_id, req.company, features,
                                                     end, invitation_page(portal_url, token), INVITATION_TTL.days))
    return Invited(message=f"Invitation sent to {req.email}. Its link works once, for {INVITATION_TTL.days} days.",
                   valid_until=record.valid_until)


def view(link: LinkView, now: datetime) -> Delegation:
    status = access.status_now(link, now)
    # ended by a revocation or the job (decided_at), or past its end before the job ran (ends_at)
    ended = None if status == LinkStatus.ACTIVE else link.decided_at if link.status != LinkStatus.ACTIVE \
        else link.ends_at
    return Delegation(account_id=link.account_id, name=link.requester_name, email=link.requester_email,
                      company=link.company or "", features=list(link.features or ()),
                      ends_on=delegations.last_day(link.ends_at) if link.ends_at else now.date(),
                      status=status, accepted_at=link.requested_at, ended_at=ended)


def listing(provider_id: str, who: Caller, now: datetime) -> Delegations:
    mine = access.require_admin(who.account_id, provider_id)
    shown = [view(link, now) for link in repositories().links.of_provider(provider_id)
             if link.role == LinkRole.DELEGATE]
    shown.sort(key=lambda d: (d.status != LinkStatus.ACTIVE, d.ends_on, d.company.casefold()))
    return Delegations(provider_id=provider_id, provider_name=mine.provider_name, delegations=shown)


def revoke(provider_id: str, account_id: str, by: str, meta: RequestMeta, now: datetime, plan: PlanProfile, *,
           reason: str | None = None) -> None:
    """An administrator's revocation (`by` their account), or staff's (`by` the staff member, with a reason)."""
    try:
        delegations.revoke(provider_id, account_id, by, meta, now, plan, reason=reason)
    except LookupError:
        raise NOT_FOUND from None
    except StaleWrite:
        raise NOT_ACTIVE from None


USED = Problem(409, "invitation-used", "This invitation was already used",
                     "Each invitation link works once. If you accepted it, the Provider ID is on your access page.")
WITHDRAWN = Problem(409, "invitation-withdrawn", "This invitation no longer stands",
                          "The administrator who sent it no longer administers the Provider ID. Ask the practice "
                          "for a new invitation.")


def _invitation(token_hash: str, who: Caller, meta: RequestMeta, now: datetime) -> TokenView:
    """The invitation behind a link, while it can be accepted; else the problem that says why not."""
    token = repositories().tokens.get(token_hash)
    if token is None or token.purpose != INVITE or token.invitation is None or not token.subject_ref:
        audit_log.record(ACTION, "unknown_link", meta, subject=who.account_id, now=now)
        raise Problem(404, "invitation-unknown", "This invitation link is not valid",
                            "Open the link in the invitation email exactly as it came, or ask for a new one.")
    detail = {"provider_id": token.subject_ref}
    if token.used_at is not None:
        audit_log.record(ACTION, "reused_link", meta, subject=who.account_id, now=now, detail=detail)
        raise USED
    if is_expired(token.valid_until, now) or now >= token.invitation.ends_at:
        audit_log.record(ACTION, "expired_link", meta, subject=who.account_id, now=now, detail=detail)
        raise Problem(410, "invitation-expired", "This invitation has expired",
                            "Invitations work for 14 days and until their end date. Ask the practice for a new one.")
    return token


def accept(token: str, who: Caller, meta: RequestMeta, now: datetime, plan: PlanProfile) -> Accepted:
    token_hash = hash_secret(token)
    invitation = _invitation(token_hash, who, meta, now)
    terms, provider_id = invitation.invitation, invitation.subject_ref
    assert terms is not None and provider_id is not None
    account = repositories().accounts.get(who.account_id)
    # Compared with the caller's own address only: the answer says nothing about any other account.
    if account is None or account.email.casefold() != terms.email.casefold():
        audit_log.record(ACTION, "other_address", meta, subject=who.account_id, now=now,
                         detail={"provider_id": provider_id})
        raise Problem(403, "invitation-for-another-address", "This invitation was sent to another email address",
                      "Sign in with the account of the address the invitation went to (or register one with it), "
                      "then open the link again.")
    links = repositories().links
    inviter = links.get(invitation.account_id, provider_id)
    if inviter is None or inviter.role != LinkRole.ADMIN or inviter.status != LinkStatus.ACTIVE:
        raise WITHDRAWN
    new = NewLink(account_id=who.account_id, provider_id=provider_id, link_type=inviter.link_type,
                  tax_id=inviter.tax_id, provider_name=inviter.provider_name,
                  requester_name=f"{account.first_name} {account.last_name}", requester_email=account.email,
                  requested_at=now)
    try:
        if who.account_id == invitation.account_id:
            raise DelegationRefused("linked")  # the inviter's own link is there
        delegation = links.create_delegation(new, terms, invitation.account_id, token_hash, audit.audit_event(
            ACTION, "accepted", meta, subject=who.account_id, now=now,
            detail={"provider_id": provider_id, "company": terms.company, "invited_by": invitation.account_id,
                    "features": [f.value for f in terms.features], "ends_at": terms.ends_at.isoformat()}))
    except DelegationRefused as refused:
        if refused.reason == "spent":
            raise USED from None
        if refused.reason == "inviter":
            raise WITHDRAWN from None
        raise Problem(409, "already-linked", "Your account is already linked to this Provider ID",
                      "It has access there already, as a member or a delegate, or asked for it. To change a "
                      "delegation, the practice revokes it and invites you again.") from None
    send_mail(inviter.requester_email, delegations.accepted_mail(plan, delegation))
    agreed = repositories().consents.has(who.account_id, access.provider_agreement(plan))
    ends_on = delegations.last_day(terms.ends_at)
    return Accepted(provider_id=provider_id, provider_name=delegation.provider_name, company=terms.company,
                    features=list(terms.features), ends_on=ends_on,
                    message=f"You act for {delegation.provider_name} for {terms.company} through {ends_on:%m/%d/%Y}"
                            + ("." if agreed else ", once you have accepted the plan's Provider Agreement."),
                    next="/access.html" if agreed else "/agreement.html")
