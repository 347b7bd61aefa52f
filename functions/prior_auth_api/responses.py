"""A prior-authorization request as Da Vinci PAS 2.2.1 answers it: a response Bundle with the
ClaimResponse first, then the Patient, the insurer and the requestor it references. Pure.

Each item carries its X12 306 review action in `adjudication.extension(reviewAction)`:
- pending, or waiting for information the plan asked for → A4 (pended); the plan's question is the
  `disposition`;
- approved → A1 (certified in total), partially approved → per item A1, A2 (fewer units: the approved
  units in the adjudication's `value` and the `authorizedItemDetail` quantity) or A3, denied → A3 (not
  certified), the plan's specific reason as the review action's `reasonCode` text and the `disposition`;
- `number` is the authorization number the provider quotes: the plan's own where its systems gave one,
  else the portal's. `outcome` is `complete` (PAS 2.2 allows complete, partial and error only; a pended
  answer is complete with A4).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from functions.shared.core.code_systems import (
    AUTHORIZATION_NUMBER,
    CPT,
    PAS,
    PROVIDER_ID,
    REVIEW_ACTION,
    REVIEW_ACTION_CODE,
    X12_REVIEW_ACTION,
)
from functions.shared.services import fhir_views
from functions.shared.store.authorizations import Authorization, AuthorizationStatus
from functions.shared.store.members import Member

CLAIM_RESPONSE_PROFILE = PAS + "profile-claimresponse"
INQUIRY_RESPONSE_PROFILE = PAS + "profile-claiminquiryresponse"
RESPONSE_BUNDLE_PROFILE = PAS + "profile-pas-response-bundle"
INQUIRY_BUNDLE_PROFILE = PAS + "profile-pas-inquiry-response-bundle"
PROFESSIONAL = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]}
_NAMESPACE = uuid.UUID("6f1c3d52-3f0e-4f53-9a57-2b8f0c6a9d41")
_OPEN = (AuthorizationStatus.PENDING, AuthorizationStatus.MORE_INFO_REQUESTED)
_SUBMITTED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/adjudication", "code": "submitted"}]}


def _urn(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '|'.join(parts))}"


def authorization_number(a: Authorization) -> str:
    return a.payer_number or a.authorization_id


def _action(a: Authorization, units: int, approved: int | None) -> tuple[str, int | None] | None:
    """The item's X12 306 code and, for A2, its approved units."""
    if a.status in _OPEN:
        return "A4", None
    if a.status == AuthorizationStatus.APPROVED:
        return "A1", None
    if a.status == AuthorizationStatus.DENIED:
        return "A3", None
    if a.status == AuthorizationStatus.PARTIALLY_APPROVED:
        given = units if approved is None else approved
        return ("A1", None) if given >= units else ("A3", None) if given == 0 else ("A2", given)
    return None  # withdrawn: no review action


def _plan_note(a: Authorization) -> str | None:
    """What the plan last wrote: its reason, or the information it asked for."""
    if a.status == AuthorizationStatus.WITHDRAWN:
        return "Withdrawn by the provider."
    if a.decision_reason:
        return a.decision_reason
    return next((e.note for e in reversed(a.history) if e.by == "plan" and e.note), None)


