"""The Prior Authorization API (Da Vinci PAS 2.2.1) as a practice's EHR meets it, over HTTP on the local
stack: the office administrator registers the EHR with the prior-authorization scopes; the EHR (fhirpy,
with a PyJWT-signed SMART Backend Services assertion) submits a PAS request Bundle shaped as the IG's
examples are (urn:uuid and absolute full URLs, a PractitionerRole requester, a PDF and a text note as
DocumentReferences); the answer is a valid R4 response Bundle, pended (A4) with the request's numbers. The
same request is then in the portal's pages and the plan's queue; a decision on the staff route shows in
`$inquire` with the approved units and the reason; a request of the pages is found by `$inquire`; a
denial is appealed and an appeal cancelled through `$submit`. Then the refusals: a Bundle missing the
Patient it references, an unknown member, a code the portal refuses, another Provider ID, a token
without the scope, a Bundle identifier reused for another Bundle."""

from __future__ import annotations

import base64
import copy
import uuid
from datetime import timedelta
from typing import Any

import pytest
import requests
from fhir.resources.R4B import get_fhir_model_class
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome

from functions.shared.core.clock import now
from functions.shared.store import repositories
from functions.shared.store.models import AuditEvent
from tests.integration import test_portal_data as portal
from tests.integration import test_provider_access as access
from tests.integration.browser import Browser
from tests.integration.test_org_agreement import staff
from tests.integration.test_provider_access import ask_token, assertion, public_jwk, token_endpoint

data, group = portal.data, portal.group  # the demo data and the administrator of G1000001
rsa_key, server = access.rsa_key, access.server  # the EHR's key and the local stack over HTTP
PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
X12_306 = "https://codesystem.x12.org/005010/306"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
PDF = b"%PDF-1.4\n% progress notes\n"
SCOPES = "system/Claim.c system/ClaimResponse.rs"


