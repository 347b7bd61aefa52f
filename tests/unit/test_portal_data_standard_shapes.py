"""Extracts as payers write them (the shapes of CARIN Blue Button and Da Vinci PDex resources): members by
their `MB` identifier and by reference, claims by CARIN's `uc` identifier, providers by NPI through the
Organization and Practitioner resources of the export, the header totals and the member's share as the
payer states them; a prior-authorization EOB is never a claim. No urn:portal:* system anywhere.

These resources are written here in the published examples' form; the examples themselves are not in the
repository (see the README's note on the HL7 examples)."""

from __future__ import annotations

import json
from datetime import date

from functions.portal_data_import.logic import import_extract

V2 = "http://terminology.hl7.org/CodeSystem/v2-0203"
C4BB = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType"
ADJ = "http://terminology.hl7.org/CodeSystem/adjudication"
C4BB_ADJ = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication"
NPI = "http://hl7.org/fhir/sid/us-npi"

PATIENT = {"resourceType": "Patient", "id": "ExamplePatient1",
           "meta": {"profile": ["http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Patient|1.2.0"]},
           "identifier": [{"type": {"coding": [{"system": V2, "code": "MB"}]},
                           "system": "https://www.upmchealthplan.com/fhir/memberidentifier", "value": "88800933501",
                           "assigner": {"reference": "Organization/Payer1", "display": "UPMC Health Plan"}}],
           "name": [{"family": "Example1", "given": ["Johnny"]}], "gender": "male", "birthDate": "1986-01-01"}
COVERAGE = {"resourceType": "Coverage", "id": "CoverageEx1", "status": "active",
            "identifier": [{"type": {"coding": [{"system": V2, "code": "MB"}]}, "value": "88800933501"}],
            "subscriberId": "888009335", "beneficiary": {"reference": "Patient/ExamplePatient1"},
            "relationship": {"coding": [{"code": "self"}]}, "period": {"start": "2019-01-01"},
            "payor": [{"reference": "Organization/Payer1"}],
            "class": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class",
                                            "code": "plan"}]}, "value": "GI8", "name": "Gold Plan"},
                      {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class",
                                            "code": "group"}]}, "value": "MCHMO1", "name": "MEDICARE HMO PLAN"}]}
ORGANIZATION = {"resourceType": "Organization", "id": "ProviderOrganization1", "active": True,
                "identifier": [{"type": {"coding": [{"system": C4BB, "code": "npi"}]}, "system": NPI,
                                "value": "1497758544"},
                               {"type": {"coding": [{"system": V2, "code": "TAX"}]},
                                "system": "urn:oid:2.16.840.1.113883.4.4", "value": "12-3456789"}],
                "name": "Orange Medical Group"}
PRACTITIONER = {"resourceType": "Practitioner", "id": "Practitioner1",
                "identifier": [{"type": {"coding": [{"system": C4BB, "code": "npi"}]}, "system": NPI,
                                "value": "1245319599"}], "name": [{"family": "Smith", "given": ["Jane"]}]}


def _adjudication(category: str, dollars: float | None = None, system: str = ADJ) -> dict:
    entry: dict = {"category": {"coding": [{"system": system, "code": category}]}}
    if dollars is not None:
        entry["amount"] = {"value": dollars, "currency": "USD"}
    return entry


PROFESSIONAL = {
    "resourceType": "ExplanationOfBenefit", "id": "ProfessionalEOBExample1", "status": "active",
    "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
    "use": "claim", "outcome": "complete", "created": "2020-07-22T00:00:00-04:00",
    "identifier": [{"type": {"coding": [{"system": C4BB, "code": "uc"}]},
                    "system": "https://www.upmchealthplan.com/fhir/EOBIdentifier", "value": "PROFEXAMPLE1"}],
    "patient": {"reference": "Patient/ExamplePatient1"}, "insurer": {"reference": "Organization/Payer1"},
    "provider": {"reference": "Organization/ProviderOrganization1"},
    "billablePeriod": {"start": "2020-06-05", "end": "2020-06-05"},
    "careTeam": [{"sequence": 1, "provider": {"reference": "Practitioner/Practitioner1"},
                  "role": {"coding": [{"system": "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimCareTeamRole",
                                       "code": "performing"}]}}],
    "insurance": [{"focal": True, "coverage": {"reference": "Coverage/CoverageEx1"}}],
    "item": [{"sequence": 1, "servicedDate": "2020-06-05",
              "productOrService": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "99215"}]},
              "adjudication": [
                  _adjudication("innetwork", None, "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBPayerAdjudicationStatus"),
                  _adjudication("submitted", 250.0), _adjudication("eligible", 200.0),
                  _adjudication("copay", 20.0), _adjudication("deductible", 30.0),
                  _adjudication("paidtoprovider", 150.0, C4BB_ADJ)]}],
    "total": [_adjudication("submitted", 250.0), _adjudication("eligible", 200.0),
              _adjudication("paidtoprovider", 150.0, C4BB_ADJ), _adjudication("memberliability", 50.0, C4BB_ADJ)]}
