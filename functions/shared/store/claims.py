"""Claim repository: adjudicated claims and, per party that may look one up, a date-ordered summary.

`claim-index` holds one summary per claim under each party: 'provider#<billing or rendering
Provider ID>' and 'member#<member ID>'. A page of "claims of this provider (or member) between
these dates" is one Query of page size + 1 items (the extra one only tells whether a next page
exists). The cursor is the last summary's sort key, so inserts never shift a page: a claim added
newer than the cursor (pages run newest first) is not seen on later pages, an older one appears in
order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import ClassVar, Protocol

from pynamodb.transactions import TransactWrite

from functions.shared.store.declared import DeclaredRecord, RecordKeys
from functions.shared.store.models import bind_tables
from functions.shared.store.pages import StoredPage
from functions.shared.store.portal_models import ClaimIndexEntry, ClaimLine, ClaimRecord, Payment
from functions.shared.store.transactions import find, transact_unless_first_exists


class ClaimStatus(StrEnum):
    """Where a claim stands in adjudication (277 claim status categories, in plain words)."""

    RECEIVED = "received"
    PENDED = "pended"
    PAID = "paid"
    DENIED = "denied"
    ADJUSTED = "adjusted"

PROVIDER_OWNER = "provider#"
MEMBER_OWNER = "member#"
_AFTER_LAST_ID = "\uffff"  # sorts after every claim number: an end date includes that whole day


@dataclass(frozen=True)
class ClaimLineView:
    sequence: int
    procedure_code: str
    modifiers: tuple[str, ...]
    service_date: date
    units: int
    billed_cents: int
    allowed_cents: int
    paid_cents: int
    patient_cents: int
    reason_codes: tuple[str, ...] = ()  # 'CARC:45', 'RARC:N130'


@dataclass(frozen=True)
class PaymentView:
    method: str  # check | eft
    number: str
    date: date
    amount_cents: int


# A claim's providers: its billing provider (who sent it) and its rendering provider.
CLAIM_KEYS = RecordKeys("claim_id", ("billing_provider_id", "rendering_provider_id"), "service_from",
                        owner="billing_provider_id")


@dataclass(frozen=True)
class Claim(DeclaredRecord):
    KEYS: ClassVar[RecordKeys] = CLAIM_KEYS

    claim_id: str
    member_id: str
    member_name: str
    billing_provider_id: str
    billing_tax_id: str
    rendering_provider_id: str | None
    service_from: date
    service_to: date
    received_on: date
    status: ClaimStatus
    billed_cents: int
    allowed_cents: int
    paid_cents: int
    patient_cents: int
    reason_codes: tuple[str, ...] = ()
    lines: tuple[ClaimLineView, ...] = ()
    payment: PaymentView | None = None

    @property
    def owners(self) -> frozenset[str]:
        return frozenset({*(PROVIDER_OWNER + p for p in self.provider_ids), MEMBER_OWNER + self.member_id})


@dataclass(frozen=True)
class ClaimSummary(DeclaredRecord):
    KEYS: ClassVar[RecordKeys] = CLAIM_KEYS

    claim_id: str
    member_id: str
    member_name: str
    billing_provider_id: str
    rendering_provider_id: str | None
    service_from: date
    service_to: date
    status: ClaimStatus
    billed_cents: int
    paid_cents: int


def payment_key(tax_id: str, number: str) -> str:
    """How a payment is looked up: the payee's Tax ID and the check or EFT trace number as a person may
    type it ('EFT-7731042', 'eft 7731042'): digits of the one, letters and digits of the other."""
    return f"{re.sub(r'[^0-9]', '', tax_id)}#{re.sub(r'[^0-9A-Z]', '', number.upper())}"


class Claims(Protocol):
    def get(self, claim_id: str) -> Claim | None: ...

    def payment_total(self, tax_id: str, number: str, since: date) -> int | None:
        """What the plan paid to this Tax ID with this check or EFT trace number on or after `since`, in
        cents (one payment covers many claims: their sum); None when there is no such payment. One Query
        of the by-payment index, which holds amounts only."""
        ...

    def page(self, owner: str, first_day: date, last_day: date, limit: int,
             after: str | None) -> StoredPage[ClaimSummary]: ...

    def put(self, claim: Claim, content_hash: str, source: str) -> bool: ...


class DynamoClaims:
    def get(self, claim_id: str) -> Claim | None:
        item = find(ClaimRecord, claim_id, consistent=False)
        return _claim(item) if item else None

    def payment_total(self, tax_id: str, number: str, since: date) -> int | None:
        bind_tables()
        paid = [int(item.payment_cents or 0) for item in ClaimRecord.by_payment.query(
            payment_key(tax_id, number), ClaimRecord.paid_on >= since.isoformat())]
        return sum(paid) if paid else None

    def page(self, owner: str, first_day: date, last_day: date, limit: int,
             after: str | None) -> StoredPage[ClaimSummary]:
        bind_tables()
        low, high = first_day.isoformat(), f"{last_day.isoformat()}#{_AFTER_LAST_ID}"
        start = {"owner": {"S": owner}, "service_key": {"S": after}} if after else None
        results = ClaimIndexEntry.query(owner, ClaimIndexEntry.service_key.between(low, high), limit=limit + 1,
                                        last_evaluated_key=start, scan_index_forward=False)  # newest first
        entries = list(results)
        page = entries[:limit]
        more = len(entries) > limit
        return StoredPage(tuple(_summary(e) for e in page), page[-1].service_key if more and page else None)

    def put(self, claim: Claim, content_hash: str, source: str) -> bool:
        """Write a claim and its summaries in one transaction, unless the same content is stored already;
        summaries of parties the claim no longer names are removed in the same transaction."""
        bind_tables()
        old = find(ClaimRecord, claim.claim_id)
        if old is not None and old.content_hash == content_hash:
            return False
        old_keys = {(owner, f"{old.service_from}#{old.claim_id}") for owner in old.parties} if old else set()
        new_keys = {(owner, claim.page_key) for owner in claim.owners}
        record = _record(claim, content_hash, source)

        def build(tx: TransactWrite) -> None:
            guard = (ClaimRecord.claim_id.does_not_exist() if old is None
                     else ClaimRecord.content_hash == old.content_hash)  # nobody changed it meanwhile
            tx.save(record, condition=guard)
            for owner, key in old_keys - new_keys:
                tx.delete(ClaimIndexEntry(owner, key))
            for owner, _ in new_keys:
                tx.save(_entry(claim, owner))

        return transact_unless_first_exists(build)  # False: a concurrent import of the same claim won


def _record(claim: Claim, content_hash: str, source: str) -> ClaimRecord:
    return ClaimRecord(
        claim.claim_id, content_hash=content_hash, source=source, member_id=claim.member_id,
        member_name=claim.member_name, billing_provider_id=claim.billing_provider_id,
        billing_tax_id=claim.billing_tax_id, rendering_provider_id=claim.rendering_provider_id,
        service_from=claim.service_from.isoformat(), service_to=claim.service_to.isoformat(),
        received_on=claim.received_on.isoformat(), status=claim.status, billed_cents=claim.billed_cents,
        allowed_cents=claim.allowed_cents, paid_cents=claim.paid_cents, patient_cents=claim.patient_cents,
        reason_codes=list(claim.reason_codes) or None,
        lines=[ClaimLine(sequence=line.sequence, procedure_code=line.procedure_code,
                         modifiers=list(line.modifiers) or None, service_date=line.service_date.isoformat(),
                         units=line.units, billed_cents=line.billed_cents, allowed_cents=line.allowed_cents,
                         paid_cents=line.paid_cents, patient_cents=line.patient_cents,
                         reason_codes=list(line.reason_codes) or None) for line in claim.lines],
        payment=Payment(method=claim.payment.method, number=claim.payment.number,
                        date=claim.payment.date.isoformat(), amount_cents=claim.payment.amount_cents)
        if claim.payment else None,
        parties=set(claim.owners),
        payment_key=payment_key(claim.billing_tax_id, claim.payment.number) if claim.payment else None,
        paid_on=claim.payment.date.isoformat() if claim.payment else None,
        payment_cents=claim.payment.amount_cents if claim.payment else None)


def _entry(claim: Claim, owner: str) -> ClaimIndexEntry:
    return ClaimIndexEntry(
        owner, claim.page_key, claim_id=claim.claim_id, member_id=claim.member_id, member_name=claim.member_name,
        billing_provider_id=claim.billing_provider_id, rendering_provider_id=claim.rendering_provider_id,
        service_from=claim.service_from.isoformat(), service_to=claim.service_to.isoformat(), status=claim.status,
        billed_cents=claim.billed_cents, paid_cents=claim.paid_cents)


def _claim(item: ClaimRecord) -> Claim:
    payment = item.payment
    return Claim(
        claim_id=item.claim_id, member_id=item.member_id, member_name=item.member_name,
        billing_provider_id=item.billing_provider_id, billing_tax_id=item.billing_tax_id,
        rendering_provider_id=item.rendering_provider_id, service_from=date.fromisoformat(item.service_from),
        service_to=date.fromisoformat(item.service_to), received_on=date.fromisoformat(item.received_on),
        status=ClaimStatus(item.status), billed_cents=int(item.billed_cents),
        allowed_cents=int(item.allowed_cents), paid_cents=int(item.paid_cents),
        patient_cents=int(item.patient_cents), reason_codes=tuple(item.reason_codes or ()),
        lines=tuple(ClaimLineView(
            sequence=int(line.sequence), procedure_code=line.procedure_code, modifiers=tuple(line.modifiers or ()),
            service_date=date.fromisoformat(line.service_date), units=int(line.units),
            billed_cents=int(line.billed_cents), allowed_cents=int(line.allowed_cents),
            paid_cents=int(line.paid_cents), patient_cents=int(line.patient_cents),
            reason_codes=tuple(line.reason_codes or ())) for line in item.lines),
        payment=PaymentView(payment.method, payment.number, date.fromisoformat(payment.date),
                            int(payment.amount_cents)) if payment else None)


def _summary(entry: ClaimIndexEntry) -> ClaimSummary:
    return ClaimSummary(
        claim_id=entry.claim_id, member_id=entry.member_id, member_name=entry.member_name,
        billing_provider_id=entry.billing_provider_id, rendering_provider_id=entry.rendering_provider_id,
        service_from=date.fromisoformat(entry.service_from), service_to=date.fromisoformat(entry.service_to),
        status=ClaimStatus(entry.status), billed_cents=int(entry.billed_cents), paid_cents=int(entry.paid_cents))
