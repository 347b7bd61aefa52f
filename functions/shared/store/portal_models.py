"""PynamoDB models of the plan's portal data (PHI): members and their coverage, claims and payments.

Items are shaped for the portal's questions, so each page of an answer is one Query or GetItem:
- a member and every coverage period are one item collection (hash key = member id);
- a claim is one item (hash key = claim number) with its lines, reason codes and payment;
- `claim-index` holds one small summary item per claim and per party that may look it up (the
  billing and rendering Provider IDs and the billing Tax ID, and the member), sorted by date of
  service, so "claims of this provider in this date range" is one Query, page by page.
Members and claims are loaded from the plan's FHIR extracts by functions/portal_data_import and never
written by the portal; admissions are notified through the portal by the facilities.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

PROFILE = "profile"
COVERAGE_PREFIX = "coverage#"


class MembersByIdentity(GlobalSecondaryIndex):
    """Members by the hash of last name, first name and date of birth (sparse: profile items only)."""

    class Meta:
        index_name = "by-identity"
        projection = AllProjection()

    identity_key = UnicodeAttribute(hash_key=True)


class Benefit(MapAttribute):
    """A cost-sharing amount of a coverage period, in cents; `used` for accumulators."""

    kind = UnicodeAttribute()  # copay_office | copay_specialist | copay_er | deductible | out_of_pocket
    amount_cents = NumberAttribute()
    used_cents = NumberAttribute(null=True)


class MemberRecord(Model):
    """A member's profile (record = 'profile') or one coverage period (record = 'coverage#<start>#<id>')."""

    class Meta:
        table_name = "members"

    member_id = UnicodeAttribute(hash_key=True)
    record = UnicodeAttribute(range_key=True)
    content_hash = UnicodeAttribute()  # of the source resource: a re-run of the same extract changes nothing
    source = UnicodeAttribute()  # 'Patient/<id>' or 'Coverage/<id>'
    # profile
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    birth_date = UnicodeAttribute(null=True)  # ISO date
    identity_key = UnicodeAttribute(null=True)
    # coverage period
    status = UnicodeAttribute(null=True)  # FHIR Coverage.status
    start = UnicodeAttribute(null=True)
    end = UnicodeAttribute(null=True)  # None: open-ended
    plan_name = UnicodeAttribute(null=True)
    product = UnicodeAttribute(null=True)
    group_id = UnicodeAttribute(null=True)
    pcp_provider_id = UnicodeAttribute(null=True)
    pcp_name = UnicodeAttribute(null=True)
    pcp_phone = UnicodeAttribute(null=True)
    benefits = ListAttribute(of=Benefit, null=True)
    by_identity = MembersByIdentity()


class ClaimLine(MapAttribute):
    sequence = NumberAttribute()
    procedure_code = UnicodeAttribute()  # CPT / HCPCS
    modifiers = ListAttribute(of=UnicodeAttribute, null=True)
    service_date = UnicodeAttribute()
    units = NumberAttribute()
    billed_cents = NumberAttribute()
    allowed_cents = NumberAttribute()
    paid_cents = NumberAttribute()
    patient_cents = NumberAttribute()
    reason_codes = ListAttribute(of=UnicodeAttribute, null=True)  # 'CARC:45', 'RARC:N130'


class Payment(MapAttribute):
    method = UnicodeAttribute()  # check | eft
    number = UnicodeAttribute()  # check number or EFT trace number
    date = UnicodeAttribute()
    amount_cents = NumberAttribute()


class ClaimsByPayment(GlobalSecondaryIndex):
    """Paid claims by payee Tax ID and check or EFT trace number, newest payment last (sparse: paid claims
    only). It projects the amount alone, so proving a payment (a practice's first administrator, see
    functions/link_provider) reads no PHI and needs no access to the claims themselves."""

    class Meta:
        index_name = "by-payment"
        projection = IncludeProjection(["payment_cents"])

    payment_key = UnicodeAttribute(hash_key=True)  # '<billing Tax ID>#<payment number, A-Z and 0-9 only>'
    paid_on = UnicodeAttribute(range_key=True)  # ISO date of the payment


class ClaimRecord(Model):
    """One claim as adjudicated: header, lines, reason codes and the payment."""

    class Meta:
        table_name = "claims"

    claim_id = UnicodeAttribute(hash_key=True)
    content_hash = UnicodeAttribute()
    source = UnicodeAttribute()  # 'ExplanationOfBenefit/<id>'
    member_id = UnicodeAttribute()
    member_name = UnicodeAttribute()
    billing_provider_id = UnicodeAttribute()
    billing_tax_id = UnicodeAttribute()
    rendering_provider_id = UnicodeAttribute(null=True)
    service_from = UnicodeAttribute()
    service_to = UnicodeAttribute()
    received_on = UnicodeAttribute()
    status = UnicodeAttribute()  # ClaimStatus
    billed_cents = NumberAttribute()
    allowed_cents = NumberAttribute()
    paid_cents = NumberAttribute()
    patient_cents = NumberAttribute()
    reason_codes = ListAttribute(of=UnicodeAttribute, null=True)  # claim-level adjustments
    lines = ListAttribute(of=ClaimLine, default=list)
    payment = Payment(null=True)
    parties = UnicodeSetAttribute()  # every claim-index owner key of this claim (access check on GetItem)
    # The payment again, flat, for the by-payment index (indexes project top-level attributes only).
    payment_key = UnicodeAttribute(null=True)
    paid_on = UnicodeAttribute(null=True)
    payment_cents = NumberAttribute(null=True)
    by_payment = ClaimsByPayment()


