"""Which providers a caller may see: the rule every portal step (eligibility, claims, authorizations,
admissions) checks before it reads a provider's records.

- an active Practitioner link grants that Provider ID;
- an active Group link grants every provider billing under the group's Tax ID in the current roster
  version;
- a delegation (role delegate) grants the same, while active and before its end (checked here by the
  time, so one past its end grants nothing even before the daily job ends it);
- a pending, denied, expired or removed link grants nothing.

And what the caller may do there: each portal step names the feature it needs (`Feature`); an
administrator has every feature, a member the features an administrator gave them, else the defaults
of a standard user, a delegate exactly the features it was invited for. A feature not given is 403
`feature-not-granted`, saying who can grant it.

Links are read consistently, so a link that was just granted, removed or changed counts at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from functions.shared.core import audit, clock
from functions.shared.core.errors import Problem
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import Feature, LinkRole, LinkStatus, LinkType
from functions.shared.store import repositories
from functions.shared.store.links import LinkView
from functions.shared.store.roster import ProviderView


@dataclass(frozen=True)
class Visible:
    """A provider the caller may see, and the link that grants it."""

    provider_id: str
    via_link: str
    provider: ProviderView | None = None  # the roster's record, when there is one


def in_force(link: LinkView, now: datetime | None = None) -> bool:
    """Active, and (a delegation) not past its end."""
    return link.status == LinkStatus.ACTIVE and (link.ends_at is None or (now or clock.now()) < link.ends_at)


def status_now(link: LinkView, now: datetime | None = None) -> LinkStatus:
    """The link's status as it counts now: a delegation past its end is expired, ended by the job or not."""
    lapsed = link.status == LinkStatus.ACTIVE and not in_force(link, now)
    return LinkStatus.EXPIRED if lapsed else link.status


def active_links(account_id: str) -> list[LinkView]:
    """The caller's links that grant access (consistent read)."""
    now = clock.now()
    return [link for link in repositories().links.of_account(account_id, consistent=True) if in_force(link, now)]


def granted_by(links: Iterable[LinkView], *, with_details: bool = False) -> dict[str, Visible]:
    """Every provider these links grant, by Provider ID (the first link granting it is named).

    The roster is read only where needed: for group links, and for practitioner links when
    `with_details` asks for the roster's record of each provider.
    """
    active = [link for link in links if link.status == LinkStatus.ACTIVE]
    roster = repositories().roster
    needs_roster = with_details or any(link.link_type == LinkType.GROUP for link in active)
    version = roster.current_version() if needs_roster else None
    seen: dict[str, Visible] = {}
    for link in active:
        if link.link_type == LinkType.GROUP:
            for provider in roster.under_tax_id(link.tax_id, version) if version else []:
                seen.setdefault(provider.provider_id, Visible(provider.provider_id, link.provider_id, provider))
        elif link.provider_id not in seen:
            record = roster.provider(link.provider_id, version) if with_details and version else None
            seen[link.provider_id] = Visible(link.provider_id, link.provider_id, record)
    return seen


def visible_providers(account_id: str) -> frozenset[str]:
    """The Provider IDs whose records this account may see now."""
    return frozenset(granted_by(active_links(account_id)))


def may_see(account_id: str, provider_ids: str | Iterable[str]) -> bool:
    """Whether this account may see every one of these Provider IDs (at least one must be asked for)."""
    wanted = {provider_ids} if isinstance(provider_ids, str) else set(provider_ids)
    wanted = {p.strip().upper() for p in wanted}
    return bool(wanted) and wanted <= visible_providers(account_id)


NO_ACCESS = Problem(403, "no-access", "No provider access yet",
                    "Link your account to a Provider ID; the portal opens once access is granted.",
                    extra={"link": "/link.html"})
AGREEMENT_REQUIRED = Problem(403, "agreement-required", "Accept the new Provider Agreement",
                             "The Provider Agreement changed. Read and accept it to continue.",
                             extra={"agreement": "/agreement.html"})
NOT_ACTING_FOR = Problem(403, "not-acting-for", "Choose one of your Provider IDs",
                         "You can act only for a Provider ID your account has access to. Choose one from the list.",
                         extra={"access": "/access.html"})


def portal_links(account_id: str, plan: PlanProfile) -> list[LinkView]:
    """The caller's active links, once they may use the portal at all: at least one active link and
    the plan's current Provider Agreement accepted. Raises the problem that says what is missing."""
    active = active_links(account_id)
    if not active:
        raise NO_ACCESS
    if not repositories().consents.has(account_id, provider_agreement(plan)):
        raise AGREEMENT_REQUIRED
    return active


