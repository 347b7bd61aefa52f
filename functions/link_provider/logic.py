"""Linking rules: match the roster exactly (after normalising), say nothing about which field was
wrong, limit attempts per account and per Tax ID, make the first linker the administrator, and hand
everything else to the access-approval workflow."""

from __future__ import annotations

from datetime import datetime, timedelta

from functions.link_provider.models import AccessibleProviders, LinkList, LinkRequest, LinkView, ProviderView
from functions.shared import audit, ratelimit, roster, workflow
from functions.shared.errors import FieldError, Problem, invalid_fields
from functions.shared.http import Caller, RequestMeta
from functions.shared.plans import PlanProfile
from functions.shared.states import OPEN_LINK_STATUSES
from functions.shared.store import accounts, links
from functions.shared.store.models import Link, LinkStatus, Provider
from functions.shared.store.transactions import StaleWrite, UniqueKeyTaken

WINDOW = timedelta(hours=1)
NO_MATCH = Problem(
    422, "provider-not-matched", "We could not match these details",
    "Check every field against your records with the plan (names, Tax ID, provider number and a "
    "practice ZIP code) and try again. If they are right, call provider services.")
NEXT_STEP = {
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
    names = ("first_name", "last_name") if req.provider_type == "practitioner" else ("group_name",)
    return [FieldError(n, "This field is required.", "missing") for n in names if getattr(req, n) is None]


def matches(provider: Provider | None, req: LinkRequest) -> bool:
    if provider is None or provider.provider_type != req.provider_type:
        return False
    if req.provider_type == "practitioner":
        names_match = (roster.words(provider.first_name) == roster.words(req.first_name)
                       and roster.words(provider.last_name) == roster.words(req.last_name))
    else:
        names_match = roster.words(provider.group_name) == roster.words(req.group_name)
    return (names_match and provider.tax_id == roster.digits(req.tax_id)
            and roster.zip5(req.zip) in provider.zips)


def display_name(provider: Provider) -> str:
    if provider.provider_type == "group":
        return provider.group_name or provider.provider_id
    return f"{provider.first_name} {provider.last_name}"


def request_link(req: LinkRequest, who: Caller, plan: PlanProfile, meta: RequestMeta, now: datetime) -> LinkView:
    missing = _required(req)
    if missing:
        raise invalid_fields(missing)
    tax_id = roster.digits(req.tax_id)
    ratelimit.hit("link-attempt", who.account_id, plan.link_attempts_per_hour, WINDOW, now)
    ratelimit.check("link-failure-tax-id", tax_id, plan.link_failures_per_tax_id_per_hour, WINDOW, now)
    version = roster.current_version()
    provider = roster.provider(req.provider_number, version) if version else None
    if not matches(provider, req):
        ratelimit.hit("link-failure-tax-id", tax_id, plan.link_failures_per_tax_id_per_hour, WINDOW, now)
        audit.record("link.match", "no_match", meta, subject=who.account_id, now=now)
        raise NO_MATCH
    assert provider is not None
    account = accounts.get_account(who.account_id)
    assert account is not None
    existing = links.get(who.account_id, provider.provider_id)
    if existing and existing.status in OPEN_LINK_STATUSES:
        workflow.start(existing, plan)  # same name: resumes a start that failed, never runs twice
        return view(existing)
    if existing and existing.status == LinkStatus.ACTIVE:
        raise Problem(409, "already-linked", "Already linked", "Your account already has this Provider ID.")
    link = Link(who.account_id, provider.provider_id, link_type=provider.provider_type, tax_id=provider.tax_id,
                provider_name=display_name(provider), role="admin", status=LinkStatus.PENDING_AGREEMENT,
                requester_name=f"{account.first_name} {account.last_name}", requester_email=account.email,
                requested_at=now)
    try:
        links.create_as_admin(link, audit.audit_event("link.create", "administrator", meta,
                                                      subject=who.account_id, now=now,
                                                      detail={"provider_id": provider.provider_id}))
    except UniqueKeyTaken:
        link.role, link.status = "member", LinkStatus.PENDING_ADMIN
        link.decision_due = workflow.business_days_later(now, plan.admin_decision_business_days)
        try:
            links.create_request(link, audit.audit_event("link.create", "access_requested", meta,
                                                         subject=who.account_id, now=now,
                                                         detail={"provider_id": provider.provider_id}))
        except StaleWrite:
            raise _concurrent() from None
    except StaleWrite:
        raise _concurrent() from None
    link.execution = workflow.start(link, plan)
    return view(link)


def _concurrent() -> Problem:
    return Problem(409, "link-in-progress", "A request for this Provider ID is already open",
                   "Check its status on your account page.")


def view(link: Link) -> LinkView:
    return LinkView(provider_id=link.provider_id, provider_name=link.provider_name, link_type=link.link_type,
                    role=link.role, status=link.status, next_step=NEXT_STEP.get(link.status, ""),
                    requested_at=link.requested_at)


def my_links(who: Caller) -> LinkList:
    return LinkList(links=[view(link) for link in links.of_account(who.account_id)])


def accessible_providers(who: Caller, plan: PlanProfile) -> AccessibleProviders:
    """The providers whose records this account may see: checked on every portal request."""
    agreement = f"provider_agreement#{plan.provider_agreement_version}"
    active = [link for link in links.of_account(who.account_id) if link.status == LinkStatus.ACTIVE]
    if not active:
        raise Problem(403, "no-access", "No provider access yet",
                      "Link your account to a Provider ID; the portal opens once access is granted.")
    if not links.has_consent(who.account_id, agreement):
        raise Problem(403, "agreement-required", "Accept the new Provider Agreement",
                      "The Provider Agreement changed. Read and accept it to continue.",
                      extra={"agreement": "/agreement.html"})
    version = roster.current_version()
    seen: dict[str, ProviderView] = {}
    for link in active:
        if link.link_type == "group" and version:
            covered = roster.providers_under_tax_id(link.tax_id, version)
        else:
            single = roster.provider(link.provider_id, version) if version else None
            covered = [single] if single else []
        for p in covered:
            seen.setdefault(p.provider_id, ProviderView(provider_id=p.provider_id, provider_type=p.provider_type,
                                                        name=display_name(p), zips=sorted(p.zips),
                                                        via_link=link.provider_id))
    return AccessibleProviders(providers=sorted(seen.values(), key=lambda p: p.provider_id))
