"""Reading a Da Vinci PAS 2.2.1 request Bundle (`Claim/$submit`) or inquiry Bundle (`Claim/$inquire`) into
what the portal's prior-authorization rules take. Pure: no AWS, no store.

The Bundle is first validated whole with the FHIR R4B models (structure and data types, as a FHIR server
would); the mapping then reads the JSON. Every refusal names the element at fault (a FHIRPath) and why.

How each part of a request is read (README "Prior authorization from a provider's system"):
- The Claim is the first entry, `use` = preauthorization. A reference resolves to an entry by its
  `fullUrl` (`urn:uuid:...` or an absolute URL) or by `Type/id`; each referenced resource is in the Bundle
  once.
- The member: the Patient's `birthDate` and its member ID (an identifier typed v2-0203 `MB`, else the
  focal Coverage's `MB` identifier or `subscriberId`): the same exact identity the portal's pages ask for.
- The requesting provider is the Provider ID the client acts for (its token is bound to it): a Claim
  whose `provider` names another Provider ID (system urn:portal:provider-id) is refused; an NPI there is
  kept as given. The servicing provider is the first care-team member's Provider ID, else NPI, else the
  requesting one.
- Items: CPT or HCPCS codes; `quantity` is optional (no quantity: 1 unit); the service dates are the
  items' `servicedDate`/`servicedPeriod`, else the requested ServiceRequest's occurrence, else the day of
  submission. Diagnoses (ICD-10-CM) are optional, as in PAS.
- Urgency: expedited when `priority` is `stat` or the X12 level of service (UM06) is U (urgent) or 03
  (emergency); standard otherwise.
- Attachments (`supportingInfo` → DocumentReference): PDF, PNG, JPEG and TIFF content is kept as the
  request's files; text/plain content and a QuestionnaireResponse's answers become its clinical notes.
- X12 certification type (UM02) 1 or 2 (appeal, expedited or standard) or N (reconsideration) with the
  `authorizationNumber` extension naming a decided request makes an appeal of it; 3 cancels the request
  it names.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from functions.shared.core.code_systems import (
    ICD10CM,
    NPI,
    PAS,
    PRIORITY,
    PROVIDER_ID,
    V2_0203,
    X12_CERTIFICATION_TYPE,
    X12_LEVEL_OF_SERVICE,
    procedure_code,
)
from functions.shared.core.fhir_http import FhirError
from functions.shared.core.file_types import KINDS, SIGNATURES, clean_file_name
from functions.shared.core.ids import normal_id
from functions.shared.core.schemas import ICD10CM_PATTERN, icd10cm_dotted
from functions.shared.services.prior_auth import Upload
from functions.shared.store.authorizations import AuthorizationUrgency, ServiceRequest

AUTHORIZATION_NUMBER_EXTENSION = PAS + "extension-authorizationNumber"
CERTIFICATION_TYPE_EXTENSION = PAS + "extension-certificationType"
LEVEL_OF_SERVICE_EXTENSION = PAS + "extension-levelOfServiceCode"
MAX_ITEMS = 20
MAX_NOTES = 4000
MAX_FILE_BYTES = 3_000_000
MAX_FILES_BYTES = 4_000_000
_APPEALS = {"1": AuthorizationUrgency.EXPEDITED, "2": AuthorizationUrgency.STANDARD, "N": None}
_CANCEL = "3"
Certification = Literal["initial", "appeal", "cancel"]
_ICD10CM = re.compile(ICD10CM_PATTERN)


@dataclass(frozen=True)
class Party:
    """A provider as a Claim names it: its Provider ID where given, its NPI where given."""

    provider_id: str | None
    npi: str | None

    @property
    def key(self) -> str | None:
        return self.provider_id or self.npi


@dataclass(frozen=True)
class PasRequest:
    bundle_identifier: dict[str, Any]  # echoed on the response Bundle
    bundle_key: str  # the Bundle's identifier, `system|value`: the submission's idempotency key
    digest: str  # SHA-256 of the Bundle as sent, less its timestamp: a retry must be the same Bundle
    trace_system: str | None
    trace_number: str | None  # the Claim's identifier (the submitter's trace number, X12 TRN)
    claim_type: dict[str, Any] | None
    birth_date: date
    member_id: str
    requester: Party
    servicing: Party | None
    service_lines: tuple[ServiceRequest, ...]
    diagnosis_codes: tuple[str, ...]
    service_from: date
    service_to: date
    urgency: AuthorizationUrgency
    clinical_notes: str | None
    uploads: tuple[Upload, ...]
    certification: Certification
    names: str | None  # the authorization number an appeal or a cancellation names
    claim_full_url: str


@dataclass(frozen=True)
class PasInquiry:
    bundle_identifier: dict[str, Any] | None
    birth_date: date
    member_id: str
    requester: Party
    number: str | None  # a specific request: its authorization number or the submitter's trace number
    codes: frozenset[str]  # services asked about (empty: any)
    first_day: date | None
    last_day: date | None


def invalid(expression: str, reason: str) -> FhirError:
    return FhirError(400, "invalid", f"{expression}: {reason}", expression=expression)


def read_request(sent: dict[str, Any], today: date) -> PasRequest:
    bundle = _bundle(sent, "PAS request Bundle")
    body = bundle.body
    claim, url = bundle.claim()
    if claim.get("use") != "preauthorization":
        raise invalid("Claim.use", "a prior-authorization request has use = preauthorization")
    identifier = body.get("identifier") or {}
    if not identifier.get("value"):
        raise invalid("Bundle.identifier", "the Bundle needs its identifier (the submitter's transaction number): "
                                           "it makes a resent Bundle return the same request")
    birth_date, member_id = bundle.member(claim)
    items = claim.get("item") or []
    if not 1 <= len(items) <= MAX_ITEMS:
        raise invalid("Claim.item", f"a request has 1 to {MAX_ITEMS} items")
    lines, first, last = [], None, None
    for i, item in enumerate(items):
        lines.append(_service_line(item, f"Claim.item[{i}]"))
        start, end = _item_dates(item, bundle, f"Claim.item[{i}]")
        if start is not None and end is not None:
            first = start if first is None or start < first else first
            last = end if last is None or end > last else last
    certification, appeal_urgency, names = _certification(claim)
    notes, uploads = bundle.supporting_info(claim)
    trace = (claim.get("identifier") or [{}])[0] if isinstance(claim.get("identifier"), list) else {}
    unstamped = {k: v for k, v in body.items() if k not in ("timestamp", "meta")}
    return PasRequest(
        bundle_identifier=identifier, bundle_key=f"{identifier.get('system') or ''}|{identifier['value']}",
        digest=hashlib.sha256(json.dumps(unstamped, sort_keys=True, separators=(",", ":")).encode()).hexdigest(),
        trace_system=trace.get("system"), trace_number=str(trace["value"]).strip() if trace.get("value") else None,
        claim_type=claim.get("type"), birth_date=birth_date, member_id=member_id,
        requester=bundle.party(claim.get("provider"), "Claim.provider"),
        servicing=_servicing(claim, bundle), service_lines=tuple(lines), diagnosis_codes=_diagnoses(claim),
        service_from=first or today, service_to=last or first or today,
        urgency=appeal_urgency or _urgency(claim), clinical_notes=notes, uploads=uploads,
        certification=certification, names=names, claim_full_url=url)


def read_inquiry(sent: dict[str, Any]) -> PasInquiry:
    bundle = _bundle(sent, "PAS inquiry Bundle")
    body = bundle.body
    claim, _ = bundle.claim()
    birth_date, member_id = bundle.member(claim)
    codes: set[str] = set()
    first: date | None = None
    last: date | None = None
    for i, item in enumerate(claim.get("item") or []):
        system, code = _coding(item.get("productOrService"))
        if code and code != "not-applicable":
            known = procedure_code(system, code)
            if known is None:
                raise invalid(f"Claim.item[{i}].productOrService", f"{code!r} is not a CPT or HCPCS code")
            codes.add(known)
        start, end = _item_dates(item, bundle, f"Claim.item[{i}]")
        if start is not None and end is not None:
            first = start if first is None or start < first else first
            last = end if last is None or end > last else last
    named = _extension_string(claim, AUTHORIZATION_NUMBER_EXTENSION)
    related = [r.get("claim", {}).get("identifier", {}).get("value") for r in claim.get("related") or []
               if isinstance(r, dict)]
    number = named or next((str(v).strip() for v in related if v), None)
    return PasInquiry(bundle_identifier=body.get("identifier"), birth_date=birth_date, member_id=member_id,
                      requester=bundle.party(claim.get("provider"), "Claim.provider"),
                      number=normal_id(number) if number else None, codes=frozenset(codes),
                      first_day=first, last_day=last)


class _Bundle:
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.entries: list[tuple[str, dict[str, Any]]] = []
        by_url: dict[str, dict[str, Any]] = {}
        for i, entry in enumerate(body.get("entry") or []):
            url, resource = entry.get("fullUrl"), entry.get("resource")
            if not url or not isinstance(resource, dict):
                raise invalid(f"Bundle.entry[{i}]", "each entry has a fullUrl and a resource")
            if url in by_url:
                raise invalid(f"Bundle.entry[{i}].fullUrl", f"{url} is in the Bundle twice: send each resource once")
            by_url[url] = resource
            self.entries.append((url, resource))
        self.by_url = by_url

    def claim(self) -> tuple[dict[str, Any], str]:
        if not self.entries or self.entries[0][1].get("resourceType") != "Claim":
            raise invalid("Bundle.entry[0]", "the Claim is the Bundle's first entry")
        url, claim = self.entries[0]
        return claim, url

    def resolve(self, reference: Any, expression: str, kinds: tuple[str, ...]) -> dict[str, Any]:
        """The entry a reference names, by its full URL or by `Type/id`; it must be of one of `kinds`."""
        ref = reference.get("reference") if isinstance(reference, dict) else None
        if not ref:
            raise invalid(expression, f"needs a reference to the {' or '.join(kinds)} in the Bundle")
        target = self.by_url.get(ref)
        if target is None and "/" in ref:
            kind, _, rid = ref.rpartition("/")
            kind = kind.rsplit("/", 1)[-1]
            target = next((r for _, r in self.entries if r.get("resourceType") == kind and r.get("id") == rid), None)
        if target is None:
            raise invalid(expression, f"{ref} is not in the Bundle: include each resource the Claim references")
        if target.get("resourceType") not in kinds:
            raise invalid(expression, f"{ref} is a {target.get('resourceType')}, not a {' or '.join(kinds)}")
        return target

    def member(self, claim: dict[str, Any]) -> tuple[date, str]:
        patient = self.resolve(claim.get("patient"), "Claim.patient", ("Patient",))
        birth = patient.get("birthDate")
        if not isinstance(birth, str) or len(birth) != 10:
            raise invalid("Patient.birthDate", "the member's full date of birth is needed to find the member")
        coverage: dict[str, Any] = {}
        insurance = [i for i in claim.get("insurance") or [] if isinstance(i, dict)]
        focal = next((i for i in insurance if i.get("focal")), insurance[0] if insurance else None)
        if focal is not None:
            coverage = self.resolve(focal.get("coverage"), "Claim.insurance.coverage", ("Coverage",))
        member_id = (_typed_identifier(patient.get("identifier"), "MB")
                     or _typed_identifier(coverage.get("identifier"), "MB")
                     or (str(coverage["subscriberId"]).strip() if coverage.get("subscriberId") else None))
        if not member_id:
            raise invalid("Patient.identifier", "the member ID is needed: an identifier of type MB "
                                                f"({V2_0203}) on the Patient, or the Coverage's subscriberId")
        return date.fromisoformat(birth), normal_id(member_id)

    def party(self, reference: Any, expression: str) -> Party:
        """A provider named by a reference: the Organization, Practitioner or PractitionerRole (through
        its practitioner or organization) and their identifiers, or the reference's own identifier."""
        identifiers = [reference.get("identifier")] if isinstance(reference, dict) and reference.get("identifier") \
            else []
        if isinstance(reference, dict) and reference.get("reference"):
            target = self.resolve(reference, expression, ("Organization", "Practitioner", "PractitionerRole"))
            identifiers += target.get("identifier") or []
            if target.get("resourceType") == "PractitionerRole":
                for part in ("practitioner", "organization"):
                    if isinstance(target.get(part), dict) and target[part].get("reference"):
                        inner = self.resolve(target[part], f"PractitionerRole.{part}",
                                             ("Practitioner", "Organization"))
                        identifiers += inner.get("identifier") or []
        provider_id = _system_value(identifiers, PROVIDER_ID)
        npi = _system_value(identifiers, NPI)
        if provider_id is None and npi is None:
            raise invalid(expression, f"names no provider: give its NPI ({NPI}) or Provider ID ({PROVIDER_ID})")
        return Party(normal_id(provider_id) if provider_id else None, npi)

    def supporting_info(self, claim: dict[str, Any]) -> tuple[str | None, tuple[Upload, ...]]:
        notes: list[str] = []
        uploads: list[Upload] = []
        for i, info in enumerate(claim.get("supportingInfo") or []):
            where = f"Claim.supportingInfo[{i}]"
            if not isinstance(info.get("valueReference"), dict):
                if isinstance(info.get("valueString"), str):
                    notes.append(info["valueString"].strip())
                continue
            target = self.resolve(info["valueReference"], f"{where}.valueReference",
                                  ("DocumentReference", "QuestionnaireResponse"))
            if target["resourceType"] == "QuestionnaireResponse":
                notes.append("\n".join(_answers(target.get("item") or [])))
                continue
            for j, content in enumerate(target.get("content") or []):
                attachment = content.get("attachment") or {}
                kind = str(attachment.get("contentType") or "").split(";", 1)[0].strip().lower()
                data = _decoded(attachment, f"DocumentReference.content[{j}].attachment")
                if kind == "text/plain":
                    try:
                        notes.append(data.decode("utf-8").strip())
                    except UnicodeDecodeError:
                        raise invalid(f"DocumentReference.content[{j}].attachment.data", "text is UTF-8") from None
                elif kind in SIGNATURES:
                    if not data.startswith(SIGNATURES[kind]):
                        raise invalid(f"DocumentReference.content[{j}].attachment.data",
                                      f"the content is not a {KINDS[kind]}, as contentType says")
                    if len(data) > MAX_FILE_BYTES:
                        raise FhirError(413, "too-costly", f"An attachment is larger than {MAX_FILE_BYTES} bytes.",
                                        expression=f"DocumentReference.content[{j}].attachment.data")
                    name = clean_file_name(str(attachment.get("title") or "")[:120], f"attachment-{len(uploads) + 1}")
                    uploads.append(Upload(name, kind, data, hashlib.sha256(data).hexdigest()))
                else:
                    raise FhirError(415, "not-supported", "Attachments are PDF, PNG, JPEG, TIFF or plain text.",
                                    expression=f"DocumentReference.content[{j}].attachment.contentType")
        if sum(len(u.content) for u in uploads) > MAX_FILES_BYTES:
            raise FhirError(413, "too-costly", f"The attachments together are larger than {MAX_FILES_BYTES} bytes.",
                            expression="Claim.supportingInfo")
        unique = {u.sha256: u for u in uploads}  # the same file referenced twice is kept once
        text = "\n\n".join(n for n in notes if n)
        return (text[:MAX_NOTES] or None), tuple(unique.values())


