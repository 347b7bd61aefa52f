"""Prior-authorization repository: requests, their one transition table, and their history.

A request is created together with the claim of its idempotency key (`pa-idempotency#<account>#<key>`)
and its audit record, so ten retries of one submission create one request. Every later change is a
transition of the table below, guarded by the status it starts from, written with its history entry
and audit record in one transaction. The plan's work list is a sparse index of pending requests,
soonest due first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import ClassVar, Literal, Protocol

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from functions.shared.core.audit import AuditEntry
from functions.shared.core.malware_scan import FileState, may_record, moves_to
from functions.shared.store.audit import audit_item
from functions.shared.store.declared import DeclaredRecord, RecordKeys
from functions.shared.store.models import UniqueKey, bind_tables
from functions.shared.store.pages import StoredPage, newest_first
from functions.shared.store.portal_models import AttachmentEntry, AuthorizationRecord, HistoryEntry, ServiceLine
from functions.shared.store.transactions import (
    StaleWrite,
    find,
    transact_first_claimed,
    transact_or_stale,
    transact_unless_first_exists,
)
from functions.shared.store.unique_keys import AUTHORIZATION_IDEMPOTENCY


class AuthorizationUrgency(StrEnum):
    """CMS-0057-F decision clocks: expedited 72 hours, standard 7 calendar days."""

    EXPEDITED = "expedited"
    STANDARD = "standard"


class AuthorizationStatus(StrEnum):
    PENDING = "pending"
    MORE_INFO_REQUESTED = "more_info_requested"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


DecidedIn = Literal["portal", "core"]
OPEN_AUTHORIZATION_STATUSES = (AuthorizationStatus.PENDING, AuthorizationStatus.MORE_INFO_REQUESTED)

IDEMPOTENCY_KEY = AUTHORIZATION_IDEMPOTENCY.prefix
OPEN = "open"
IMPORTED = "import"  # `submitted_by` / `decided_by` of requests that came in the plan's extracts
API_CLIENT = "client:"  # `submitted_by` of requests a provider's system sent (PAS $submit): + its client id
APPEALABLE = (AuthorizationStatus.DENIED, AuthorizationStatus.PARTIALLY_APPROVED)
Door = Literal["portal", "api", "import"]  # how a request reached the plan
S = AuthorizationStatus
# Which status may become which, and who moves it: the one transition table of a request.
TRANSITIONS: dict[AuthorizationStatus, frozenset[AuthorizationStatus]] = {
    S.PENDING: frozenset({S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.MORE_INFO_REQUESTED, S.WITHDRAWN}),
    S.MORE_INFO_REQUESTED: frozenset({S.PENDING, S.DENIED, S.WITHDRAWN}),
    S.APPROVED: frozenset(),
    S.PARTIALLY_APPROVED: frozenset(),
    S.DENIED: frozenset(),
    S.WITHDRAWN: frozenset(),
}


def may_move(current: AuthorizationStatus, target: AuthorizationStatus) -> bool:
    return target in TRANSITIONS[current]


@dataclass(frozen=True)
class ServiceRequest:
    code: str
    units: int
    approved_units: int | None = None


@dataclass(frozen=True)
class Event:
    at: datetime
    event: str
    by: str  # provider | plan
    note: str | None = None
    attachments: tuple[int, ...] = ()  # numbers of the files sent with it


@dataclass(frozen=True)
class Attachment:
    """A file's metadata; its content is stored apart (functions/shared/store/attachment_files.py)."""

    number: int
    name: str
    content_type: str
    size: int
    sha256: str
    added_at: datetime
    scan: FileState = FileState.PENDING_SCAN  # GuardDuty's verdict on its content (core/malware_scan.py)


class FileNotListed(Exception):
    """No request lists a file with this content (yet: the scan may answer before the request is stored)."""


@dataclass(frozen=True)
class Authorization(DeclaredRecord):
    KEYS: ClassVar[RecordKeys] = RecordKeys("authorization_id", ("requesting_provider_id", "servicing_provider_id"),
                                            "submitted_at", owner="requesting_provider_id")

    authorization_id: str
    member_id: str
    member_name: str
    requesting_provider_id: str
    servicing_provider_id: str
    service_lines: tuple[ServiceRequest, ...]
    diagnosis_codes: tuple[str, ...]
    service_from: date
    service_to: date
    urgency: AuthorizationUrgency
    clinical_notes: str | None
    submitted_at: datetime
    submitted_by: str
    due_at: datetime
    status: AuthorizationStatus = AuthorizationStatus.PENDING
    decision_reason: str | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    payer_number: str | None = None  # the plan's own number (its core system's, as PAS sends it)
    decided_in: DecidedIn = "portal"  # "core": the plan's own system decides it (never in the portal's queue)
    history: tuple[Event, ...] = field(default_factory=tuple)
    attachments: tuple[Attachment, ...] = ()
    appeal_of: str | None = None  # an appeal: the number of the denied request it appeals
    appeal_id: str | None = None  # a denied request: its appeal's number, once filed (one at most)
    trace_number: str | None = None  # the submitting system's own number (PAS: the Claim's identifier)

    @property
    def door(self) -> Door:
        """How the request came in: the portal's pages, a provider's system (PAS), or the plan's data."""
        if self.submitted_by == IMPORTED:
            return "import"
        return "api" if self.submitted_by.startswith(API_CLIENT) else "portal"


