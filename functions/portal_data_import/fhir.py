"""FHIR R4 Bulk Data NDJSON → the portal's records: Patient, Coverage, ExplanationOfBenefit, and prior
authorizations as Claim (use = preauthorization) with their ClaimResponse (Da Vinci PAS in spirit).

Every line is validated with the `fhir.resources` R4B models (which read R4 JSON), then mapped, each on
its own: a problem is reported as (line, field, reason) for that resource. The models are imported here
only: this function ships them, the portal's other functions never load them.

Claims (ExplanationOfBenefit, CARIN Blue Button in form): the claim by its `uc` identifier, the member
by the Patient its reference names (that Patient's `MB` identifier), the billing and rendering
providers by the Organization or Practitioner their references name (the portal's Provider ID where
given, else the NPI; the Tax ID from the same resource), the status from `outcome` (or the portal's
extension), the amounts from the header's `total` where the payer gives it (else the lines' sum), and
the member's share as the payer's member liability, else copay + deductible + coinsurance + non-covered.
An EOB with `use` = preauthorization (PDex) is a prior authorization's record and is never a claim: it is
counted as skipped. Organization, Practitioner and PractitionerRole are read only through references.

A prior authorization is a Claim (identifier `urn:portal:authorization-number`, the request's number)
and at most one ClaimResponse whose `request` names that number: in the same file (paired as they are
read), or in the export's ClaimResponse file or a later export (deciding the request on file). Its status:
- Claim.status `cancelled` → withdrawn;
- no ClaimResponse, or outcome `queued` without item decisions → pending;
- every item pended (X12 306 review action A4; outcome `complete` as PAS 2.2 sends it, or `queued`) →
  pending, under the plan's review
  (a "pended" history entry, with `disposition` as its note where given); the portal's "more information
  requested" is a step of requests the portal decides, not an answer a core system sends;
- outcome `complete` / `partial` with a decision on every item: all A1 (certified) → approved; all A3
  (not certified) → denied; otherwise partially approved (A2 carries the approved units in the
  adjudication's `value`). A denial or partial approval needs its specific reason in `disposition`.
The decision clock runs from Claim.created: 72 hours for priority `stat`, 7 days otherwise (CMS-0057-F). A
request still waiting is decided where the plan's profile says (`imported_requests_decided_in`): in its
core system (default: never in the portal's review queue, never "Overdue" by the portal's clock) or by
the portal's review desk.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from functions.shared.core import reason_codes
from functions.shared.core.code_systems import (
    AUTHORIZATION_NUMBER,
    CPT,
    HCPCS,
    ICD10CM,
    NPI,
    PRIORITY,
    PROVIDER_ID,
    REVIEW_ACTION,
    V2_0203,
    X12_REVIEW_ACTION,
    procedure_code,
)
from functions.shared.core.ids import normal_id
from functions.shared.core.schemas import ICD10CM_PATTERN, icd10cm_dotted
from functions.shared.services.authorization_clock import DECISION_TIME
from functions.shared.store.authorizations import (
    IMPORTED,
    Authorization,
    AuthorizationStatus,
    AuthorizationUrgency,
    Event,
    ServiceRequest,
)
from functions.shared.store.claims import Claim, ClaimLineView, ClaimStatus, PaymentView
from functions.shared.store.members import BenefitAmount, BenefitKind, CoveragePeriod, CoverageStatus, MemberProfile

# Identifiers as the IGs write them: a member by its v2-0203 `MB` (or CARIN `um`) identifier, a claim by
# CARIN's `uc`, a provider by NPI, a Tax ID by its OID or v2-0203 `TAX`; the portal's own urn:portal:*
# systems are still read (older extracts and the demo data use them) but never required.
C4BB_IDENTIFIER_TYPE = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType"
MEMBER_TYPES = {(V2_0203, "MB"), (C4BB_IDENTIFIER_TYPE, "mb"), (C4BB_IDENTIFIER_TYPE, "um")}
CLAIM_TYPES = {(C4BB_IDENTIFIER_TYPE, "uc")}
TAX_TYPES = {(V2_0203, "TAX")}
MEMBER_ID = "urn:portal:member-id"
CLAIM_NUMBER = "urn:portal:claim-number"
TAX_ID = "urn:oid:2.16.840.1.113883.4.4"  # US employer identification number (TIN)
CLAIM_STATUS = "urn:portal:claim-status"
PRIMARY_CARE_PROVIDER = "urn:portal:primary-care-provider"
AMOUNT_USED = "urn:portal:amount-used"
CHECK_NUMBER = "urn:portal:check-number"
EFT_TRACE = "urn:portal:eft-trace-number"
_BENEFITS = {"gpvisit": BenefitKind.COPAY_OFFICE, "spvisit": BenefitKind.COPAY_SPECIALIST,
             "urgentcare": BenefitKind.COPAY_URGENT_CARE, "emergency": BenefitKind.COPAY_EMERGENCY,
             "deductible": BenefitKind.DEDUCTIBLE, "maxoutofpocket": BenefitKind.OUT_OF_POCKET}
# CARIN Blue Button adjudication categories → the claim line's amounts
_AMOUNTS = {"submitted": "billed", "eligible": "allowed", "paidtoprovider": "paid", "benefit": "paid",
            "memberliability": "patient"}
# What the member owes, where a payer does not state the member liability itself
_MEMBER_SHARES = ("copay", "deductible", "coinsurance", "noncovered")
_PREAUTHORIZATION = "ExplanationOfBenefit (use = preauthorization)"
MAX_LINE_BYTES = 1_000_000
# PDex publishes the same extension under its own canonical
REVIEW_ACTIONS_URLS = (REVIEW_ACTION, "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/extension-reviewAction")
_AUTHORIZATION_NUMBER = re.compile(r"^PA-[0-9A-Z]{10}$")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ICD10CM = re.compile(ICD10CM_PATTERN)
_URGENCY = {"stat": AuthorizationUrgency.EXPEDITED, "normal": AuthorizationUrgency.STANDARD,
            "deferred": AuthorizationUrgency.STANDARD}
# X12 306 (health care services review action) → what it means for one service line
CERTIFIED, PARTLY_CERTIFIED, NOT_CERTIFIED, PENDED = "A1", "A2", "A3", "A4"
PENDED_EVENT = "pended"  # the history entry of an A4 answer: the plan is reviewing the request
_REVIEW_ACTIONS = (CERTIFIED, PARTLY_CERTIFIED, NOT_CERTIFIED, PENDED)
MAX_SERVICE_LINES = 20


REFERENCE_DATA = frozenset({"Organization", "Practitioner", "PractitionerRole"})


class NotRead(Exception):
    """A resource of a type the portal reads, but in a form it does not use (counted as skipped)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class Invalid(Exception):
    """One problem with one resource: which field and why."""

    def __init__(self, field_path: str, reason: str) -> None:
        super().__init__(f"{field_path}: {reason}")
        self.field = field_path
        self.reason = reason


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    reason: str
    file: str = ""  # the export's file, where an export has several


