"""Linking rules: match the roster exactly (after normalising), say nothing about which field was
wrong, limit attempts per account and per Tax ID, and hand everything else to the access-approval
workflow.

Directory data (names, Tax ID, provider number, ZIP) is public, so matching it proves nothing. A Provider
ID's first administrator must also prove they are with the practice before anything is granted or
claimed: by a recent payment the plan made to its Tax ID (check or EFT trace number and amount, as payer
portals ask), or else provider-relations staff verify them (see functions/staff). Failed payment proofs
are audited, never say whether the number or the amount was wrong, and are counted per account, per source
and per Provider ID (see `proof_tries_left`). Later linkers ask the Provider ID's administrators."""

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
from functions.shared.core import audit, business_days, roster
from functions.shared.core.errors import FieldError, Problem, session_ended
from functions.shared.core.http import Caller, RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import OPEN_LINK_STATUSES, LinkRole, LinkStatus, LinkType
from functions.shared.services import access, delegations, ratelimit, workflow
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
PROOF_FIELDS = ("payment.number", "payment.amount")
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
            new, business_days.business_days_later(now, plan.staff_verification_business_days, plan.closure_dates),
            _event("link.create", "verification_requested", new, meta, now))
    try:
        return links.create_as_admin(new, _event("link.create", "administrator", new, meta, now, proof=proof))
    except UniqueKeyTaken:  # someone else became the administrator meanwhile
        return _member_request(new, plan, meta, now)


def _member_request(new: stored_links.NewLink, plan: PlanProfile, meta: RequestMeta,
                    now: datetime) -> stored_links.LinkView:
    return repositories().links.create_request(
        new, business_days.business_days_later(now, plan.admin_decision_business_days, plan.closure_dates),
        _event("link.create", "access_requested", new, meta, now))


def proof_tries_left(account_failures: int, source_failures: int, provider_failures: int, plan: PlanProfile) -> int:
    """How many payment proofs an account may still try today, from its source, for a Provider ID.

    The day's failures count per account and per source, which only their own attempts use up, so a stranger
    never takes an office's tries. A Provider ID's failures from everyone never refuse a proof; past the plan's
    mark (someone is guessing its payments) they cut every account's allowance for it to a few tries, which
    slows guessing with many accounts while an office that has not failed today still gets its proof checked."""
    allowance = plan.payment_proof_failures_per_account_per_day
    if provider_failures >= plan.payment_proof_failures_per_provider_per_day:
        allowance = min(allowance, plan.payment_proof_tries_when_targeted)
    return max(0, min(allowance - account_failures,
                      plan.payment_proof_failures_per_source_per_day - source_failures))


def _prove_payment(new: stored_links.NewLink, payment: PaymentProof, plan: PlanProfile, meta: RequestMeta,
                   now: datetime) -> None:
    """A payment the plan made to the Provider ID's Tax ID within `payment_proof_days`, total and number
    both right; a failure is counted (a day's window), marks both fields alike and says the tries left."""
    counters = {"link-proof-account": new.account_id, "link-proof-source": meta.source,
                "link-proof-provider": new.provider_id}
    counts = ratelimit.check_all([(action, subject, 0, PROOF_WINDOW) for action, subject in counters.items()], now)
    left = proof_tries_left(counts["link-proof-account"], counts["link-proof-source"], counts["link-proof-provider"],
                            plan)
    if left == 0:
        raise _no_tries_left(ratelimit.seconds_left(PROOF_WINDOW, now))
    since = (now - timedelta(days=plan.payment_proof_days)).date()
    paid = repositories().claims.payment_total(new.tax_id, payment.number, since)
    if paid is not None and paid > 0 and paid == payment.cents:
        return
    # This failure counted: it may also be the one that marks the Provider ID as targeted.
    left = proof_tries_left(*(counts[action] + 1 for action in counters), plan)
    audit_log.record("link.verify", "payment_not_verified", meta, subject=new.account_id, now=now,
                     detail={"provider_id": new.provider_id, "tries_left": left})
    for action, subject in counters.items():
        ratelimit.allow(action, subject, FAILURES_COUNTED, PROOF_WINDOW, now)
    raise _payment_not_verified(left, plan)


FAILURES_COUNTED = 1_000_000  # a counter's cap: the limits are applied by proof_tries_left
_LEAVE_IT_OUT = "leave the payment out and provider relations will verify you instead"


def _payment_not_verified(left: int, plan: PlanProfile) -> Problem:
    tries = (f"You have {left} {'try' if left == 1 else 'tries'} left today."
             if left else f"You have no tries left today: try again tomorrow, or {_LEAVE_IT_OUT}.")
    return Problem(
        422, "payment-not-verified", "We could not verify this payment",
        f"We found no payment to this Tax ID in the last {plan.payment_proof_days} days with this number and "
        f"total. {tries}",
        errors=[FieldError(field, "Check the number and the total against your remittance advice or bank "
                                  "statement.", "not_verified") for field in PROOF_FIELDS],
        extra={"tries_left": left})


def _no_tries_left(retry_after: int) -> Problem:
    return Problem(
        429, "payment-proof-tries-used", "No payment tries left today",
        f"You have used today's tries to prove a payment. Try again tomorrow, or {_LEAVE_IT_OUT}.",
        errors=[FieldError(field, "No tries left today: leave the payment out, or try again tomorrow.",
                           "tries_used") for field in PROOF_FIELDS],
        extra={"tries_left": 0}, headers={"Retry-After": str(retry_after)})


def _event(action: str, outcome: str, new: stored_links.NewLink, meta: RequestMeta, now: datetime,
           **detail: str) -> audit.AuditEntry:
    return audit.audit_event(action, outcome, meta, subject=new.account_id, now=now,
                             detail={"provider_id": new.provider_id, **detail})


def _concurrent() -> Problem:
    return Problem(409, "link-in-progress", "A request for this Provider ID is already open",
                   "Check its status on your account page.")


def view(link: stored_links.LinkView) -> LinkView:
    shown = LinkView(provider_id=link.provider_id, provider_name=link.provider_name, link_type=link.link_type,
                     role=link.role, status=link.status, next_step=NEXT_STEP.get(link.status, ""),
                     requested_at=link.requested_at,
                     features=list(access.normal_features(access.features_of(link))))
    return shown.model_copy(update=delegations.as_listed(link)) if link.role == LinkRole.DELEGATE else shown


def my_links(who: Caller) -> LinkList:
    return LinkList(links=[view(link) for link in repositories().links.of_account(who.account_id)])


def accessible_providers(who: Caller, plan: PlanProfile) -> AccessibleProviders:
    """The providers whose records this account may see: checked on every portal request."""
    active = access.portal_links(who.account_id, plan)
    names = {link.provider_id: link for link in active}
    scopes = {link.provider_id: access.granted_by([link]) for link in active}  # what acting for each opens
    shown = []
    for provider_id, seen in sorted(access.granted_by(active, with_details=True).items()):
        record = seen.provider
        shown.append(ProviderView(
            provider_id=provider_id, via_link=seen.via_link,
            via_links=sorted(link_id for link_id, scope in scopes.items() if provider_id in scope),
            provider_type=record.provider_type if record else names[provider_id].link_type,
            name=record.name if record else names[provider_id].provider_name,
            zips=sorted(record.zips) if record else []))
    return AccessibleProviders(providers=shown)
