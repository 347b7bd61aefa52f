"""Provider links: who is linked to which Provider ID, as what, and what their request waits for.

The links repository is the only code that writes a link or a Provider ID's administrator claim. A
Provider ID's first administrator claims 'provider-admin#<id>' in the same transaction that makes them
one, so concurrent first links yield exactly one administrator: at once when they proved a payment (or,
on plans whose staff approve the organizational agreement, when they link), else when provider
relations verify them (until then their link holds nothing). The claim also counts the Provider ID's
administrators, so the last one can never step down. Closing a first administrator's open link
(denied, expired) and removing an administrator give the claim back in the same transaction, so a
Provider ID never stays claimed by nobody who can administer it.

`TRANSITIONS` is the one table of which status a link may move to from which; every verb below is
one conditional transaction with its audit record, guarded by that table. A delegation (role
`delegate`: someone outside the practice an administrator invited) has its own rows, `DELEGATION`: it
is created active when its invitation is spent (in the same transaction, with the inviter still an
active administrator), and ends once, revoked (removed) or past its end (expired). No verb of a
member's link applies to it, nor one of its verbs to a member's link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from functions.shared.core.audit import AuditEntry
from functions.shared.core.states import (
    CLOSED_LINK_STATUSES,
    OPEN_LINK_STATUSES,
    Feature,
    LinkRole,
    LinkStatus,
    LinkType,
    WaitingFor,
)
from functions.shared.store.audit import audit_item
from functions.shared.store.models import Link, UniqueKey, bind_tables
from functions.shared.store.tokens import InvitationTerms, spend_item
from functions.shared.store.transactions import (
    StaleWrite,
    UniqueKeyTaken,
    cancellation_codes,
    find,
    transact,
    transact_first_claimed,
    transact_or_stale,
)
from functions.shared.store.unique_keys import PROVIDER_ADMIN

ADMIN_KEY = PROVIDER_ADMIN.prefix

# Which status an existing link may take (key), and from which statuses (value).
TRANSITIONS: dict[LinkStatus, frozenset[LinkStatus]] = {
    LinkStatus.PENDING_VERIFICATION: frozenset(OPEN_LINK_STATUSES),
    LinkStatus.PENDING_ADMIN: frozenset(OPEN_LINK_STATUSES),
    LinkStatus.PENDING_AGREEMENT: frozenset(OPEN_LINK_STATUSES),
    LinkStatus.PENDING_ORG: frozenset(OPEN_LINK_STATUSES),
    LinkStatus.ACTIVE: frozenset(OPEN_LINK_STATUSES),
    LinkStatus.DENIED: frozenset(OPEN_LINK_STATUSES),
    LinkStatus.EXPIRED: frozenset(OPEN_LINK_STATUSES),
    LinkStatus.REMOVED: frozenset({LinkStatus.ACTIVE}),
}
# Creating a link (a first link, or asking again): only where there is none, or a closed one; never
# twice at once. A new link starts as PENDING_AGREEMENT (administrator), PENDING_VERIFICATION (a first
# administrator waiting for provider relations) or PENDING_ADMIN (member).
CREATED_AS = frozenset({LinkStatus.PENDING_ADMIN, LinkStatus.PENDING_AGREEMENT, LinkStatus.PENDING_VERIFICATION})
CREATE_FROM: frozenset[LinkStatus | None] = frozenset({None, *CLOSED_LINK_STATUSES})
# The status a link waits in for each human step.
WAITING_STATUS = {WaitingFor.STAFF: LinkStatus.PENDING_VERIFICATION, WaitingFor.ADMIN: LinkStatus.PENDING_ADMIN,
                  WaitingFor.AGREEMENT: LinkStatus.PENDING_AGREEMENT,
                  WaitingFor.ORG: LinkStatus.PENDING_ORG}


# A delegation's statuses: created active (where there is no link, or a closed one), then ended once.
DELEGATION: dict[LinkStatus, frozenset[LinkStatus | None]] = {
    LinkStatus.ACTIVE: CREATE_FROM,
    LinkStatus.REMOVED: frozenset({LinkStatus.ACTIVE}),  # revoked by an administrator or staff
    LinkStatus.EXPIRED: frozenset({LinkStatus.ACTIVE}),  # past its end date (the daily job)
}
ENDING = "delegation"  # the one partition of the delegations-by-end index


def may_move(current: LinkStatus | None, target: LinkStatus, role: LinkRole | None = None) -> bool:
    """Whether a link in `current` (None: no link) may move to `target`; a delegation's own rows when
    `role` is the delegate's."""
    if role == LinkRole.DELEGATE:
        return current in DELEGATION.get(target, frozenset())
    if target in CREATED_AS and current in CREATE_FROM:
        return True
    return current in TRANSITIONS[target]