@dataclass
class Extract:
    """Everything a file holds, mapped, and what of it could not be (by line)."""

    profiles: list[tuple[MemberProfile, str, str]] = field(default_factory=list)  # (record, hash, source)
    coverages: list[tuple[str, CoveragePeriod, str, str]] = field(default_factory=list)  # (member, ...)
    claims: list[tuple[Claim, str, str]] = field(default_factory=list)
    # Provider Access opt-outs (PDex provider-sharing Consent): (member, opted out, hash, source)
    opt_outs: list[tuple[str, bool, str, str]] = field(default_factory=list)
    authorizations: list[tuple[Authorization, int, str]] = field(default_factory=list)  # (record, line, source)
    problems: list[Problem] = field(default_factory=list)  # resources that could not be read: quarantined
    conflicts: list[Problem] = field(default_factory=list)  # one id, several contents: none applied
    skipped: dict[str, int] = field(default_factory=dict)  # resource types the portal does not read
    index: dict[str, dict[str, Any]] = field(default_factory=dict)  # 'Type/id' → resource, for references
    lines: int = 0
    file_lines: dict[str, int] = field(default_factory=dict)  # per file of an export ('' for a single file)
    at_line: int = 0  # the line being mapped
    # responses whose request is not in this file: (number, line, response), for the request on file
    later_responses: list[tuple[str, int, _Response]] = field(default_factory=list)
    # prior-authorization halves, paired once every line is read: number → (line, mapped)
    _requests: dict[str, tuple[int, _Request]] = field(default_factory=dict)
    _responses: dict[str, tuple[int, _Response]] = field(default_factory=dict)

    @property
    def responses_read(self) -> set[str]:
        """The request numbers this extract read a ClaimResponse of."""
        return set(self._responses)

    def merge(self, other: Extract) -> None:
        """Add what another range of the export mapped (its requests and responses are paired already)."""
        for name in ("profiles", "coverages", "claims", "opt_outs", "authorizations", "problems", "conflicts",
                     "later_responses"):
            getattr(self, name).extend(getattr(other, name))
        for kind, count in other.skipped.items():
            self.skipped[kind] = self.skipped.get(kind, 0) + count


@dataclass(frozen=True)
class _Request:
    """A Claim with use = preauthorization, mapped: the request as submitted (still pending)."""

    authorization: Authorization
    cancelled_at: datetime | None
    source: str


@dataclass(frozen=True)
class _Response:
    """A ClaimResponse, mapped: the decision per item sequence, (X12 306 code, units given or None)."""

    outcome: str
    created: datetime
    disposition: str | None
    decisions: dict[int, tuple[str, int | None]]
    payer_number: str | None = None


# A Bulk Data export's files in the order they are read: what others reference comes first.
DEPENDENCY_ORDER = ("Organization", "Practitioner", "PractitionerRole", "Patient", "Coverage", "Consent",
                    "ExplanationOfBenefit", "Claim", "ClaimResponse")