def _bundle(body: dict[str, Any], what: str) -> _Bundle:
    if body.get("resourceType") == "Parameters":  # the operation's one parameter, passed by name
        body = next((p.get("resource") for p in body.get("parameter") or []
                     if isinstance(p, dict) and p.get("name") == "resource"), None) or {}
    if body.get("resourceType") != "Bundle" or body.get("type") != "collection":
        raise invalid("Bundle", f"send a {what}: a Bundle of type collection with the Claim first")
    _validate(body)
    return _Bundle(body)


def _validate(body: dict[str, Any]) -> None:
    """FHIR R4 structure and data types, checked by the R4B models (loaded on first use: no other route
    of the function pays for them)."""
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    try:
        Bundle.model_validate(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = "Bundle" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"]
                                  if p != "__root__")
        raise invalid(path, str(error["msg"])) from None


def _coding(concept: Any) -> tuple[str | None, str | None]:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    first = codings[0] if codings else {}
    return first.get("system"), (str(first["code"]).strip() if first.get("code") else None)


def _system_value(identifiers: list[Any], system: str) -> str | None:
    return next((str(i["value"]).strip() for i in identifiers
                 if isinstance(i, dict) and i.get("system") == system and i.get("value")), None)


def _typed_identifier(identifiers: Any, code: str) -> str | None:
    for identifier in identifiers or []:
        codes = {c.get("code") for c in ((identifier.get("type") or {}).get("coding") or [])}
        if code in codes and str(identifier.get("value") or "").strip():
            return str(identifier["value"]).strip()
    return None