def pas_bundle(identifier: str, *, member: str = "M100001", born: str = "1984-03-12",
               provider: tuple[str, str] = ("urn:portal:provider-id", "G1000001"),
               certification: str | None = None, names: str | None = None) -> dict[str, Any]:
    """A PAS request Bundle as the IG's ReferralAuthorizationBundleExample is built: the Claim first, then
    the requestor, insurer, coverage, patient, practitioner role and practitioner, and the documents."""
    ids = {k: f"urn:uuid:{uuid.uuid4()}" for k in ("claim", "umo", "insurer", "coverage", "patient", "role",
                                                   "practitioner", "pdf", "note")}
    claim: dict[str, Any] = {
        "resourceType": "Claim",
        "meta": {"profile": [PAS + "profile-claim"]},
        "extension": [{"url": PAS + "extension-levelOfServiceCode", "valueCodeableConcept": {"coding": [
            {"system": "https://codesystem.x12.org/005010/1338", "code": "E", "display": "Elective"}]}}],
        "identifier": [{"system": "urn:trnorg:9012345678", "value": f"TRN-{identifier}"}],
        "status": "active",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "use": "preauthorization", "patient": {"reference": ids["patient"]}, "created": now().isoformat(),
        "insurer": {"reference": ids["insurer"]}, "provider": {"reference": ids["umo"]},
        "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority", "code": "normal"}]},
        "careTeam": [{"sequence": 1, "provider": {"reference": ids["role"]},
                      "extension": [{"url": PAS + "extension-careTeamClaimScope", "valueBoolean": True}]}],
        "diagnosis": [{"sequence": 1, "diagnosisCodeableConcept": {"coding": [
            {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M17.11"}]}}],
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": ids["coverage"]}}],
        "supportingInfo": [
            {"sequence": 1, "category": {"coding": [{"system": "http://hl7.org/us/davinci-pas/CodeSystem/PASSupportingInfoType",
                                                     "code": "additionalInformation"}]},
             "valueReference": {"reference": ids["pdf"]}},
            {"sequence": 2, "category": {"coding": [{"system": "http://hl7.org/us/davinci-pas/CodeSystem/PASSupportingInfoType",
                                                     "code": "additionalInformation"}]},
             "valueReference": {"reference": ids["note"]}}],
        "item": [
            {"sequence": 1, "careTeamSequence": [1], "diagnosisSequence": [1],
             "productOrService": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "97110"}]},
             "servicedPeriod": {"start": "2027-01-04", "end": "2027-03-31"}, "quantity": {"value": 12}},
            {"sequence": 2, "productOrService": {"coding": [{"system": HCPCS, "code": "E0601"}]},
             "servicedDate": "2027-01-04"}],  # no quantity: one unit
    }
    if certification:
        claim["extension"].append({"url": PAS + "extension-certificationType", "valueCodeableConcept": {
            "coding": [{"system": "https://codesystem.x12.org/005010/1322", "code": certification}]}})
        claim["extension"].append({"url": PAS + "extension-authorizationNumber", "valueString": names})
    entries = [
        (ids["claim"], claim),
        (ids["umo"], {"resourceType": "Organization", "identifier": [
            {"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}, {"system": provider[0],
                                                                                   "value": provider[1]}],
            "name": "RIVERSIDE GROUP"}),
        (ids["insurer"], {"resourceType": "Organization", "name": "THE PLAN"}),
        (ids["coverage"], {"resourceType": "Coverage", "status": "active", "subscriberId": member,
                           "beneficiary": {"reference": ids["patient"]}, "payor": [{"reference": ids["insurer"]}]}),
        (ids["patient"], {"resourceType": "Patient", "name": [{"family": "DOE", "given": ["JANE"]}],
                          "birthDate": born, "identifier": [{"system": "http://example.org/MIN", "value": "x"}]}),
        (ids["role"], {"resourceType": "PractitionerRole", "practitioner": {"reference": ids["practitioner"]}}),
        (ids["practitioner"], {"resourceType": "Practitioner", "identifier": [
            {"system": "urn:portal:provider-id", "value": "P2000001"}], "name": [{"family": "WATSON"}]}),
        (ids["pdf"], {"resourceType": "DocumentReference", "status": "current",
                      "content": [{"attachment": {"contentType": "application/pdf", "title": "progress.pdf",
                                                  "data": base64.b64encode(PDF).decode()}}]}),
        (ids["note"], {"resourceType": "DocumentReference", "status": "current",
                       "content": [{"attachment": {"contentType": "text/plain", "data": base64.b64encode(
                           b"Six weeks of home exercise did not help.").decode()}}]}),
    ]
    return {"resourceType": "Bundle", "meta": {"profile": [PAS + "profile-pas-request-bundle"]},
            "identifier": {"system": "http://example.org/SUBMITTER_TRANSACTION_IDENTIFIER", "value": identifier},
            "type": "collection", "timestamp": now().isoformat(),
            "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries]}


def inquiry(*, number: str | None = None, member: str = "M100001") -> dict[str, Any]:
    claim: dict[str, Any] = {
        "resourceType": "Claim", "identifier": [{"system": "urn:trnorg:9012345678", "value": "INQ-1"}],
        "status": "active",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "use": "preauthorization", "patient": {"reference": "Patient/jane"}, "created": now().isoformat(),
        "insurer": {"reference": "Organization/plan"}, "provider": {"reference": "Organization/riverside"},
        "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority", "code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/c1"}}],
        "item": [{"sequence": 1, "productOrService": {"coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "not-applicable"}]}}],
    }
    if number:
        claim["extension"] = [{"url": PAS + "extension-authorizationNumber", "valueString": number}]
    base = "http://ehr.example/fhir"
    resources = [claim, {"resourceType": "Organization", "id": "riverside", "identifier": [
        {"system": "urn:portal:provider-id", "value": "G1000001"}]},
        {"resourceType": "Organization", "id": "plan", "name": "THE PLAN"},
        {"resourceType": "Coverage", "id": "c1", "status": "active", "subscriberId": member,
         "beneficiary": {"reference": "Patient/jane"}, "payor": [{"reference": "Organization/plan"}]},
        {"resourceType": "Patient", "id": "jane", "birthDate": "1984-03-12"}]
    return {"resourceType": "Bundle", "identifier": {"system": "http://example.org/INQUIRY", "value": "Q1"},
            "type": "collection", "timestamp": now().isoformat(),
            "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r.get('id', 'inq')}", "resource": r}
                      for r in resources]}


def register(admin: Browser, key: Any, scopes: list[str]) -> str:
    reply = admin.post("/providers/G1000001/fhir-clients",
                       {"name": "Office EHR", "jwks": {"keys": [public_jwk(key)]}, "scopes": scopes})
    assert reply.status == 200, reply.body
    return str(reply.body["client_id"])


@pytest.fixture
def ehr(group, server, rsa_key) -> tuple[SyncFHIRClient, str, str]:
    """The EHR's FHIR client with a token for both prior-authorization scopes, its base URL and client id."""
    base = f"{server}/api/fhir"
    client_id = register(group, rsa_key, SCOPES.split())
    issued = ask_token(base, assertion(client_id, rsa_key, token_endpoint(base)), scope=SCOPES)
    assert issued.status_code == 200, issued.text
    token = issued.json()["access_token"]
    return SyncFHIRClient(base, authorization=f"Bearer {token}"), base, token