INPATIENT = {
    **{k: v for k, v in PROFESSIONAL.items() if k not in ("item", "careTeam", "total")},
    "id": "InpatientEOBExample1",
    "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "institutional"}]},
    "identifier": [{"type": {"coding": [{"system": C4BB, "code": "uc"}]}, "value": "AW123412341234123412341234123412"}],
    "billablePeriod": {"start": "2017-01-01", "end": "2017-01-15"},
    "item": [{"sequence": 1, "revenue": {"coding": [{"system": "https://www.nubc.org/CodeSystem/RevenueCodes",
                                                     "code": "1"}]},
              "productOrService": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                                               "code": "not-applicable"}]}}],
    "total": [_adjudication("submitted", 7147.20), _adjudication("eligible", 1513.57),
              _adjudication("paidtoprovider", 1393.57, C4BB_ADJ), _adjudication("copay", 120.0)]}
PRIOR_AUTHORIZATION_EOB = {**PROFESSIONAL, "id": "PDexPriorAuth1", "use": "preauthorization", "outcome": "queued",
                           "identifier": [{"system": "https://example.org/priorauth", "value": "PA20191122"}]}


def _ndjson(*resources: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in resources)


def test_a_carin_shaped_export_imports_without_any_portal_identifier(repos):
    report = import_extract(_ndjson(ORGANIZATION, PRACTITIONER, PROFESSIONAL, INPATIENT, PRIOR_AUTHORIZATION_EOB,
                                    COVERAGE, PATIENT), "carin.ndjson")
    assert report.problems == [] and report.conflicts == []
    assert (report.members, report.coverages, report.claims) == (1, 1, 2)
    assert report.skipped == {"ExplanationOfBenefit (use = preauthorization)": 1}
    member = repos.members.get("88800933501")
    assert (member.profile.first_name, member.profile.last_name, member.profile.birth_date) == (
        "Johnny", "Example1", date(1986, 1, 1))
    assert [c.plan_name for c in member.coverages] == ["Gold Plan"]

    professional = repos.claims.get("PROFEXAMPLE1")
    assert (professional.member_id, professional.member_name) == ("88800933501", "Johnny Example1")
    assert (professional.billing_provider_id, professional.billing_tax_id) == ("1497758544", "123456789")
    assert professional.rendering_provider_id == "1245319599"
    assert (professional.billed_cents, professional.allowed_cents, professional.paid_cents,
            professional.patient_cents) == (25000, 20000, 15000, 5000)
    assert professional.status == "paid"
    line = professional.lines[0]
    assert (line.procedure_code, line.patient_cents, line.paid_cents) == ("99215", 5000, 15000)  # copay + deductible

    inpatient = repos.claims.get("AW123412341234123412341234123412")
    assert (inpatient.billed_cents, inpatient.allowed_cents, inpatient.paid_cents, inpatient.patient_cents) == (
        714720, 151357, 139357, 12000)  # the header's totals, the copay as the member's share
    assert inpatient.lines[0].procedure_code == "" and inpatient.lines[0].service_date == date(2017, 1, 1)
    assert repos.claims.get("PA20191122") is None  # a prior-authorization EOB is not a claim


def test_identifiers_are_stored_as_the_api_looks_them_up(repos):
    lower = {**PROFESSIONAL, "identifier": [{"type": {"coding": [{"system": C4BB, "code": "uc"}]},
                                             "value": " profexample1 "}]}
    import_extract(_ndjson(ORGANIZATION, PRACTITIONER, PATIENT, lower), "lower.ndjson")
    assert repos.claims.get("PROFEXAMPLE1") is not None


def test_a_reference_to_nothing_in_the_export_is_quarantined_with_what_to_send(repos):
    orphan = {**PROFESSIONAL, "patient": {"reference": "Patient/unknown"}}
    report = import_extract(_ndjson(ORGANIZATION, PRACTITIONER, orphan), "orphan.ndjson")
    assert [(p.line, p.field) for p in report.problems] == [(3, "patient")]
    assert "type MB" in report.problems[0].reason
    no_npi = {**PROFESSIONAL, "provider": {"display": "Somebody"}}
    report = import_extract(_ndjson(PATIENT, PRACTITIONER, no_npi), "no-npi.ndjson")
    assert [(p.line, p.field) for p in report.problems] == [(3, "provider")] and "NPI" in report.problems[0].reason


# --- Bulk Data exports ----------------------------------------------------------------------------------


def _export(files: dict[str, list[dict]]) -> tuple[bytes, dict[str, bytes]]:
    """A $export's output: one NDJSON file per type and its manifest (urls as a server gives them)."""
    contents = {f"{kind}.ndjson": _ndjson(*resources).encode() for kind, resources in files.items()}
    manifest = {"transactionTime": "2026-12-01T00:00:00Z", "request": "https://payer.example/fhir/$export",
                "requiresAccessToken": True, "error": [],
                "output": [{"type": name.split(".")[0], "url": f"https://payer.example/files/{name}"}
                           for name in sorted(contents, reverse=True)]}  # claims listed before patients
    return json.dumps(manifest).encode(), contents


