"""FHIR R4 Bulk Data NDJSON → the portal's records: Patient, Coverage and ExplanationOfBenefit.

Every line is validated with the `fhir.resources` R4B models (which read R4 JSON), then mapped. Any
problem is reported as (line, field, reason) and the file is rejected whole. The models are imported
here only: this function ships them, the portal's other functions never load them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from functions.shared import reason_codes
from functions.shared.states import BenefitKind, ClaimStatus, CoverageStatus
from functions.shared.store.claims import Claim, ClaimLineView, PaymentView
from functions.shared.store.members import BenefitAmount, CoveragePeriod, MemberProfile

MEMBER_ID = "urn:portal:member-id"
PROVIDER_ID = "urn:portal:provider-id"
TAX_ID = "urn:oid:2.16.840.1.113883.4.4"  # US employer identification number (TIN)
CLAIM_STATUS = "urn:portal:claim-status"
PRIMARY_CARE_PROVIDER = "urn:portal:primary-care-provider"
AMOUNT_USED = "urn:portal:amount-used"
CHECK_NUMBER = "urn:portal:check-number"
EFT_TRACE = "urn:portal:eft-trace-number"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = ("https://bluebutton.cms.gov/resources/codesystem/hcpcs", "urn:oid:2.16.840.1.113883.6.285")
_CPT_CODE = re.compile(r"^\d{4}[0-9FTU]$")
_HCPCS_CODE = re.compile(r"^[A-V]\d{4}$")
_BENEFITS = {"gpvisit": BenefitKind.COPAY_OFFICE, "spvisit": BenefitKind.COPAY_SPECIALIST,
             "urgentcare": BenefitKind.COPAY_URGENT_CARE, "emergency": BenefitKind.COPAY_EMERGENCY,
             "deductible": BenefitKind.DEDUCTIBLE, "maxoutofpocket": BenefitKind.OUT_OF_POCKET}
# CARIN Blue Button adjudication categories → the claim line's amounts
_AMOUNTS = {"submitted": "billed", "eligible": "allowed", "paidtoprovider": "paid", "benefit": "paid",
            "memberliability": "patient"}
MAX_LINE_BYTES = 1_000_000


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


@dataclass
class Extract:
    """Everything a file holds, mapped; `problems` non-empty means nothing of it may be applied."""

    profiles: list[tuple[MemberProfile, str, str]] = field(default_factory=list)  # (record, hash, source)
    coverages: list[tuple[str, CoveragePeriod, str, str]] = field(default_factory=list)  # (member, ...)
    claims: list[tuple[Claim, str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    lines: int = 0


def parse(text: str) -> Extract:
    """Validate and map every line of an NDJSON extract."""
    from fhir.resources.R4B.coverage import Coverage
    from fhir.resources.R4B.explanationofbenefit import ExplanationOfBenefit
    from fhir.resources.R4B.patient import Patient

    readers = {"Patient": (Patient, _profile), "Coverage": (Coverage, _coverage),
               "ExplanationOfBenefit": (ExplanationOfBenefit, _claim)}
    extract = Extract()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        extract.lines += 1
        try:
            if len(raw) > MAX_LINE_BYTES:
                raise Invalid("(line)", f"longer than {MAX_LINE_BYTES} bytes")
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise Invalid("(line)", f"not valid JSON ({exc.msg})") from None
            if not isinstance(data, dict):
                raise Invalid("(line)", "not a JSON object")
            kind = data.get("resourceType")
            if kind not in readers:
                raise Invalid("resourceType", f"{kind!r} is not one of {', '.join(readers)}")
            model, mapper = readers[kind]
            try:
                resource = model.model_validate(data)
            except ValidationError as exc:
                first = exc.errors()[0]
                raise Invalid(".".join(str(p) for p in first["loc"]) or "(resource)", first["msg"]) from None
            content_hash = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
            source = f"{kind}/{data.get('id') or number}"
            mapper(resource, content_hash, source, extract)
        except Invalid as problem:
            extract.problems.append(Problem(number, problem.field, problem.reason))
    return extract


def _identifier(identifiers: Any, system: str, where: str) -> str:
    for identifier in identifiers or []:
        if identifier.system == system and identifier.value:
            return str(identifier.value).strip()
    raise Invalid(where, f"needs an identifier with system {system}")


def _reference_id(reference: Any, system: str, where: str) -> str:
    if reference is None or reference.identifier is None or reference.identifier.system != system \
            or not reference.identifier.value:
        raise Invalid(where, f"needs identifier.system {system} and identifier.value")
    return str(reference.identifier.value).strip()


def _profile(patient: Any, content_hash: str, source: str, extract: Extract) -> None:
    member_id = _identifier(patient.identifier, MEMBER_ID, "identifier")
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
    member_id = _reference_id(coverage.beneficiary, MEMBER_ID, "beneficiary")
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
    amounts = {"billed": 0, "allowed": 0, "paid": 0, "patient": 0}
    for i, adjudication in enumerate(adjudications or []):
        _, category = _coding(adjudication.category)
        if category in _AMOUNTS and adjudication.amount is not None:
            amounts[_AMOUNTS[category]] = _cents(adjudication.amount, f"{where}.{i}.amount")
    return amounts


def _procedure(concept: Any, where: str) -> str:
    system, code = _coding(concept)
    if system == CPT and code and _CPT_CODE.match(code):
        return code
    if system in HCPCS and code and _HCPCS_CODE.match(code):
        return code
    raise Invalid(where, f"{code!r} is not a CPT or HCPCS code of system {CPT} or {HCPCS[0]}")


def _claim(eob: Any, content_hash: str, source: str, extract: Extract) -> None:
    claim_id = _identifier(eob.identifier, "urn:portal:claim-number", "identifier")
    member_id = _reference_id(eob.patient, MEMBER_ID, "patient")
    status_code = next((e.valueCode for e in eob.extension or [] if e.url == CLAIM_STATUS), None)
    try:
        status = ClaimStatus(status_code)
    except ValueError:
        raise Invalid(f"extension({CLAIM_STATUS})", f"{status_code!r} is not one of "
                      f"{', '.join(s.value for s in ClaimStatus)}") from None
    billing = _reference_id(eob.provider, PROVIDER_ID, "provider")
    contained_tax = [_identifier(r.identifier, TAX_ID, f"contained.{r.id}.identifier") for r in eob.contained or []
                     if r.get_resource_type() == "Organization"]
    tax_id = contained_tax[0] if contained_tax else None
    if not tax_id:
        raise Invalid("contained", f"needs the billing Organization with a Tax ID ({TAX_ID})")
    rendering = None
    for i, member in enumerate(eob.careTeam or []):
        if _coding(member.role)[1] in ("rendering", "performing"):
            rendering = _reference_id(member.provider, PROVIDER_ID, f"careTeam.{i}.provider")
    if eob.billablePeriod is None or eob.billablePeriod.start is None:
        raise Invalid("billablePeriod.start", "is required")
    received = next((info.timingDate for info in eob.supportingInfo or []
                     if _coding(info.category)[1] == "clmrecvddate" and info.timingDate), None)
    lines = []
    for i, item in enumerate(eob.item or []):
        where = f"item.{i}"
        amounts = _amounts(item.adjudication, f"{where}.adjudication")
        if item.servicedDate is None:
            raise Invalid(f"{where}.servicedDate", "is required")
        lines.append(ClaimLineView(
            sequence=int(item.sequence), procedure_code=_procedure(item.productOrService, f"{where}.productOrService"),
            modifiers=tuple(_coding(m)[1] or "" for m in item.modifier or []), service_date=_day(item.servicedDate),
            units=int(item.quantity.value) if item.quantity and item.quantity.value else 1,
            billed_cents=amounts["billed"], allowed_cents=amounts["allowed"], paid_cents=amounts["paid"],
            patient_cents=amounts["patient"], reason_codes=tuple(_reasons(item.adjudication, f"{where}.adjudication"))))
    if not lines:
        raise Invalid("item", "a claim needs at least one line")
    payment = None
    if eob.payment is not None and eob.payment.amount is not None:
        method = {CHECK_NUMBER: "check", EFT_TRACE: "eft"}.get(
            eob.payment.identifier.system if eob.payment.identifier else "")
        if method is None or not eob.payment.identifier.value or eob.payment.date is None:
            raise Invalid("payment", f"needs a date, an amount and an identifier of system {CHECK_NUMBER} or "
                                     f"{EFT_TRACE}")
        payment = PaymentView(method, eob.payment.identifier.value, _day(eob.payment.date),
                              _cents(eob.payment.amount, "payment.amount"))
    extract.claims.append((Claim(
        claim_id=claim_id, member_id=member_id, member_name=(eob.patient.display or "").strip(),
        billing_provider_id=billing.upper(), billing_tax_id=re.sub(r"\D", "", tax_id),
        rendering_provider_id=rendering.upper() if rendering else None,
        service_from=_day(eob.billablePeriod.start),
        service_to=_day(eob.billablePeriod.end or eob.billablePeriod.start),
        received_on=_day(received or eob.created), status=status,
        billed_cents=sum(line.billed_cents for line in lines), allowed_cents=sum(line.allowed_cents for line in lines),
        paid_cents=sum(line.paid_cents for line in lines), patient_cents=sum(line.patient_cents for line in lines),
        reason_codes=tuple(_reasons(eob.adjudication, "adjudication")), lines=tuple(lines), payment=payment),
        content_hash, source))
