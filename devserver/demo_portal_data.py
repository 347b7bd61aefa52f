"""Demo portal data for the demo roster, as the plan's core systems would send it: FHIR R4 NDJSON in the
IGs' form (members by their `MB` identifier and Patient references, claims by CARIN's `uc` identifier),
with the plan's own Provider IDs on the providers and the portal's claim-status extension (which the
import reads where it is given).

Generated for the day the devserver starts, so coverage that is "active today" stays active. A fixed
seed keeps it the same run after run. The showcase records (README, "Demo data") come first; the
rest fills lists so that paging and searching have something to do.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from functions.portal_data_import.fhir import (
    AMOUNT_USED,
    AUTHORIZATION_NUMBER,
    CHECK_NUMBER,
    CLAIM_STATUS,
    CPT,
    EFT_TRACE,
    HCPCS,
    ICD10CM,
    PRIMARY_CARE_PROVIDER,
    PRIORITY,
    PROVIDER_ID,
    REVIEW_ACTION,
    TAX_ID,
    X12_REVIEW_ACTION,
)
from functions.shared.core import reason_codes

MEMBER_IDENTIFIER = "https://healthplan.example.org/fhir/member-id"  # the plan's own system; its type says MB
CLAIM_IDENTIFIER = "https://healthplan.example.org/fhir/claim-number"  # typed CARIN uc
MB = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MB"}]}
UC = {"coding": [{"system": "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType", "code": "uc"}]}


def member_identifier(member_id: str) -> dict[str, Any]:
    return {"type": MB, "system": MEMBER_IDENTIFIER, "value": member_id}


def member_reference(m: DemoMember, *, display: bool = True) -> dict[str, Any]:
    """A Patient reference as the IGs write it, with the member identifier too (a file without the Patient
    still names the member)."""
    reference: dict[str, Any] = {"reference": f"Patient/{m.member_id.lower()}",
                                 "identifier": member_identifier(m.member_id)}
    if display:
        reference["display"] = f"{m.first} {m.last}"
    return reference
# Provider ID -> (billing Provider ID, Tax ID, name) of the demo roster (devserver/data/demo-roster.csv)
PROVIDERS = {
    "P2000001": ("G1000001", "12-3456789", "Maria Lopez"),
    "P2000002": ("G1000001", "12-3456789", "James O'Neil"),
    "P2000003": ("G1000002", "98-7654321", "Aisha Khan"),
    "P2000004": ("P2000004", "45-6789012", "Robert Chen"),
}
# (CPT, description-free) office and procedure codes with typical billed and allowed amounts in dollars
PROCEDURES = [("99213", 145, 92), ("99214", 210, 131), ("99203", 180, 110), ("36415", 25, 9), ("81002", 20, 4),
              ("90686", 45, 22), ("71046", 120, 38), ("93000", 75, 17), ("99395", 230, 140), ("87880", 40, 16)]


@dataclass(frozen=True)
class DemoMember:
    member_id: str
    first: str
    last: str
    birth: date
    pcp: str | None


def _money(dollars: float) -> dict[str, Any]:
    return {"value": round(dollars, 2), "currency": "USD"}


def patient(m: DemoMember) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": m.member_id.lower(),
            "identifier": [member_identifier(m.member_id)],
            "name": [{"family": m.last, "given": [m.first]}], "birthDate": m.birth.isoformat()}


def coverage(m: DemoMember, cid: str, start: date, end: date | None, *, plan: str = "Medicaid Managed Care",
             product: str = "Medicaid HMO", deductible: tuple[int, int] = (500, 320),
             oop: tuple[int, int] = (2000, 640)) -> dict[str, Any]:
    period: dict[str, str] = {"start": start.isoformat()}
    if end:
        period["end"] = end.isoformat()

    def cost(code: str, dollars: int, used: int | None = None) -> dict[str, Any]:
        entry: dict[str, Any] = {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                                      "coverage-copay-type", "code": code}]},
                                 "valueMoney": _money(dollars)}
        if used is not None:
            entry["extension"] = [{"url": AMOUNT_USED, "valueMoney": _money(used)}]
        return entry

    resource: dict[str, Any] = {
        "resourceType": "Coverage", "id": cid, "status": "active", "type": {"text": product},
        "subscriberId": m.member_id, "beneficiary": member_reference(m, display=False),
        "payor": [{"display": "Health Plan"}], "period": period,
        "class": [{"type": {"coding": [{"code": "plan"}]}, "value": plan.upper().replace(" ", "-")[:20],
                   "name": plan},
                  {"type": {"coding": [{"code": "group"}]}, "value": "GRP-001"}],
        "costToBeneficiary": [cost("gpvisit", 10), cost("spvisit", 25), cost("urgentcare", 35),
                              cost("emergency", 100), cost("deductible", *deductible), cost("maxoutofpocket", *oop)]}
    if m.pcp:
        resource["extension"] = [{"url": PRIMARY_CARE_PROVIDER, "valueReference": {
            "identifier": {"system": PROVIDER_ID, "value": m.pcp}, "display": PROVIDERS[m.pcp][2]}}]
    return resource


def _reason(code: str) -> dict[str, Any]:
    kind, value = reason_codes.parse(code)
    return {"coding": [{"system": reason_codes.system_of(kind), "code": value}]}


def claim(number: str, m: DemoMember, rendering: str, status: str, service: date, received: date,
          lines: list[tuple[str, int, int, int, int, list[str]]], *, payment: tuple[str, str, date] | None = None,
          claim_reasons: list[str] | None = None) -> dict[str, Any]:
    """lines: (cpt, units, billed $, allowed $, member pays $, reason codes) each."""
    billing, tax_id, name = PROVIDERS[rendering]
    items = []
    for seq, (cpt, units, billed, allowed, member_pays, reasons) in enumerate(lines, start=1):
        paid = max(allowed - member_pays, 0) if status in ("paid", "adjusted") else 0
        adjudication = [{"category": {"coding": [{"code": "submitted"}]}, "amount": _money(billed)}]
        if status != "received":
            adjudication += [{"category": {"coding": [{"code": "eligible"}]}, "amount": _money(allowed)},
                             {"category": {"coding": [{"code": "paidtoprovider"}]}, "amount": _money(paid)},
                             {"category": {"coding": [{"code": "memberliability"}]}, "amount": _money(member_pays)}]
        adjudication += [{"category": {"coding": [{"code": "adjustmentreason"}]}, "reason": _reason(r)}
                         for r in reasons]
        items.append({"sequence": seq, "productOrService": {"coding": [{"system": CPT, "code": cpt}]},
                      "servicedDate": service.isoformat(), "quantity": {"value": units}, "adjudication": adjudication})
    resource: dict[str, Any] = {
        "resourceType": "ExplanationOfBenefit", "id": number.lower(), "status": "active",
        "extension": [{"url": CLAIM_STATUS, "valueCode": status}],
        "identifier": [{"type": UC, "system": CLAIM_IDENTIFIER, "value": number}],
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "use": "claim", "outcome": "queued" if status in ("received", "pended") else "complete",
        "patient": member_reference(m),
        "billablePeriod": {"start": service.isoformat(), "end": service.isoformat()},
        "created": received.isoformat(), "insurer": {"display": "Health Plan"},
        "contained": [{"resourceType": "Organization", "id": "billing", "name": "Billing provider",
                       "identifier": [{"system": PROVIDER_ID, "value": billing},
                                      {"system": TAX_ID, "value": tax_id}]}],
        "provider": {"reference": "#billing", "identifier": {"system": PROVIDER_ID, "value": billing}},
        "careTeam": [{"sequence": 1, "role": {"coding": [{"code": "rendering"}]},
                      "provider": {"identifier": {"system": PROVIDER_ID, "value": rendering}, "display": name}}],
        "supportingInfo": [{"sequence": 1, "category": {"coding": [{"code": "clmrecvddate"}]},
                            "timingDate": received.isoformat()}],
        "insurance": [{"focal": True, "coverage": {"display": "Health Plan"}}],
        "item": items}
    if claim_reasons:
        resource["adjudication"] = [{"category": {"coding": [{"code": "denialreason"}]}, "reason": _reason(r)}
                                    for r in claim_reasons]
    if payment:
        method, ref, paid_on = payment
        total = sum(max(a - p, 0) for _, _, _, a, p, _ in lines)
        resource["payment"] = {"date": paid_on.isoformat(), "amount": _money(total),
                               "identifier": {"system": CHECK_NUMBER if method == "check" else EFT_TRACE,
                                              "value": ref}}
    return resource


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def pa_request(number: str, m: DemoMember, requesting: str, servicing: str, *, expedited: bool,
               submitted: datetime, service: tuple[date, date], lines: list[tuple[str, int]], diagnosis: str,
               withdrawn_at: datetime | None = None) -> dict[str, Any]:
    """A prior-authorization request as a FHIR Claim (use = preauthorization); lines: (CPT/HCPCS, units)."""
    resource: dict[str, Any] = {
        "resourceType": "Claim", "id": number.lower(), "status": "cancelled" if withdrawn_at else "active",
        "identifier": [{"system": AUTHORIZATION_NUMBER, "value": number}],
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "use": "preauthorization",
        "patient": member_reference(m),
        "created": _instant(submitted), "insurer": {"display": "Health Plan"},
        "provider": {"identifier": {"system": PROVIDER_ID, "value": requesting}},
        "priority": {"coding": [{"system": PRIORITY, "code": "stat" if expedited else "normal"}]},
        "careTeam": [{"sequence": 1, "role": {"coding": [{"code": "performing"}]},
                      "provider": {"identifier": {"system": PROVIDER_ID, "value": servicing}}}],
        "diagnosis": [{"sequence": 1, "diagnosisCodeableConcept": {"coding": [{"system": ICD10CM,
                                                                               "code": diagnosis}]}}],
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "Health Plan"}}],
        "item": [{"sequence": n, "productOrService": {"coding": [{"system": CPT if code[0].isdigit() else HCPCS[0],
                                                                  "code": code}]},
                  "servicedPeriod": {"start": service[0].isoformat(), "end": service[1].isoformat()},
                  "quantity": {"value": units}} for n, (code, units) in enumerate(lines, start=1)]}
    if withdrawn_at:
        resource["meta"] = {"lastUpdated": _instant(withdrawn_at)}
    return resource


def pa_response(number: str, m: DemoMember, requesting: str, created: datetime,
                decisions: list[tuple[str, int | None]], disposition: str | None) -> dict[str, Any]:
    """The plan's answer as a FHIR ClaimResponse; decisions: (X12 306 review action, units given) per item."""
    outcome = "queued" if all(code == "A4" for code, _ in decisions) else "complete"
    resource: dict[str, Any] = {
        "resourceType": "ClaimResponse", "id": f"{number.lower()}-response", "status": "active",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "use": "preauthorization", "outcome": outcome, "created": _instant(created),
        "patient": member_reference(m, display=False),
        "insurer": {"display": "Health Plan"},
        "requestor": {"identifier": {"system": PROVIDER_ID, "value": requesting}},
        "request": {"identifier": {"system": AUTHORIZATION_NUMBER, "value": number}},
        "item": [{"itemSequence": n, "adjudication": [{
            "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/adjudication",
                                     "code": "submitted"}]},
            "extension": [{"url": REVIEW_ACTION, "valueCodeableConcept": {"coding": [{"system": X12_REVIEW_ACTION,
                                                                                      "code": code}]}}],
            **({"value": units} if units is not None else {})}]} for n, (code, units) in enumerate(decisions, start=1)]}
    if outcome == "complete":
        resource["preAuthRef"] = number
    if disposition:
        resource["disposition"] = disposition
    return resource


