"""Linking rules: match the roster exactly (after normalising), say nothing about which field was
wrong, limit attempts per account and per Tax ID, and hand everything else to the access-approval
workflow.

Directory data (names, Tax ID, provider number, ZIP) is public, so matching it proves nothing. A Provider
ID's first administrator must also prove they are with the practice before anything is granted or
claimed: by a recent payment the plan made to its Tax ID (check or EFT trace number and amount, as payer
portals ask), or else provider-relations staff verify them (see functions/staff). Failed payment proofs
are counted per account and per Provider ID, audited, and never say whether the number or the amount was
wrong. Later linkers ask the Provider ID's administrators."""

from __future__ import annotations

from datetime import datetime, timedelta

from functions.link_provider.models import (
    AccessibleProviders,
    LinkList,
    LinkRequest,
    LinkView,
    PaymentProof,
    ProviderView,
)
from functions.shared.core import audit, roster
from functions.shared.core.errors import FieldError, Problem, invalid_fields, session_ended
from functions.shared.core.http import Caller, RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import OPEN_LINK_STATUSES, LinkStatus, LinkType
from functions.shared.services import access, ratelimit, workflow
from functions.shared.store import audit as audit_log
from functions.shared.store import links as stored_links
from functions.shared.store import repositories
from functions.shared.store.roster import ProviderView as RosterProvider
from functions.shared.store.transactions import StaleWrite, UniqueKeyTaken

WINDOW = timedelta(hours=1)
PROOF_WINDOW = timedelta(days=1)
NO_MATCH = Problem(
    422, "provider-not-matched", "We could not match these details",
    "Check every field against your records with the plan (names, Tax ID, provider number and a "
    "practice ZIP code) and try again. If they are right, call provider services.")
PAYMENT_NOT_VERIFIED = Problem(
    422, "payment-not-verified", "We could not verify this payment",
    "Enter the check number or EFT trace number and the total of a payment we made to this Tax ID "
    "recently, as on your remittance advice. If you have none, leave the payment out: provider relations "
    "will verify you instead.")
NEXT_STEP = {
    LinkStatus.PENDING_VERIFICATION: "Provider relations will verify that you work for this practice (they may "
                                     "call the practice). Nothing is shared with you until then.",
    LinkStatus.PENDING_ADMIN: "Waiting for the administrator of this Provider ID to approve your request.",
    LinkStatus.PENDING_AGREEMENT: "Accept the Provider Agreement to continue.",
    LinkStatus.PENDING_ORG: "Waiting for the organizational agreement: a supervisor, manager or owner signs "
                            "it, then provider relations approves it.",
    LinkStatus.ACTIVE: "You have access.",
    LinkStatus.DENIED: "The request was not approved. You may ask again.",
    LinkStatus.EXPIRED: "The request expired without a decision. You may ask again.",
    LinkStatus.REMOVED: "An administrator removed this link. You may ask again.",
}


def _required(req: LinkRequest) -> list[FieldError]:
    names = ("first_name", "last_name") if req.provider_type == LinkType.PRACTITIONER else ("group_name",)
    return [FieldError(n, "This field is required.", "missing") for n in names if getattr(req, n) is None]


def matches(provider: RosterProvider | None, req: LinkRequest) -> bool:
    if provider is None or provider.provider_type != req.provider_type:
        return False
    if req.provider_type == LinkType.PRACTITIONER:
        names_match = (roster.words(provider.first_name) == roster.words(req.first_name)
                       and roster.words(provider.last_name) == roster.words(req.last_name))
    else:
        names_match = roster.words(provider.group_name) == roster.words(req.group_name)
    return (names_match and provider.tax_id == roster.digits(req.tax_id)
            and roster.zip5(req.zip) in provider.zips)


def request_link(req: LinkRequest, who: Caller, plan: PlanProfile, meta: RequestMeta, now: datetime) -> LinkView:
    missing = _required(req)
    if missing:
        raise invalid_fields(missing)
    tax_id = roster.digits(req.tax_id)
    ratelimit.hit("link-attempt", who.account_id, plan.link_attempts_per_hour, WINDOW, now)
    ratelimit.check("link-failure-tax-id", tax_id, plan.link_failures_per_tax_id_per_hour, WINDOW, now)
    repos = repositories()
    version = repos.roster.current_version()
    provider = repos.roster.provider(req.provider_number, version) if version else None
    if provider is None or not matches(provider, req):
        ratelimit.hit("link-failure-tax-id", tax_id, plan.link_failures_per_tax_id_per_hour, WINDOW, now)
        audit_log.record("link.match", "no_match", meta, subject=who.account_id, now=now)
        raise NO_MATCH
    existing = repos.links.get(who.account_id, provider.provider_id)
    if existing and existing.status in OPEN_LINK_STATUSES:
        workflow.start(existing, plan)  # same name: resumes a start that failed, never runs twice
        return view(existing)
    if existing and existing.status == LinkStatus.ACTIVE:
        raise Problem(409, "already-linked", "Already linked", "Your account already has this Provider ID.")
    requester = repos.accounts.get(who.account_id)
    if requester is None:
        raise session_ended()
    new = stored_links.NewLink(account_id=who.account_id, provider_id=provider.provider_id,
                               link_type=provider.provider_type, tax_id=provider.tax_id, provider_name=provider.name,
                               requester_name=f"{requester.first_name} {requester.last_name}",
                               requester_email=requester.email, requested_at=now)
    try:
        link = _create(new, req.payment, plan, meta, now)
    except StaleWrite:
        raise _concurrent() from None
    workflow.start(link, plan)
    return view(link)


