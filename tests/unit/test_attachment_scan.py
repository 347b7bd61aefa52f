"""Malware-scan results of attached files: the rules of each result, the checks on GuardDuty's event, and
what the attachment_scan function does with one (on the in-memory store)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devserver.malware_scan import EICAR, scan, scan_event
from functions.attachment_scan import logic
from functions.attachment_scan.events import InvalidScanEvent, scan_report
from functions.shared.core.malware_scan import (
    STATE_OF,
    FileState,
    ScanResult,
    downloadable,
    may_record,
)
from functions.shared.core.plans import plan_profile
from functions.shared.store.attachment_files import attachment_key, key_parts
from functions.shared.store.authorizations import (
    Attachment,
    Authorization,
    AuthorizationUrgency,
    Event,
    FileNotListed,
    ServiceRequest,
)
from tests.unit.identity import active_account

PLAN = plan_profile("caresource")
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
BUCKET = "local-portal-data"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
INFECTED = b"%PDF-1.7\n" + EICAR
NUMBER = "PA-0000000001"


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def test_only_a_clean_result_makes_a_file_downloadable():
    assert {result: STATE_OF[result] for result in ScanResult} == {
        ScanResult.NO_THREATS_FOUND: FileState.CLEAN, ScanResult.THREATS_FOUND: FileState.QUARANTINED,
        ScanResult.UNSUPPORTED: FileState.NOT_SCANNED, ScanResult.ACCESS_DENIED: FileState.NOT_SCANNED,
        ScanResult.FAILED: FileState.NOT_SCANNED}
    assert [state for state in FileState if downloadable(state)] == [FileState.CLEAN]


def test_a_quarantined_file_stays_quarantined_and_a_result_twice_changes_nothing():
    assert all(not may_record(FileState.QUARANTINED, target) for target in FileState)
    assert all(not may_record(state, state) for state in FileState)
    assert may_record(FileState.PENDING_SCAN, FileState.CLEAN) and may_record(FileState.CLEAN, FileState.QUARANTINED)
    assert may_record(FileState.NOT_SCANNED, FileState.CLEAN)  # the file sent again and scanned this time
    assert not may_record(FileState.CLEAN, FileState.NOT_SCANNED)  # a failed rescan does not unmake a verdict
    assert not may_record(FileState.CLEAN, FileState.PENDING_SCAN)


def test_the_local_scanner_finds_the_eicar_test_string_only():
    assert scan(INFECTED) == (ScanResult.THREATS_FOUND, ("EICAR-Test-File (not a virus)",))
    assert scan(PDF) == (ScanResult.NO_THREATS_FOUND, ())


def test_a_scan_event_is_read_only_when_it_is_guardduty_s_for_this_bucket():
    key = attachment_key(NUMBER, sha(PDF))
    report = scan_report(scan_event(BUCKET, key, ScanResult.THREATS_FOUND, threats=("EICAR",), version_id="v1",
                                    event_id="e-1"), BUCKET)
    assert (report.event_id, report.key, report.version_id, report.result, report.threats) == (
        "e-1", key, "v1", ScanResult.THREATS_FOUND, ("EICAR",))
    assert key_parts(key) == (NUMBER, sha(PDF))
    good = scan_event(BUCKET, key, ScanResult.NO_THREATS_FOUND)
    wrong = {
        "another source": {**good, "source": "aws.s3"},
        "another type": {**good, "detail-type": "Object Created"},
        "no detail": {k: v for k, v in good.items() if k != "detail"},
        "an unknown result": {**good, "detail": {**good["detail"], "scanResultDetails": {"scanResultStatus": "MAYBE"}}},
        "no object": {**good, "detail": {**good["detail"], "s3ObjectDetails": None}},
    }
    refused = []
    for why, event in wrong.items():
        with pytest.raises(InvalidScanEvent):
            scan_report(event, BUCKET)
        refused.append(why)
    assert refused == list(wrong)
    with pytest.raises(InvalidScanEvent, match="another bucket"):
        scan_report(good, "someone-elses-bucket")
    with pytest.raises(InvalidScanEvent):
        scan_report(["not", "an", "object"], BUCKET)
    assert key_parts("attachments/PA-0000000001/../../incoming/x.ndjson") is None
    assert key_parts("incoming/roster.csv") is None


@pytest.fixture
def request_with_files(repos: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Request NUMBER from account 'office' with a clean PDF (file 1) and an infected one (file 2), stored."""
    active_account(repos, account_id="office", email="office@clinic.example")
    files = (Attachment(1, "Jane Roe MRI.pdf", "application/pdf", len(PDF), sha(PDF), NOW),
             Attachment(2, "Jane Roe labs.pdf", "application/pdf", len(INFECTED), sha(INFECTED), NOW))
    repos.authorizations.requests[NUMBER] = Authorization(
        authorization_id=NUMBER, member_id="M100000001", member_name="Jane Roe", requesting_provider_id="G1000001",
        servicing_provider_id="G1000001", service_lines=(ServiceRequest("70551", 1),), diagnosis_codes=("R51.9",),
        service_from=NOW.date(), service_to=NOW.date(), urgency=AuthorizationUrgency.STANDARD, clinical_notes=None,
        submitted_at=NOW, submitted_by="office", due_at=NOW + timedelta(days=7), attachments=files,
        history=(Event(NOW, "submitted", "provider", attachments=(1, 2)),))
    for content in (PDF, INFECTED):
        repos.attachment_files.put(NUMBER, sha(content), content, "application/pdf")
    sent: list[tuple[str, Any, str | None]] = []
    monkeypatch.setattr(logic, "send_mail", lambda to, mail, once_for=None: sent.append((to, mail, once_for)))
    repos.sent = sent
    return repos