def validate(resource: dict[str, Any]) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def actions(response: dict[str, Any]) -> list[tuple[str, Any]]:
    out = []
    for item in response["item"]:
        adjudication = item["adjudication"][0]
        review = {e["url"]: e for e in adjudication["extension"][0]["extension"]}
        out.append((review[PAS + "extension-reviewActionCode"]["valueCodeableConcept"]["coding"][0]["code"],
                    adjudication.get("value")))
    return out


def staff_decides(gateway, number: str, decision: dict[str, Any]) -> None:
    reply = staff(gateway).post(f"/staff/authorizations/{number}/decision", decision)
    assert reply.status == 200, reply.body


def test_an_ehr_submits_a_pas_bundle_and_follows_it_to_the_decision(ehr, group, gateway):
    fhir = ehr[0]
    bundle = pas_bundle("A12345")
    answer = fhir.execute("Claim/$submit", method="post", data=bundle)
    validate(answer)
    assert answer["resourceType"] == "Bundle" and answer["type"] == "collection"
    assert answer["identifier"] == bundle["identifier"]
    response = answer["entry"][0]["resource"]
    assert response["resourceType"] == "ClaimResponse" and response["outcome"] == "complete"
    assert actions(response) == [("A4", None), ("A4", None)]  # pended: the plan reviews it
    number = response["identifier"][0]["value"]
    assert number.startswith("PA-") and response["request"]["identifier"]["value"] == "TRN-A12345"
    referenced = {e["fullUrl"]: e["resource"]["resourceType"] for e in answer["entry"]}
    assert referenced[response["patient"]["reference"]] == "Patient"
    assert referenced[response["insurer"]["reference"]] == "Organization"

    # One request, three doors: the portal's page shows it, with where it came from.
    page = group.get(f"/authorizations/{number}?acting_for=G1000001")
    assert page.status == 200, page.body
    shown = page.body
    assert shown["door"] == "api" and shown["trace_number"] == "TRN-A12345"
    assert [(s["code"], s["units"]) for s in shown["service_lines"]] == [("97110", 12), ("E0601", 1)]
    assert shown["servicing_provider_id"] == "P2000001" and shown["urgency"] == "standard"
    assert shown["service_from"] == "2027-01-04" and shown["service_to"] == "2027-03-31"
    assert [a["name"] for a in shown["attachments"]] == ["progress.pdf"]
    assert shown["clinical_notes"] == "Six weeks of home exercise did not help."  # the text/plain document
    stored = repositories().authorizations.get(number)
    assert stored.clinical_notes == "Six weeks of home exercise did not help."
    assert stored.submitted_by.startswith("client:")
    queue = staff(gateway).get("/staff/authorizations").body["pending"]
    assert number in [q["authorization_id"] for q in queue]

    # The same Bundle again (a retry, with a new timestamp): the same request, not a second one.
    again = copy.deepcopy(bundle)
    again["timestamp"] = now().isoformat()
    assert fhir.execute("Claim/$submit", method="post", data=again)["entry"][0]["resource"]["identifier"][0][
        "value"] == number
    # The identifier with another Bundle: refused, naming the field.
    other = pas_bundle("A12345")
    other["entry"][0]["resource"]["item"][0]["quantity"]["value"] = 20
    with pytest.raises(OperationOutcome) as refused:
        fhir.execute("Claim/$submit", method="post", data=other)
    assert refused.value.resource["issue"][0]["expression"] == ["Bundle.identifier"]

    # The plan decides on its staff route; $inquire shows the units, the number and the reason.
    staff_decides(gateway, number, {"outcome": "partially_approve", "approved_units": [8, 1],
                                    "reason": "8 visits approved: send progress notes for more."})
    found = fhir.execute("Claim/$inquire", method="post", data=inquiry(number="TRN-A12345"))
    validate(found)
    (result,) = [p["resource"] for p in found["parameter"]]
    decided = result["entry"][0]["resource"]
    assert actions(decided) == [("A2", 8), ("A1", None)]
    assert decided["disposition"] == "8 visits approved: send progress notes for more."
    assert decided["preAuthRef"] == number
    review = {e["url"]: e for e in decided["item"][0]["adjudication"][0]["extension"][0]["extension"]}
    assert review["number"]["valueString"] == number
    assert review["reasonCode"]["valueCodeableConcept"]["text"].startswith("8 visits")

    audited = {(r.action, r.outcome) for r in AuditEvent.query(stored.submitted_by)}
    assert {("phi.authorization.create", "submitted"), ("phi.authorization.inquire", "listed")} <= audited