class ClaimIndexEntry(Model):
    """A claim's summary under one party that may look it up: 'provider#<id>', 'tax#<id>', 'member#<id>'."""

    class Meta:
        table_name = "claim-index"

    owner = UnicodeAttribute(hash_key=True)
    service_key = UnicodeAttribute(range_key=True)  # '<service_from>#<claim_id>': date order, unique
    claim_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    member_name = UnicodeAttribute()
    billing_provider_id = UnicodeAttribute()
    rendering_provider_id = UnicodeAttribute(null=True)
    service_from = UnicodeAttribute()
    service_to = UnicodeAttribute()
    status = UnicodeAttribute()
    billed_cents = NumberAttribute()
    paid_cents = NumberAttribute()


class AdmissionsByFacility(GlobalSecondaryIndex):
    """A facility's admissions by admit time: one Query per page of its list."""

    class Meta:
        index_name = "by-facility"
        projection = AllProjection()

    facility_provider_id = UnicodeAttribute(hash_key=True)
    admit_key = UnicodeAttribute(range_key=True)  # '<admitted_at ISO>#<admission_id>'


class AdmissionsByMember(GlobalSecondaryIndex):
    """A member's admissions by admit time, at any facility: the ones still open warn a new notification."""

    class Meta:
        index_name = "by-member"
        projection = AllProjection()

    member_id = UnicodeAttribute(hash_key=True)
    admit_key = UnicodeAttribute(range_key=True)  # '<admitted_at ISO>#<admission_id>'


class AdmissionRecord(Model):
    """A hospital admission notification, written by the portal (the facility's staff)."""

    class Meta:
        table_name = "admissions"

    admission_id = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute()
    member_name = UnicodeAttribute()
    facility_provider_id = UnicodeAttribute()
    attending_provider_id = UnicodeAttribute(null=True)
    admitted_at = UTCDateTimeAttribute()
    admit_key = UnicodeAttribute()
    admission_type = UnicodeAttribute()
    admitting_diagnosis = UnicodeAttribute()
    notified_at = UTCDateTimeAttribute()
    notified_by = UnicodeAttribute()  # account id
    notice_due = UTCDateTimeAttribute()
    late = BooleanAttribute()
    status = UnicodeAttribute()
    discharged_at = UTCDateTimeAttribute(null=True)
    disposition = UnicodeAttribute(null=True)
    by_facility = AdmissionsByFacility()
    by_member = AdmissionsByMember()


class AuthorizationsByProvider(GlobalSecondaryIndex):
    """A requesting provider's authorization requests by submission time."""

    class Meta:
        index_name = "by-provider"
        projection = AllProjection()

    requesting_provider_id = UnicodeAttribute(hash_key=True)
    submitted_key = UnicodeAttribute(range_key=True)  # '<submitted_at ISO>#<authorization_id>'


class AuthorizationsByMember(GlobalSecondaryIndex):
    """A member's authorization requests by submission time, whoever requested them (Provider Access)."""

    class Meta:
        index_name = "by-member"
        projection = AllProjection()

    member_id = UnicodeAttribute(hash_key=True)
    submitted_key = UnicodeAttribute(range_key=True)


class OpenAuthorizations(GlobalSecondaryIndex):
    """Requests waiting for the plan, soonest due first (sparse: only open ones carry `open_status`)."""

    class Meta:
        index_name = "open-by-due"
        projection = AllProjection()

    open_status = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)  # '<due_at ISO>#<authorization_id>'


class AuthorizationsByDecisionMonth(GlobalSecondaryIndex):
    """Decided requests by decision time, a partition per UTC month (sparse: only decided ones carry
    `decided_month`): the yearly prior-authorization metrics read a year's decisions without a Scan."""

    class Meta:
        index_name = "by-decision-month"
        projection = AllProjection()

    decided_month = UnicodeAttribute(hash_key=True)  # 'YYYY-MM' of decided_at (UTC)
    decided_key = UnicodeAttribute(range_key=True)  # '<decided_at ISO>#<authorization_id>'


class ServiceLine(MapAttribute):
    code = UnicodeAttribute()  # CPT / HCPCS
    units = NumberAttribute()
    approved_units = NumberAttribute(null=True)


