"""Portal data on DynamoDB Local: the extract import from an S3 event, then eligibility and claim status
over the local API Gateway (real authorizer), across providers that must never see each other's data."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from devserver.demo_portal_data import ndjson
from devserver.imports import s3_event, wait_for_execution
from devserver.local_aws import LOCAL_ENV
from devserver.roster import DEMO_ROSTER
from functions.portal_data_import.handler import lambda_handler as import_handler
from functions.roster_import.logic import import_roster
from functions.shared.core.clock import now
from functions.shared.store import repositories
from functions.shared.store.models import AuditEvent
from tests.events import FakeContext
from tests.integration.browser import Browser
from tests.integration.conftest import wait_for
from tests.integration.helpers import PROVEN_GROUP, signed_in_user, verified_by_staff

BUCKET = LOCAL_ENV["PORTAL_DATA_BUCKET"]
JANE = {"member_id": "M100001", "birth_date": "1984-03-12"}
SOLO = {"provider_type": "practitioner", "first_name": "Robert", "last_name": "Chen", "tax_id": "45-6789012",
        "provider_number": "P2000004", "zip": "02108"}


def landed(aws, key: str) -> dict:
    """Run the import as S3 starts it (the function starts the workflow), to its end; the report."""
    for one in import_handler(s3_event(BUCKET, key), FakeContext())["imports"]:
        assert wait_for_execution(aws, one["execution"]) == "SUCCEEDED"
    return json.loads(aws.client("s3").get_object(Bucket=BUCKET, Key=f"reports/{key}.report.json")["Body"].read())


def run_import(aws, text: str, name: str) -> dict:
    aws.client("s3").put_object(Bucket=BUCKET, Key=f"incoming/{name}", Body=text.encode())
    return landed(aws, f"incoming/{name}")


@pytest.fixture
def data(aws, clock) -> None:
    assert import_roster(DEMO_ROSTER.read_text(), "demo.csv", now()).status == "applied"
    assert run_import(aws, ndjson(now().date()), "demo.ndjson")["status"] == "applied"


def with_access(gateway, email: str, form: dict) -> Browser:
    """A signed-in user whose first link to `form`'s Provider ID is active (its administrator): proven by
    the payment in `form`, or else verified by provider relations."""
    browser = signed_in_user(gateway, email)
    assert browser.post("/links", form).status == 200
    if "payment" not in form:
        verified_by_staff(gateway, form["provider_number"].upper(), email)
    assert wait_for(lambda: _status(browser) == "pending_agreement")
    version = browser.get("/agreements/provider").body["version"]
    assert browser.post("/agreements/provider", {"version": version}).status == 200
    assert wait_for(lambda: _status(browser) == "active")
    return browser


def _status(browser: Browser) -> str | None:
    links = browser.get("/links").body["links"]
    return links[0]["status"] if links else None


@pytest.fixture
def group(gateway, data) -> Browser:
    return with_access(gateway, "office@riverside.example", PROVEN_GROUP)


def _session_subject(browser: Browser) -> str:
    from functions.shared.services.security.secrets import hash_secret

    session = repositories().sessions.get(hash_secret(browser.cookies["__Host-session"]))
    return session.account_id


def test_the_import_function_writes_a_report_and_a_rerun_changes_nothing(aws, data):
    again = run_import(aws, ndjson(now().date()), "again.ndjson")
    assert again["status"] == "unchanged" and again["written"] == 0
    bad = run_import(aws, '{"resourceType": "Patient", "id": "x", "birthDate": "1990-13-01"}\n', "bad.ndjson")
    assert bad["status"] == "rejected" and bad["problems"][0]["line"] == 1 and bad["problems"][0]["field"]
    assert "1990-13-01" not in json.dumps(bad)  # reports name fields, never echo member data
    assert repositories().members.get("M100001").profile.last_name == "Doe"


def test_eligibility_answers_with_no_store_and_leaves_an_audit_record(group):
    reply = group.post("/eligibility", {"acting_for": "G1000001", "service_date": now().date().isoformat(), **JANE})
    assert reply.status == 200 and reply.body["status"] == "covered"
    assert reply.header("Cache-Control") == "no-store"
    subject = _session_subject(group)
    records = [r for r in AuditEvent.query(subject) if r.action == "phi.eligibility"]
    assert [(r.outcome, r.detail["member_id"], r.detail["acting_for"]) for r in records] == [
        ("covered", "M100001", "G1000001")]


def test_provider_a_asking_for_provider_bs_claims_gets_nothing(gateway, group):
    solo = with_access(gateway, "dr.chen@clinic.example", SOLO)
    assert group.get("/claims/C26000101?acting_for=G1000001").status == 200
    theirs = solo.get("/claims/C26000101?acting_for=P2000004")
    missing = solo.get("/claims/C00000000?acting_for=P2000004")
    assert (theirs.status, theirs.body["type"]) == (404, "/problems/claim-not-found")
    assert theirs.body["detail"] == missing.body["detail"]
    assert solo.get("/claims/C26000101?acting_for=G1000001").body["type"] == "/problems/not-acting-for"
    year = {"from_date": (now().date() - timedelta(days=365)).isoformat(), "to_date": now().date().isoformat()}
    too_long = solo.post("/claims/search", {"acting_for": "P2000004", **year, "from_date": "2000-01-01", **JANE})
    assert too_long.status == 422 and too_long.body["errors"][0]["field"] == "to_date"
    listed = solo.post("/claims/search", {"acting_for": "P2000004", **year, **JANE})
    assert listed.status == 200 and listed.body["claims"] == []  # Jane's claims are all the group's
    across = solo.post("/claims/search", {"acting_for": "P2000004", "provider_id": "G1000001",
                                          "from_date": "2026-01-01", "to_date": "2026-12-31"})
    assert across.status == 422 and across.body["errors"][0]["field"] == "provider_id"


def test_without_access_the_portal_reads_nothing(gateway, data):
    user = signed_in_user(gateway, "new@clinic.example")
    reply = user.post("/eligibility", {"acting_for": "G1000001", "service_date": "2026-01-05", **JANE})
    assert (reply.status, reply.body["type"]) == (403, "/problems/no-access")
    assert user.get("/claims/C26000101?acting_for=G1000001").status == 403


def test_pages_follow_their_cursor_and_a_claim_loaded_meanwhile_does_not_repeat_one(group):
    today = now().date()
    search = {"acting_for": "G1000001", "provider_id": "P2000001", "page_size": 2,
              "from_date": (today - timedelta(days=365)).isoformat(), "to_date": today.isoformat()}
    first = group.post("/claims/search", search).body
    newest = repositories().claims.get(first["claims"][0]["claim_id"])
    repositories().claims.put(replace(newest, claim_id="CNEW00001", service_from=today, service_to=today),
                              "inserted", "test")
    seen, cursor = [c["claim_id"] for c in first["claims"]], first["next_cursor"]
    while cursor:
        page = group.post("/claims/search", {**search, "cursor": cursor}).body
        seen += [c["claim_id"] for c in page["claims"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) > 2 and "CNEW00001" not in seen
    dates = [repositories().claims.get(c).service_from for c in seen]
    assert dates == sorted(dates, reverse=True)


def test_authorizations_in_the_extract_are_stored_and_a_rerun_or_a_bad_row_changes_nothing(aws, data, group):
    # Given the demo extract imported (its authorizations among it), on DynamoDB Local
    stored = {n: repositories().authorizations.get(f"PA-DEMO00000{n}") for n in range(1, 8)}
    assert {a.status.value for a in stored.values()} == {"pending", "approved", "partially_approved", "denied",
                                                         "withdrawn"}
    assert stored[6].service_lines[1].approved_units == 12 and stored[5].decision_reason.startswith("Not medically")
    assert stored[3].history[-1].event == "pended"  # A4: under the plan's review
    # decided in the plan's core system (the profile's default): none waits in the portal's queue
    assert {stored[n].decided_in for n in (1, 2, 3)} == {"core"} and repositories().authorizations.pending(10) == []
    # When the same file is imported again, and a file with one bad authorization row
    again = run_import(aws, ndjson(now().date()), "again.ndjson")
    claim = next(json.loads(line) for line in ndjson(now().date()).splitlines() if '"resourceType": "Claim"' in line)
    bad_rows = [json.dumps({**claim, "id": "new-1", "identifier": [{"system": "urn:portal:authorization-number",
                                                                    "value": "PA-NEW0000001"}],
                            "priority": {"coding": []}})]
    new_good = json.dumps({**claim, "id": "new-2", "identifier": [{"system": "urn:portal:authorization-number",
                                                                   "value": "PA-NEW0000002"}]})
    bad = run_import(aws, "\n".join([new_good, *bad_rows]) + "\n", "bad-authorization.ndjson")
    # Then the stored ones stay as they were; the bad row is named and quarantined, the good one applies
    assert again["status"] == "unchanged" and again["written"] == 0 and again["authorizations"] == 7
    assert bad["status"] == "partial" and [(p["line"], p["field"]) for p in bad["problems"]] == [(2, "priority")]
    assert repositories().authorizations.get("PA-NEW0000001") is None
    assert repositories().authorizations.get("PA-NEW0000002").status.value == "pending"
    assert {n: repositories().authorizations.get(f"PA-DEMO00000{n}") for n in range(1, 8)} == stored
    # And the provider sees an imported request with its due time and history
    shown = group.get("/authorizations/PA-DEMO000006?acting_for=G1000001")
    assert shown.status == 200 and shown.body["status"] == "partially_approved"
    assert [h["event"] for h in shown.body["history"]] == ["submitted", "partially_approved"]


def test_a_bulk_data_export_is_imported_when_its_manifest_lands(aws, clock):
    from tests.unit.test_portal_data_standard_shapes import COVERAGE, ORGANIZATION, PATIENT, PRACTITIONER, PROFESSIONAL

    # Given an export's files under exports/<name>/, one per type, as a Bulk Data server writes them
    s3 = aws.client("s3")
    files = {"Patient.ndjson": [PATIENT], "Coverage.ndjson": [COVERAGE], "Organization.ndjson": [ORGANIZATION],
             "Practitioner.ndjson": [PRACTITIONER], "ExplanationOfBenefit.ndjson": [PROFESSIONAL]}
    for name, resources in files.items():
        s3.put_object(Bucket=BUCKET, Key=f"exports/2026-12-01/{name}",
                      Body="".join(json.dumps(r) + "\n" for r in resources).encode())
    manifest = {"transactionTime": "2026-12-01T00:00:00Z", "requiresAccessToken": True,
                "output": [{"type": n.split(".")[0], "url": f"s3://{BUCKET}/exports/2026-12-01/{n}"} for n in files]}
    s3.put_object(Bucket=BUCKET, Key="exports/2026-12-01/manifest.json", Body=json.dumps(manifest).encode())
    # When its manifest's S3 event reaches the import function
    report = landed(aws, "exports/2026-12-01/manifest.json")
    # Then every file is read, and the report lies beside the others
    assert (report["status"], report["members"], report["coverages"], report["claims"]) == ("applied", 1, 1, 1)
    assert repositories().claims.get("PROFEXAMPLE1").billing_provider_id == "1497758544"
