"""The local command-line tools against a running devserver: roster import and the staff tool."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import Portal

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60, check=False)


def test_roster_cli_reports_bad_rows_and_applies_good_files(portal: Portal, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("provider_id,provider_type,first_name,last_name,group_name,tax_id,address,city,state,zip\n"
                   "P9,Dentist,A,B,,1,x,y,OH,1\n")
    rejected = run("devserver.roster", str(bad), "--portal", portal.url)
    assert rejected.returncode == 1 and '"status": "rejected"' in rejected.stdout
    assert "provider_type must be Practitioner or Group" in rejected.stdout

    demo = REPO / "devserver" / "data" / "demo-roster.csv"
    again = run("devserver.roster", str(demo), "--portal", portal.url)  # loaded at start already
    assert again.returncode == 0 and '"status": "unchanged"' in again.stdout


def test_staff_cli_lists_and_refuses_unknown_decisions(portal: Portal) -> None:
    listed = run("devserver.staff", "list", "--portal", portal.url)
    assert listed.returncode == 0 and "No organizational agreements are waiting." in listed.stdout
    missing = run("devserver.staff", "approve", "999999999", "--reason", "checked", "--portal", portal.url)
    assert missing.returncode != 0 and "No such agreement" in missing.stderr


def test_load_cli_takes_any_file_name_quarantines_bad_lines_and_says_so_by_its_exit_code(portal: Portal,
                                                                                         tmp_path: Path) -> None:
    from devserver.demo_portal_data import ndjson
    from functions.shared.core import clock

    lines = ndjson(clock.now().date()).splitlines()
    patient = next(line for line in lines if '"resourceType": "Patient"' in line)
    mixed = tmp_path / "extract with spaces.ndjson"
    mixed.write_bytes(b"\xef\xbb\xbf" + patient.encode() + b"\r\n" + b'{"resourceType": "Patient", "id": "\xff"}\n'
                      + b'{"resourceType": "Observation"}\n')
    partial = run("devserver.load", str(mixed), "--portal", portal.url)
    assert partial.returncode == 1 and '"status": "partial"' in partial.stdout, partial.stderr
    assert "not UTF-8" in partial.stdout and '"Observation": 1' in partial.stdout
    assert "Traceback" not in partial.stderr
    again = tmp_path / "patient.ndjson"
    again.write_text(patient + "\n")
    unchanged = run("devserver.load", str(again), "--portal", portal.url)
    assert unchanged.returncode == 0 and '"status": "unchanged"' in unchanged.stdout


def test_load_cli_imports_a_bulk_data_export_folder(portal: Portal, tmp_path: Path) -> None:
    import json

    from tests.unit.test_portal_data_standard_shapes import COVERAGE, ORGANIZATION, PATIENT, PRACTITIONER, PROFESSIONAL

    export = tmp_path / "export-2026-12-01"
    export.mkdir()
    for kind, resources in {"Organization": [ORGANIZATION], "Practitioner": [PRACTITIONER], "Patient": [PATIENT],
                            "Coverage": [COVERAGE], "ExplanationOfBenefit": [PROFESSIONAL]}.items():
        (export / f"{kind}.ndjson").write_text("".join(json.dumps(r) + "\n" for r in resources))
    loaded = run("devserver.load", str(export), "--portal", portal.url)  # no manifest: made from the names
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    report = json.loads(loaded.stdout)
    assert (report["status"], report["members"], report["claims"]) == ("applied", 1, 1)
    (export / "manifest.json").write_text(json.dumps({"output": [
        {"type": "Patient", "url": "https://payer.example/out/Patient.ndjson"}]}))
    again = run("devserver.load", str(export / "manifest.json"), "--portal", portal.url)
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "unchanged"


def test_the_fhir_walkthrough_matches_exports_and_sends_a_prior_authorization(portal: Portal) -> None:
    walked = run("devserver.fhir_client", "--url", portal.url)
    assert walked.returncode == 0, walked.stdout[-2000:] + walked.stderr[-2000:]
    last = json.loads(walked.stdout.strip().splitlines()[-1])
    assert last["authorization"].startswith("PA-")
    assert "/Claim/$submit -> 200" in walked.stdout and "/Claim/$inquire -> 200" in walked.stdout