ALL_FEATURES = tuple(Feature)
# What each kind of person may use, as an administrator gives it in one click; a member whose features
# were never set has the standard user's (everything but managing people, which is the administrator's).
FEATURE_PRESETS: dict[str, tuple[Feature, ...]] = {
    "standard": ALL_FEATURES,
    "billing": (Feature.ELIGIBILITY, Feature.CLAIMS),
    "clinical": (Feature.ELIGIBILITY, Feature.AUTHORIZATIONS_VIEW, Feature.AUTHORIZATIONS_SUBMIT,
                 Feature.ADMISSIONS_VIEW, Feature.ADMISSIONS_NOTIFY),
}
FEATURE_NAMES = {Feature.ELIGIBILITY: "eligibility", Feature.CLAIMS: "claims",
                 Feature.AUTHORIZATIONS_VIEW: "viewing prior authorizations",
                 Feature.AUTHORIZATIONS_SUBMIT: "sending prior authorizations",
                 Feature.ADMISSIONS_VIEW: "viewing admissions", Feature.ADMISSIONS_NOTIFY: "notifying admissions"}
# Doing implies seeing: sending a request needs its page, notifying needs the admissions list.
IMPLIES = {Feature.AUTHORIZATIONS_SUBMIT: Feature.AUTHORIZATIONS_VIEW,
           Feature.ADMISSIONS_NOTIFY: Feature.ADMISSIONS_VIEW}


def normal_features(features: Iterable[Feature]) -> tuple[Feature, ...]:
    """The features as stored: each once, with what they imply, in a fixed order."""
    given = set(features)
    given |= {IMPLIES[f] for f in given if f in IMPLIES}
    return tuple(f for f in ALL_FEATURES if f in given)


def features_of(link: LinkView, now: datetime | None = None) -> frozenset[Feature]:
    """What this link lets its holder use (nothing unless it is active; a delegation: before its end)."""
    if not in_force(link, now):
        return frozenset()
    if link.role == LinkRole.ADMIN:
        return frozenset(ALL_FEATURES)
    if link.role == LinkRole.DELEGATE:
        return frozenset(link.features or ())
    return frozenset(link.features if link.features is not None else FEATURE_PRESETS["standard"])


def feature_not_granted(link: LinkView, needs: Feature) -> Problem:
    who_grants = (f"An administrator of {link.provider_id} can invite you again with it."
                  if link.role == LinkRole.DELEGATE else
                  f"An administrator of {link.provider_id} can give it to you on the Access page.")
    return Problem(403, "feature-not-granted", f"Your access to {link.provider_id} does not include "
                                               f"{FEATURE_NAMES[needs]}", who_grants,
                   extra={"feature": needs.value, "provider_id": link.provider_id, "access": "/access.html"})


def scope_for(account_id: str, acting_for: str, plan: PlanProfile, needs: Feature) -> frozenset[str]:
    """The Provider IDs whose records the caller may see while acting for `acting_for`, one of their
    active links: that Provider ID, and for a group every provider under its Tax ID; once the link gives
    the feature the step `needs`. Checked on every portal-data request, before any record is read."""
    wanted = acting_for  # an ActingFor: normalised where it came in
    link = next((link for link in portal_links(account_id, plan) if link.provider_id == wanted), None)
    if link is None:
        raise NOT_ACTING_FOR
    # A delegate's reads and changes are audited naming its company (core/audit.py acting_through).
    audit.acting_through(account_id, wanted, link.company if link.role == LinkRole.DELEGATE else None)
    if needs not in features_of(link):
        raise feature_not_granted(link, needs)
    return frozenset(granted_by([link]))


NOT_ADMIN = Problem(403, "not-administrator", "Only this Provider ID's administrators can do this",
                    "Ask one of its administrators, or call provider services.")


def require_admin(account_id: str, provider_id: str) -> LinkView:
    """The caller's link to `provider_id`, when it is an active administrator's; else 403 not-administrator."""
    mine = repositories().links.get(account_id, provider_id)
    if mine is None or mine.role != LinkRole.ADMIN or mine.status != LinkStatus.ACTIVE:
        raise NOT_ADMIN
    return mine


def provider_agreement(plan: PlanProfile) -> str:
    """The consent document of the plan's current Provider Agreement."""
    return f"provider_agreement#{plan.provider_agreement_version}"
