"""The start page: what needs the person now, across every Provider ID they are linked to.

- **Agreements**: a link waiting for the person's acceptance of the Provider Agreement, or (with active
  links) the plan's current Provider Agreement not accepted yet.
- **Access requests**: for each Provider ID the person administers (an active administrator's link), the
  requests waiting for an administrator.
- **Delegations ending** within 14 days: the person's own (a delegate's link), and, for each Provider ID
  the person administers, its delegates' (read with its access requests: one Query).
- **Prior authorizations**, for each Provider ID whose link gives `authorizations.view`, from the Provider
  ID's own requests submitted in the last 90 days (the newest 500): those where the plan asks for more
  information, and those decided since the person's last look at this page (on a first look: in the last
  14 days).
- **Admissions**, for each Provider ID whose link gives `admissions.view`, from the facility's admissions of
  the last 60 days (the newest 500): a stay with no discharge recorded, admitted at least the plan's
  `admission_review_days` ago (two by default: past two midnights the plan reviews an inpatient stay, and
  its discharge is what the facility owes next). Notifications themselves are the records: a stay never
  notified is not known here.

Member data is read only as the portal pages read it: with an active link, the current Provider
Agreement accepted, and the feature the page needs; every look that reads it leaves one audit record,
`phi.start.read`, with the counts read and the members shown. Work is bounded: lists are read with the
repositories' dated page queries (never a Scan), at most 500 records per Provider ID and kind, and at most
20 items per kind and Provider ID are listed; the rest are counted, with a link to the full list.

The last look is kept on the account (`start_seen_at`), written by the look itself once its answer is
made, in the same call that reads the look before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar
from urllib.parse import urlencode

from functions.shared.core.context import Ask
from functions.shared.core.states import Feature, LinkRole, LinkStatus
from functions.shared.services import access, delegations
from functions.shared.store import audit as audit_log
from functions.shared.store import repositories
from functions.shared.store.admissions import Admission, AdmissionStatus
from functions.shared.store.authorizations import Authorization, AuthorizationStatus
from functions.shared.store.links import LinkView
from functions.shared.store.pages import StoredPage
from functions.start.models import ItemKind, MoreItems, StartItem, StartPage

CAP = 20  # items listed per kind and Provider ID; the rest are counted
PAGE_SIZE = 100  # records per Query
MAX_RECORDS = 500  # records read per Provider ID and kind
AUTHORIZATION_DAYS = 90
ADMISSION_DAYS = 60
FIRST_LOOK = timedelta(days=14)  # decisions that count as new when the person never looked before
DELEGATION_NOTICE = timedelta(days=14)  # a delegation ending within this is listed
DECIDED = {AuthorizationStatus.APPROVED: "approved", AuthorizationStatus.PARTIALLY_APPROVED: "partially approved",
           AuthorizationStatus.DENIED: "denied"}
ORDER = {kind: position for position, kind in enumerate(ItemKind)}
T = TypeVar("T")


@dataclass
class _Found:
    """The items found so far, each kind and Provider ID capped, and what the caps left out."""

    items: list[StartItem] = field(default_factory=list)
    more: list[MoreItems] = field(default_factory=list)

    def add(self, kind: ItemKind, provider_id: str, list_page: str, items: list[StartItem]) -> None:
        self.items += items[:CAP]
        if len(items) > CAP:
            self.more.append(MoreItems(kind=kind, provider_id=provider_id, count=len(items) - CAP, link=list_page))


@dataclass
class _Read:
    """Member data read for this look: what the audit record counts."""

    authorizations: int = 0
    admissions: int = 0
    provider_ids: set[str] = field(default_factory=set)
    members_shown: set[str] = field(default_factory=set)


def start_page(ask: Ask) -> StartPage:
    account_id, now = ask.who.account_id, ask.now
    links = repositories().links.of_account(account_id, consistent=True)
    active = [link for link in links if access.in_force(link, now)]
    agreed = not active or repositories().consents.has(account_id, access.provider_agreement(ask.plan))
    found, read = _Found(), _Read()
    found.items += _agreements(links, agreed)
    found.items += [_ending(link, mine=True) for link in active if _ends_soon(link, now)]
    for link in active:
        if link.role == LinkRole.ADMIN:
            _people(link, account_id, now, found)
    readable = active if agreed else []  # as access.portal_links: no member data before the agreement
    viewing = [link for link in readable if Feature.AUTHORIZATIONS_VIEW in access.features_of(link, now)]
    decided = [a for link in viewing for a in _authorizations(link, now, found, read)]
    for link in readable:
        if Feature.ADMISSIONS_VIEW in access.features_of(link, now):
            _admissions(link, ask, found, read)
    last_visit = None
    if viewing:  # decisions are "new" since the look before this one; this look becomes the last
        last_visit = repositories().accounts.mark_start_seen(account_id, now)
        _decided(decided, last_visit or now - FIRST_LOOK, found, read)
    if read.provider_ids:
        audit_log.record("phi.start.read", "shown", ask.meta, subject=account_id, now=now, detail={
            "provider_ids": sorted(read.provider_ids), "authorizations": read.authorizations,
            "admissions": read.admissions, "member_ids": sorted(read.members_shown)})
    usable = access.normal_features(f for link in active for f in access.features_of(link, now))
    return StartPage(items=sorted(found.items, key=lambda item: ORDER[item.kind]), more=found.more,
                     features=list(usable), has_access=bool(active), last_visit=last_visit)


def _page(path: str, provider_id: str, **query: str) -> str:
    return f"{path}?{urlencode({'provider': provider_id, **query})}"


def _agreements(links: list[LinkView], agreed: bool) -> list[StartItem]:
    items = [StartItem(kind=ItemKind.AGREEMENT, provider_id=link.provider_id,
                       title=f"Accept the Provider Agreement for {link.provider_name}",
                       detail=f"Your access to Provider ID {link.provider_id} waits for your agreement.",
                       link="/agreement.html", at=link.requested_at)
             for link in links if link.status == LinkStatus.PENDING_AGREEMENT]
    if not agreed:
        items.append(StartItem(kind=ItemKind.AGREEMENT, provider_id=None, title="Accept the new Provider Agreement",
                               detail="The Provider Agreement changed. Read and accept it to keep using the portal.",
                               link="/agreement.html"))
    return items


def _people(admin: LinkView, account_id: str, now: datetime, found: _Found) -> None:
    """What an administrator decides about the Provider ID's people: requests waiting for them, and its
    delegations ending soon (one Query of the Provider ID's links)."""
    provider_id, members_page = admin.provider_id, _page("/members.html", admin.provider_id)
    people = repositories().links.of_provider(provider_id)
    waiting = sorted((link for link in people if link.status == LinkStatus.PENDING_ADMIN
                      and link.account_id != account_id),
                     key=lambda link: (link.decision_due or link.requested_at, link.account_id))
    found.add(ItemKind.ACCESS_REQUEST, provider_id, members_page, [
        StartItem(kind=ItemKind.ACCESS_REQUEST, provider_id=provider_id,
                  title=f"{link.requester_name} asks for access to {admin.provider_name}",
                  detail=f"{link.requester_email}. Approve only people who work for this provider.",
                  link=members_page, due=link.decision_due, at=link.requested_at)
        for link in waiting])
    ending = sorted((link for link in people if link.role == LinkRole.DELEGATE and access.in_force(link, now)
                     and _ends_soon(link, now)), key=lambda link: (link.ends_at, link.account_id))
    found.add(ItemKind.DELEGATION_ENDING, provider_id, members_page,
              [_ending(link, mine=False, admin=admin) for link in ending])


def _ends_soon(link: LinkView, now: datetime) -> bool:
    return link.role == LinkRole.DELEGATE and link.ends_at is not None and link.ends_at - now <= DELEGATION_NOTICE


def _ending(link: LinkView, *, mine: bool, admin: LinkView | None = None) -> StartItem:
    """A delegation ending soon, as its delegate (`mine`) or an administrator of the Provider ID reads it."""
    through = f"{delegations.last_day(link.ends_at):%m/%d/%Y}" if link.ends_at else ""
    if mine:
        return StartItem(kind=ItemKind.DELEGATION_ENDING, provider_id=link.provider_id,
                         title=f"Your access to {link.provider_name} ends soon",
                         detail=f"You act for Provider ID {link.provider_id} through {through}. To go on, ask an "
                                "administrator of that Provider ID to invite you again.",
                         link="/access.html", due=link.ends_at)
    who = f"{link.requester_name} ({link.company})" if link.company else link.requester_name
    return StartItem(kind=ItemKind.DELEGATION_ENDING, provider_id=link.provider_id,
                     title=f"{who} acts for {admin.provider_name if admin else link.provider_id} until {through}",
                     detail=f"{link.requester_email}. Invite them again if they should go on; otherwise their "
                            "access ends by itself.",
                     link=_page("/members.html", link.provider_id), due=link.ends_at)


def _newest(read: Callable[[str, date, date, int, str | None], StoredPage[T]], list_key: str, first_day: date,
            last_day: date) -> list[T]:
    """Up to MAX_RECORDS of a dated list, newest first, one Query per page."""
    records: list[T] = []
    after: str | None = None
    while len(records) < MAX_RECORDS:
        page = read(list_key, first_day, last_day, PAGE_SIZE, after)
        records += page.items
        after = page.after
        if after is None:
            break
    return records[:MAX_RECORDS]


def _days(days: int) -> str:
    return f"{days} day" if days == 1 else f"{days} days"


def _who(record: Authorization | Admission) -> str:
    return f"{record.member_name} ({record.member_id})"


def _codes(a: Authorization) -> str:
    return ", ".join(line.code for line in a.service_lines)


def _authorizations(link: LinkView, now: datetime, found: _Found, read: _Read) -> list[Authorization]:
    """Lists the requests waiting for the provider's information; answers the decided ones (new or not:
    which are new is known once the last look is)."""
    provider_id = link.provider_id
    requests = _newest(repositories().authorizations.page, provider_id,
                       (now - timedelta(days=AUTHORIZATION_DAYS)).date(), now.date())
    read.authorizations += len(requests)
    read.provider_ids.add(provider_id)
    asked = [a for a in requests if a.status == AuthorizationStatus.MORE_INFO_REQUESTED]
    items = []
    for a in sorted(asked, key=lambda a: (_asked_at(a), a.authorization_id)):
        note = next((e.note for e in reversed(a.history) if e.by == "plan" and e.note), None)
        items.append(StartItem(
            kind=ItemKind.INFORMATION_REQUESTED, provider_id=provider_id,
            title=f"{a.authorization_id}: the plan asks for more information",
            detail=f"{_who(a)}, {_codes(a)}." + (f" The plan's note: {note}" if note else ""),
            link=_page("/authorizations.html", provider_id, authorization=a.authorization_id), at=_asked_at(a)))
    found.add(ItemKind.INFORMATION_REQUESTED, provider_id, _page("/authorizations.html", provider_id), items)
    read.members_shown |= {a.member_id for a in asked[:CAP]}
    return [a for a in requests if a.status in DECIDED and a.decided_at is not None]


def _asked_at(a: Authorization) -> datetime:
    """When the plan asked: its latest entry in the history."""
    return next((e.at for e in reversed(a.history) if e.by == "plan"), a.submitted_at)


def _decided(decided: Iterable[Authorization], since: datetime, found: _Found, read: _Read) -> None:
    by_provider: dict[str, list[Authorization]] = {}
    for a in decided:
        if a.decided_at is not None and a.decided_at > since:
            by_provider.setdefault(a.requesting_provider_id, []).append(a)
    for provider_id, new in by_provider.items():
        new.sort(key=lambda a: (a.decided_at or since, a.authorization_id), reverse=True)
        found.add(ItemKind.AUTHORIZATION_DECIDED, provider_id, _page("/authorizations.html", provider_id), [
            StartItem(kind=ItemKind.AUTHORIZATION_DECIDED, provider_id=provider_id,
                      title=f"{a.authorization_id} {DECIDED[a.status]}",
                      detail=f"{_who(a)}, {_codes(a)}."
                             + (f" The plan's reason: {a.decision_reason}" if a.decision_reason else ""),
                      link=_page("/authorizations.html", provider_id, authorization=a.authorization_id),
                      at=a.decided_at)
            for a in new])
        read.members_shown |= {a.member_id for a in new[:CAP]}


def _admissions(link: LinkView, ask: Ask, found: _Found, read: _Read) -> None:
    provider_id, now = link.provider_id, ask.now
    stays = _newest(repositories().admissions.page, provider_id, (now - timedelta(days=ADMISSION_DAYS)).date(),
                    now.date())
    read.admissions += len(stays)
    read.provider_ids.add(provider_id)
    review_after = timedelta(days=ask.plan.admission_review_days)
    open_stays = sorted((s for s in stays if s.status == AdmissionStatus.ADMITTED and s.discharged_at is None
                         and now - s.admitted_at >= review_after), key=lambda s: (s.admitted_at, s.admission_id))
    found.add(ItemKind.ADMISSION_OPEN, provider_id, _page("/admissions.html", provider_id), [
        StartItem(kind=ItemKind.ADMISSION_OPEN, provider_id=provider_id,
                  title=f"{s.admission_id}: no discharge recorded",
                  detail=f"{_who(s)}, {s.admission_type}, admitted {_days((now - s.admitted_at).days)} ago. "
                         "Record the discharge when the member leaves.",
                  link=_page("/admissions.html", provider_id), at=s.admitted_at)
        for s in open_stays])
    read.members_shown |= {s.member_id for s in open_stays[:CAP]}
