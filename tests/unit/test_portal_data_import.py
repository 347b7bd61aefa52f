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


def test_a_bad_line_is_quarantined_by_line_field_and_reason_and_the_others_apply(repos):
    good = resources(TODAY)[:3]
    bad_birth = {**good[1], "birthDate": "1980-02-30"}
    report = import_extract(_lines(good[0], bad_birth, good[2]), "bad.ndjson")
    assert report.status == "partial" and report.written == 2
    assert [(p.line, p.field) for p in report.problems] == [(2, "birthDate")]
    assert repos.members.get(good[0]["identifier"][0]["value"]) is not None
    assert repos.members.get(bad_birth["identifier"][0]["value"]) is None  # never half a resource
    quarantined = [e for e in repos.audit.entries if e.action == "portal_data.import"]
    assert [(e.outcome, e.detail["quarantined"]) for e in quarantined] == [("quarantined", 1)]  # and its alarm


def test_a_strict_plan_rejects_the_whole_file_for_one_bad_line(repos):
    good = resources(TODAY)[:3]
    bad_birth = {**good[1], "birthDate": "1980-02-30"}
    report = import_extract(_lines(good[0], bad_birth, good[2]), "bad.ndjson", strict=True)
    assert report.status == "rejected" and report.written == 0
    assert [(p.line, p.field) for p in report.problems] == [(2, "birthDate")]
    assert repos.members.get(good[0]["identifier"][0]["value"]) is None  # nothing of the file applied


def test_procedure_and_reason_codes_are_format_checked(repos):
    eob = next(r for r in resources(TODAY) if r["resourceType"] == "ExplanationOfBenefit")
    wrong_code = json.loads(json.dumps(eob))
    wrong_code["item"][0]["productOrService"]["coding"][0]["code"] = "ABC"
    wrong_system = json.loads(json.dumps(eob))
    wrong_system["id"] = "another-eob"
    wrong_system["item"][0]["adjudication"][-1]["reason"]["coding"][0]["system"] = "urn:other"
    report = import_extract(_lines(wrong_code, wrong_system), "codes.ndjson")
    assert [(p.line, p.field) for p in report.problems] == [
        (1, "item.0.productOrService"), (2, f"item.0.adjudication.{len(eob['item'][0]['adjudication']) - 1}.reason")]


def test_types_the_portal_does_not_read_are_counted_and_lines_that_are_not_json_quarantined(repos):
    report = import_extract('{"resourceType": "Observation"}\nnot json\n[1]\n{"id": "x"}\n', "x.ndjson")
    assert report.skipped == {"Observation": 1}
    assert [(p.line, p.field) for p in report.problems] == [(2, "(line)"), (3, "(line)"), (4, "resourceType")]
    assert import_extract("", "empty.ndjson").status == "rejected"
    assert import_extract("\r\n\n", "blank.ndjson").status == "rejected"


def test_text_is_strict_utf8_split_on_line_feeds_only_with_bom_and_crlf_tolerated(repos):
    patient, other = [r for r in resources(TODAY) if r["resourceType"] == "Patient"][:2]
    named = json.loads(json.dumps(patient))
    named["name"][0]["family"] = "O\u2028Brien"  # a line separator inside a string is not a line break
    data = (b"\xef\xbb\xbf" + json.dumps(named, ensure_ascii=False).encode() + b"\r\n\r\n"
            + json.dumps(other).encode()[:-2] + b"\xff\xfe}}\n")
    report = import_extract(data, "mixed.ndjson")
    assert report.lines == 2 and report.members == 1
    assert [(p.line, p.field) for p in report.problems] == [(3, "(line)")]
    assert "not UTF-8" in report.problems[0].reason and report.status == "partial"
    assert repos.members.get(named["identifier"][0]["value"]).profile.last_name == "O\u2028Brien"


def test_one_id_with_two_contents_is_a_conflict_and_neither_applies_while_a_repeat_applies_once(repos):
    patient = next(r for r in resources(TODAY) if r["resourceType"] == "Patient")
    changed = {**patient, "birthDate": "1970-01-01"}
    report = import_extract(_lines(patient, changed, patient), "twice.ndjson")
    assert [(c.line, c.field) for c in report.conflicts] == [(1, "id"), (2, "id"), (3, "id")]
    assert report.status == "rejected" and repos.members.get(patient["identifier"][0]["value"]) is None
    once = import_extract(_lines(patient, patient), "repeat.ndjson")
    assert (once.status, once.members, once.written) == ("applied", 1, 1)