@dataclass(frozen=True)
class Change:
    """A transition: the new status, its history entry, and (for decisions) the decision's fields."""

    status: AuthorizationStatus
    event: Event
    reason: str | None = None
    decided_by: str | None = None
    approved_units: tuple[int | None, ...] | None = None  # per service line, for a partial approval
    attachments: tuple[Attachment, ...] = ()  # files added with the change (numbered after those on file)
    payer_number: str | None = None  # the plan's number for its decision (PAS reviewAction `number`)


@dataclass(frozen=True)
class IdempotencyClaim:
    """An Idempotency-Key claimed by a submission: the request it created and the submission's digest."""

    key: str  # idempotency_key(account, hashed header)
    authorization_id: str
    digest: str | None


def idempotency_key(account_id: str, key: str) -> str:
    return f"{IDEMPOTENCY_KEY}{account_id}#{key}"


class Authorizations(Protocol):
    def create(self, authorization: Authorization, claim: IdempotencyClaim, audit: AuditEntry) -> None:
        """Store a new request and claim its idempotency key; UniqueKeyTaken when the key was used. An
        appeal (`appeal_of`) is also written on the request it appeals, which must still be denied or
        partially approved and not appealed yet (StaleWrite otherwise)."""
        ...

    def holder(self, idempotency: str) -> IdempotencyClaim | None:
        """The claim of this idempotency key (the request it created), if any."""
        ...

    def put_new(self, authorization: Authorization, audit: AuditEntry) -> bool:
        """Store a request from the plan's extract unless one with its number exists (then False)."""
        ...

    def get(self, authorization_id: str) -> Authorization | None: ...

    def page(self, provider_id: str, first_day: date, last_day: date, limit: int,
             after: str | None) -> StoredPage[Authorization]: ...

    def of_member(self, member_id: str, first_day: date, last_day: date, limit: int,
                  after: str | None) -> StoredPage[Authorization]:
        """A member's requests submitted between two days, newest first, whoever requested them."""
        ...

    def pending(self, limit: int) -> list[Authorization]:
        """Requests waiting for the plan's decision, soonest due first (sparse index; never a Scan)."""
        ...

    def decided_between(self, first: datetime, last: datetime) -> Iterator[Authorization]:
        """Requests decided from `first` up to (not including) `last`, by decision time (a sparse index
        partitioned by month; never a Scan)."""
        ...

    def move(self, authorization_id: str, expected: AuthorizationStatus, change: Change,
             audit: AuditEntry) -> Authorization:
        """One transition, only from `expected`; StaleWrite when the request moved meanwhile."""
        ...

    def record_scan(self, authorization_id: str, sha256: str, state: FileState, audit: AuditEntry) -> bool:
        """Give the request's files with this content the scan `state` (with its audit record), where their state
        may move there; True when it changed, False when nothing could (the same result twice, a quarantined
        file). FileNotListed when the request does not list such a file."""
        ...