def authorizations(today: date, jane: DemoMember) -> list[dict[str, Any]]:
    """Requests of G1000001 in every status and on both clocks, stamped from noon of `today` (UTC), so a
    file generated twice on one day is the same file."""
    noon = datetime.combine(today, time(12), UTC)
    service = (today + timedelta(days=7), today + timedelta(days=60))
    out: list[dict[str, Any]] = []

    def request(n: int, hours_ago: int, lines: list[tuple[str, int]], diagnosis: str, *, expedited: bool = False,
                answer: tuple[int, list[tuple[str, int | None]], str | None] | None = None,
                withdrawn_after: int | None = None) -> None:
        number, submitted = f"PA-DEMO00000{n}", noon - timedelta(hours=hours_ago)
        out.append(pa_request(number, jane, "G1000001", "P2000001", expedited=expedited, submitted=submitted,
                              service=service, lines=lines, diagnosis=diagnosis,
                              withdrawn_at=submitted + timedelta(hours=withdrawn_after) if withdrawn_after else None))
        if answer:
            after, decisions, disposition = answer
            out.append(pa_response(number, jane, "G1000001", submitted + timedelta(hours=after), decisions,
                                   disposition))

    request(1, 20, [("73721", 1)], "M25.561")  # waiting, standard clock (7 days)
    request(2, 100, [("27447", 1)], "M17.11", expedited=True)  # waiting, past its 72-hour clock
    request(3, 50, [("E0601", 1)], "G47.33", answer=(30, [("A4", None)], "Send the sleep study report."))
    request(4, 200, [("97110", 12)], "M54.50", answer=(30, [("A1", None)], "Meets the criteria for 12 visits."))
    request(5, 120, [("70553", 1)], "R51.9", expedited=True,
            answer=(30, [("A3", None)], "Not medically necessary: no neurological findings documented."))
    request(6, 160, [("97161", 1), ("97110", 24)], "M75.41",
            answer=(40, [("A1", None), ("A2", 12)], "12 of 24 visits approved: send progress notes for more."))
    request(7, 90, [("72148", 1)], "M54.16", withdrawn_after=6)
    return out