class DelegationRefused(StaleWrite):
    """Accepting an invitation wrote nothing: `reason` 'spent' (used meanwhile), 'inviter' (the inviter is
    no longer an active administrator) or 'linked' (the account has an open or active link there)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class NewLink:
    """What a person asks for: the roster's provider and who is asking."""

    account_id: str
    provider_id: str
    link_type: LinkType
    tax_id: str
    provider_name: str
    requester_name: str
    requester_email: str
    requested_at: datetime


@dataclass(frozen=True)
class LinkView:
    account_id: str
    provider_id: str
    link_type: LinkType
    tax_id: str
    provider_name: str
    role: LinkRole
    status: LinkStatus
    requester_name: str
    requester_email: str
    requested_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_due: datetime | None = None
    waiting_token: str | None = None
    waiting_for: WaitingFor | None = None
    features: tuple[Feature, ...] | None = None  # a member's features as granted; None: the role's defaults
    company: str | None = None  # a delegate's company
    ends_at: datetime | None = None  # when a delegation ends


class Links(Protocol):
    def create_as_admin(self, new: NewLink, audit: AuditEntry) -> LinkView:
        """The first link of a Provider ID, its account the administrator: UniqueKeyTaken when the
        Provider ID has an administrator already, StaleWrite when this account's link is open or active."""
        ...

    def create_request(self, new: NewLink, decision_due: datetime, audit: AuditEntry) -> LinkView:
        """A member's request, waiting for an administrator: StaleWrite when one is open or active."""
        ...

    def create_for_verification(self, new: NewLink, decision_due: datetime, audit: AuditEntry) -> LinkView:
        """Would-be first administrator, waiting for provider relations to verify them; claims nothing yet:
        StaleWrite when this account's link is open or active."""
        ...

    def has_administrator(self, provider_id: str) -> bool: ...

    def get(self, account_id: str, provider_id: str) -> LinkView | None: ...

    def of_account(self, account_id: str, *, consistent: bool = False) -> list[LinkView]: ...

    def of_provider(self, provider_id: str) -> list[LinkView]: ...

    def wait_for(self, account_id: str, provider_id: str, step: WaitingFor, token: str,
                 audit: AuditEntry) -> None:
        """The workflow waits at `step` with `token`: StaleWrite when the link is no longer open."""
        ...

    def decide(self, account_id: str, provider_id: str, by: str, now: datetime, audit: AuditEntry,
               step: WaitingFor = WaitingFor.ADMIN) -> LinkView | None:
        """A decision at `step` (an administrator's, or staff's), recorded once, on a request waiting for
        it (its token stored): StaleWrite otherwise; None when there is no such link. Returns the request
        as decided (with the token to resume)."""
        ...

    def verify_first_admin(self, account_id: str, provider_id: str, by: str, now: datetime,
                           audit: AuditEntry) -> LinkView | None:
        """Staff verified a would-be first administrator: the decision is recorded and the administrator
        claim taken in one transaction. UniqueKeyTaken when the Provider ID has an administrator by now,
        StaleWrite when the link is not waiting for staff; None when there is no such link."""
        ...

    def remove_admin(self, account_id: str, provider_id: str, by: str, now: datetime, audit: AuditEntry) -> None:
        """Staff remove an active administrator; the claim counts one fewer (and is released with the
        last one): StaleWrite otherwise."""
        ...

    def assign_admin(self, account_id: str, provider_id: str, replaces: str | None, audit: AuditEntry) -> None:
        """Staff make an active member an administrator, in place of `replaces` (who becomes a member)
        or besides the others: StaleWrite otherwise."""
        ...

    def grant_access(self, account_id: str, provider_id: str, now: datetime, audit: AuditEntry) -> bool:
        """Open -> active, once: False when already active or closed."""
        ...

    def deny(self, account_id: str, provider_id: str, now: datetime, audit: AuditEntry) -> bool:
        """Open -> denied, once (a first administrator's claim released with it): False when no longer open."""
        ...

    def expire(self, account_id: str, provider_id: str, now: datetime, audit: AuditEntry) -> bool:
        """Open -> expired, once (a first administrator's claim released with it): False when no longer open."""
        ...

    def remove(self, account_id: str, provider_id: str, by: str, now: datetime, audit: AuditEntry) -> None:
        """An active member (not an administrator) -> removed: StaleWrite otherwise."""
        ...

    def promote(self, account_id: str, provider_id: str, audit: AuditEntry) -> None:
        """An active member becomes an administrator: StaleWrite otherwise."""
        ...

    def step_down(self, account_id: str, provider_id: str, audit: AuditEntry) -> None:
        """An administrator becomes a member while another one remains: StaleWrite otherwise."""
        ...

    def set_features(self, account_id: str, provider_id: str, features: tuple[Feature, ...],
                     audit: AuditEntry) -> LinkView:
        """A member's features, on an active or pending member's link; StaleWrite otherwise."""
        ...

    def create_delegation(self, new: NewLink, terms: InvitationTerms, invited_by: str, token_hash: str,
                          audit: AuditEntry) -> LinkView:
        """An invitation accepted: the delegate's active link, the invitation spent and the inviter checked
        to be an active administrator, in one transaction. DelegationRefused otherwise."""
        ...

    def end_delegation(self, account_id: str, provider_id: str, target: LinkStatus, by: str, now: datetime,
                       audit: AuditEntry) -> None:
        """An active delegation ends: revoked (REMOVED, out of the index at once) or past its end (EXPIRED,
        only once `ends_at` is past; it stays in the index until `unindex_delegation`, so the job that ended
        it mails again if its mail failed). StaleWrite otherwise."""
        ...

    def delegations_ending(self, through: datetime) -> list[tuple[str, str]]:
        """(account, Provider ID) of the delegations in the index whose end is at or before `through`."""
        ...

    def unindex_delegation(self, account_id: str, provider_id: str) -> None:
        """Take an ended delegation out of the index (an active one stays)."""
        ...

    def end_for_roster(self, account_id: str, provider_id: str, now: datetime, audit: AuditEntry) -> bool:
        """The roster no longer has the Provider ID as linked: an active link is removed, an open request
        expires (administrators too). False if the link is closed already."""
        ...

    def release_admin_claim(self, provider_id: str) -> None:
        """Forget who administered a Provider ID whose links all ended (its next first linker leads it)."""
        ...