class DynamoAuthorizations:
    def create(self, authorization: Authorization, claim: IdempotencyClaim, audit: AuditEntry) -> None:
        bind_tables()

        def build(tx: TransactWrite) -> None:
            tx.save(UniqueKey(claim.key, account_id=authorization.authorization_id, digest=claim.digest),
                    condition=UniqueKey.key.does_not_exist())
            tx.save(_record(authorization), condition=AuthorizationRecord.authorization_id.does_not_exist())
            if authorization.appeal_of is not None:
                tx.update(AuthorizationRecord(authorization.appeal_of),
                          actions=[AuthorizationRecord.appeal_id.set(authorization.authorization_id)],
                          condition=AuthorizationRecord.appeal_id.does_not_exist()
                          & AuthorizationRecord.status.is_in(*APPEALABLE))
            tx.save(audit_item(audit))

        transact_first_claimed(build, claim.key, stale=True)

    def put_new(self, authorization: Authorization, audit: AuditEntry) -> bool:
        bind_tables()

        def build(tx: TransactWrite) -> None:
            tx.save(_record(authorization), condition=AuthorizationRecord.authorization_id.does_not_exist())
            tx.save(audit_item(audit))

        return transact_unless_first_exists(build)

    def holder(self, idempotency: str) -> IdempotencyClaim | None:
        claim = find(UniqueKey, idempotency)
        return IdempotencyClaim(idempotency, claim.account_id, claim.digest) if claim and claim.account_id else None

    def get(self, authorization_id: str) -> Authorization | None:
        item = find(AuthorizationRecord, authorization_id)
        return _authorization(item) if item else None

    def page(self, provider_id: str, first_day: date, last_day: date, limit: int,
             after: str | None) -> StoredPage[Authorization]:
        page, next_after = newest_first(AuthorizationRecord, AuthorizationRecord.by_provider, provider_id,
                                        first_day, last_day, limit, after)
        return StoredPage(tuple(_authorization(i) for i in page), next_after)

    def of_member(self, member_id: str, first_day: date, last_day: date, limit: int,
                  after: str | None) -> StoredPage[Authorization]:
        page, next_after = newest_first(AuthorizationRecord, AuthorizationRecord.by_member, member_id,
                                        first_day, last_day, limit, after)
        return StoredPage(tuple(_authorization(i) for i in page), next_after)

    def pending(self, limit: int) -> list[Authorization]:
        bind_tables()
        return [_authorization(i) for i in AuthorizationRecord.open_by_due.query(OPEN, limit=limit)]

    def decided_between(self, first: datetime, last: datetime) -> Iterator[Authorization]:
        bind_tables()
        month = date(first.astimezone(UTC).year, first.astimezone(UTC).month, 1)
        while month <= last.astimezone(UTC).date():
            for item in AuthorizationRecord.by_decision_month.query(
                    month.strftime("%Y-%m"), AuthorizationRecord.decided_key.between(
                        _utc_iso(first), _utc_iso(last - timedelta(microseconds=1)) + "#~")):
                yield _authorization(item)
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)

    def move(self, authorization_id: str, expected: AuthorizationStatus, change: Change,
             audit: AuditEntry) -> Authorization:
        if not may_move(expected, change.status):
            raise ValueError(f"{expected} cannot become {change.status}")
        current = self.get(authorization_id)
        bind_tables()
        record = AuthorizationRecord(authorization_id)
        actions = [AuthorizationRecord.status.set(change.status),
                   AuthorizationRecord.history.set(AuthorizationRecord.history.append([_history(change.event)]))]
        if change.status == AuthorizationStatus.PENDING and (current is None or current.decided_in == "portal"):
            actions += [AuthorizationRecord.open_status.set(OPEN)]
        else:
            actions += [AuthorizationRecord.open_status.remove()]
        if change.decided_by is not None:
            actions += [AuthorizationRecord.decided_by.set(change.decided_by),
                        AuthorizationRecord.decided_at.set(change.event.at),
                        AuthorizationRecord.decided_month.set(_month(change.event.at)),
                        AuthorizationRecord.decided_key.set(_decided_key(change.event.at, authorization_id))]
        if change.reason is not None:
            actions.append(AuthorizationRecord.decision_reason.set(change.reason))
        if change.payer_number is not None:
            actions.append(AuthorizationRecord.payer_number.set(change.payer_number))
        if change.attachments:
            actions.append(AuthorizationRecord.attachments.set(
                AuthorizationRecord.attachments.append([_attachment_entry(a) for a in change.attachments])
                if current is not None and current.attachments else [_attachment_entry(a) for a in change.attachments]))
        if change.approved_units is not None and current is not None:
            lines = [ServiceLine(code=line.code, units=line.units, approved_units=units)
                     for line, units in zip(current.service_lines, change.approved_units, strict=True)]
            actions.append(AuthorizationRecord.service_lines.set(lines))

        def build(tx: TransactWrite) -> None:
            tx.update(record, actions=actions, condition=AuthorizationRecord.status == expected)
            tx.save(audit_item(audit))

        transact_or_stale(build)
        moved = self.get(authorization_id)
        assert moved is not None, "a request is never deleted"
        return moved

    def record_scan(self, authorization_id: str, sha256: str, state: FileState, audit: AuditEntry) -> bool:
        for _ in range(3):  # a concurrent result moved a file first: read again, decide again
            current = self.get(authorization_id)
            listed = [i for i, a in enumerate(current.attachments) if a.sha256 == sha256] if current else []
            if current is None or not listed:
                raise FileNotListed(authorization_id)
            movable = [i for i in listed if may_record(current.attachments[i].scan, state)]
            if not movable:
                return False
            bind_tables()
            actions = [AuthorizationRecord.attachments[i].scan.set(state.value) for i in movable]
            condition = None
            for i in movable:  # each file still holds this content and a state it may move from
                guard = (AuthorizationRecord.attachments[i].sha256 == sha256) & _scan_may_become(i, state)
                condition = guard if condition is None else condition & guard

            def build(tx: TransactWrite, actions: list[Action] = actions,
                      condition: Condition | None = condition) -> None:
                tx.update(AuthorizationRecord(authorization_id), actions=actions, condition=condition)
                tx.save(audit_item(audit))

            try:
                transact_or_stale(build)
            except StaleWrite:
                continue
            return True
        raise StaleWrite  # still racing: the event is delivered again


