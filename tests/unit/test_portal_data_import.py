"""The FHIR extract import: whole files validated first, bad lines named, re-runs change nothing."""

import json
from datetime import date

from devserver.demo_portal_data import ndjson, resources
from functions.portal_data_import.logic import import_extract
from functions.shared.store.claims import ClaimStatus

TODAY = date(2026, 11, 28)


def _lines(*changed: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in changed)


def test_the_demo_extract_is_applied_whole(repos):
    report = import_extract(ndjson(TODAY), "demo.ndjson")
    assert report.status == "applied" and report.problems == []
    assert report.written == report.members + report.coverages + report.claims + report.authorizations
    jane = repos.members.get("M100001")
    assert jane.profile.last_name == "Doe" and jane.coverages[0].pcp_provider_id == "P2000001"
    denied = repos.claims.get("C26000102")
    assert denied.status == ClaimStatus.DENIED and "CARC:197" in denied.reason_codes
    paid = repos.claims.get("C26000101")
    assert paid.payment.method == "eft" and paid.payment.amount_cents == paid.paid_cents == 13000


def test_importing_the_same_file_again_writes_nothing(repos):
    import_extract(ndjson(TODAY), "demo.ndjson")
    again = import_extract(ndjson(TODAY), "demo-again.ndjson")
    assert again.status == "unchanged" and again.written == 0 and again.unchanged > 0


def test_one_bad_line_rejects_the_file_and_names_line_field_and_reason(repos):
    good = resources(TODAY)[:3]
    bad_birth = {**good[1], "birthDate": "1980-02-30"}
    report = import_extract(_lines(good[0], bad_birth, good[2]), "bad.ndjson")
    assert report.status == "rejected" and report.written == 0
    assert [(p.line, p.field) for p in report.problems] == [(2, "birthDate")]
    assert repos.members.get(good[0]["identifier"][0]["value"]) is None  # nothing of the file applied


def test_procedure_and_reason_codes_are_format_checked(repos):
    eob = next(r for r in resources(TODAY) if r["resourceType"] == "ExplanationOfBenefit")
    wrong_code = json.loads(json.dumps(eob))
    wrong_code["item"][0]["productOrService"]["coding"][0]["code"] = "ABC"
    wrong_system = json.loads(json.dumps(eob))
    wrong_system["item"][0]["adjudication"][-1]["reason"]["coding"][0]["system"] = "urn:other"
    report = import_extract(_lines(wrong_code, wrong_system), "codes.ndjson")
    assert [(p.line, p.field) for p in report.problems] == [
        (1, "item.0.productOrService"), (2, f"item.0.adjudication.{len(eob['item'][0]['adjudication']) - 1}.reason")]


def test_a_file_that_is_not_fhir_ndjson_is_rejected(repos):
    report = import_extract('{"resourceType": "Observation"}\nnot json\n', "x.ndjson")
    assert [(p.line, p.field) for p in report.problems] == [(1, "resourceType"), (2, "(line)")]
    assert import_extract("", "empty.ndjson").status == "rejected"