def _extension(resource: dict[str, Any], url: str) -> dict[str, Any] | None:
    return next((e for e in resource.get("extension") or [] if isinstance(e, dict) and e.get("url") == url), None)


def _extension_string(resource: dict[str, Any], url: str) -> str | None:
    found = _extension(resource, url)
    value = found.get("valueString") if found else None
    return str(value).strip() if value else None


def _service_line(item: dict[str, Any], where: str) -> ServiceRequest:
    system, code = _coding(item.get("productOrService"))
    known = procedure_code(system, code)
    if known is None:
        raise invalid(f"{where}.productOrService", f"{code!r} of {system} is not a CPT or HCPCS code: the plan reviews "
                                                   "services by their CPT or HCPCS code")
    quantity = (item.get("quantity") or {}).get("value", 1)
    if not isinstance(quantity, int | float) or quantity != int(quantity) or not 1 <= quantity <= 999:
        raise invalid(f"{where}.quantity", "a whole number of units from 1 to 999")
    return ServiceRequest(known, int(quantity))


def _item_dates(item: dict[str, Any], bundle: _Bundle, where: str) -> tuple[date | None, date | None]:
    period = item.get("servicedPeriod")
    if isinstance(period, dict) and period.get("start"):
        start = _day(period["start"], f"{where}.servicedPeriod.start")
        end = _day(period["end"], f"{where}.servicedPeriod.end") if period.get("end") else start
    elif item.get("servicedDate"):
        start = end = _day(item["servicedDate"], f"{where}.servicedDate")
    else:
        requested = _extension(item, PAS + "extension-requestedService")
        order = requested.get("valueReference") if requested else None
        if not isinstance(order, dict) or not order.get("reference"):
            return None, None
        target = bundle.resolve(order, f"{where}.extension[requestedService]",
                                ("ServiceRequest", "DeviceRequest", "MedicationRequest", "NutritionOrder"))
        occurrence = target.get("occurrencePeriod") or {}
        moment = target.get("occurrenceDateTime") or occurrence.get("start")
        if not moment:
            return None, None
        start = _day(moment, f"{target['resourceType']}.occurrence")
        end = _day(occurrence["end"], f"{target['resourceType']}.occurrencePeriod.end") \
            if occurrence.get("end") else start
    if end < start:
        raise invalid(where, "the service period ends before it starts")
    return start, end


