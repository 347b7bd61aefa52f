"""Organizational agreements: one per provider group (Tax ID), signed by the group, decided by staff.

The only code that writes an agreement. `TRANSITIONS` is the one table of which status may follow
which; every transition is one conditional transaction with its audit record. The workflow steps of
requests waiting for a decision are kept on the agreement (their task tokens), so the decision can
resume exactly the requests that waited for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from pynamodb.expressions.condition import size
from pynamodb.transactions import TransactWrite

from functions.shared.core.audit import AuditEntry
from functions.shared.core.states import OrgAgreementState
from functions.shared.store.audit import audit_item
from functions.shared.store.models import OrgAgreement, bind_tables
from functions.shared.store.transactions import StaleWrite, find, transact_or_stale

Status = OrgAgreementState

# Which status an agreement may take (key), and from which (value); None: no agreement yet.
TRANSITIONS: dict[OrgAgreementState, frozenset[OrgAgreementState | None]] = {
    Status.UNSIGNED: frozenset({None}),  # a request of the group waits for it: nobody signed yet
    Status.PENDING: frozenset({None, Status.UNSIGNED, Status.REJECTED}),  # signed (again after a rejection)
    Status.APPROVED: frozenset({Status.PENDING}),  # staff decide once
    Status.REJECTED: frozenset({Status.PENDING}),
}
# A request may wait for any agreement not approved (an approved one lets it through at once).
WAIT_FROM: frozenset[OrgAgreementState | None] = frozenset({None, Status.UNSIGNED, Status.PENDING,
                                                             Status.REJECTED})


def may_move(current: OrgAgreementState | None, target: OrgAgreementState) -> bool:
    return current in TRANSITIONS[target]


@dataclass(frozen=True)
class Signature:
    """Who signed the group's agreement, which version, when and from where."""

    tax_id: str
    group_name: str
    version: str
    signer_account_id: str
    signer_name: str
    signer_title: str
    signed_at: datetime
    source_ip: str | None = None


@dataclass(frozen=True)
class OrgAgreementView:
    tax_id: str
    status: OrgAgreementState
    group_name: str
    version: str | None = None
    signer_account_id: str | None = None
    signer_name: str | None = None
    signer_title: str | None = None
    signed_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    waiting_tokens: frozenset[str] = field(default_factory=frozenset)
    pending_since: datetime | None = None


class OrgAgreements(Protocol):
    def get(self, tax_id: str) -> OrgAgreementView | None: ...

    def sign(self, signature: Signature, audit: AuditEntry) -> None:
        """None/unsigned/rejected -> pending: StaleWrite when it is pending or approved already."""
        ...

    def decide(self, tax_id: str, approve: bool, by: str, reason: str, now: datetime,
               audit: AuditEntry) -> OrgAgreementView | None:
        """Pending -> approved or rejected, once: StaleWrite when not pending; None when there is no
        agreement. Returns the agreement as decided, with the tokens of the requests waiting at that moment."""
        ...

    def add_waiting(self, tax_id: str, group_name: str, token: str, audit: AuditEntry) -> bool:
        """A request of the group waits for the decision (the agreement is created unsigned if needed):
        False, nothing written, when the agreement is approved already."""
        ...

    def resumed(self, tax_id: str, tokens: Iterable[str]) -> None:
        """Forget waiting steps that were resumed."""
        ...

    def pending(self) -> list[OrgAgreementView]:
        """Every agreement waiting for staff, oldest first."""
        ...


def _view(org: OrgAgreement) -> OrgAgreementView:
    return OrgAgreementView(
        tax_id=org.tax_id, status=Status(org.status), group_name=org.group_name, version=org.version,
        signer_account_id=org.signer_account_id, signer_name=org.signer_name, signer_title=org.signer_title,
        signed_at=org.signed_at, decided_at=org.decided_at, decided_by=org.decided_by, reason=org.reason,
        waiting_tokens=frozenset(org.waiting_tokens or ()), pending_since=org.pending_since)


def _in(statuses: Iterable[OrgAgreementState | None]) -> object:
    """The condition 'the stored status is one of these' (None: there is no agreement)."""
    wanted = set(statuses)
    known = sorted(s for s in wanted if s is not None)
    condition = OrgAgreement.status.is_in(*known) if known else None
    if None in wanted:
        absent = OrgAgreement.tax_id.does_not_exist()
        condition = absent if condition is None else absent | condition
    return condition