def _view(link: Link) -> LinkView:
    return LinkView(
        account_id=link.account_id, provider_id=link.provider_id, link_type=LinkType(link.link_type),
        tax_id=link.tax_id, provider_name=link.provider_name, role=LinkRole(link.role),
        status=LinkStatus(link.status), requester_name=link.requester_name, requester_email=link.requester_email,
        requested_at=link.requested_at, decided_at=link.decided_at, decided_by=link.decided_by,
        decision_due=link.decision_due, waiting_token=link.waiting_token,
        waiting_for=WaitingFor(link.waiting_for) if link.waiting_for else None,
        features=tuple(Feature(f) for f in link.features if f in Feature.__members__.values())
        if link.features is not None else None, company=link.company, ends_at=link.ends_at)


class DynamoLinks:
    """Links and administrator claims on DynamoDB."""

    def create_as_admin(self, new: NewLink, audit: AuditEntry) -> LinkView:
        link = self._new(new, LinkRole.ADMIN, LinkStatus.PENDING_AGREEMENT)

        def build(tx: TransactWrite) -> None:
            tx.save(UniqueKey(ADMIN_KEY + new.provider_id, account_id=new.account_id, tally=1),
                    condition=UniqueKey.key.does_not_exist())
            tx.save(link, condition=self._creatable())
            tx.save(audit_item(audit))

        transact_first_claimed(build, ADMIN_KEY + new.provider_id, stale=True)
        return _view(link)

    def create_request(self, new: NewLink, decision_due: datetime, audit: AuditEntry) -> LinkView:
        link = self._new(new, LinkRole.MEMBER, LinkStatus.PENDING_ADMIN)
        link.decision_due = decision_due

        def build(tx: TransactWrite) -> None:
            tx.save(link, condition=self._creatable())
            tx.save(audit_item(audit))

        transact_or_stale(build)
        return _view(link)

    def create_for_verification(self, new: NewLink, decision_due: datetime, audit: AuditEntry) -> LinkView:
        link = self._new(new, LinkRole.ADMIN, LinkStatus.PENDING_VERIFICATION)
        link.decision_due = decision_due

        def build(tx: TransactWrite) -> None:
            tx.save(link, condition=self._creatable())
            tx.save(audit_item(audit))

        transact_or_stale(build)
        return _view(link)

    def has_administrator(self, provider_id: str) -> bool:
        claim = find(UniqueKey, ADMIN_KEY + provider_id)
        return claim is not None and int(claim.tally or 0) > 0

    def get(self, account_id: str, provider_id: str) -> LinkView | None:
        link = find(Link, account_id, provider_id)
        return _view(link) if link else None

    def of_account(self, account_id: str, *, consistent: bool = False) -> list[LinkView]:
        bind_tables()
        return [_view(link) for link in Link.query(account_id, consistent_read=consistent)]

    def of_provider(self, provider_id: str) -> list[LinkView]:
        bind_tables()
        return [_view(link) for link in Link.by_provider.query(provider_id)]

    def wait_for(self, account_id: str, provider_id: str, step: WaitingFor, token: str,
                 audit: AuditEntry) -> None:
        status = WAITING_STATUS[step]
        self._change(account_id, provider_id, status, audit, Link.waiting_for.set(step),
                     Link.waiting_token.set(token))

    def decide(self, account_id: str, provider_id: str, by: str, now: datetime, audit: AuditEntry,
               step: WaitingFor = WaitingFor.ADMIN) -> LinkView | None:
        link = find(Link, account_id, provider_id)
        if link is None:
            return None
        decided = self._decision(link, step, by, now)

        def build(tx: TransactWrite) -> None:
            decided(tx)
            tx.save(audit_item(audit))

        transact_or_stale(build)
        return replace(_view(link), decided_by=by, decided_at=now)

    def verify_first_admin(self, account_id: str, provider_id: str, by: str, now: datetime,
                           audit: AuditEntry) -> LinkView | None:
        link = find(Link, account_id, provider_id)
        if link is None:
            return None
        decided = self._decision(link, WaitingFor.STAFF, by, now)

        def build(tx: TransactWrite) -> None:
            tx.save(UniqueKey(ADMIN_KEY + provider_id, account_id=account_id, tally=1),
                    condition=UniqueKey.key.does_not_exist())
            decided(tx)
            tx.save(audit_item(audit))

        try:
            transact(build)
        except TransactWriteError as exc:
            # the claim is taken and the link still waits
            if cancellation_codes(exc)[:2] == ["ConditionalCheckFailed", None]:
                raise UniqueKeyTaken(ADMIN_KEY + provider_id) from None
            raise StaleWrite from exc
        return replace(_view(link), decided_by=by, decided_at=now)

    def remove_admin(self, account_id: str, provider_id: str, by: str, now: datetime, audit: AuditEntry) -> None:
        bind_tables()
        claim = find(UniqueKey, ADMIN_KEY + provider_id)

        def build(tx: TransactWrite) -> None:
            tx.update(Link(account_id, provider_id),
                      actions=[Link.status.set(LinkStatus.REMOVED), Link.decided_by.set(by), Link.decided_at.set(now)],
                      condition=(Link.role == LinkRole.ADMIN) & (Link.status == LinkStatus.ACTIVE))
            if claim is not None:
                _release(tx, claim)
            tx.save(audit_item(audit))

        transact_or_stale(build)

    def assign_admin(self, account_id: str, provider_id: str, replaces: str | None, audit: AuditEntry) -> None:
        bind_tables()
        claim = find(UniqueKey, ADMIN_KEY + provider_id)
        if claim is None and replaces:
            raise StaleWrite  # nobody administers it, so nobody can be replaced

        def build(tx: TransactWrite) -> None:
            tx.update(Link(account_id, provider_id), actions=[Link.role.set(LinkRole.ADMIN)],
                      condition=(Link.role == LinkRole.MEMBER) & (Link.status == LinkStatus.ACTIVE))
            if replaces:
                tx.update(Link(replaces, provider_id), actions=[Link.role.set(LinkRole.MEMBER)],
                          condition=(Link.role == LinkRole.ADMIN) & (Link.status == LinkStatus.ACTIVE))
                tx.condition_check(UniqueKey, ADMIN_KEY + provider_id, condition=UniqueKey.key.exists())
            elif claim is None:  # the Provider ID has no administrator left: this one claims it
                tx.save(UniqueKey(ADMIN_KEY + provider_id, account_id=account_id, tally=1),
                        condition=UniqueKey.key.does_not_exist())
            else:
                tx.update(UniqueKey(ADMIN_KEY + provider_id), actions=[UniqueKey.tally.add(1)],
                          condition=UniqueKey.key.exists())
            tx.save(audit_item(audit))

        transact_or_stale(build)

    def grant_access(self, account_id: str, provider_id: str, now: datetime, audit: AuditEntry) -> bool:
        return self._close(account_id, provider_id, LinkStatus.ACTIVE, now, audit)

    def deny(self, account_id: str, provider_id: str, now: datetime, audit: AuditEntry) -> bool:
        return self._close_open(account_id, provider_id, LinkStatus.DENIED, now, audit)

    def expire(self, account_id: str, provider_id: str, now: datetime, audit: AuditEntry) -> bool:
        return self._close_open(account_id, provider_id, LinkStatus.EXPIRED, now, audit)

    def remove(self, account_id: str, provider_id: str, by: str, now: datetime, audit: AuditEntry) -> None:
        self._change(account_id, provider_id, LinkStatus.REMOVED, audit, Link.decided_by.set(by),
                     Link.decided_at.set(now), guard=Link.role == LinkRole.MEMBER)

    def promote(self, account_id: str, provider_id: str, audit: AuditEntry) -> None:
        self._change_admins(account_id, provider_id, True, audit)

    def step_down(self, account_id: str, provider_id: str, audit: AuditEntry) -> None:
        self._change_admins(account_id, provider_id, False, audit)

    def set_features(self, account_id: str, provider_id: str, features: tuple[Feature, ...],
                     audit: AuditEntry) -> LinkView:
        bind_tables()
        condition = Link.account_id.exists() & (Link.role == LinkRole.MEMBER) \
            & Link.status.is_in(LinkStatus.ACTIVE, *OPEN_LINK_STATUSES)

        def build(tx: TransactWrite) -> None:
            tx.update(Link(account_id, provider_id), actions=[Link.features.set([f.value for f in features])],
                      condition=condition)
            tx.save(audit_item(audit))

        transact_or_stale(build)
        changed = self.get(account_id, provider_id)
        assert changed is not None, "a link is never deleted"
        return changed

    def create_delegation(self, new: NewLink, terms: InvitationTerms, invited_by: str, token_hash: str,
                          audit: AuditEntry) -> LinkView:
        link = self._new(new, LinkRole.DELEGATE, LinkStatus.ACTIVE)
        link.features = [f.value for f in terms.features]
        link.company, link.ends_at, link.ending = terms.company, terms.ends_at, ENDING
        link.decided_by, link.decided_at = invited_by, new.requested_at

        def build(tx: TransactWrite) -> None:
            spend_item(tx, token_hash, new.requested_at)
            tx.condition_check(Link, invited_by, new.provider_id,
                               condition=(Link.role == LinkRole.ADMIN) & (Link.status == LinkStatus.ACTIVE))
            tx.save(link, condition=self._creatable())
            tx.save(audit_item(audit))

        try:
            transact(build)
        except TransactWriteError as exc:
            failed = [code == "ConditionalCheckFailed" for code in cancellation_codes(exc)]
            reason = "spent" if failed[:1] == [True] else "inviter" if failed[1:2] == [True] else "linked"
            raise DelegationRefused(reason) from exc
        return _view(link)

    def end_delegation(self, account_id: str, provider_id: str, target: LinkStatus, by: str, now: datetime,
                       audit: AuditEntry) -> None:
        bind_tables()
        condition = Link.account_id.exists() & (Link.role == LinkRole.DELEGATE) \
            & Link.status.is_in(*(s for s in DELEGATION[target] if s is not None))
        actions = [Link.status.set(target), Link.decided_by.set(by), Link.decided_at.set(now)]
        if target == LinkStatus.EXPIRED:
            condition = condition & (Link.ends_at <= now)
        else:
            actions.append(Link.ending.remove())

        def build(tx: TransactWrite) -> None:
            tx.update(Link(account_id, provider_id), actions=actions, condition=condition)
            tx.save(audit_item(audit))

        transact_or_stale(build)

    def delegations_ending(self, through: datetime) -> list[tuple[str, str]]:
        bind_tables()
        return [(item.account_id, item.provider_id)
                for item in Link.delegations_by_end.query(ENDING, Link.ends_at <= through)]

    def unindex_delegation(self, account_id: str, provider_id: str) -> None:
        bind_tables()
        try:
            ended = Link.account_id.exists() & (Link.status != LinkStatus.ACTIVE)
            Link(account_id, provider_id).update(actions=[Link.ending.remove()], condition=ended)
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise  # else still active, or gone: nothing to take out

    def end_for_roster(self, account_id: str, provider_id: str, now: datetime, audit: AuditEntry) -> bool:
        for target, allowed in ((LinkStatus.REMOVED, Link.status == LinkStatus.ACTIVE),
                                (LinkStatus.EXPIRED, Link.status.is_in(*OPEN_LINK_STATUSES))):
            try:
                self._change(account_id, provider_id, target, audit, Link.decided_by.set("roster"),
                             Link.decided_at.set(now), Link.waiting_token.remove(), Link.waiting_for.remove(),
                             Link.ending.remove(), guard=allowed)
            except StaleWrite:
                continue
            return True
        return False

    def release_admin_claim(self, provider_id: str) -> None:
        bind_tables()
        UniqueKey(ADMIN_KEY + provider_id).delete()

    # -- the DynamoDB side --------------------------------------------------------------------------

    @staticmethod
    def _new(new: NewLink, role: LinkRole, status: LinkStatus) -> Link:
        bind_tables()
        return Link(new.account_id, new.provider_id, link_type=new.link_type, tax_id=new.tax_id,
                    provider_name=new.provider_name, role=role, status=status,
                    requester_name=new.requester_name, requester_email=new.requester_email,
                    requested_at=new.requested_at)

    @staticmethod
    def _creatable() -> object:
        closed = [status for status in CREATE_FROM if status is not None]
        return Link.account_id.does_not_exist() | Link.status.is_in(*closed)

    @staticmethod
    def _change(account_id: str, provider_id: str, target: LinkStatus, audit: AuditEntry, *actions: object,
                guard: object | None = None) -> None:
        """Move one existing link to `target` where the transition table allows it, with its audit record."""

        bind_tables()
        link = Link(account_id, provider_id)
        allowed = list(TRANSITIONS[target])
        condition = Link.account_id.exists() & Link.status.is_in(*allowed)
        if guard is not None:
            condition = condition & guard

        def build(tx: TransactWrite) -> None:
            tx.update(link, actions=[Link.status.set(target), *actions], condition=condition)
            tx.save(audit_item(audit))

        transact_or_stale(build)

    def _close(self, account_id: str, provider_id: str, target: LinkStatus, now: datetime,
               audit: AuditEntry) -> bool:
        try:
            self._change(account_id, provider_id, target, audit, Link.decided_at.set(now),
                         Link.waiting_token.remove(), Link.waiting_for.remove())
        except StaleWrite:
            return False
        return True

    @staticmethod
    def _decision(link: Link, step: WaitingFor, by: str, now: datetime) -> Callable[[TransactWrite], None]:
        """The write that records a decision at `step` once, on a link waiting there with its token."""
        token = link.waiting_token
        if not token:
            raise StaleWrite

        def write(tx: TransactWrite) -> None:
            tx.update(link, actions=[Link.decided_by.set(by), Link.decided_at.set(now)],
                      condition=(Link.status == WAITING_STATUS[step]) & Link.decided_by.does_not_exist()
                      & (Link.waiting_token == token))

        return write

    def _close_open(self, account_id: str, provider_id: str, target: LinkStatus, now: datetime,
                    audit: AuditEntry) -> bool:
        """Open -> denied/expired. A first administrator's open link holds the Provider ID's claim: it is
        released in the same transaction (read first; a concurrent change retries once, then gives up)."""
        for _ in range(2):
            link = find(Link, account_id, provider_id)
            if link is None or LinkStatus(link.status) not in TRANSITIONS[target]:
                return False
            claim = find(UniqueKey, ADMIN_KEY + provider_id) if link.role == LinkRole.ADMIN else None
            held = claim if claim is not None and claim.account_id == account_id else None
            try:
                transact_or_stale(self._closing(link, held, target, now, audit))
            except StaleWrite:
                continue
            return True
        return False

    @staticmethod
    def _closing(link: Link, held: UniqueKey | None, target: LinkStatus, now: datetime,
                 audit: AuditEntry) -> Callable[[TransactWrite], None]:
        current = link.status

        def build(tx: TransactWrite) -> None:
            tx.update(Link(link.account_id, link.provider_id),
                      actions=[Link.status.set(target), Link.decided_at.set(now), Link.waiting_token.remove(),
                               Link.waiting_for.remove()],
                      condition=Link.account_id.exists() & (Link.status == current))
            if held is not None:
                _release(tx, held)
            tx.save(audit_item(audit))

        return build

    @staticmethod
    def _change_admins(account_id: str, provider_id: str, make_admin: bool, audit: AuditEntry) -> None:
        bind_tables()
        claim = UniqueKey(ADMIN_KEY + provider_id)
        link = Link(account_id, provider_id)

        def build(tx: TransactWrite) -> None:
            if make_admin:
                tx.update(claim, actions=[UniqueKey.tally.add(1)], condition=UniqueKey.key.exists())
                tx.update(link, actions=[Link.role.set(LinkRole.ADMIN)],
                          condition=(Link.role == LinkRole.MEMBER) & (Link.status == LinkStatus.ACTIVE))
            else:
                tx.update(claim, actions=[UniqueKey.tally.add(-1)], condition=UniqueKey.tally > 1)
                tx.update(link, actions=[Link.role.set(LinkRole.MEMBER)],
                          condition=(Link.role == LinkRole.ADMIN) & (Link.status == LinkStatus.ACTIVE))
            tx.save(audit_item(audit))

        transact_or_stale(build)


def _release(tx: TransactWrite, claim: UniqueKey) -> None:
    """One administrator fewer on a Provider ID's claim; the last one gives the claim back (so the Provider
    ID can be claimed again, by proof). Guarded by the count as read: a concurrent change fails the write."""
    tally = int(claim.tally or 1)
    if tally <= 1:
        tx.delete(UniqueKey(claim.key), condition=UniqueKey.tally == tally)
    else:
        tx.update(UniqueKey(claim.key), actions=[UniqueKey.tally.add(-1)], condition=UniqueKey.tally == tally)