def deliver(content: bytes, result: ScanResult, event_id: str = "e-1") -> dict[str, str]:
    return logic.record_result(scan_event(BUCKET, attachment_key(NUMBER, sha(content)), result, event_id=event_id),
                               PLAN, NOW)


def states(repos: Any) -> list[FileState]:
    return [a.scan for a in repos.authorizations.requests[NUMBER].attachments]


def test_a_clean_result_is_recorded_once_with_its_audit_record_and_no_mail(request_with_files):
    repos = request_with_files
    assert states(repos) == [FileState.PENDING_SCAN, FileState.PENDING_SCAN]
    assert deliver(PDF, ScanResult.NO_THREATS_FOUND) == {"state": "clean", "changed": "yes"}
    assert deliver(PDF, ScanResult.NO_THREATS_FOUND, "e-2") == {"state": "clean", "changed": "no"}
    assert states(repos) == [FileState.CLEAN, FileState.PENDING_SCAN]
    (entry,) = repos.authorizations.audit
    assert (entry.action, entry.outcome, entry.subject) == ("authorization.attachment_scan", "clean", "office")
    assert repos.sent == [] and repos.attachment_files.quarantined == []


def test_a_threat_quarantines_the_file_deletes_it_and_tells_the_office_and_the_desk_once(request_with_files):
    repos = request_with_files
    key = attachment_key(NUMBER, sha(INFECTED))
    assert deliver(INFECTED, ScanResult.THREATS_FOUND) == {"state": "quarantined", "changed": "yes"}
    assert states(repos) == [FileState.PENDING_SCAN, FileState.QUARANTINED]
    assert key not in repos.attachment_files.objects and repos.attachment_files.quarantined == [key]
    assert [to for to, _, _ in repos.sent] == ["office@clinic.example", PLAN.utilization_management_email]
    office_mail = repos.sent[0][1]
    assert NUMBER in office_mail.subject and "File 2 " in office_mail.text and "malware" in office_mail.text
    for _, mail, _ in repos.sent:  # no PHI: no member, no file name
        assert not any(phi in mail.subject + mail.text + mail.html for phi in ("Jane", "Roe", "M100000001", "MRI"))
    (entry,) = repos.authorizations.audit
    assert entry.outcome == "quarantined" and entry.detail["attachments"] == [2]
    # The same event again, and a later clean result: the record and the audit trail do not move; the mail
    # is queued under the same delivery ids, which the sender delivers once.
    assert deliver(INFECTED, ScanResult.THREATS_FOUND) == {"state": "quarantined", "changed": "no"}
    assert deliver(INFECTED, ScanResult.NO_THREATS_FOUND, "e-3")["changed"] == "no"
    assert states(repos) == [FileState.PENDING_SCAN, FileState.QUARANTINED] and len(repos.authorizations.audit) == 1
    assert len({once for _, _, once in repos.sent}) == 2


def test_a_file_that_could_not_be_scanned_is_not_downloadable_and_the_office_is_asked_again(request_with_files):
    repos = request_with_files
    assert deliver(PDF, ScanResult.UNSUPPORTED) == {"state": "not_scanned", "changed": "yes"}
    assert states(repos)[0] == FileState.NOT_SCANNED and repos.attachment_files.quarantined == []
    assert "could not check" in repos.sent[0][1].text
    assert deliver(PDF, ScanResult.NO_THREATS_FOUND, "e-2")["state"] == "clean"  # sent again, scanned clean
    assert states(repos)[0] == FileState.CLEAN


def test_a_result_for_a_file_no_request_lists_is_an_error_so_it_is_tried_again(request_with_files):
    with pytest.raises(FileNotListed):
        deliver(b"%PDF-1.7 another file", ScanResult.NO_THREATS_FOUND)
    with pytest.raises(InvalidScanEvent):
        logic.record_result({"source": "aws.guardduty"}, PLAN, NOW)
    with pytest.raises(InvalidScanEvent, match="not an attached file"):
        logic.record_result(scan_event(BUCKET, "incoming/members.ndjson", ScanResult.NO_THREATS_FOUND), PLAN, NOW)
    assert request_with_files.authorizations.audit == []


def test_a_file_no_request_lists_long_after_its_scan_is_removed_not_retried(request_with_files):
    """Stored for a submission that was never recorded: once every writer has ended, the result (as a
    redrive from the dead-letter queue brings it) removes the file instead of failing again."""
    from datetime import timedelta

    orphan = b"%PDF-1.7 a file of a submission that lost its race"
    event = scan_event(BUCKET, attachment_key(NUMBER, sha(orphan)), ScanResult.NO_THREATS_FOUND, event_id="e-9")
    event["time"] = (NOW - logic.ORPHAN_AFTER - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert logic.record_result(event, PLAN, NOW) == {"state": "orphan_removed", "changed": "yes"}
    assert request_with_files.attachment_files.quarantined == [attachment_key(NUMBER, sha(orphan))]
    event["time"] = (NOW - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")  # its request may still come
    with pytest.raises(FileNotListed):
        logic.record_result(event, PLAN, NOW)