def readers() -> dict[str, tuple[Any, Callable[[Any, str, str, Extract], None]]]:
    """Each resource type the portal reads: its R4B model and the mapper that turns it into records (the
    models load here, on the first import, not when the function starts)."""
    from fhir.resources.R4B.claim import Claim as FhirClaim
    from fhir.resources.R4B.claimresponse import ClaimResponse
    from fhir.resources.R4B.consent import Consent
    from fhir.resources.R4B.coverage import Coverage
    from fhir.resources.R4B.explanationofbenefit import ExplanationOfBenefit
    from fhir.resources.R4B.patient import Patient

    return {"Patient": (Patient, _profile), "Coverage": (Coverage, _coverage), "Consent": (Consent, _opt_out),
            "ExplanationOfBenefit": (ExplanationOfBenefit, _claim), "Claim": (FhirClaim, _pa_request),
            "ClaimResponse": (ClaimResponse, _pa_response)}


def canonical(resource: dict[str, Any]) -> bytes:
    return json.dumps(resource, sort_keys=True).encode()


def content_hash(resource: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(resource)).hexdigest()


def reference_data(resource: dict[str, Any]) -> dict[str, Any]:
    """What a reference to this resource reads: its identifiers and name (not the whole resource)."""
    return {k: resource[k] for k in ("resourceType", "id", "identifier", "name") if k in resource}


def lines(data: bytes | str | Iterable[bytes]) -> Iterator[tuple[int, str | Invalid]]:
    """The non-empty lines of NDJSON, numbered as a text editor numbers them: split on LF only (a U+2028
    inside a string is not a line break), a BOM and CRLF endings tolerated, each line strict UTF-8 (a bad
    byte is that line's problem, named by its position). Reads chunk by chunk: a line is held whole only
    up to MAX_LINE_BYTES."""
    chunks: Iterable[bytes] = [data.encode()] if isinstance(data, str) else [data] if isinstance(data, bytes) \
        else data
    for number, _, line in numbered_lines(chunks):
        yield number, line


def numbered_lines(chunks: Iterable[bytes], *, after: int = 0, bom: bool = True
                   ) -> Iterator[tuple[int, int, str | Invalid]]:
    """`lines`, with the byte offset where each line starts; numbering continues after line `after` (a
    range of a file starts mid-file, where no BOM can be)."""
    number, pending, too_long, first, offset, start = after, b"", False, bom, 0, 0
    for chunk in chunks:
        if first:
            first = False
            if chunk.startswith(b"\xef\xbb\xbf"):
                chunk, offset, start = chunk[3:], 3, 3
        parts = chunk.split(b"\n")
        for i, part in enumerate(parts):
            offset += len(part)
            if i < len(parts) - 1:  # the end of a line
                offset += 1
                number += 1
                line, pending, was_too_long, too_long = pending + part, b"", too_long, False
                result = _line(line, was_too_long)
                if result is not None:
                    yield number, start, result
                start = offset
            elif too_long or len(pending) + len(part) > MAX_LINE_BYTES:
                pending, too_long = b"", True  # too long to hold: dropped up to its end, then reported
            else:
                pending += part
    if pending or too_long:
        result = _line(pending, too_long)
        if result is not None:
            yield number + 1, start, result


def _line(line: bytes, too_long: bool) -> str | Invalid | None:
    if too_long or len(line) > MAX_LINE_BYTES:
        return Invalid("(line)", f"longer than {MAX_LINE_BYTES:,} bytes")
    line = line.removesuffix(b"\r")
    if not line.strip():
        return None
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Invalid("(line)", f"not UTF-8: byte {exc.start + 1} of the line ({line[exc.start]:#04x})")