def test_inquire_finds_requests_of_every_door_and_a_denial_is_appealed_and_the_appeal_cancelled(ehr):
    fhir, _, _ = ehr
    everything = fhir.execute("Claim/$inquire", method="post", data=inquiry())
    numbers = {p["resource"]["entry"][0]["resource"]["id"] for p in everything["parameter"]}
    assert {f"PA-DEMO00000{n}" for n in range(1, 8)} <= numbers  # the plan's data, in the same answer
    denied = fhir.execute("Claim/$inquire", method="post", data=inquiry(number="PA-DEMO000005"))
    (bundle,) = [p["resource"] for p in denied["parameter"]]
    assert actions(bundle["entry"][0]["resource"]) == [("A3", None)]
    assert "Not medically necessary" in bundle["entry"][0]["resource"]["disposition"]

    appeal = fhir.execute("Claim/$submit", method="post",
                          data=pas_bundle("APPEAL-1", certification="2", names="PA-DEMO000005"))
    appeal_number = appeal["entry"][0]["resource"]["id"]
    assert repositories().authorizations.get(appeal_number).appeal_of == "PA-DEMO000005"
    assert repositories().authorizations.get("PA-DEMO000005").appeal_id == appeal_number
    with pytest.raises(OperationOutcome) as twice:  # one appeal per decision
        fhir.execute("Claim/$submit", method="post", data=pas_bundle("APPEAL-2", certification="2",
                                                                      names="PA-DEMO000005"))
    assert twice.value.resource["issue"][0]["code"] == "business-rule"

    cancelled = fhir.execute("Claim/$submit", method="post",
                             data=pas_bundle("CANCEL-1", certification="3", names=appeal_number))
    assert cancelled["entry"][0]["resource"]["disposition"] == "Withdrawn by the provider."
    assert repositories().authorizations.get(appeal_number).status == "withdrawn"


@pytest.mark.parametrize(("change", "status", "expression"), [
    ("no_patient", 400, "Claim.patient"),
    ("unknown_member", 404, "Claim.patient"),
    ("refused_code", 400, "Claim.item[0].productOrService"),
    ("other_provider", 403, "Claim.provider"),
    ("bad_date", 400, None),
])
def test_a_bad_bundle_gets_an_operation_outcome_naming_the_field(ehr, change, status, expression):
    _, base, token = ehr
    before = _requests_of_jane()
    bundle = pas_bundle(f"BAD-{change}")
    claim = bundle["entry"][0]["resource"]
    if change == "no_patient":
        bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Patient"]
    elif change == "unknown_member":
        bundle = pas_bundle("BAD-unknown", member="M999999")
    elif change == "refused_code":  # an X12 service type, not a CPT or HCPCS code
        claim["item"][0]["productOrService"] = {"coding": [{"system": "https://codesystem.x12.org/005010/1365",
                                                            "code": "3"}]}
    elif change == "other_provider":
        bundle = pas_bundle("BAD-other", provider=("urn:portal:provider-id", "G2000002"))
    elif change == "bad_date":
        claim["item"][0]["servicedPeriod"]["start"] = "2027-02-30"
    reply = requests.post(f"{base}/Claim/$submit", json=bundle, timeout=30,
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"})
    assert reply.status_code == status, reply.text
    outcome = reply.json()
    assert outcome["resourceType"] == "OperationOutcome"
    validate(outcome)
    issue = outcome["issue"][0]
    assert issue["diagnostics"] and issue["expression"]
    if expression:
        assert issue["expression"] == [expression]
    assert _requests_of_jane() == before  # nothing stored


def _requests_of_jane() -> int:
    first = now().date() - timedelta(days=30)
    return len(repositories().authorizations.of_member("M100001", first, now().date(), 100, None).items)


def test_a_token_without_the_submit_scope_or_no_token_is_refused(group, server, rsa_key):
    base = f"{server}/api/fhir"
    client_id = register(group, rsa_key, ["system/ClaimResponse.rs"])
    token = ask_token(base, assertion(client_id, rsa_key, token_endpoint(base)), scope="system/ClaimResponse.rs")
    assert token.status_code == 200
    headers = {"Authorization": f"Bearer {token.json()['access_token']}", "Content-Type": "application/fhir+json"}
    reply = requests.post(f"{base}/Claim/$submit", json=pas_bundle("NOSCOPE"), headers=headers, timeout=30)
    assert reply.status_code == 403 and "insufficient_scope" in reply.headers["WWW-Authenticate"]
    assert requests.post(f"{base}/Claim/$submit", json=pas_bundle("NOTOKEN"), timeout=30).status_code == 401
    assert requests.post(f"{base}/Claim/$validate", json={}, headers=headers, timeout=30).status_code == 404
    metadata = requests.get(f"{base}/metadata", timeout=10).json()
    claim = next(r for r in metadata["rest"][0]["resource"] if r["type"] == "Claim")
    assert {o["name"] for o in claim["operation"]} == {"submit", "inquire"}