_DECISION_RETRIES = 5


class DynamoOrgAgreements:
    def get(self, tax_id: str) -> OrgAgreementView | None:
        org = find(OrgAgreement, tax_id)
        return _view(org) if org else None

    def sign(self, signature: Signature, audit: AuditEntry) -> None:
        bind_tables()
        org = OrgAgreement(signature.tax_id)
        actions = [
            OrgAgreement.status.set(Status.PENDING), OrgAgreement.group_name.set(signature.group_name),
            OrgAgreement.version.set(signature.version),
            OrgAgreement.signer_account_id.set(signature.signer_account_id),
            OrgAgreement.signer_name.set(signature.signer_name),
            OrgAgreement.signer_title.set(signature.signer_title), OrgAgreement.signed_at.set(signature.signed_at),
            OrgAgreement.pending_status.set(Status.PENDING), OrgAgreement.pending_since.set(signature.signed_at),
            OrgAgreement.reason.remove(), OrgAgreement.decided_at.remove(), OrgAgreement.decided_by.remove(),
        ]
        actions.append(OrgAgreement.source_ip.set(signature.source_ip) if signature.source_ip
                       else OrgAgreement.source_ip.remove())

        def build(tx: TransactWrite) -> None:
            tx.update(org, actions=actions, condition=_in(TRANSITIONS[Status.PENDING]))
            tx.save(audit_item(audit))

        transact_or_stale(build)

    def decide(self, tax_id: str, approve: bool, by: str, reason: str, now: datetime,
               audit: AuditEntry) -> OrgAgreementView | None:
        status = Status.APPROVED if approve else Status.REJECTED
        for _ in range(_DECISION_RETRIES):
            org = find(OrgAgreement, tax_id)
            if org is None:
                return None
            if not may_move(Status(org.status), status):
                raise StaleWrite
            tokens = set(org.waiting_tokens or ())
            # Decide only on the waiting steps read here: a step that starts waiting meanwhile makes the
            # guard fail, and the decision is taken again with it.
            waiting = (size(OrgAgreement.waiting_tokens) == len(tokens) if tokens
                       else OrgAgreement.waiting_tokens.does_not_exist())
            for token in tokens:
                waiting = waiting & OrgAgreement.waiting_tokens.contains(token)

            def build(tx: TransactWrite, org: OrgAgreement = org, waiting: object = waiting) -> None:
                tx.update(org, actions=[
                    OrgAgreement.status.set(status), OrgAgreement.decided_at.set(now),
                    OrgAgreement.decided_by.set(by), OrgAgreement.reason.set(reason),
                    OrgAgreement.pending_status.remove(), OrgAgreement.pending_since.remove(),
                ], condition=_in(TRANSITIONS[status]) & waiting)
                tx.save(audit_item(audit))

            try:
                transact_or_stale(build)
            except StaleWrite:
                continue  # decided by someone else (refused on the next read), or a new waiting step
            return replace(_view(org), status=status, decided_at=now, decided_by=by, reason=reason,
                           pending_since=None)
        raise StaleWrite

    def add_waiting(self, tax_id: str, group_name: str, token: str, audit: AuditEntry) -> bool:
        bind_tables()
        org = OrgAgreement(tax_id)

        def build(tx: TransactWrite) -> None:
            tx.update(org, actions=[
                OrgAgreement.waiting_tokens.add({token}),
                OrgAgreement.status.set(OrgAgreement.status | Status.UNSIGNED),
                OrgAgreement.group_name.set(OrgAgreement.group_name | group_name),
            ], condition=_in(WAIT_FROM))
            tx.save(audit_item(audit))

        for _ in range(3):
            try:
                transact_or_stale(build)
            except StaleWrite:
                current = find(OrgAgreement, tax_id)
                if current is not None and current.status == Status.APPROVED:
                    return False
                continue  # a conflict with a concurrent write: try again
            return True
        raise RuntimeError("could not register the wait for the organizational agreement")

    def resumed(self, tax_id: str, tokens: Iterable[str]) -> None:
        done = set(tokens)
        if done:
            bind_tables()
            OrgAgreement(tax_id).update(actions=[OrgAgreement.waiting_tokens.delete(done)],
                                        condition=OrgAgreement.tax_id.exists())

    def pending(self) -> list[OrgAgreementView]:
        bind_tables()
        return [_view(org) for org in OrgAgreement.pending.query(Status.PENDING)]  # sparse index: no scan