SHOWCASE = [
    DemoMember("M100001", "Jane", "Doe", date(1984, 3, 12), "P2000001"),
    DemoMember("M100002", "Carlos", "Rivera", date(1975, 7, 4), "P2000002"),
    DemoMember("M100003", "Emily", "Chen", date(2019, 11, 20), "P2000001"),
    DemoMember("M100004", "Samuel", "Okafor", date(1990, 1, 30), "P2000003"),
    DemoMember("M100005", "Grace", "Kim", date(1962, 5, 18), "P2000004"),
]
FIRST = ["Olivia", "Noah", "Ava", "Elijah", "Sophia", "Lucas", "Mia", "Mateo", "Isabella", "Levi", "Harper", "Ezra"]
LAST = ["Nguyen", "Patel", "Johnson", "Garcia", "Brown", "Davis", "Wilson", "Martinez", "Anderson", "Thomas"]


def resources(today: date) -> list[dict[str, Any]]:
    year_start = date(today.year, 1, 1)
    jane, carlos, emily, samuel, grace = SHOWCASE
    ended = today.replace(day=1) - timedelta(days=1)  # last day of the previous month
    next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    out: list[dict[str, Any]] = [patient(m) for m in SHOWCASE]
    out += [coverage(jane, "cov-m100001", year_start, None),
            coverage(carlos, "cov-m100002", year_start - timedelta(days=365), ended),
            coverage(emily, "cov-m100003", next_month, None, deductible=(0, 0), oop=(0, 0)),
            coverage(samuel, "cov-m100004", year_start, None, plan="PASSE", product="PASSE",
                     deductible=(0, 0), oop=(1000, 45)),
            coverage(grace, "cov-m100005", year_start, None, plan="Marketplace Silver", product="Marketplace",
                     deductible=(3000, 3000), oop=(8000, 3410))]
    d = today
    out += [
        claim("C26000101", jane, "P2000001", "paid", d - timedelta(days=40), d - timedelta(days=38),
              [("99214", 1, 210, 131, 10, ["CARC:45", "CARC:3"]), ("36415", 1, 25, 9, 0, ["CARC:45"])],
              payment=("eft", "EFT-7731042", d - timedelta(days=24))),
        claim("C26000102", jane, "P2000002", "denied", d - timedelta(days=30), d - timedelta(days=28),
              [("71046", 1, 120, 0, 0, ["CARC:197", "RARC:N54"])], claim_reasons=["CARC:197"]),
        claim("C26000103", jane, "P2000001", "pended", d - timedelta(days=12), d - timedelta(days=10),
              [("99203", 1, 180, 0, 0, ["CARC:252", "RARC:M76"])]),
        claim("C26000104", jane, "P2000001", "received", d - timedelta(days=3), d - timedelta(days=1),
              [("99213", 1, 145, 0, 0, [])]),
        claim("C26000105", carlos, "P2000002", "adjusted", d - timedelta(days=75), d - timedelta(days=72),
              [("99214", 1, 210, 131, 25, ["CARC:45", "RARC:N381"]), ("93000", 1, 75, 0, 0, ["CARC:97", "RARC:M15"])],
              payment=("check", "004418", d - timedelta(days=50))),
        claim("C26000106", carlos, "P2000002", "denied", d - timedelta(days=5), d - timedelta(days=4),
              [("99213", 1, 145, 0, 0, ["CARC:27"])], claim_reasons=["CARC:27"]),
        claim("C26000107", samuel, "P2000003", "paid", d - timedelta(days=20), d - timedelta(days=19),
              [("99395", 1, 230, 140, 0, ["CARC:45"]), ("90686", 1, 45, 22, 0, ["CARC:45"])],
              payment=("check", "004502", d - timedelta(days=9))),
        claim("C26000108", grace, "P2000004", "paid", d - timedelta(days=15), d - timedelta(days=14),
              [("99214", 1, 210, 131, 131, ["CARC:1"])], payment=("eft", "EFT-7731988", d - timedelta(days=6))),
    ]
    out += authorizations(today, jane)
    rng = random.Random(20260101)  # noqa: S311 - demo data, not a secret
    statuses = ["paid", "paid", "paid", "denied", "pended", "received", "adjusted"]
    for n in range(24):
        member = DemoMember(f"M1002{n:02d}", rng.choice(FIRST), rng.choice(LAST),
                            date(1950 + rng.randrange(70), rng.randrange(1, 13), rng.randrange(1, 29)),
                            rng.choice(list(PROVIDERS)))
        out += [patient(member), coverage(member, f"cov-{member.member_id.lower()}", year_start, None)]
        for k in range(3):
            status = rng.choice(statuses)
            cpt, billed, allowed = rng.choice(PROCEDURES)
            service = d - timedelta(days=rng.randrange(1, 120))
            reasons = {"paid": ["CARC:45"], "adjusted": ["CARC:45", "RARC:N381"], "denied": ["CARC:204", "RARC:N130"],
                       "pended": ["CARC:16", "RARC:MA130"], "received": []}[status]
            out.append(claim(f"C2601{n:02d}{k}", member, member.pcp or "P2000001", status, service,
                             service + timedelta(days=2),
                             [(cpt, 1, billed, allowed if status in ("paid", "adjusted") else 0, 0, reasons)],
                             payment=("eft", f"EFT-{rng.randrange(10**6, 10**7)}", service + timedelta(days=20))
                             if status in ("paid", "adjusted") else None,
                             claim_reasons=reasons[:1] if status == "denied" else None))
    return out


def ndjson(today: date) -> str:
    return "".join(json.dumps(resource) + "\n" for resource in resources(today))
