"""The Provider Access rules that need no store: scopes a client may ask for, what a member-match
request names, the export's parameters, the registered keys, and the FHIR resources the export writes
(each validated with the fhir.resources R4B models, as a provider's system would read them)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fhir.resources.R4B import get_fhir_model_class
from pydantic import TypeAdapter, ValidationError

from functions.fhir_clients.models import RegisterClient
from functions.provider_access.logic import _export_parameters, _member_id
from functions.shared.core.fhir_http import FhirError
from functions.shared.services import fhir_views
from functions.shared.services.backend_access import READ_SCOPES, scopes_of
from functions.shared.store.authorizations import (
    IMPORTED,
    Authorization,
    AuthorizationStatus,
    AuthorizationUrgency,
    ServiceRequest,
)
from functions.shared.store.claims import ClaimStatus, ClaimSummary
from functions.shared.store.members import CoveragePeriod, CoverageStatus, Member, MemberProfile

NOON = datetime(2026, 12, 1, 12, tzinfo=UTC)
JANE = Member(MemberProfile("M100001", "Jane", "Doe", date(1984, 3, 12)), (
    CoveragePeriod("2026#MED", CoverageStatus.ACTIVE, date(2026, 1, 1), None, "Medicaid", "MEDICAID",
                   "GRP-1", "P2000001"),))


@pytest.mark.parametrize(("asked", "granted"), [
    (["system/*.rs"], READ_SCOPES),
    (["system/*.read"], READ_SCOPES),
    (["system/Claim.c", "system/ClaimResponse.read"], ("system/ClaimResponse.rs", "system/Claim.c")),
    (["system/Claim.write"], ("system/Claim.c",)),
    (["system/*.c"], None),  # a write is granted only by name
    (["system/Patient.read", "system/Group.rs"], ("system/Group.rs", "system/Patient.rs")),
    (["system/Observation.rs"], None),  # not served
    (["user/*.read"], None),
    (["patient/Patient.rs"], None),
    (["system/Patient.cruds"], None),  # write permissions are never granted
])
def test_a_client_gets_only_served_read_scopes(asked, granted):
    assert scopes_of(asked) == granted


def test_the_member_id_comes_from_the_coverage_or_an_mb_identifier():
    mb = {"type": {"coding": [{"code": "MB"}]}, "value": " m100001 "}
    assert _member_id({}, {"subscriberId": "m100001"}) == "M100001"
    assert _member_id({"identifier": [mb]}, {}) == "M100001"
    assert _member_id({"identifier": [{"value": "MRN-1"}]}, {}) is None  # a chart number is not a member ID


def test_export_parameters_come_from_the_query_or_a_parameters_body():
    body = {"resourceType": "Parameters", "parameter": [{"name": "_type", "valueString": "Patient"},
                                                       {"name": "exportType", "valueCode": "provider-snapshot"}]}
    assert _export_parameters({"_since": "2026-01-01T00:00:00Z"}, body) == {
        "_since": "2026-01-01T00:00:00Z", "_type": "Patient", "exportType": "provider-snapshot"}
    with pytest.raises(FhirError):
        _export_parameters({}, {"resourceType": "Bundle"})


def test_only_public_keys_with_a_kid_are_registered_and_one_key_source():
    public = {"kty": "RSA", "kid": "k1", "n": "sXch", "e": "AQAB"}
    adapter = TypeAdapter(RegisterClient)
    assert adapter.validate_python({"name": "  Office   EHR ", "jwks": {"keys": [public]}}).name == "Office EHR"
    for refused in (
        {"name": "EHR", "jwks": {"keys": [{**public, "d": "secret"}]}},  # a private key
        {"name": "EHR", "jwks_url": "https://10.0.0.8/jwks"},  # an address literal
        {"name": "EHR", "jwks_url": "ftp://ehr.example/jwks"},
        {"name": "   ", "jwks": {"keys": [public]}},
        {"name": "EHR", "jwks": {"keys": [{"kty": "EC", "kid": "e", "crv": "P-256", "x": "a", "y": "b"}]}},
        {"name": "EHR", "jwks": {"keys": [public]}, "jwks_url": "https://ehr.example/jwks"},  # both
        {"name": "EHR"},  # neither
    ):
        with pytest.raises(ValidationError):
            adapter.validate_python(refused)


def _valid(resource: dict) -> dict:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def test_the_exported_resources_are_valid_fhir_r4_and_claims_carry_no_amounts():
    patient = _valid(fhir_views.patient(JANE))
    assert patient["identifier"][0]["type"]["coding"][0]["code"] == "MB" and patient["birthDate"] == "1984-03-12"
    coverage = _valid(fhir_views.coverage("M100001", JANE.coverages[0]))
    assert coverage["id"] == "m100001-2026-med" and coverage["subscriberId"] == "M100001"
    claim = ClaimSummary("C1", "M100001", "Jane Doe", "G1000001", "P2000001", date(2026, 11, 2), date(2026, 11, 2),
                         ClaimStatus.PAID, 12_000, 8_000)
    eob = _valid(fhir_views.claim_eob(claim, JANE, date(2026, 11, 3)))
    assert eob["insurance"][0]["coverage"] == {"reference": f"Coverage/{coverage['id']}"}
    assert not {"total", "payment", "item"} & set(eob) and eob["outcome"] == "complete"


def test_a_prior_authorization_is_the_pdex_profile_with_its_review_actions():
    partial = Authorization(
        "PA-TEST000001", "M100001", "Jane Doe", "G1000001", "P2000001",
        (ServiceRequest("97110", 12, 6), ServiceRequest("97161", 1, 1)), ("M54.50",), date(2026, 12, 8),
        date(2026, 12, 30), AuthorizationUrgency.STANDARD, None, NOON, IMPORTED, NOON,
        status=AuthorizationStatus.PARTIALLY_APPROVED, decision_reason="6 of 12 visits", payer_number="AUTH0001")
    eob = _valid(fhir_views.prior_authorization(partial, JANE))
    assert eob["use"] == "preauthorization" and eob["meta"]["profile"] == [fhir_views.PDEX_PRIOR_AUTHORIZATION]
    assert eob["preAuthRef"] == ["AUTH0001"] and eob["outcome"] == "partial"
    first = eob["item"][0]["adjudication"][0]
    assert first["value"] == 6 and first["extension"][0]["extension"][0]["valueCodeableConcept"]["coding"][0][
        "code"] == "A2"
    waiting = _valid(fhir_views.prior_authorization(
        Authorization("PA-TEST000002", "M100001", "Jane Doe", "G1000001", "P2000001", (ServiceRequest("73721", 1),),
                      ("M25.561",), date(2026, 12, 8), date(2026, 12, 9), AuthorizationUrgency.EXPEDITED, None, NOON,
                      IMPORTED, NOON), None))
    assert waiting["outcome"] == "queued" and waiting["priority"]["coding"][0]["code"] == "stat"


def test_a_member_is_attributed_by_pcp_claims_or_prior_authorizations_in_the_look_back(repos):
    from functions.shared.core.audit import SystemOrigin, audit_event
    from functions.shared.core.plans import plan_profile
    from functions.shared.services.attribution import attributed

    plan, today = plan_profile("caresource"), date(2026, 12, 1)
    no_pcp = Member(JANE.profile, (CoveragePeriod("2026#MED", CoverageStatus.ACTIVE, date(2026, 1, 1), None,
                                                  "Medicaid", "MEDICAID"),))
    assert attributed(JANE, frozenset({"P2000001"}), plan, today)  # her PCP
    assert not attributed(no_pcp, frozenset({"P2000001"}), plan, today)  # nothing links them
    request = Authorization(
        "PA-TEST000003", "M100001", "Jane Doe", "G1000001", "P2000001", (ServiceRequest("73721", 1),), ("M25.561",),
        date(2026, 12, 8), date(2026, 12, 9), AuthorizationUrgency.STANDARD, None, NOON, IMPORTED, NOON)
    repos.authorizations.put_new(request, audit_event("test", "setup", SystemOrigin("test")))
    assert attributed(no_pcp, frozenset({"P2000001"}), plan, today)  # the provider to serve her request
    assert not attributed(no_pcp, frozenset({"P9999999"}), plan, today)
    assert not attributed(no_pcp, frozenset({"P2000001"}), plan, today + timedelta(days=plan.attribution_lookback_days
                                                                                   + 2))  # out of the window
