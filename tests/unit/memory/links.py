"""Links and administrator claims in memory, with the guards of the DynamoDB repository."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from functions.shared.core.audit import AuditEntry
from functions.shared.core.states import (
    CLOSED_LINK_STATUSES,
    OPEN_LINK_STATUSES,
    Feature,
    LinkRole,
    LinkStatus,
    WaitingFor,
)
from functions.shared.store import repositories
from functions.shared.store.links import (
    ADMIN_KEY,
    CREATE_FROM,
    WAITING_STATUS,
    DelegationRefused,
    LinkView,
    NewLink,
    may_move,
)
from functions.shared.store.tokens import InvitationTerms
from functions.shared.store.transactions import StaleWrite, UniqueKeyTaken


class MemoryLinks:
    def __init__(self) -> None:
        self.links: dict[tuple[str, str], LinkView] = {}
        self.admin_tally: dict[str, int] = {}  # Provider ID -> how many administrators it has
        self.claimed_by: dict[str, str] = {}  # Provider ID -> the account that claimed it first
        self.ending: set[tuple[str, str]] = set()  # the delegations-by-end index
        self._lock = threading.Lock()

    # -- the Links protocol -------------------------------------------------------------------------

    def create_as_admin(self, new: NewLink, audit: AuditEntry) -> LinkView:
        with self._lock:
            if new.provider_id in self.admin_tally:
                raise UniqueKeyTaken(ADMIN_KEY + new.provider_id)
            link = self._create(new, LinkRole.ADMIN, LinkStatus.PENDING_AGREEMENT, None, audit)
            self.admin_tally[new.provider_id] = 1
            self.claimed_by[new.provider_id] = new.account_id
            return link

    def create_request(self, new: NewLink, decision_due: datetime, audit: AuditEntry) -> LinkView:
        with self._lock:
            return self._create(new, LinkRole.MEMBER, LinkStatus.PENDING_ADMIN, decision_due, audit)

    def create_for_verification(self, new: NewLink, decision_due: datetime, audit: AuditEntry) -> LinkView:
        with self._lock:
            return self._create(new, LinkRole.ADMIN, LinkStatus.PENDING_VERIFICATION, decision_due, audit)

    def has_administrator(self, provider_id: str) -> bool:
        return self.admin_tally.get(provider_id, 0) > 0

    def get(self, account_id: str, provider_id: str) -> LinkView | None:
        return self.links.get((account_id, provider_id))

    def of_account(self, account_id: str, *, consistent: bool = False) -> list[LinkView]:
        return sorted((v for (a, _), v in self.links.items() if a == account_id), key=lambda v: v.provider_id)

    def of_provider(self, provider_id: str) -> list[LinkView]:
        return sorted((v for (_, p), v in self.links.items() if p == provider_id), key=lambda v: v.account_id)

    def wait_for(self, account_id: str, provider_id: str, step: WaitingFor, token: str, audit: AuditEntry) -> None:
        self._move(account_id, provider_id, WAITING_STATUS[step], audit, waiting_for=step, waiting_token=token)

    def decide(self, account_id: str, provider_id: str, by: str, now: datetime, audit: AuditEntry,
               step: WaitingFor = WaitingFor.ADMIN) -> LinkView | None:
        with self._lock:
            link = self.links.get((account_id, provider_id))
            if link is None:
                return None
            if link.status != WAITING_STATUS[step] or link.decided_by or not link.waiting_token:
                raise StaleWrite
            decided = self._put(replace(link, decided_by=by, decided_at=now), audit)
            return decided

    def verify_first_admin(self, account_id: str, provider_id: str, by: str, now: datetime,
                           audit: AuditEntry) -> LinkView | None:
        with self._lock:
            link = self.links.get((account_id, provider_id))
            if link is None:
                return None
            if link.status != LinkStatus.PENDING_VERIFICATION or link.decided_by or not link.waiting_token:
                raise StaleWrite
            if provider_id in self.admin_tally:
                raise UniqueKeyTaken(ADMIN_KEY + provider_id)
            self.admin_tally[provider_id] = 1
            self.claimed_by[provider_id] = account_id
            return self._put(replace(link, decided_by=by, decided_at=now), audit)

    def remove_admin(self, account_id: str, provider_id: str, by: str, now: datetime, audit: AuditEntry) -> None:
        with self._lock:
            link = self.links.get((account_id, provider_id))
            if link is None or link.role != LinkRole.ADMIN or link.status != LinkStatus.ACTIVE:
                raise StaleWrite
            self._release(provider_id)
            self._put(replace(link, status=LinkStatus.REMOVED, decided_by=by, decided_at=now), audit)

    def assign_admin(self, account_id: str, provider_id: str, replaces: str | None, audit: AuditEntry) -> None:
        with self._lock:
            link = self.links.get((account_id, provider_id))
            old = self.links.get((replaces, provider_id)) if replaces else None
            if link is None or link.role != LinkRole.MEMBER or link.status != LinkStatus.ACTIVE:
                raise StaleWrite
            if replaces and (old is None or old.role != LinkRole.ADMIN or old.status != LinkStatus.ACTIVE
                             or provider_id not in self.admin_tally):
                raise StaleWrite
            if old is not None:
                self.links[(old.account_id, provider_id)] = replace(old, role=LinkRole.MEMBER)
            elif provider_id in self.admin_tally:
                self.admin_tally[provider_id] += 1
            else:
                self.admin_tally[provider_id] = 1
                self.claimed_by[provider_id] = account_id
            self._put(replace(link, role=LinkRole.ADMIN), audit)

    def grant_access(self, account_id: str, provider_id: str, now: datetime, audit: AuditEntry) -> bool:
        return self._close(account_id, provider_id, LinkStatus.ACTIVE, now, audit)

    def deny(self, account_id: str, provider_id: str, now: datetime, audit: AuditEntry) -> bool:
        return self._close(account_id, provider_id, LinkStatus.DENIED, now, audit, release=True)

    def expire(self, account_id: str, provider_id: str, now: datetime, audit: AuditEntry) -> bool:
        return self._close(account_id, provider_id, LinkStatus.EXPIRED, now, audit, release=True)

    def remove(self, account_id: str, provider_id: str, by: str, now: datetime, audit: AuditEntry) -> None:
        self._move(account_id, provider_id, LinkStatus.REMOVED, audit, guard=lambda v: v.role == LinkRole.MEMBER,
                   decided_by=by, decided_at=now)

    def promote(self, account_id: str, provider_id: str, audit: AuditEntry) -> None:
        with self._lock:
            link = self.links.get((account_id, provider_id))
            if (provider_id not in self.admin_tally or link is None or link.role != LinkRole.MEMBER
                    or link.status != LinkStatus.ACTIVE):
                raise StaleWrite
            self.admin_tally[provider_id] += 1
            self._put(replace(link, role=LinkRole.ADMIN), audit)

    def step_down(self, account_id: str, provider_id: str, audit: AuditEntry) -> None:
        with self._lock:
            link = self.links.get((account_id, provider_id))
            if (self.admin_tally.get(provider_id, 0) <= 1 or link is None or link.role != LinkRole.ADMIN
                    or link.status != LinkStatus.ACTIVE):
                raise StaleWrite
            self.admin_tally[provider_id] -= 1
            self._put(replace(link, role=LinkRole.MEMBER), audit)

    def set_features(self, account_id: str, provider_id: str, features: tuple[Feature, ...],
                     audit: AuditEntry) -> LinkView:
        with self._lock:
            link = self.links.get((account_id, provider_id))
            if link is None or link.role != LinkRole.MEMBER or link.status not in (LinkStatus.ACTIVE,
                                                                                    *OPEN_LINK_STATUSES):
                raise StaleWrite
            changed = replace(link, features=features)
            self._put(changed, audit)
            return changed

    def create_delegation(self, new: NewLink, terms: InvitationTerms, invited_by: str, token_hash: str,
                          audit: AuditEntry) -> LinkView:
        with self._lock:
            tokens = repositories().tokens
            inviter = self.links.get((invited_by, new.provider_id))
            existing = self.links.get((new.account_id, new.provider_id))
            try:
                tokens.check_unspent(token_hash)
            except StaleWrite:
                raise DelegationRefused("spent") from None
            if inviter is None or inviter.role != LinkRole.ADMIN or inviter.status != LinkStatus.ACTIVE:
                raise DelegationRefused("inviter")
            if not may_move(existing.status if existing else None, LinkStatus.ACTIVE, LinkRole.DELEGATE):
                raise DelegationRefused("linked")
            tokens.spend(token_hash, new.requested_at)
            self.ending.add((new.account_id, new.provider_id))
            return self._put(LinkView(
                account_id=new.account_id, provider_id=new.provider_id, link_type=new.link_type, tax_id=new.tax_id,
                provider_name=new.provider_name, role=LinkRole.DELEGATE, status=LinkStatus.ACTIVE,
                requester_name=new.requester_name, requester_email=new.requester_email,
                requested_at=new.requested_at, decided_by=invited_by, decided_at=new.requested_at,
                features=terms.features, company=terms.company, ends_at=terms.ends_at), audit)

    def end_delegation(self, account_id: str, provider_id: str, target: LinkStatus, by: str, now: datetime,
                       audit: AuditEntry) -> None:
        with self._lock:
            link = self.links.get((account_id, provider_id))
            if link is None or link.role != LinkRole.DELEGATE or not may_move(link.status, target, LinkRole.DELEGATE):
                raise StaleWrite
            if target == LinkStatus.EXPIRED and not (link.ends_at and link.ends_at <= now):
                raise StaleWrite
            if target != LinkStatus.EXPIRED:
                self.ending.discard((account_id, provider_id))
            self._put(replace(link, status=target, decided_by=by, decided_at=now), audit)

    def delegations_ending(self, through: datetime) -> list[tuple[str, str]]:
        due = [(key, self.links[key].ends_at) for key in self.ending]
        return [key for key, end in sorted(due, key=lambda d: d[1] or through) if end and end <= through]

    def unindex_delegation(self, account_id: str, provider_id: str) -> None:
        link = self.links.get((account_id, provider_id))
        if link is None or link.status != LinkStatus.ACTIVE:
            self.ending.discard((account_id, provider_id))

    def end_for_roster(self, account_id: str, provider_id: str, now: datetime, audit: AuditEntry) -> bool:
        link = self.links.get((account_id, provider_id))
        if link is None or link.status in CLOSED_LINK_STATUSES:
            return False
        self.ending.discard((account_id, provider_id))
        target = LinkStatus.REMOVED if link.status == LinkStatus.ACTIVE else LinkStatus.EXPIRED
        self._move(account_id, provider_id, target, audit, decided_by="roster", decided_at=now, waiting_token=None,
                   waiting_for=None)
        return True

    def release_admin_claim(self, provider_id: str) -> None:
        self.admin_tally.pop(provider_id, None)

    # -- guards ---------------------------------------------------------------------------------------

    def _create(self, new: NewLink, role: LinkRole, status: LinkStatus, decision_due: datetime | None,
                audit: AuditEntry) -> LinkView:
        existing = self.links.get((new.account_id, new.provider_id))
        if (existing.status if existing else None) not in CREATE_FROM:
            raise StaleWrite
        return self._put(LinkView(
            account_id=new.account_id, provider_id=new.provider_id, link_type=new.link_type, tax_id=new.tax_id,
            provider_name=new.provider_name, role=role, status=status, requester_name=new.requester_name,
            requester_email=new.requester_email, requested_at=new.requested_at, decision_due=decision_due), audit)

    def _move(self, account_id: str, provider_id: str, target: LinkStatus, audit: AuditEntry, *,
              guard: object = None, **changes: object) -> None:
        with self._lock:
            link = self.links.get((account_id, provider_id))
            if link is None or not may_move(link.status, target) or (callable(guard) and not guard(link)):
                raise StaleWrite
            self._put(replace(link, status=target, **changes), audit)

    def _close(self, account_id: str, provider_id: str, target: LinkStatus, now: datetime, audit: AuditEntry, *,
               release: bool = False) -> bool:
        with self._lock:
            link = self.links.get((account_id, provider_id))
            holds = (release and link is not None and link.role == LinkRole.ADMIN
                     and self.claimed_by.get(provider_id) == account_id)
        try:
            self._move(account_id, provider_id, target, audit, decided_at=now, waiting_token=None, waiting_for=None)
        except StaleWrite:
            return False
        if holds:
            with self._lock:
                self._release(provider_id)
        return True

    def _release(self, provider_id: str) -> None:
        self.admin_tally[provider_id] = self.admin_tally.get(provider_id, 1) - 1
        if self.admin_tally[provider_id] <= 0:
            del self.admin_tally[provider_id]
            self.claimed_by.pop(provider_id, None)

    def _put(self, link: LinkView, audit: AuditEntry) -> LinkView:
        self.links[(link.account_id, link.provider_id)] = link
        repositories().audit.record(audit)  # in the same 'transaction'
        return link


REPOSITORIES = {"links": MemoryLinks}
