"""An export cut into ranges imports exactly as it does read whole: the survey cuts every file at line starts
(BOM, CRLF and empty lines included), numbering carries on across the cut, an id whose copies sit in
different ranges is still a conflict (or, with one content, read once), and the phases order the files so
a ClaimResponse in its own file decides the Claim of an earlier one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from devserver.demo_portal_data import resources
from functions.portal_data_import import passes
from functions.portal_data_import.fhir import lines, numbered_lines
from functions.portal_data_import.logic import ImportReport, import_extract, import_files
from functions.portal_data_import.passes import Range, Source, Survey, survey
from functions.shared.store import repositories, use
from functions.shared.store.authorizations import AuthorizationStatus
from tests.unit.memory import memory_repositories

TODAY = date(2026, 11, 28)


def _chunks(data: bytes, size: int = 5) -> Iterator[bytes]:
    return (data[i:i + size] for i in range(0, len(data), size))


def _source(name: str, data: bytes) -> Source:
    return Source.whole(name, lambda: _chunks(data))


def _by_type(items: list[dict[str, Any]]) -> dict[str, bytes]:
    files: dict[str, list[str]] = {}
    for resource in items:
        files.setdefault(f"{resource['resourceType']}.ndjson", []).append(json.dumps(resource))
    return {name: ("\n".join(rows) + "\n").encode() for name, rows in files.items()}


def _export_sources(files: dict[str, bytes]) -> list[Source]:
    # listed in an order a payer might write them (claims first): the phases put them right
    return [_source(name, files[name]) for name in sorted(files, reverse=True)]


def _stored(items: list[dict[str, Any]]) -> dict[str, Any]:
    """What the store holds of every member, claim and request the resources name."""
    repos = repositories()
    members = sorted({i["identifier"][0]["value"] for i in items if i["resourceType"] == "Patient"})
    claims = sorted(i["identifier"][0]["value"] for i in items if i["resourceType"] == "ExplanationOfBenefit")
    requests = sorted(i["identifier"][0]["value"] for i in items if i["resourceType"] == "Claim")
    return {"members": [(repos.members.profile(m), repos.members.coverages(m)) for m in members],
            "claims": [repos.claims.get(c) for c in claims],
            "requests": [repos.authorizations.get(r) for r in requests]}


def _counts(report: ImportReport) -> tuple[Any, ...]:
    return (report.status, report.lines, report.members, report.coverages, report.claims, report.authorizations,
            report.written, len(report.problems), len(report.conflicts))


def test_ranges_start_at_line_starts_and_carry_the_numbering_on():
    data = (b'\xef\xbb\xbf{"resourceType": "Patient", "id": "a"}\r\n\n{"resourceType": "Patient", "id": "b"}\n'
            b'\n\n{"resourceType": "Patient", "id": "\xe2\x80\xa8c"}\r\n{"resourceType": "Patient", "id": "d"}\n'
            b'{"resourceType": "Patient", "id": "e"}')
    found = survey([_source("", data)], range_lines=2)
    assert len(found.ranges) == 4  # cut before lines 1, 3, 6 and 8: every two numbered lines
    assert found.ranges[0].start == 0 and found.ranges[-1].end is None
    pieces = []
    for piece in found.ranges:
        chunk = data[piece.start:piece.end]
        pieces.extend((n, text) for n, _, text in numbered_lines([chunk], after=piece.after, bom=piece.start == 0))
    assert pieces == list(lines(data))  # every line once, numbered as in the whole file
    assert [n for n, _ in pieces] == [1, 3, 6, 7, 8]


def test_a_survey_is_plain_data_that_comes_back_the_same():
    files = _by_type(resources(TODAY))
    found = survey(_export_sources(files), range_lines=4)
    again = Survey.from_json(found.to_json())
    assert again == found
    assert [r for phase in again.phases() for r in phase] == sorted(found.ranges, key=lambda r: (
        passes.DEPENDENCY_ORDER.index(found.kinds[r.file][0]), r.file, r.start))


def test_a_mixed_file_is_one_range_in_the_phase_of_the_first_type_it_holds():
    mixed = (json.dumps({"resourceType": "Patient", "id": "x"}) + "\n" +
             json.dumps({"resourceType": "Claim", "id": "y"}) + "\n") * 5
    responses = b'{"resourceType": "ClaimResponse", "id": "z"}\n{"resourceType": "Organization", "id": "o"}\n'
    found = survey([_source("ClaimResponse.ndjson", responses), _source("mixed.ndjson", mixed.encode())],
                   range_lines=2)
    assert found.kinds == [["ClaimResponse"], ["Claim", "Patient"]]  # an Organization is only referenced
    assert found.ranges == [Range(0, 0, None, 0), Range(1, 0, None, 0)]
    # the mixed file's requests are on file before the responses of the ClaimResponse file are read
    assert found.phases() == [[Range(1, 0, None, 0)], [Range(0, 0, None, 0)]]


@pytest.mark.parametrize("range_lines", [1, 3, 7])
def test_an_export_cut_into_ranges_stores_and_reports_what_it_does_whole(monkeypatch, range_lines):
    items = resources(TODAY)
    files = _by_type(items)
    use(memory_repositories())
    whole = import_files(_export_sources(files), "whole", strict=False)
    expected = _stored(items)
    monkeypatch.setattr(passes, "RANGE_LINES", range_lines)
    use(memory_repositories())
    try:
        cut = import_files(_export_sources(files), "cut", strict=False)
        assert _counts(cut) == _counts(whole) and cut.status == "applied"
        assert _stored(items) == expected
        decided = [a for a in expected["requests"] if a.status != AuthorizationStatus.PENDING]
        assert decided, "the demo requests include decided ones: their responses sit in ClaimResponse.ndjson"
        again = import_files(_export_sources(files), "again", strict=False)
        assert (again.status, again.written) == ("unchanged", 0)
    finally:
        use(None)


def test_copies_of_one_id_in_different_ranges_are_a_conflict_or_read_once(monkeypatch, repos):
    monkeypatch.setattr(passes, "RANGE_LINES", 2)
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1980-01-01",
               "name": [{"family": "One", "given": ["Ann"]}],
               "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                                    "code": "MB"}]}, "value": "M1"}]}
    other = {**patient, "id": "p2", "identifier": [{**patient["identifier"][0], "value": "M2"}]}
    changed = {**other, "birthDate": "1981-01-01"}
    third = {**patient, "id": "p3", "identifier": [{**patient["identifier"][0], "value": "M3"}]}
    rows = [patient, other, patient, third, changed]  # p1 twice alike; p2 in lines 2 and 5 differ
    report = import_extract("".join(json.dumps(r) + "\n" for r in rows), "copies.ndjson")
    assert sorted(p.line for p in report.conflicts) == [2, 5]
    assert repos.members.profile("M2") is None  # neither copy of p2
    assert repos.members.profile("M1") is not None and report.members == 2  # p1 once, and p3
    assert repos.members.profile("M3") is not None


def test_a_strict_plan_checks_every_range_before_it_writes_any(monkeypatch, repos):
    monkeypatch.setattr(passes, "RANGE_LINES", 1)
    items = resources(TODAY)
    bad = {**next(i for i in items if i["resourceType"] == "Patient"), "id": "bad", "birthDate": "1990-13-01"}
    files = _by_type([*items, bad])
    report = import_files(_export_sources(files), "strict", strict=True)
    assert report.status == "rejected" and report.written == 0
    assert [(p.file, p.field) for p in report.problems] == [("Patient.ndjson", "birthDate")]
    assert _stored(items)["claims"] == [None] * len(_stored(items)["claims"])