def _scan_may_become(index: int, state: FileState) -> Condition:
    """The stored scan state of file `index` is one that may become `state` (absent: pending)."""
    scan = AuthorizationRecord.attachments[index].scan
    stored = sorted(s.value for s in moves_to(state) if s != FileState.PENDING_SCAN)
    condition: Condition | None = scan.is_in(*stored) if stored else None
    if FileState.PENDING_SCAN in moves_to(state):
        condition = scan.does_not_exist() if condition is None else scan.does_not_exist() | condition
    assert condition is not None, "every state but pending is reached from pending"
    return condition


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # fixed width: sorts as it reads


def _month(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def _decided_key(moment: datetime, authorization_id: str) -> str:
    return f"{_utc_iso(moment)}#{authorization_id}"


def _history(event: Event) -> HistoryEntry:
    return HistoryEntry(at=event.at, event=event.event, by=event.by, note=event.note,
                        attachments=list(event.attachments) or None)


def _attachment_entry(a: Attachment) -> AttachmentEntry:
    return AttachmentEntry(number=a.number, name=a.name, content_type=a.content_type, size=a.size, sha256=a.sha256,
                           added_at=a.added_at,
                           scan=None if a.scan == FileState.PENDING_SCAN else a.scan.value)


def _record(a: Authorization) -> AuthorizationRecord:
    is_open = a.status == AuthorizationStatus.PENDING and a.decided_in == "portal"
    return AuthorizationRecord(
        a.authorization_id, member_id=a.member_id, member_name=a.member_name,
        requesting_provider_id=a.requesting_provider_id, servicing_provider_id=a.servicing_provider_id,
        service_lines=[ServiceLine(code=s.code, units=s.units, approved_units=s.approved_units)
                       for s in a.service_lines],
        diagnosis_codes=list(a.diagnosis_codes), service_from=a.service_from.isoformat(),
        service_to=a.service_to.isoformat(), urgency=a.urgency, clinical_notes=a.clinical_notes,
        submitted_at=a.submitted_at, submitted_by=a.submitted_by, submitted_key=a.page_key, due_at=a.due_at,
        status=a.status, decision_reason=a.decision_reason, decided_at=a.decided_at, decided_by=a.decided_by,
        payer_number=a.payer_number, decided_in=None if a.decided_in == "portal" else a.decided_in,
        history=[_history(e) for e in a.history], attachments=[_attachment_entry(f) for f in a.attachments] or None,
        open_status=OPEN if is_open else None,
        due_key=f"{a.due_at.isoformat()}#{a.authorization_id}", appeal_of=a.appeal_of, appeal_id=a.appeal_id,
        trace_number=a.trace_number, decided_month=_month(a.decided_at) if a.decided_at else None,
        decided_key=_decided_key(a.decided_at, a.authorization_id) if a.decided_at else None)


def _authorization(item: AuthorizationRecord) -> Authorization:
    return Authorization(
        authorization_id=item.authorization_id, member_id=item.member_id, member_name=item.member_name,
        requesting_provider_id=item.requesting_provider_id, servicing_provider_id=item.servicing_provider_id,
        service_lines=tuple(ServiceRequest(s.code, int(s.units),
                                           int(s.approved_units) if s.approved_units is not None else None)
                            for s in item.service_lines),
        diagnosis_codes=tuple(item.diagnosis_codes), service_from=date.fromisoformat(item.service_from),
        service_to=date.fromisoformat(item.service_to), urgency=AuthorizationUrgency(item.urgency),
        clinical_notes=item.clinical_notes, submitted_at=item.submitted_at, submitted_by=item.submitted_by,
        due_at=item.due_at, status=AuthorizationStatus(item.status), decision_reason=item.decision_reason,
        decided_at=item.decided_at, decided_by=item.decided_by, payer_number=item.payer_number,
        decided_in="core" if item.decided_in == "core" else "portal",
        history=tuple(Event(h.at, h.event, h.by, h.note, tuple(int(n) for n in h.attachments or ()))
                      for h in item.history or []),
        attachments=tuple(Attachment(int(f.number), f.name, f.content_type, int(f.size), f.sha256, f.added_at,
                                     FileState(f.scan) if f.scan else FileState.PENDING_SCAN)
                          for f in item.attachments or []),
        appeal_of=item.appeal_of, appeal_id=item.appeal_id, trace_number=item.trace_number)
