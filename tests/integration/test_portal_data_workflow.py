"""The portal-data import as AWS runs it: an S3 event starts the Step Functions workflow (the same ASL file,
executed by the embedded AWS), whose survey cuts each file into ranges that run side by side, phase after
phase, each read by an S3 ranged GET; the report lands beside the export and the work files are removed.
Everything is checked in DynamoDB Local."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devserver.demo_portal_data import resources
from devserver.imports import s3_event, wait_for_execution
from devserver.local_aws import LOCAL_ENV
from functions.portal_data_import import passes, steps
from functions.portal_data_import.handler import lambda_handler as import_handler
from functions.shared.services.s3_imports import IMPORT_WORK_PREFIX
from functions.shared.store import repositories
from functions.shared.store.authorizations import AuthorizationStatus
from tests.events import FakeContext

BUCKET = LOCAL_ENV["PORTAL_DATA_BUCKET"]


def _stage_export(aws: Any, name: str, items: list[dict[str, Any]]) -> str:
    """One NDJSON file per type under exports/<name>/, then its manifest (which starts the import)."""
    s3 = aws.client("s3")
    files: dict[str, list[str]] = {}
    for resource in items:
        files.setdefault(resource["resourceType"], []).append(json.dumps(resource))
    for kind, rows in files.items():
        s3.put_object(Bucket=BUCKET, Key=f"exports/{name}/{kind}.ndjson", Body=("\n".join(rows) + "\n").encode())
    manifest = {"transactionTime": "2026-12-01T00:00:00Z", "requiresAccessToken": True,
                "output": [{"type": kind, "url": f"https://payer.example/bulk/{kind}.ndjson"} for kind in files]}
    key = f"exports/{name}/manifest.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(manifest).encode())
    return key


def _run(aws: Any, key: str, event: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[str]]:
    started = import_handler(event or s3_event(BUCKET, key), FakeContext())["imports"]
    statuses = [wait_for_execution(aws, one["execution"]) for one in started]
    report = aws.client("s3").get_object(Bucket=BUCKET, Key=f"reports/{key}.report.json")["Body"].read()
    return json.loads(report), statuses


def _work_left(aws: Any) -> list[str]:
    listed = aws.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=IMPORT_WORK_PREFIX)
    return [o["Key"] for o in listed.get("Contents", [])]


def test_an_export_cut_into_ranges_imports_phase_by_phase_and_cleans_up(aws, clock, monkeypatch):
    monkeypatch.setattr(passes, "RANGE_LINES", 3)  # the demo's 40-odd resources in many ranges
    items = resources(clock.now.date())
    key = _stage_export(aws, "december", items)
    surveyed: list[dict[str, Any]] = []
    survey_step = steps.survey_step
    monkeypatch.setattr(steps, "survey_step", lambda *a: surveyed.append(survey_step(*a)) or surveyed[-1])

    report, statuses = _run(aws, key)

    assert statuses == ["SUCCEEDED"]
    assert report["status"] == "applied" and report["problems"] == [] and report["conflicts"] == []
    phases = surveyed[0]["phases"]
    assert len(phases) >= 5 and any(len(phase) > 1 for phase in phases)  # ranges side by side within a phase
    kinds = [item["resourceType"] for item in items]
    assert report["members"] == kinds.count("Patient") and report["claims"] == kinds.count("ExplanationOfBenefit")
    assert {f["file"]: f["lines"] for f in report["files"]} == {f"{k}.ndjson": kinds.count(k) for k in set(kinds)}
    # a ClaimResponse in its own file decided the request of the Claim file
    requests = [repositories().authorizations.get(i["identifier"][0]["value"]) for i in items
                if i["resourceType"] == "Claim"]
    assert all(requests) and any(r.status != AuthorizationStatus.PENDING for r in requests)
    assert _work_left(aws) == []

    again, _ = _run(aws, key)  # the same export again (a new upload of its manifest)
    assert (again["status"], again["written"]) == ("unchanged", 0)


def test_a_redelivered_event_starts_nothing_new(aws, clock):
    key = _stage_export(aws, "twice", [i for i in resources(clock.now.date()) if i["resourceType"] == "Patient"])
    event = s3_event(BUCKET, key)
    first = import_handler(event, FakeContext())["imports"]
    second = import_handler(event, FakeContext())["imports"]  # S3 delivers at least once
    assert first == second
    assert wait_for_execution(aws, first[0]["execution"]) == "SUCCEEDED"
    machine = LOCAL_ENV["PORTAL_DATA_IMPORT_ARN"]
    runs = aws.client("stepfunctions").list_executions(stateMachineArn=machine)["executions"]
    assert [r["executionArn"] for r in runs].count(first[0]["execution"]) == 1


def test_a_strict_plan_checks_every_range_and_writes_nothing_when_one_line_is_bad(aws, clock, monkeypatch):
    monkeypatch.setattr(passes, "RANGE_LINES", 2)
    monkeypatch.setattr(steps, "is_strict", lambda: True)
    items = resources(clock.now.date())
    bad = {**next(i for i in items if i["resourceType"] == "ExplanationOfBenefit"), "id": "bad",
           "created": "2026-13-01"}
    key = _stage_export(aws, "strict", [*items, bad])

    report, statuses = _run(aws, key)

    assert statuses == ["SUCCEEDED"]
    assert report["status"] == "rejected" and report["written"] == 0
    assert [(p["file"], p["field"]) for p in report["problems"]] == [("ExplanationOfBenefit.ndjson", "created")]
    patient = next(i for i in items if i["resourceType"] == "Patient")
    assert repositories().members.profile(patient["identifier"][0]["value"]) is None
    assert _work_left(aws) == []


def test_a_step_that_fails_for_good_leaves_a_failed_report_and_no_work_files(aws, clock):
    key = _stage_export(aws, "stopped", [i for i in resources(clock.now.date()) if i["resourceType"] == "Patient"])
    steps.run({"step": "survey", "bucket": BUCKET, "key": key, "import_id": "import-stopped"})
    assert _work_left(aws)
    # what the workflow's Catch hands the failed step after a range's retries ran out
    steps.run({"step": "failed", "bucket": BUCKET, "key": key, "import_id": "import-stopped",
               "failure": {"Error": "Lambda.Unknown", "Cause": "{\"errorMessage\": \"Task timed out\"}"}})
    report = json.loads(aws.client("s3").get_object(Bucket=BUCKET, Key=f"reports/{key}.report.json")["Body"].read())
    assert report["status"] == "failed" and "upload the file or manifest again" in report["problems"][0]["reason"]
    assert "Task timed out" not in json.dumps(report)  # the cause may quote data: only the error's name is kept
    assert _work_left(aws) == []


@pytest.mark.parametrize("manifest", [b"not json", b'{"output": "nope"}'])
def test_a_bad_manifest_is_reported_without_running_a_range(aws, manifest):
    key = "exports/bad/manifest.json"
    aws.client("s3").put_object(Bucket=BUCKET, Key=key, Body=manifest)
    report, statuses = _run(aws, key)
    assert statuses == ["SUCCEEDED"]
    assert report["status"] == "rejected" and report["problems"][0]["field"] == "output"
    assert _work_left(aws) == []


def test_an_import_started_by_a_plain_file_reads_it_in_one_range(aws, clock):
    data = "".join(json.dumps(i) + "\n" for i in resources(clock.now.date()))
    aws.client("s3").put_object(Bucket=BUCKET, Key="incoming/mixed.ndjson", Body=data.encode())
    report, statuses = _run(aws, "incoming/mixed.ndjson")
    assert statuses == ["SUCCEEDED"] and report["status"] == "applied"
    assert report["lines"] == data.count("\n") and report["files"] == [
        {"file": "", "lines": data.count("\n"), "quarantined": 0, "conflicts": 0}]