def _create(new: stored_links.NewLink, payment: PaymentProof | None, plan: PlanProfile, meta: RequestMeta,
            now: datetime) -> stored_links.LinkView:
    """The new link: a member's request when the Provider ID has an administrator; else its first
    administrator, claimed at once when proven (or when the plan's staff approve the organizational
    agreement later), or waiting for provider relations to verify them."""
    links = repositories().links
    if plan.first_admin_proof != "org_agreement" and links.has_administrator(new.provider_id):
        return _member_request(new, plan, meta, now)
    if plan.first_admin_proof == "payment_or_staff" and payment is not None:
        _prove_payment(new, payment, plan, meta, now)
        proof = "payment"
    elif plan.first_admin_proof == "org_agreement":
        proof = "org_agreement"
    else:
        return links.create_for_verification(
            new, workflow.business_days_later(now, plan.staff_verification_business_days),
            _event("link.create", "verification_requested", new, meta, now))
    try:
        return links.create_as_admin(new, _event("link.create", "administrator", new, meta, now, proof=proof))
    except UniqueKeyTaken:  # someone else became the administrator meanwhile
        return _member_request(new, plan, meta, now)


def _member_request(new: stored_links.NewLink, plan: PlanProfile, meta: RequestMeta,
                    now: datetime) -> stored_links.LinkView:
    return repositories().links.create_request(
        new, workflow.business_days_later(now, plan.admin_decision_business_days),
        _event("link.create", "access_requested", new, meta, now))


def _prove_payment(new: stored_links.NewLink, payment: PaymentProof, plan: PlanProfile, meta: RequestMeta,
                   now: datetime) -> None:
    """A payment the plan made to the Provider ID's Tax ID within `payment_proof_days`, total and number
    both right; failures count per account and per Provider ID (a day's window) and say nothing more."""
    per_account = ("link-proof-account", new.account_id, plan.payment_proof_failures_per_account_per_day)
    per_provider = ("link-proof-provider", new.provider_id, plan.payment_proof_failures_per_provider_per_day)
    for action, subject, limit in (per_account, per_provider):
        ratelimit.check(action, subject, limit, PROOF_WINDOW, now)
    since = (now - timedelta(days=plan.payment_proof_days)).date()
    paid = repositories().claims.payment_total(new.tax_id, payment.number, since)
    if paid is not None and paid > 0 and paid == payment.cents:
        return
    audit_log.record("link.verify", "payment_not_verified", meta, subject=new.account_id, now=now,
                     detail={"provider_id": new.provider_id})
    for action, subject, limit in (per_account, per_provider):
        ratelimit.hit(action, subject, limit, PROOF_WINDOW, now)
    raise PAYMENT_NOT_VERIFIED


def _event(action: str, outcome: str, new: stored_links.NewLink, meta: RequestMeta, now: datetime,
           **detail: str) -> audit.AuditEntry:
    return audit.audit_event(action, outcome, meta, subject=new.account_id, now=now,
                             detail={"provider_id": new.provider_id, **detail})


def _concurrent() -> Problem:
    return Problem(409, "link-in-progress", "A request for this Provider ID is already open",
                   "Check its status on your account page.")


def view(link: stored_links.LinkView) -> LinkView:
    return LinkView(provider_id=link.provider_id, provider_name=link.provider_name, link_type=link.link_type,
                    role=link.role, status=link.status, next_step=NEXT_STEP.get(link.status, ""),
                    requested_at=link.requested_at)


def my_links(who: Caller) -> LinkList:
    return LinkList(links=[view(link) for link in repositories().links.of_account(who.account_id)])


def accessible_providers(who: Caller, plan: PlanProfile) -> AccessibleProviders:
    """The providers whose records this account may see: checked on every portal request."""
    active = access.portal_links(who.account_id, plan)
    names = {link.provider_id: link for link in active}
    shown = []
    for provider_id, seen in sorted(access.granted_by(active, with_details=True).items()):
        record = seen.provider
        shown.append(ProviderView(
            provider_id=provider_id, via_link=seen.via_link,
            provider_type=record.provider_type if record else names[provider_id].link_type,
            name=record.name if record else names[provider_id].provider_name,
            zips=sorted(record.zips) if record else []))
    return AccessibleProviders(providers=shown)
