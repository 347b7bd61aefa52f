"""Malware scanning of attached files on DynamoDB Local and moto, with the devserver's stand-in for GuardDuty
(devserver/malware_scan.py: the same tag on the object, the same EventBridge event to the same handler):
a file is pending until its result arrives, downloadable only when clean, and an infected one is quarantined,
shown to the office as such, mailed about and audited, once, however often the result is delivered."""

from __future__ import annotations

import base64
import hashlib

import pytest

from devserver import malware_scan
from devserver.local_aws import LOCAL_ENV
from functions.attachment_scan.events import InvalidScanEvent
from functions.shared.core.malware_scan import SCAN_STATUS_TAG, ScanResult
from functions.shared.store.attachment_files import attachment_key
from functions.shared.store.models import AuditEvent
from functions.shared.store.portal_models import AuthorizationRecord
from tests.integration import test_portal_data as portal
from tests.integration.conftest import concurrently
from tests.integration.helpers import mails_to
from tests.integration.test_authorizations import OFFICE, form

data, group = portal.data, portal.group
BUCKET = LOCAL_ENV["PORTAL_DATA_BUCKET"]
PDF = b"%PDF-1.7\n" + b"referral " * 40 + b"\n%%EOF\n"
INFECTED = b"%PDF-1.7\n" + malware_scan.EICAR + b"\n%%EOF\n"


def attached(name: str, content: bytes) -> dict:
    return {"name": name, "content_type": "application/pdf", "content": base64.b64encode(content).decode()}


def submitted(group, clock, *files: dict, key: str = "k-scan-0001") -> str:
    created = group.request("POST", "/authorizations", form(clock.now.date(), attachments=list(files)),
                            headers={"Idempotency-Key": key})
    assert created.status == 201, created.body
    return str(created.body["authorization_id"])


def states(group, number: str) -> list[str]:
    return [f["scan"] for f in group.get(f"/authorizations/{number}?acting_for=G1000001").body["attachments"]]


def download(group, number: str, n: int):
    return group.request("GET", f"/authorizations/{number}/attachments/{n}?acting_for=G1000001",
                         headers={"Accept": "application/pdf"})


def tag_of(aws, number: str, content: bytes) -> dict[str, str]:
    tags = aws.client("s3").get_object_tagging(Bucket=BUCKET, Key=attachment_key(number, hashlib.sha256(content)
                                                                                 .hexdigest()))["TagSet"]
    return {t["Key"]: t["Value"] for t in tags}


def test_a_clean_pdf_is_pending_then_clean_then_downloadable(gateway, group, clock, aws):
    # Given a request with a PDF, before the scan's result arrives
    number = submitted(group, clock, attached("referral.pdf", PDF))
    assert states(group, number) == ["pending_scan"]
    pending = download(group, number, 1)
    assert (pending.status, pending.body["type"]) == (409, "/problems/file-pending-scan")
    assert pending.header("Content-Type") == "application/problem+json"
    # When the scanner has looked at it
    assert malware_scan.drain() == 1
    # Then the object carries GuardDuty's tag, the request shows it clean, and the bytes come back
    assert tag_of(aws, number, PDF) == {SCAN_STATUS_TAG: "NO_THREATS_FOUND"}
    assert states(group, number) == ["clean"]
    got = download(group, number, 1)
    assert (got.status, got.body) == (200, PDF)
    assert not [m for m in mails_to(OFFICE) if "refused" in m.subject]


def test_an_eicar_file_is_quarantined_refused_shown_mailed_and_audited_once(gateway, group, clock, aws):
    # Given a request with a clean PDF and one carrying the EICAR test string
    number = submitted(group, clock, attached("referral.pdf", PDF), attached("labs.pdf", INFECTED))
    assert states(group, number) == ["pending_scan", "pending_scan"]
    # When the scanner has looked at both
    assert malware_scan.drain() == 2
    # Then the infected one is quarantined: shown so, refused, its object gone, the office and the desk mailed
    assert states(group, number) == ["clean", "quarantined"]
    refused = download(group, number, 2)
    assert (refused.status, refused.body["type"]) == (410, "/problems/file-quarantined")
    assert download(group, number, 1).status == 200
    s3 = aws.client("s3")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"attachments/{number}/")["Contents"]] == [
        attachment_key(number, hashlib.sha256(PDF).hexdigest())]
    (mail,) = [m for m in mails_to(OFFICE) if "refused" in m.subject]
    assert number in mail.subject and "File 2 " in mail.body and "malware" in mail.body
    assert not any(phi in mail.subject + mail.body for phi in ("labs.pdf", "M100001", "Maria"))
    subject = portal._session_subject(group)
    scans = [r for r in AuditEvent.query(subject) if r.action == "authorization.attachment_scan"]
    assert sorted(r.outcome for r in scans) == ["clean", "quarantined"]
    assert sorted(r.outcome for r in AuditEvent.query(subject) if r.action == "phi.authorization.attachment") == [
        "downloaded", "refused_quarantined"]
    # And the same event delivered again changes nothing more: no state, audit record or mail
    event = malware_scan.scan_event(BUCKET, attachment_key(number, hashlib.sha256(INFECTED).hexdigest()),
                                    ScanResult.THREATS_FOUND, threats=(malware_scan.EICAR_THREAT,))
    assert malware_scan.deliver(event) == {"state": "quarantined", "changed": "no"}
    assert malware_scan.deliver(event) == {"state": "quarantined", "changed": "no"}
    assert states(group, number) == ["clean", "quarantined"]
    assert len([r for r in AuditEvent.query(subject) if r.action == "authorization.attachment_scan"]) == 2
    assert len([m for m in mails_to(OFFICE) if "refused" in m.subject]) == 1


def test_a_malformed_or_foreign_event_is_refused_and_changes_nothing(gateway, group, clock):
    number = submitted(group, clock, attached("referral.pdf", PDF))
    key = attachment_key(number, hashlib.sha256(PDF).hexdigest())
    good = malware_scan.scan_event(BUCKET, key, ScanResult.NO_THREATS_FOUND)
    for event in ({**good, "source": "my.app"},
                  {**good, "detail": {**good["detail"], "scanResultDetails": {"scanResultStatus": "CLEANISH"}}},
                  malware_scan.scan_event("another-bucket", key, ScanResult.NO_THREATS_FOUND),
                  malware_scan.scan_event(BUCKET, "incoming/members.ndjson", ScanResult.NO_THREATS_FOUND)):
        with pytest.raises(InvalidScanEvent):
            malware_scan.deliver(event)
    assert [f.scan for f in AuthorizationRecord.get(number).attachments] == [None]  # still pending
    assert states(group, number) == ["pending_scan"]


def test_the_same_result_delivered_five_times_at_once_is_recorded_once(gateway, group, clock):
    from functions.attachment_scan.logic import record_result
    from functions.shared.core.plans import plan_profile

    number = submitted(group, clock, attached("referral.pdf", PDF))
    event = malware_scan.scan_event(BUCKET, attachment_key(number, hashlib.sha256(PDF).hexdigest()),
                                    ScanResult.NO_THREATS_FOUND)
    answers = concurrently(lambda i: record_result(event, plan_profile("caresource"), clock.now), 5)
    assert sorted(a["changed"] for a in answers) == ["no", "no", "no", "no", "yes"]
    subject = portal._session_subject(group)
    assert [r.outcome for r in AuditEvent.query(subject) if r.action == "authorization.attachment_scan"] == ["clean"]
    assert states(group, number) == ["clean"]