class HistoryEntry(MapAttribute):
    at = UTCDateTimeAttribute()
    event = UnicodeAttribute()  # submitted | more_info_requested | information_sent | approved | ...
    by = UnicodeAttribute()  # provider | plan
    note = UnicodeAttribute(null=True)
    attachments = ListAttribute(of=NumberAttribute, null=True)  # numbers of the files sent with this event


class AttachmentEntry(MapAttribute):
    """A file sent with a request: its metadata (the content is an S3 object named by its SHA-256)."""

    number = NumberAttribute()  # 1, 2, ... in the order received
    name = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    sha256 = UnicodeAttribute()
    added_at = UTCDateTimeAttribute()
    scan = UnicodeAttribute(null=True)  # core/malware_scan.py FileState; absent: no scan result yet


class AuthorizationRecord(Model):
    """A prior-authorization request and its decision, with the history of both sides."""

    class Meta:
        table_name = "authorizations"

    authorization_id = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute()
    member_name = UnicodeAttribute()
    requesting_provider_id = UnicodeAttribute()
    servicing_provider_id = UnicodeAttribute()
    service_lines = ListAttribute(of=ServiceLine)
    diagnosis_codes = ListAttribute(of=UnicodeAttribute)
    service_from = UnicodeAttribute()
    service_to = UnicodeAttribute()
    urgency = UnicodeAttribute()
    clinical_notes = UnicodeAttribute(null=True)
    submitted_at = UTCDateTimeAttribute()
    submitted_by = UnicodeAttribute()  # account id
    submitted_key = UnicodeAttribute()
    due_at = UTCDateTimeAttribute()
    status = UnicodeAttribute()
    decision_reason = UnicodeAttribute(null=True)
    decided_at = UTCDateTimeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    payer_number = UnicodeAttribute(null=True)  # the plan's own number for the request or its decision
    decided_in = UnicodeAttribute(null=True)  # 'core' when the plan's own system decides it; else the portal
    history = ListAttribute(of=HistoryEntry, default=list)
    attachments = ListAttribute(of=AttachmentEntry, null=True)
    open_status = UnicodeAttribute(null=True)  # 'open' while the plan owes a decision
    due_key = UnicodeAttribute(null=True)
    appeal_of = UnicodeAttribute(null=True)  # an appeal: the denied request it appeals
    appeal_id = UnicodeAttribute(null=True)  # a denied request: the appeal filed against it (one at most)
    trace_number = UnicodeAttribute(null=True)  # the submitter's number (PAS: the Claim's identifier)
    decided_month = UnicodeAttribute(null=True)
    decided_key = UnicodeAttribute(null=True)
    by_provider = AuthorizationsByProvider()
    by_member = AuthorizationsByMember()
    open_by_due = OpenAuthorizations()
    by_decision_month = AuthorizationsByDecisionMonth()


class ClientsByProvider(GlobalSecondaryIndex):
    """A Provider ID's clients, oldest first (sparse: client items only)."""

    class Meta:
        index_name = "by-provider"
        projection = AllProjection()

    provider_id = UnicodeAttribute(hash_key=True)
    listed_key = UnicodeAttribute(range_key=True)  # '<created_at ISO>#<client_id>'


class ProviderAccessRecord(Model):
    class Meta:
        table_name = "provider_access"

    key = UnicodeAttribute(hash_key=True)
    provider_id = UnicodeAttribute(null=True)  # the Provider ID a client, token, group or export acts for
    listed_key = UnicodeAttribute(null=True)  # clients only: so only they are in `by-provider`
    client_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    jwks_url = UnicodeAttribute(null=True)
    jwks = UnicodeAttribute(null=True)  # inline JWK Set (public keys), JSON
    scopes = ListAttribute(of=UnicodeAttribute, null=True)
    status = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    changed_at = UTCDateTimeAttribute(null=True)
    changed_by = UnicodeAttribute(null=True)
    member_ids = ListAttribute(of=UnicodeAttribute, null=True)
    group_id = UnicodeAttribute(null=True)
    export_type = UnicodeAttribute(null=True)
    since = UTCDateTimeAttribute(null=True)
    transaction_time = UTCDateTimeAttribute(null=True)
    types = ListAttribute(of=UnicodeAttribute, null=True)
    request_url = UnicodeAttribute(null=True)
    content_hash = UnicodeAttribute(null=True)  # opt-outs from the plan's data: of the source Consent
    output = UnicodeAttribute(null=True)  # JSON: [{type, name, count}]
    error = UnicodeAttribute(null=True)
    polled_at = UTCDateTimeAttribute(null=True)
    done = NumberAttribute(null=True)  # members exported so far (X-Progress)
    valid_until = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    by_provider = ClientsByProvider()


PORTAL_MODELS: dict[str, type[Model]] = {
    "members": MemberRecord,
    "claims": ClaimRecord,
    "claim_index": ClaimIndexEntry,
    "admissions": AdmissionRecord,
    "authorizations": AuthorizationRecord,
    "provider_access": ProviderAccessRecord,
}
