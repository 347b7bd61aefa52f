"""The portal's records as FHIR R4 resources for providers' systems (Provider Access API): pure mapping,
no store. What CMS-0057-F leaves out of Provider Access is left out here: claims carry no remittance or
cost-sharing amounts (no `total`, `payment` or adjudication amounts), only what was billed for which
service, when, by whom, and how it stands.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from functions.shared.store.authorizations import Authorization, AuthorizationStatus
from functions.shared.store.claims import ClaimStatus, ClaimSummary
from functions.shared.store.members import CoveragePeriod, CoverageStatus, Member

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
MEMBER_ID_SYSTEM = "urn:portal:member-id"  # the plan's member IDs, as the portal shows them
PROVIDER_ID_SYSTEM = "urn:portal:provider-id"
CLAIM_ID_SYSTEM = "urn:portal:claim-number"
AUTHORIZATION_SYSTEM = "urn:portal:authorization-number"
US_CORE_PATIENT = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"
HREX_COVERAGE = "http://hl7.org/fhir/us/davinci-hrex/StructureDefinition/hrex-coverage"
PDEX_PRIOR_AUTHORIZATION = "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-priorauthorization"
PAYER = {"display": "Health Plan"}  # the plan itself (one payer per deployment)
_CLAIM_STATUS = {  # claim status → EOB outcome
    ClaimStatus.RECEIVED: "queued", ClaimStatus.PENDED: "partial", ClaimStatus.PAID: "complete",
    ClaimStatus.DENIED: "complete", ClaimStatus.ADJUSTED: "complete",
}
_REVIEW_ACTION = {AuthorizationStatus.APPROVED: "A1", AuthorizationStatus.PARTIALLY_APPROVED: "A2",
                  AuthorizationStatus.DENIED: "A3", AuthorizationStatus.PENDING: "A4",
                  AuthorizationStatus.MORE_INFO_REQUESTED: "A4"}


def _identifier(system: str, value: str, code: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"system": system, "value": value}
    if code:
        found["type"] = {"coding": [{"system": V2_0203, "code": code}]}
    return found


def coverage_id(member_id: str, period: CoveragePeriod) -> str:
    """A FHIR id ([A-Za-z0-9.-], at most 64) for one coverage period of a member."""
    return re.sub(r"[^a-z0-9.-]", "-", f"{member_id}-{period.coverage_id}".lower())[:64]


def patient_reference(member_id: str) -> dict[str, str]:
    return {"reference": f"Patient/{member_id}"}


def patient(member: Member) -> dict[str, Any]:
    p = member.profile
    return {"resourceType": "Patient", "id": p.member_id, "meta": {"profile": [US_CORE_PATIENT]},
            "identifier": [_identifier(MEMBER_ID_SYSTEM, p.member_id, "MB")],
            "name": [{"family": p.last_name, "given": [p.first_name]}], "birthDate": p.birth_date.isoformat(),
            "gender": "unknown"}  # the plan's extracts give no administrative gender to the portal


def coverage(member_id: str, period: CoveragePeriod) -> dict[str, Any]:
    found: dict[str, Any] = {
        "resourceType": "Coverage", "id": coverage_id(member_id, period),
        "meta": {"profile": [HREX_COVERAGE]},
        "identifier": [_identifier(MEMBER_ID_SYSTEM, member_id, "MB")],
        "status": "active" if period.status == CoverageStatus.ACTIVE else "cancelled",
        "subscriberId": member_id, "beneficiary": patient_reference(member_id), "payor": [PAYER],
        "period": {"start": period.start.isoformat(), **({"end": period.end.isoformat()} if period.end else {})},
        "class": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class",
                                        "code": "plan"}]}, "value": period.product, "name": period.plan_name}],
    }
    if period.group_id:
        found["class"].append({"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class",
                                                    "code": "group"}]}, "value": period.group_id})
    return found


def _provider(provider_id: str) -> dict[str, Any]:
    return {"identifier": {"system": PROVIDER_ID_SYSTEM, "value": provider_id}}


def _insurance(member_id: str, member: Member | None, on: date) -> list[dict[str, Any]]:
    covering = next((c for c in (member.coverages if member else ()) if c.covers(on)), None)
    reference = f"Coverage/{coverage_id(member_id, covering)}" if covering else None
    return [{"focal": True, "coverage": {"reference": reference} if reference else
             {"identifier": _identifier(MEMBER_ID_SYSTEM, member_id, "MB")}}]


def claim_eob(claim: ClaimSummary, member: Member | None, created: date) -> dict[str, Any]:
    """A claim as an ExplanationOfBenefit without amounts (CMS-0057-F Provider Access)."""
    eob: dict[str, Any] = {
        "resourceType": "ExplanationOfBenefit", "id": claim.claim_id.lower(),
        "identifier": [_identifier(CLAIM_ID_SYSTEM, claim.claim_id)],
        "status": "active", "use": "claim",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "patient": patient_reference(claim.member_id),
        "billablePeriod": {"start": claim.service_from.isoformat(), "end": claim.service_to.isoformat()},
        "created": created.isoformat(), "insurer": PAYER, "provider": _provider(claim.billing_provider_id),
        "outcome": _CLAIM_STATUS[claim.status], "insurance": _insurance(claim.member_id, member, claim.service_from),
    }
    if claim.rendering_provider_id:
        eob["careTeam"] = [{"sequence": 1, "provider": _provider(claim.rendering_provider_id),
                            "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claimcareteamrole",
                                                 "code": "primary"}]}}]
    return eob


def prior_authorization(a: Authorization, member: Member | None) -> dict[str, Any]:
    """A prior authorization as the PDex Prior Authorization profile (an ExplanationOfBenefit, `use` =
    preauthorization), its decision per item as a review action, amounts left out."""
    outcome = ("queued" if a.status in (AuthorizationStatus.PENDING, AuthorizationStatus.MORE_INFO_REQUESTED)
               else "complete" if a.status != AuthorizationStatus.PARTIALLY_APPROVED else "partial")
    action = _REVIEW_ACTION.get(a.status)
    items = []
    for n, line in enumerate(a.service_lines, start=1):
        item: dict[str, Any] = {
            "sequence": n,
            "productOrService": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": line.code}]},
            "servicedPeriod": {"start": a.service_from.isoformat(), "end": a.service_to.isoformat()},
            "quantity": {"value": line.units}}
        if action is not None:
            adjudication: dict[str, Any] = {
                "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/adjudication",
                                         "code": "submitted"}]},
                "extension": [{"url": "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction",
                               "extension": [{"url": "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
                                                     "extension-reviewActionCode",
                                              "valueCodeableConcept": {"coding": [{
                                                  "system": "https://codesystem.x12.org/005010/306",
                                                  "code": action}]}}]}]}
            if a.status == AuthorizationStatus.PARTIALLY_APPROVED and line.approved_units is not None:
                adjudication["value"] = line.approved_units
            item["adjudication"] = [adjudication]
        items.append(item)
    eob: dict[str, Any] = {
        "resourceType": "ExplanationOfBenefit", "id": a.authorization_id.lower(),
        "meta": {"profile": [PDEX_PRIOR_AUTHORIZATION]},
        "identifier": [_identifier(AUTHORIZATION_SYSTEM, a.authorization_id)],
        "status": "cancelled" if a.status == AuthorizationStatus.WITHDRAWN else "active",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "use": "preauthorization", "patient": patient_reference(a.member_id),
        "created": instant(a.submitted_at), "insurer": PAYER, "provider": _provider(a.requesting_provider_id),
        "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority",
                                 "code": "stat" if a.urgency == "expedited" else "normal"}]},
        "outcome": outcome, "insurance": _insurance(a.member_id, member, a.submitted_at.date()), "item": items,
    }
    if a.payer_number:
        eob["preAuthRef"] = [a.payer_number]
    if a.decision_reason and a.status != AuthorizationStatus.WITHDRAWN:
        eob["disposition"] = a.decision_reason
    return eob


def instant(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