def claim_response(a: Authorization, refs: dict[str, str], *, inquiry: bool = False,
                   claim_type: dict[str, Any] | None = None, trace_system: str | None = None,
                   request_url: str | None = None, now: datetime) -> dict[str, Any]:
    note = _plan_note(a)
    items = []
    for n, line in enumerate(a.service_lines, start=1):
        adjudication: dict[str, Any] = {"category": _SUBMITTED}
        action = _action(a, line.units, line.approved_units)
        if action is not None:
            code, approved = action
            review: list[dict[str, Any]] = [{"url": REVIEW_ACTION_CODE, "valueCodeableConcept": {
                "coding": [{"system": X12_REVIEW_ACTION, "code": code}]}}]
            if code in ("A1", "A2"):
                review.append({"url": "number", "valueString": authorization_number(a)})
            if code in ("A2", "A3", "A4") and note:
                review.append({"url": "reasonCode", "valueCodeableConcept": {"text": note}})
            adjudication["extension"] = [{"url": REVIEW_ACTION, "extension": review}]
            if approved is not None:
                adjudication["value"] = approved
        item: dict[str, Any] = {"itemSequence": n, "adjudication": [adjudication]}
        if action is not None and action[0] == "A2":
            service = {"coding": [{"system": CPT, "code": line.code}]}
            item["extension"] = [{"url": PAS + "extension-itemAuthorizedDetail", "extension": [
                {"url": "productOrServiceCode", "valueCodeableConcept": service},
                {"url": "quantity", "valueQuantity": {"value": action[1]}}]}]
        items.append(item)
    request: dict[str, Any] = {}
    if request_url:
        request["reference"] = request_url
    if a.trace_number:
        request["identifier"] = {**({"system": trace_system} if trace_system else {}), "value": a.trace_number}
    decided = a.status in (AuthorizationStatus.APPROVED, AuthorizationStatus.PARTIALLY_APPROVED)
    response: dict[str, Any] = {
        "resourceType": "ClaimResponse", "id": a.authorization_id,
        "meta": {"profile": [INQUIRY_RESPONSE_PROFILE if inquiry else CLAIM_RESPONSE_PROFILE]},
        "identifier": [{"system": AUTHORIZATION_NUMBER, "value": a.authorization_id}],
        "status": "active", "type": claim_type or PROFESSIONAL, "use": "preauthorization",
        "patient": {"reference": refs["patient"]},
        "created": fhir_views.instant(a.decided_at or now if a.status not in _OPEN else now),
        "insurer": {"reference": refs["insurer"]}, "requestor": {"reference": refs["requestor"]},
        "outcome": "complete", "item": items,
    }
    if request:
        response["request"] = request
    if note:
        response["disposition"] = note
    if decided:
        response["preAuthRef"] = authorization_number(a)
        response["preAuthPeriod"] = {"start": a.service_from.isoformat(), "end": a.service_to.isoformat()}
    return response


def response_bundle(a: Authorization, member: Member | None, bundle_identifier: dict[str, Any] | None, *,
                    insurer_name: str, inquiry: bool = False, claim_type: dict[str, Any] | None = None,
                    trace_system: str | None = None, request_url: str | None = None,
                    now: datetime) -> dict[str, Any]:
    refs = {"patient": _urn("Patient", a.member_id), "insurer": _urn("Organization", "insurer"),
            "requestor": _urn("Organization", a.requesting_provider_id)}
    patient = fhir_views.patient(member) if member is not None else {
        "resourceType": "Patient", "id": a.member_id,
        "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                             "code": "MB"}]}, "system": "urn:portal:member-id", "value": a.member_id}]}
    entries = [
        (_urn("ClaimResponse", a.authorization_id),
         claim_response(a, refs, inquiry=inquiry, claim_type=claim_type, trace_system=trace_system,
                        request_url=request_url, now=now)),
        (refs["patient"], patient),
        (refs["insurer"], {"resourceType": "Organization", "id": "insurer", "active": True, "name": insurer_name,
                           "type": [{"coding": [{"system": "https://codesystem.x12.org/005010/98", "code": "PR"}]}]}),
        (refs["requestor"], {"resourceType": "Organization", "id": a.requesting_provider_id.lower(),
                             "identifier": [{"system": PROVIDER_ID, "value": a.requesting_provider_id}],
                             "type": [{"coding": [{"system": "https://codesystem.x12.org/005010/98",
                                                   "code": "X3"}]}]}),
    ]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle", "meta": {"profile": [INQUIRY_BUNDLE_PROFILE if inquiry else RESPONSE_BUNDLE_PROFILE]},
        "type": "collection", "timestamp": fhir_views.instant(now),
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }
    if bundle_identifier:
        bundle["identifier"] = bundle_identifier
    return bundle