def test_an_export_reads_its_files_in_dependency_order_and_resolves_references_across_them(repos):
    from functions.portal_data_import.logic import import_export

    manifest, contents = _export({"ExplanationOfBenefit": [PROFESSIONAL], "Patient": [PATIENT],
                                  "Coverage": [COVERAGE], "Organization": [ORGANIZATION],
                                  "Practitioner": [PRACTITIONER]})
    opened: list[str] = []

    def open_file(name: str):
        opened.append(name)
        data = contents[name]
        return (data[i:i + 7] for i in range(0, len(data), 7))  # streamed in small chunks

    report = import_export(manifest, open_file, "exports/december/manifest.json")
    assert report.status == "applied" and (report.members, report.coverages, report.claims) == (1, 1, 1)
    assert opened[:5] == ["Organization.ndjson", "Practitioner.ndjson", "Patient.ndjson", "Coverage.ndjson",
                          "ExplanationOfBenefit.ndjson"]
    assert repos.claims.get("PROFEXAMPLE1").member_name == "Johnny Example1"
    again = import_export(manifest, open_file, "exports/december/manifest.json")
    assert (again.status, again.written) == ("unchanged", 0)


def test_an_export_names_the_file_of_each_problem_and_a_bad_manifest_is_rejected(repos):
    from functions.portal_data_import.logic import import_export

    manifest, contents = _export({"Patient": [PATIENT, {**PATIENT, "id": "p2", "birthDate": "1980-02-30"}],
                                  "Coverage": [COVERAGE]})
    report = import_export(manifest, lambda name: [contents[name]], "exports/x/manifest.json")
    assert [(p.file, p.line, p.field) for p in report.problems] == [("Patient.ndjson", 2, "birthDate")]
    assert report.status == "partial"
    assert [(f.file, f.lines, f.quarantined, f.conflicts) for f in report.files] == [
        ("Patient.ndjson", 2, 1, 0), ("Coverage.ndjson", 1, 0, 0)]  # each file's own account, in reading order
    bad = import_export(b'{"output": "nope"}', lambda name: [b""], "exports/y/manifest.json")
    assert bad.status == "rejected" and bad.problems[0].field == "output"


def test_lines_are_found_across_chunk_boundaries_and_a_line_too_long_is_reported_without_being_held():
    from functions.portal_data_import import fhir

    data = b'{"a": 1}\r\n\n{"b": "\xe2\x80\xa8"}\n' + b"x" * (fhir.MAX_LINE_BYTES + 10) + b'\n{"c": 3}'
    chunks = [data[i:i + 4096] for i in range(0, len(data), 4096)]
    found = [(n, line if isinstance(line, str) else line.reason) for n, line in fhir.lines(chunks)]
    assert found[:2] == [(1, '{"a": 1}'), (3, '{"b": "\u2028"}')]
    assert found[2][0] == 4 and found[2][1].startswith("longer than")
    assert found[3] == (5, '{"c": 3}')


def _provider_access_consent(kind: str, status: str = "active", **extra: object) -> dict:
    """A member's Provider Access choice in the PDex provider-sharing Consent's form."""
    return {"resourceType": "Consent", "id": f"optout-{kind}-{status}", "status": status,
            "meta": {"profile": ["http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/pdex-provider-consent"]},
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IDSCL"}]},
                         {"coding": [{"system": "http://hl7.org/fhir/us/davinci-pdex/CodeSystem/PDexConsentApiPurposeCS",
                                      "code": "provider-access"}]}],
            "patient": {"reference": "Patient/ExamplePatient1"}, "dateTime": "2026-11-02T10:00:00Z",
            "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentpolicycodes",
                                       "code": "cric"}]},
            "provision": {"type": kind, "period": {"start": "2026-11-02"},
                          "action": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentaction",
                                                  "code": "disclose"}]}]}, **extra}


def test_a_members_provider_access_opt_out_comes_in_the_plans_data_and_a_rerun_writes_nothing(repos):
    denied = _provider_access_consent("deny")
    other = {**_provider_access_consent("deny"), "id": "research", "category": [
        {"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}]}  # not about Provider Access
    first = import_extract(_ndjson(PATIENT, COVERAGE, denied, other), "consents.ndjson")
    assert first.problems == [] and first.opt_outs == 1 and first.skipped == {"Consent (not about Provider Access)": 1}
    assert repos.provider_access.opted_out(["88800933501"]) == {"88800933501"}
    again = import_extract(_ndjson(PATIENT, COVERAGE, denied, other), "consents.ndjson")
    assert again.status == "unchanged" and again.written == 0
    # The member opts back in (permit), or the opt-out ends (inactive): shared again.
    for changed in (_provider_access_consent("permit"), _provider_access_consent("deny", status="inactive")):
        import_extract(_ndjson(PATIENT, changed), "later.ndjson")
        assert repos.provider_access.opted_out(["88800933501"]) == set()
        import_extract(_ndjson(PATIENT, denied), "again.ndjson")
    bad = import_extract(_ndjson(PATIENT, _provider_access_consent("maybe")), "bad.ndjson")
    assert [(p.line, p.field) for p in bad.problems] == [(2, "provision.type")]