def json_object(line: str | Invalid) -> dict[str, Any]:
    if isinstance(line, Invalid):
        raise line
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise Invalid("(line)", f"not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise Invalid("(line)", "nested too deeply") from None
    if not isinstance(data, dict):
        raise Invalid("(line)", "not a JSON object")
    return data


def _get(thing: Any, name: str) -> Any:
    """A field of a validated resource or of a resource still in its JSON form."""
    return thing.get(name) if isinstance(thing, dict) else getattr(thing, name, None)


def _find_identifier(identifiers: Any, systems: tuple[str, ...] = (),
                     types: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset()) -> str | None:
    """The value of the first identifier of one of `systems` or of one of the `types` (system, code)."""
    for identifier in identifiers or []:
        value = _get(identifier, "value")
        if not value:
            continue
        codings = _get(_get(identifier, "type"), "coding") or []
        if _get(identifier, "system") in systems or any((_get(c, "system"), _get(c, "code")) in types
                                                       for c in codings):
            return str(value)
    return None


def _target(reference: Any, extract: Extract, contained: Any = None) -> Any:
    """The resource a reference names: a contained one ('#id') or one of the export ('Type/id')."""
    ref = _get(reference, "reference") or ""
    if ref.startswith("#"):
        return next((r for r in contained or [] if _get(r, "id") == ref[1:]), None)
    return extract.index.get(ref.split("/_history/")[0].removeprefix("urn:uuid:"))


def _member_id(reference: Any, extract: Extract, where: str) -> str:
    """The member a reference names: the member identifier of the Patient it points at, or its own."""
    target = _target(reference, extract)
    found = _find_identifier(_get(target, "identifier"), (MEMBER_ID,), MEMBER_TYPES) if target else None
    found = found or _find_identifier([_get(reference, "identifier")] if reference else [], (MEMBER_ID,),
                                      MEMBER_TYPES)
    if not found:
        raise Invalid(where, "names no member: reference a Patient of the export that has a member identifier "
                             "(type MB), or give that identifier")
    return normal_id(found)


def _member_name(reference: Any, extract: Extract) -> str:
    target = _target(reference, extract)
    name = (_get(target, "name") or [None])[0] if target else None
    if name:
        given = " ".join(_get(name, "given") or [])
        return f"{given} {_get(name, 'family') or ''}".strip()
    return (_get(reference, "display") or "").strip()


def _provider(reference: Any, extract: Extract, where: str, contained: Any = None) -> tuple[str, str | None]:
    """A provider's Provider ID (the portal's own identifier, else its NPI) and Tax ID, from the reference
    and the Organization or Practitioner it points at."""
    target = _target(reference, extract, contained)
    identifiers = [*(_get(target, "identifier") or []), *([_get(reference, "identifier")] if reference else [])]
    provider_id = _find_identifier(identifiers, (PROVIDER_ID,)) or _find_identifier(identifiers, (NPI,))
    if not provider_id:
        raise Invalid(where, f"names no provider: give an NPI ({NPI}) on it or on the resource it references")
    tax_id = _find_identifier(identifiers, (TAX_ID,), TAX_TYPES)
    return normal_id(provider_id), re.sub(r"\D", "", tax_id) if tax_id else None


def _reference_id(reference: Any, system: str, where: str) -> str:
    if reference is None or reference.identifier is None or reference.identifier.system != system \
            or not reference.identifier.value:
        raise Invalid(where, f"needs identifier.system {system} and identifier.value")
    return normal_id(str(reference.identifier.value))


def _profile(patient: Any, content_hash: str, source: str, extract: Extract) -> None:
    found = _find_identifier(patient.identifier, (MEMBER_ID,), MEMBER_TYPES)
    if found is None:
        raise Invalid("identifier", "needs the member identifier (type MB)")
    member_id = normal_id(found)
    name = (patient.name or [None])[0]
    if name is None or not name.family or not name.given:
        raise Invalid("name", "needs a family name and a given name")
    if patient.birthDate is None:
        raise Invalid("birthDate", "is required")
    extract.profiles.append((MemberProfile(member_id, name.given[0], name.family, patient.birthDate),
                             content_hash, source))


def _coding(concept: Any) -> tuple[str | None, str | None]:
    for coding in (concept.coding if concept else None) or []:
        if coding.code:
            return coding.system, coding.code
    return None, None


def _cents(money: Any, where: str) -> int:
    if money is None or money.value is None:
        raise Invalid(where, "needs an amount")
    if money.currency not in (None, "USD"):
        raise Invalid(where, "must be in USD")
    return int((Decimal(str(money.value)) * 100).to_integral_value())


def _coverage(coverage: Any, content_hash: str, source: str, extract: Extract) -> None:
    member_id = _member_id(coverage.beneficiary, extract, "beneficiary")
    if coverage.period is None or coverage.period.start is None:
        raise Invalid("period.start", "is required")
    classes = coverage.class_fhir or []  # FHIR 'class' (a Python keyword)
    plan = next((c for c in classes if _coding(c.type)[1] == "plan"), None)
    group = next((c for c in classes if _coding(c.type)[1] == "group"), None)
    if plan is None:
        raise Invalid("class", "needs a class of type 'plan'")
    benefits = []
    for i, cost in enumerate(coverage.costToBeneficiary or []):
        _, code = _coding(cost.type)
        if code not in _BENEFITS:
            raise Invalid(f"costToBeneficiary.{i}.type", f"{code!r} is not one of {', '.join(_BENEFITS)}")
        used = next((e.valueMoney for e in cost.extension or [] if e.url == AMOUNT_USED), None)
        benefits.append(BenefitAmount(_BENEFITS[code], _cents(cost.valueMoney, f"costToBeneficiary.{i}.valueMoney"),
                                      _cents(used, f"costToBeneficiary.{i}.extension") if used else None))
    pcp = next((e.valueReference for e in coverage.extension or [] if e.url == PRIMARY_CARE_PROVIDER), None)
    start, end = _day(coverage.period.start), _day(coverage.period.end) if coverage.period.end else None
    if end is not None and end < start:
        raise Invalid("period.end", "is before period.start")
    extract.coverages.append((member_id, CoveragePeriod(
        coverage_id=coverage.id or content_hash[:12], status=CoverageStatus(coverage.status), start=start,
        end=end, plan_name=plan.name or plan.value, product=(coverage.type.text if coverage.type else None) or "",
        group_id=group.value if group else None,
        pcp_provider_id=_reference_id(pcp, PROVIDER_ID, "extension(primary-care-provider)") if pcp else None,
        pcp_name=pcp.display if pcp else None, benefits=tuple(benefits)), content_hash, source))


PROVIDER_ACCESS_PURPOSE = "provider-access"  # PDex PDexConsentApiPurposeCS: the Consent is about Provider Access


def _opt_out(consent: Any, content_hash: str, source: str, extract: Extract) -> None:
    """A member's choice about the Provider Access API (PDex provider-sharing Consent): `provision.type`
    deny is an opt-out, permit an opt-in; an inactive Consent no longer denies. Other Consents are skipped."""
    purposes = {coding.code for concept in consent.category or [] for coding in concept.coding or []}
    if PROVIDER_ACCESS_PURPOSE not in purposes:
        raise NotRead("Consent (not about Provider Access)")
    if consent.status not in ("active", "inactive"):
        raise Invalid("status", "a Provider Access consent is active or inactive")
    kind = consent.provision.type if consent.provision is not None else None
    if kind not in ("deny", "permit"):
        raise Invalid("provision.type", "is deny (the member opts out) or permit")
    extract.opt_outs.append((_member_id(consent.patient, extract, "patient"),
                             consent.status == "active" and kind == "deny", content_hash, source))


def _day(value: Any) -> date:
    return value if isinstance(value, date) and not hasattr(value, "hour") else date.fromisoformat(str(value)[:10])


def _reasons(adjudications: Any, where: str) -> list[str]:
    found = []
    for i, adjudication in enumerate(adjudications or []):
        for coding in (adjudication.reason.coding if adjudication.reason else None) or []:
            kind = reason_codes.kind_of_system(coding.system or "")
            if kind is None:
                raise Invalid(f"{where}.{i}.reason", f"code system {coding.system!r} is neither CARC nor RARC")
            found.append(f"{kind}:{coding.code}")
    return found


def _amounts(adjudications: Any, where: str) -> dict[str, int]:
    """Billed, allowed, paid and member amounts from adjudication (or total) categories; the member's
    part is the stated member liability, else the sum of copay, deductible, coinsurance and non-covered."""
    amounts = {"billed": 0, "allowed": 0, "paid": 0, "patient": 0}
    shares, liability = 0, False
    for i, adjudication in enumerate(adjudications or []):
        _, category = _coding(adjudication.category)
        if adjudication.amount is None:
            continue
        if category in _AMOUNTS:
            amounts[_AMOUNTS[category]] = _cents(adjudication.amount, f"{where}.{i}.amount")
            liability = liability or category == "memberliability"
        elif category in _MEMBER_SHARES:
            shares += _cents(adjudication.amount, f"{where}.{i}.amount")
    if not liability:
        amounts["patient"] = shares
    return amounts


def _procedure(concept: Any, where: str, *, revenue: bool = False) -> str:
    system, code = _coding(concept)
    if revenue and system not in (CPT, *HCPCS):
        return ""  # an institutional line billed by its revenue code alone
    if known := procedure_code(system, code):
        return known
    raise Invalid(where, f"{code!r} is not a CPT or HCPCS code of system {CPT} or {HCPCS[0]}")


def _claim(eob: Any, content_hash: str, source: str, extract: Extract) -> None:
    if eob.use == "preauthorization":
        raise NotRead(_PREAUTHORIZATION)  # a prior authorization's record, never a claim
    claim_id = _find_identifier(eob.identifier, (CLAIM_NUMBER,), CLAIM_TYPES)
    if claim_id is None:
        raise Invalid("identifier", "needs the claim's unique identifier (type uc)")
    member_id = _member_id(eob.patient, extract, "patient")
    billing, tax_id = _provider(eob.provider, extract, "provider", eob.contained)
    rendering = None
    for i, member in enumerate(eob.careTeam or []):
        if _coding(member.role)[1] in ("rendering", "performing"):
            rendering = _provider(member.provider, extract, f"careTeam.{i}.provider", eob.contained)[0]
    if eob.billablePeriod is None or eob.billablePeriod.start is None:
        raise Invalid("billablePeriod.start", "is required")
    received = next((info.timingDate for info in eob.supportingInfo or []
                     if _coding(info.category)[1] == "clmrecvddate" and info.timingDate), None)
    lines = []
    for i, item in enumerate(eob.item or []):
        where = f"item.{i}"
        amounts = _amounts(item.adjudication, f"{where}.adjudication")
        served = item.servicedDate or (item.servicedPeriod.start if item.servicedPeriod else None) \
            or eob.billablePeriod.start
        lines.append(ClaimLineView(
            sequence=int(item.sequence), procedure_code=_procedure(item.productOrService, f"{where}.productOrService",
                                                                 revenue=item.revenue is not None),
            modifiers=tuple(_coding(m)[1] or "" for m in item.modifier or []), service_date=_day(served),
            units=int(item.quantity.value) if item.quantity and item.quantity.value else 1,
            billed_cents=amounts["billed"], allowed_cents=amounts["allowed"], paid_cents=amounts["paid"],
            patient_cents=amounts["patient"], reason_codes=tuple(_reasons(item.adjudication, f"{where}.adjudication"))))
    if not lines and not eob.total:
        raise Invalid("item", "a claim needs at least one line, or its totals")
    # The header's totals are the payer's own figures; without them, the lines add up.
    totals = _amounts(eob.total, "total") if eob.total else {
        name: sum(getattr(line, f"{name}_cents") for line in lines)
        for name in ("billed", "allowed", "paid", "patient")}
    extract.claims.append((Claim(
        claim_id=normal_id(claim_id), member_id=member_id, member_name=_member_name(eob.patient, extract),
        billing_provider_id=billing, billing_tax_id=tax_id or "", rendering_provider_id=rendering,
        service_from=_day(eob.billablePeriod.start),
        service_to=_day(eob.billablePeriod.end or eob.billablePeriod.start),
        received_on=_day(received or eob.created), status=_claim_status(eob, totals["paid"]),
        billed_cents=totals["billed"], allowed_cents=totals["allowed"], paid_cents=totals["paid"],
        patient_cents=totals["patient"], reason_codes=tuple(_reasons(eob.adjudication, "adjudication")),
        lines=tuple(lines), payment=_payment(eob)),
        content_hash, source))


def _claim_status(eob: Any, paid_cents: int) -> ClaimStatus:
    """The portal's extension where given, else the EOB's outcome: queued → received, partial → pended,
    complete → paid (or denied when nothing was paid)."""
    code = next((e.valueCode for e in eob.extension or [] if e.url == CLAIM_STATUS), None)
    if code is not None:
        try:
            return ClaimStatus(code)
        except ValueError:
            raise Invalid(f"extension({CLAIM_STATUS})", f"{code!r} is not one of "
                          f"{', '.join(s.value for s in ClaimStatus)}") from None
    if eob.outcome == "queued":
        return ClaimStatus.RECEIVED
    if eob.outcome == "partial":
        return ClaimStatus.PENDED
    if eob.outcome == "error":
        return ClaimStatus.DENIED
    return ClaimStatus.PAID if paid_cents > 0 else ClaimStatus.DENIED


def _payment(eob: Any) -> PaymentView | None:
    """The payment, where the payer names it by a check number or EFT trace number."""
    payment = eob.payment
    if payment is None or payment.amount is None or payment.date is None or payment.identifier is None:
        return None
    method = {CHECK_NUMBER: "check", EFT_TRACE: "eft"}.get(payment.identifier.system or "")
    if method is None or not payment.identifier.value:
        return None
    return PaymentView(method, payment.identifier.value, _day(payment.date), _cents(payment.amount, "payment.amount"))


def _instant(value: Any, where: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise Invalid(where, "needs a date and time with its time zone")
    return value


def _diagnoses(claim: Any) -> tuple[str, ...]:
    codes = []
    for i, diagnosis in enumerate(claim.diagnosis or []):
        system, code = _coding(diagnosis.diagnosisCodeableConcept)
        if system != ICD10CM or not code or not _ICD10CM.match(code.upper()):
            raise Invalid(f"diagnosis.{i}.diagnosisCodeableConcept", f"{code!r} is not an ICD-10-CM code of system "
                                                                      f"{ICD10CM}")
        codes.append(icd10cm_dotted(code.upper()))
    if not codes:
        raise Invalid("diagnosis", "a request needs at least one diagnosis")
    return tuple(codes)


def _pa_request(claim: Any, content_hash: str, source: str, extract: Extract) -> None:
    if claim.use != "preauthorization":
        raise Invalid("use", "only prior-authorization requests (use = preauthorization) are imported as Claims")
    number, payer_number = _request_number(claim.identifier, "identifier")
    member_id = _member_id(claim.patient, extract, "patient")
    member_name = _member_name(claim.patient, extract)
    if not member_name:
        raise Invalid("patient.display", "needs the member's name (or a Patient of the export)")
    requesting = _provider(claim.provider, extract, "provider", claim.contained)[0]
    servicing = requesting
    for i, member in enumerate(claim.careTeam or []):
        if _coding(member.role)[1] in ("performing", "primary"):
            servicing = _provider(member.provider, extract, f"careTeam.{i}.provider", claim.contained)[0]
    priority = _coding(claim.priority)
    if priority[0] != PRIORITY or priority[1] not in _URGENCY:
        raise Invalid("priority", f"needs a code of {PRIORITY}: {', '.join(_URGENCY)}")
    urgency = _URGENCY[str(priority[1])]
    submitted = _instant(claim.created, "created")
    lines, first, last = [], None, None
    items = claim.item or []
    if not items or len(items) > MAX_SERVICE_LINES:
        raise Invalid("item", f"a request has 1 to {MAX_SERVICE_LINES} service lines")
    for i, item in enumerate(items):
        where = f"item.{i}"
        if item.servicedPeriod is not None and item.servicedPeriod.start is not None:
            start = _day(item.servicedPeriod.start)
            end = _day(item.servicedPeriod.end) if item.servicedPeriod.end else start
        elif item.servicedDate is not None:
            start = end = _day(item.servicedDate)
        else:
            raise Invalid(f"{where}.servicedPeriod", "is required (or servicedDate)")
        if end < start:
            raise Invalid(f"{where}.servicedPeriod.end", "is before its start")
        units = item.quantity.value if item.quantity is not None else None
        if units is None or units != int(units) or not 1 <= int(units) <= 999:
            raise Invalid(f"{where}.quantity", "needs a whole number of units from 1 to 999")
        if int(item.sequence) != i + 1:
            raise Invalid(f"{where}.sequence", f"items are numbered 1, 2, ... in order (expected {i + 1})")
        lines.append(ServiceRequest(_procedure(item.productOrService, f"{where}.productOrService"), int(units)))
        first = start if first is None or start < first else first
        last = end if last is None or end > last else last
    assert first is not None and last is not None, "at least one item"
    cancelled = None
    if claim.status == "cancelled":
        cancelled = _instant(claim.meta.lastUpdated, "meta.lastUpdated") if claim.meta and claim.meta.lastUpdated \
            else submitted
    elif claim.status != "active":
        raise Invalid("status", "a request is active or cancelled (withdrawn)")
    authorization = Authorization(
        authorization_id=number, member_id=member_id, member_name=member_name, requesting_provider_id=requesting,
        servicing_provider_id=servicing, service_lines=tuple(lines), diagnosis_codes=_diagnoses(claim),
        service_from=first, service_to=last, urgency=urgency, clinical_notes=None, submitted_at=submitted,
        submitted_by=IMPORTED, due_at=submitted + DECISION_TIME[urgency], payer_number=payer_number,
        history=(Event(submitted, "submitted", "provider"),))
    if number in extract._requests:
        raise Invalid("identifier", f"authorization number {number} is also on line {extract._requests[number][0]}")
    extract._requests[number] = (extract.at_line, _Request(authorization, cancelled, source))


def _is_portal_number(value: str) -> bool:
    return bool(_AUTHORIZATION_NUMBER.match(normal_id(value)))


def _request_number(identifiers: Any, where: str) -> tuple[str, str | None]:
    """The portal's number of a request, and the plan's own where it has one: a `PA-` number (the portal's
    system) as it is; any other identifier (a PAS trace number, the core system's) names the request by a
    portal number derived from it, so its ClaimResponse, in this file or a later one, finds it."""
    for identifier in identifiers or []:
        value = (identifier.value or "").strip()
        if not value:
            continue
        if identifier.system == AUTHORIZATION_NUMBER or _is_portal_number(value):
            if not _is_portal_number(value):
                raise Invalid(where, "an authorization number is PA- and 10 letters or digits")
            return normal_id(value), None
        digest = hashlib.sha256(f"{identifier.system or ''}|{value}".encode()).digest()
        return "PA-" + "".join(_CROCKFORD[b % 32] for b in digest[:10]), value
    raise Invalid(where, "needs an identifier (the request's number)")


def answered_request(resource: dict[str, Any]) -> str | None:
    """The request number a ClaimResponse (as JSON) answers, None when it names none it could."""
    identifier = (resource.get("request") or {}).get("identifier")
    if not isinstance(identifier, dict):
        return None
    try:
        return _request_number([SimpleNamespace(system=identifier.get("system"), value=str(
            identifier.get("value") or ""))], "request")[0]
    except Invalid:
        return None


def _review_number(adjudication: Any) -> str | None:
    """The plan's number for an item's decision: the `number` of a PAS review action."""
    for extension in adjudication.extension or []:
        number = _part(extension, "number") if extension.url in REVIEW_ACTIONS_URLS else None
        if number is not None and number.valueString:
            return str(number.valueString).strip()
    return None


def _part(extension: Any, name: str) -> Any:
    """A sub-extension by its name: PAS writes some by name alone, some by full canonical url."""
    return next((sub for sub in extension.extension or []
                 if sub.url == name or (sub.url or "").endswith(f"-{name}")), None)


def _review_action(adjudication: Any) -> str | None:
    """The X12 306 review action of an adjudication: PAS nests it (`reviewActionCode` beside `number` and
    `reasonCode`, the sub-extension's url short or the full canonical); older extracts give it flat."""
    for extension in adjudication.extension or []:
        if extension.url not in REVIEW_ACTIONS_URLS:
            continue
        code_part = _part(extension, "reviewActionCode")
        concept = extension.valueCodeableConcept or (code_part.valueCodeableConcept if code_part else None)
        system, code = _coding(concept)
        if system == X12_REVIEW_ACTION and code in _REVIEW_ACTIONS:
            return str(code)
        raise Invalid("extension", f"a review action is one of {', '.join(_REVIEW_ACTIONS)} of system "
                                   f"{X12_REVIEW_ACTION}")
    return None


def _pa_response(response: Any, content_hash: str, source: str, extract: Extract) -> None:
    if response.use != "preauthorization":
        raise Invalid("use", "only prior-authorization responses (use = preauthorization) are imported")
    if response.request is None or response.request.identifier is None:
        raise Invalid("request", "needs the identifier of the request (the Claim) it answers")
    number, _ = _request_number([response.request.identifier], "request")
    pre_auth_ref = (response.preAuthRef or "").strip() or None
    if pre_auth_ref is not None and _is_portal_number(pre_auth_ref) and normal_id(pre_auth_ref) != number:
        raise Invalid("preAuthRef", "differs from the authorization number of the request it answers")
    if response.outcome == "error":
        raise NotRead("ClaimResponse (outcome = error)")  # the payer could not process it: no decision
    decisions: dict[int, tuple[str, int | None]] = {}
    for i, item in enumerate(response.item or []):
        for j, adjudication in enumerate(item.adjudication or []):
            try:
                action = _review_action(adjudication)
            except Invalid as problem:
                raise Invalid(f"item.{i}.adjudication.{j}.{problem.field}", problem.reason) from None
            if action is None:
                continue
            value = adjudication.value
            if value is not None and (value != int(value) or value < 0):
                raise Invalid(f"item.{i}.adjudication.{j}.value", "approved units are a whole number")
            if int(item.itemSequence) in decisions:
                raise Invalid(f"item.{i}", f"item {item.itemSequence} has more than one review action")
            decisions[int(item.itemSequence)] = (action, int(value) if value is not None else None)
    disposition = (response.disposition or "").strip() or None
    if number in extract._responses:
        raise Invalid("request", f"the response to {number} is also on line {extract._responses[number][0]}")
    # The plan's own number for its decision: PAS gives it in the review action (`number`), else preAuthRef.
    payer_number = next((n for item in response.item or [] for a in item.adjudication or []
                         if (n := _review_number(a))), None) or (
        pre_auth_ref if pre_auth_ref and not _is_portal_number(pre_auth_ref) else None)
    extract._responses[number] = (extract.at_line, _Response(str(response.outcome),
                                                             _instant(response.created, "created"), disposition,
                                                             decisions, payer_number))


def pair_authorizations(extract: Extract, file: str = "") -> None:
    """Join each request with its response; a response without its request, or a decision that does not fit
    the request's items, is a problem on the response's line."""
    for number, (line, response) in extract._responses.items():
        if number not in extract._requests:  # decided against the request on file, if there is one
            extract.later_responses.append((number, line, response))
    for number, (line, request) in extract._requests.items():
        answer = extract._responses.get(number)
        try:
            decided = _decided(request, answer[1] if answer else None)
        except Invalid as problem:
            extract.problems.append(Problem(answer[0] if answer else line, problem.field, problem.reason, file))
            continue
        extract.authorizations.append((decided, line, request.source))


def decided_on_file(stored: Authorization, response: _Response) -> Authorization:
    """What a response in a later extract makes of a request on file (Invalid when it does not fit)."""
    return _decided(_Request(stored, None, ""), response)


def _decided(request: _Request, response: _Response | None) -> Authorization:
    a = request.authorization
    if request.cancelled_at is not None:
        return replace(a, status=AuthorizationStatus.WITHDRAWN,
                       history=(*a.history, Event(request.cancelled_at, "withdrawn", "provider")))
    if response is None or (response.outcome == "queued" and not response.decisions):
        return a
    if response.created < a.submitted_at:
        raise Invalid("created", "the response is older than the request")
    sequences = set(range(1, len(a.service_lines) + 1))
    if not set(response.decisions) <= sequences:
        raise Invalid("item", f"names items the request does not have (it has {len(sequences)})")
    actions = {code for code, _ in response.decisions.values()}
    if response.outcome == "queued" or actions == {PENDED}:  # PAS 2.2 pends with outcome `complete` and A4
        if actions != {PENDED} or set(response.decisions) != sequences:
            raise Invalid("outcome", "a pended response pends every item (A4) or decides none")
        # A4 (pended): the plan has the request and is reviewing it; still waiting for its decision.
        return replace(a, history=(*a.history, Event(response.created, PENDED_EVENT, "plan", response.disposition)))
    if set(response.decisions) != sequences or PENDED in actions:
        raise Invalid("item", "a complete response decides every item (A1, A2 or A3)")
    units = []
    for sequence, line in enumerate(a.service_lines, start=1):
        code, given = response.decisions[sequence]
        if code == PARTLY_CERTIFIED and (given is None or not 0 < given < line.units):
            raise Invalid("item", f"item {sequence} is partly certified (A2): its adjudication value gives the "
                                  f"approved units, more than 0 and fewer than the {line.units} asked")
        units.append({CERTIFIED: line.units, NOT_CERTIFIED: 0}.get(code, given))
    status = (AuthorizationStatus.APPROVED if actions == {CERTIFIED} else
              AuthorizationStatus.DENIED if actions == {NOT_CERTIFIED} else AuthorizationStatus.PARTIALLY_APPROVED)
    if status != AuthorizationStatus.APPROVED and response.disposition is None:
        raise Invalid("disposition", "a denial or partial approval needs its specific reason")
    lines = a.service_lines if status == AuthorizationStatus.DENIED else tuple(
        ServiceRequest(line.code, line.units, given) for line, given in zip(a.service_lines, units, strict=True))
    return replace(a, status=status, service_lines=lines, decision_reason=response.disposition,
                   decided_at=response.created, decided_by=IMPORTED,
                   payer_number=response.payer_number or a.payer_number,
                   history=(*a.history, Event(response.created, status.value, "plan", response.disposition)))