def _day(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise invalid(where, "a date (YYYY-MM-DD)") from None


def _diagnoses(claim: dict[str, Any]) -> tuple[str, ...]:
    codes = []
    for i, diagnosis in enumerate(claim.get("diagnosis") or []):
        system, code = _coding(diagnosis.get("diagnosisCodeableConcept"))
        if system != ICD10CM or not code or not _ICD10CM.match(code.upper()):
            raise invalid(f"Claim.diagnosis[{i}].diagnosisCodeableConcept", f"{code!r} is not an ICD-10-CM code of "
                                                                            f"{ICD10CM}")
        codes.append(icd10cm_dotted(code.upper()))
    return tuple(codes[:12])


def _urgency(claim: dict[str, Any]) -> AuthorizationUrgency:
    priority = _coding(claim.get("priority"))
    level = _extension(claim, LEVEL_OF_SERVICE_EXTENSION)
    level_code = _coding(level.get("valueCodeableConcept")) if level else (None, None)
    if (priority[0] == PRIORITY and priority[1] == "stat") or (
            level_code[0] == X12_LEVEL_OF_SERVICE and level_code[1] in ("U", "03")):
        return AuthorizationUrgency.EXPEDITED
    return AuthorizationUrgency.STANDARD


def _certification(claim: dict[str, Any]) -> tuple[Certification, AuthorizationUrgency | None, str | None]:
    """Initial, an appeal (with its urgency where the code says it) or a cancellation, and the number named."""
    found = _extension(claim, CERTIFICATION_TYPE_EXTENSION) or next(
        (e for item in claim.get("item") or [] if (e := _extension(item, CERTIFICATION_TYPE_EXTENSION))), None)
    system, code = _coding(found.get("valueCodeableConcept")) if found else (None, None)
    if system != X12_CERTIFICATION_TYPE or code not in (*_APPEALS, _CANCEL):
        return "initial", None, None
    names = _extension_string(claim, AUTHORIZATION_NUMBER_EXTENSION)
    if not names:
        raise invalid("Claim.extension[authorizationNumber]", "an appeal or a cancellation names the request it is "
                                                              "about by its authorization number")
    if code == _CANCEL:
        return "cancel", None, normal_id(names)
    return "appeal", _APPEALS[str(code)], normal_id(names)


def _servicing(claim: dict[str, Any], bundle: _Bundle) -> Party | None:
    team = [m for m in claim.get("careTeam") or [] if isinstance(m, dict) and m.get("provider")]
    return bundle.party(team[0]["provider"], "Claim.careTeam[0].provider") if team else None


def _decoded(attachment: dict[str, Any], where: str) -> bytes:
    if not attachment.get("data"):
        raise invalid(f"{where}.data", "send the attachment's content inline (data): the plan does not fetch URLs")
    try:
        return base64.b64decode(str(attachment["data"]), validate=True)
    except (binascii.Error, ValueError):
        raise invalid(f"{where}.data", "is not base64") from None


def _answers(items: list[Any], depth: int = 0) -> list[str]:
    """A QuestionnaireResponse's answers as `question: answer` lines (DTR documentation)."""
    lines: list[str] = []
    for item in items[:200]:
        if not isinstance(item, dict):
            continue
        values = []
        for answer in item.get("answer") or []:
            for key, value in answer.items():
                if key.startswith("value"):
                    values.append(value.get("display") or value.get("code") if isinstance(value, dict)
                                  else ("yes" if value else "no") if isinstance(value, bool) else str(value))
        if values:
            lines.append(f"{item.get('text') or item.get('linkId')}: {', '.join(str(v) for v in values)}")
        if depth < 5:
            lines.extend(_answers(item.get("item") or [], depth + 1))
    return lines
