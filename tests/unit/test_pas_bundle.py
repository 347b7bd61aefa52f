"""Reading PAS request and inquiry Bundles (functions/prior_auth_api/bundle.py), pure: how the shapes the Da
Vinci PAS 2.2.1 examples use are read (references as `Type/id` against absolute full URLs, a
PractitionerRole requester, a level-of-service code, a QuestionnaireResponse, the Bundle wrapped in
Parameters), and what is refused with the element at fault."""

from __future__ import annotations

import base64
import copy
from datetime import date
from typing import Any

import pytest

from functions.prior_auth_api.bundle import read_inquiry, read_request
from functions.shared.core.fhir_http import FhirError
from functions.shared.store.authorizations import AuthorizationUrgency

PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
BASE = "http://example.org/fhir"
TODAY = date(2026, 12, 7)


def example() -> dict[str, Any]:
    """Built as the IG's HomecareAuthorizationBundleExample is: absolute full URLs, `Type/id` references, a
    UMO organization with an NPI, HCPCS items without quantities or dates, a member with a birth date."""
    claim = {
        "resourceType": "Claim", "id": "HomecareAuthorizationExample",
        "identifier": [{"system": "http://example.org/PATIENT_EVENT_TRACE_NUMBER", "value": "111099"}],
        "status": "active",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "use": "preauthorization", "patient": {"reference": "Patient/BeneficiaryExample"},
        "created": "2026-12-07T11:01:00+05:00", "insurer": {"reference": "Organization/InsurerExample"},
        "provider": {"reference": "Organization/UMOExample"},
        "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority", "code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/InsuranceExample"}}],
        "item": [{"sequence": 1, "productOrService": {"coding": [
            {"system": "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "code": "G0154"}]}},
                 {"sequence": 2, "productOrService": {"coding": [
                     {"system": "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "code": "B4184"}]}}],
    }
    resources = [
        claim,
        {"resourceType": "Organization", "id": "UMOExample", "name": "DR. JOE SMITH CORPORATION",
         "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "8189991234"}]},
        {"resourceType": "Organization", "id": "InsurerExample", "name": "MARYLAND CAPITAL INSURANCE COMPANY"},
        {"resourceType": "Coverage", "id": "InsuranceExample", "status": "active", "subscriberId": "1122334455",
         "beneficiary": {"reference": "Patient/BeneficiaryExample"},
         "payor": [{"reference": "Organization/InsurerExample"}]},
        {"resourceType": "Patient", "id": "BeneficiaryExample", "birthDate": "1947-01-18",
         "name": [{"family": "SMITH", "given": ["JESSE"]}]},
    ]
    return {"resourceType": "Bundle", "identifier": {"system": "http://example.org/SUBMITTER_TRANSACTION_IDENTIFIER",
                                                     "value": "B56789"},
            "type": "collection", "timestamp": "2026-12-07T14:30:00+05:00",
            "entry": [{"fullUrl": f"{BASE}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources]}


def refused(body: dict[str, Any]) -> FhirError:
    with pytest.raises(FhirError) as caught:
        read_request(body, TODAY)
    return caught.value


def test_the_homecare_example_shape_is_read_with_its_documented_defaults():
    req = read_request(example(), TODAY)
    assert (req.member_id, req.birth_date) == ("1122334455", date(1947, 1, 18))  # the Coverage's subscriberId
    assert req.requester.npi == "8189991234" and req.requester.provider_id is None
    assert [(s.code, s.units) for s in req.service_lines] == [("G0154", 1), ("B4184", 1)]  # no quantity: 1 unit
    assert req.service_from == req.service_to == TODAY  # no dates: the day of submission
    assert req.diagnosis_codes == () and req.urgency == AuthorizationUrgency.STANDARD
    assert req.trace_number == "111099" and req.certification == "initial"
    assert req.bundle_key == "http://example.org/SUBMITTER_TRANSACTION_IDENTIFIER|B56789"


def test_a_resent_bundle_has_the_same_digest_whatever_its_timestamp_and_another_bundle_another():
    first, again = example(), example()
    again["timestamp"] = "2026-12-07T15:00:00Z"
    assert read_request(first, TODAY).digest == read_request(again, TODAY).digest
    changed = example()
    changed["entry"][0]["resource"]["item"][0]["quantity"] = {"value": 2}
    assert read_request(changed, TODAY).digest != read_request(first, TODAY).digest


def test_urgency_comes_from_the_priority_or_the_x12_level_of_service():
    urgent = example()
    urgent["entry"][0]["resource"]["extension"] = [{"url": PAS + "extension-levelOfServiceCode",
                                                     "valueCodeableConcept": {"coding": [{
                                                         "system": "https://codesystem.x12.org/005010/1338",
                                                         "code": "U"}]}}]
    assert read_request(urgent, TODAY).urgency == AuthorizationUrgency.EXPEDITED
    stat = example()
    stat["entry"][0]["resource"]["priority"]["coding"][0]["code"] = "stat"
    assert read_request(stat, TODAY).urgency == AuthorizationUrgency.EXPEDITED


def test_a_practitioner_role_requester_a_questionnaire_and_a_parameters_wrapper():
    body = example()
    claim = body["entry"][0]["resource"]
    claim["provider"] = {"reference": "PractitionerRole/role1"}
    claim["supportingInfo"] = [{"sequence": 1, "category": {"coding": [{"code": "additionalInformation"}]},
                                "valueReference": {"reference": "QuestionnaireResponse/dtr1"}}]
    body["entry"] += [
        {"fullUrl": f"{BASE}/PractitionerRole/role1", "resource": {
            "resourceType": "PractitionerRole", "id": "role1", "practitioner": {"reference": "Practitioner/doc1"}}},
        {"fullUrl": f"{BASE}/Practitioner/doc1", "resource": {
            "resourceType": "Practitioner", "id": "doc1",
            "identifier": [{"system": "urn:portal:provider-id", "value": "p2000001"}]}},
        {"fullUrl": f"{BASE}/QuestionnaireResponse/dtr1", "resource": {
            "resourceType": "QuestionnaireResponse", "id": "dtr1", "status": "completed", "item": [
                {"linkId": "1", "text": "Homebound?", "answer": [{"valueBoolean": True}]},
                {"linkId": "2", "text": "Visits per week", "answer": [{"valueInteger": 3}]}]}}]
    wrapped = {"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": body}]}
    req = read_request(wrapped, TODAY)
    assert req.requester.provider_id == "P2000001"
    assert req.clinical_notes == "Homebound?: yes\nVisits per week: 3"


@pytest.mark.parametrize(("change", "expression"), [
    (lambda b: b["entry"].pop(4), "Claim.patient"),  # the Patient it references is missing
    (lambda b: b["entry"][4]["resource"].pop("birthDate"), "Patient.birthDate"),
    (lambda b: b["entry"].insert(0, b["entry"].pop(1)), "Bundle.entry[0]"),  # the Claim is not first
    (lambda b: b["entry"].append(copy.deepcopy(b["entry"][1])), "Bundle.entry[5].fullUrl"),  # twice
    (lambda b: b["entry"][0]["resource"]["item"][0]["productOrService"]["coding"][0].update(
        system="https://codesystem.x12.org/005010/1365", code="3"), "Claim.item[0].productOrService"),
    (lambda b: b["entry"][0]["resource"]["item"][0].update(quantity={"value": 1.5}), "Claim.item[0].quantity"),
    (lambda b: b["entry"][0]["resource"].update(use="claim"), "Claim.use"),
    (lambda b: b.pop("identifier"), "Bundle.identifier"),
    (lambda b: b["entry"][0]["resource"].update(created="yesterday"), "Bundle.entry[0].resource.created"),
])
def test_a_bad_request_names_the_element_at_fault(change, expression):
    body = example()
    change(body)
    error = refused(body)
    assert error.status == 400 and error.expression == expression, error.diagnostics


def test_attachments_are_checked_by_their_content_and_fetched_urls_are_refused():
    body = example()
    body["entry"][0]["resource"]["supportingInfo"] = [{"sequence": 1, "category": {"coding": [{"code": "x"}]},
                                                       "valueReference": {"reference": "DocumentReference/d1"}}]
    document = {"resourceType": "DocumentReference", "id": "d1", "status": "current",
                "content": [{"attachment": {"contentType": "application/pdf",
                                            "data": base64.b64encode(b"GIF89a not a pdf").decode()}}]}
    body["entry"].append({"fullUrl": f"{BASE}/DocumentReference/d1", "resource": document})
    assert refused(body).expression == "DocumentReference.content[0].attachment.data"
    document["content"][0]["attachment"] = {"contentType": "application/pdf", "url": "https://ehr.example/doc.pdf"}
    assert "inline" in refused(body).diagnostics
    document["content"][0]["attachment"] = {"contentType": "application/zip", "data": "UEsDBA=="}
    assert refused(body).status == 415


def test_an_appeal_and_a_cancellation_name_the_request_by_its_authorization_number():
    body = example()
    claim = body["entry"][0]["resource"]
    claim["extension"] = [{"url": PAS + "extension-certificationType", "valueCodeableConcept": {
        "coding": [{"system": "https://codesystem.x12.org/005010/1322", "code": "1"}]}}]
    assert refused(body).expression == "Claim.extension[authorizationNumber]"
    claim["extension"].append({"url": PAS + "extension-authorizationNumber", "valueString": "pa-demo000005"})
    req = read_request(body, TODAY)
    assert (req.certification, req.names, req.urgency) == ("appeal", "PA-DEMO000005", AuthorizationUrgency.EXPEDITED)
    claim["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] = "3"
    assert read_request(body, TODAY).certification == "cancel"


def test_an_inquiry_by_example_reads_the_member_the_number_and_the_services():
    body = example()
    claim = body["entry"][0]["resource"]
    claim["extension"] = [{"url": PAS + "extension-authorizationNumber", "valueString": "AUTH0001"}]
    claim["item"][1]["servicedPeriod"] = {"start": "2026-12-01", "end": "2027-01-31"}
    found = read_inquiry(body)
    assert (found.member_id, found.number, found.codes) == ("1122334455", "AUTH0001", {"G0154", "B4184"})
    assert (found.first_day, found.last_day) == (date(2026, 12, 1), date(2027, 1, 31))
