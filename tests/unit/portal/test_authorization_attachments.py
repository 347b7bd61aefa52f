"""Files on prior-authorization requests: allowed types whose content matches, size caps that fit the
Lambda payload, one stored object per file even when a submission is retried, metadata on the record
and in its history, and downloads only for providers who may see the request."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from functions.authorizations import attachments as files
from functions.authorizations import logic
from functions.authorizations.models import InformationRequest
from functions.shared.core.audit import audit_event
from functions.shared.core.context import Ask
from functions.shared.core.malware_scan import STATE_OF, ScanResult
from functions.shared.store.attachment_files import attachment_key
from tests.unit.access.given import META, caller
from tests.unit.portal.conftest import PLAN
from tests.unit.portal.test_authorization_rules import NOW, decide, problem_of, submit

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
TIFF = b"II*\x00" + b"\x00" * 32


def upload(name: str, content_type: str, content: bytes) -> dict:
    return {"name": name, "content_type": content_type, "content": base64.b64encode(content).decode()}


def test_files_sent_with_a_request_are_stored_once_and_listed_with_their_metadata(office):
    sent = [upload("referral.pdf", "application/pdf", PDF), upload("x-ray.png", "image/png", PNG)]
    request, _ = submit(attachments=sent)
    assert [(a.number, a.name, a.content_type, a.size) for a in request.attachments] == [
        (1, "referral.pdf", "application/pdf", len(PDF)), (2, "x-ray.png", "image/png", len(PNG))]
    assert request.history[0].attachments == [1, 2]
    stored = office.attachment_files.objects
    assert set(stored) == {attachment_key(request.authorization_id, a.sha256) for a in request.attachments}
    retried, new = submit(attachments=sent)  # the same submission again: nothing stored twice
    assert not new and retried.attachments == request.attachments
    assert office.attachment_files.puts == 2 and len(office.authorizations.requests) == 1
    other = problem_of(submit, attachments=sent[:1])  # the key with other files: another submission
    assert other.slug == "idempotency-key-reused"


@pytest.mark.parametrize(("name", "content_type", "content"), [
    ("scan.tiff", "image/tiff", TIFF), ("scan.tif", "image/tiff", b"MM\x00*" + b"\x00" * 8),
    ("photo.jpg", "IMAGE/JPEG", JPEG)])
def test_each_allowed_type_is_accepted(office, name, content_type, content):
    request, _ = submit(attachments=[upload(name, content_type, content)])
    assert request.attachments[0].content_type == content_type.lower()


def test_a_type_outside_the_list_is_415_and_content_that_is_not_its_type_422(office):
    word = problem_of(submit, attachments=[upload("notes.docx", "application/msword", b"PK\x03\x04")])
    assert (word.status, word.slug, word.errors[0].field) == (415, "attachment-type-not-allowed",
                                                              "attachments.0.content_type")
    html = problem_of(submit, attachments=[upload("report.pdf", "application/pdf", b"<html><script>")])
    assert (html.status, html.errors[0].field, html.errors[0].code) == (422, "attachments.0.content",
                                                                        "content_mismatch")
    png_as_pdf = problem_of(submit, attachments=[upload("a.pdf", "application/pdf", PNG)])
    assert png_as_pdf.errors[0].code == "content_mismatch"
    garbled = problem_of(submit, attachments=[{"name": "a.pdf", "content_type": "application/pdf",
                                               "content": "not base64!"}])
    assert garbled.errors[0].code == "not_base64"
    twice = problem_of(submit, attachments=[upload("a.pdf", "application/pdf", PDF)] * 2)
    assert twice.errors[0].code == "duplicate"
    assert office.authorizations.requests == {} and office.attachment_files.objects == {}


def test_too_large_files_are_413_before_anything_is_stored(office):
    big = PDF + b"0" * files.MAX_FILE_BYTES
    one = problem_of(submit, attachments=[upload("big.pdf", "application/pdf", big)])
    assert (one.status, one.slug, one.extra["max_file_bytes"]) == (413, "attachment-too-large", 3_000_000)
    half = files.MAX_FILE_BYTES * 3 // 4
    together = [upload(f"part{n}.pdf", "application/pdf", PDF + bytes([n]) * half) for n in range(2)]
    assert problem_of(submit, attachments=together).errors[0].field == "attachments"
    assert office.authorizations.requests == {} and office.attachment_files.objects == {}


def test_information_answers_carry_files_numbered_after_those_on_file(office):
    request, _ = submit(attachments=[upload("referral.pdf", "application/pdf", PDF)])
    decide(request.authorization_id, "request_information", reason="Send the MRI report")
    answer = InformationRequest(acting_for="G1000001", note="Report attached",
                                attachments=[upload("mri.pdf", "application/pdf", PDF + b"mri")])
    sent = logic.send_information(request.authorization_id, answer,
                                  Ask(caller("office"), PLAN, META, NOW + timedelta(hours=2)))
    assert [(a.number, a.name) for a in sent.attachments] == [(1, "referral.pdf"), (2, "mri.pdf")]
    assert sent.history[-1].event == "information_sent" and sent.history[-1].attachments == [2]
    again = problem_of(logic.send_information, request.authorization_id, answer, Ask(caller("office"), PLAN, META, NOW))
    assert again.slug == "not-waiting-for-information" and len(office.attachment_files.objects) == 2


def scanned(office, authorization_id: str, sha256: str, result: ScanResult) -> None:
    """GuardDuty's verdict: the object's tag and, through the attachment_scan function, the record."""
    office.attachment_files.tag(authorization_id, sha256, result)
    office.authorizations.record_scan(authorization_id, sha256, STATE_OF[result], audit_event(
        "authorization.attachment_scan", STATE_OF[result].value, META, now=NOW))


def test_a_file_is_downloadable_only_once_scanned_clean(office):
    request, _ = submit(attachments=[upload("referral.pdf", "application/pdf", PDF),
                                     upload("scan.pdf", "application/pdf", PDF + b"2")])
    ask = Ask(caller("office"), PLAN, META, NOW)
    assert [a.scan for a in logic.open_request(request.authorization_id, "G1000001", ask).attachments] == [
        "pending_scan", "pending_scan"]
    pending = problem_of(logic.attachment, request.authorization_id, 1, "G1000001", ask)
    assert (pending.status, pending.slug) == (409, "file-pending-scan")
    scanned(office, request.authorization_id, request.attachments[0].sha256, ScanResult.NO_THREATS_FOUND)
    scanned(office, request.authorization_id, request.attachments[1].sha256, ScanResult.THREATS_FOUND)
    assert logic.attachment(request.authorization_id, 1, "G1000001", ask)[1] == PDF
    infected = problem_of(logic.attachment, request.authorization_id, 2, "G1000001", ask)
    assert (infected.status, infected.slug) == (410, "file-quarantined")
    assert [a.scan for a in logic.open_request(request.authorization_id, "G1000001", ask).attachments] == [
        "clean", "quarantined"]
    refusals = [e.outcome for e in office.audit.entries if e.action == "phi.authorization.attachment"]
    assert refusals == ["refused_pending_scan", "downloaded", "refused_quarantined"]
    # The object put again (a new version has no tag yet): the bucket refuses it, whatever the record says.
    office.attachment_files.put(request.authorization_id, request.attachments[0].sha256, PDF, "application/pdf")
    again = problem_of(logic.attachment, request.authorization_id, 1, "G1000001", ask)
    assert (again.status, again.slug) == (409, "file-pending-scan")


def test_a_file_is_downloaded_only_through_a_request_the_caller_may_see(office, portal):
    request, _ = submit(attachments=[upload("referral.pdf", "application/pdf", PDF)])
    scanned(office, request.authorization_id, request.attachments[0].sha256, ScanResult.NO_THREATS_FOUND)
    listed, content = logic.attachment(request.authorization_id, 1, "G1000001", Ask(caller("office"), PLAN, META, NOW))
    assert (listed.name, content) == ("referral.pdf", PDF)
    assert office.audit.entries[-1].action == "phi.authorization.attachment"
    assert office.audit.entries[-1].outcome == "downloaded"
    portal("solo", "P2000004")
    other = problem_of(logic.attachment, request.authorization_id, 1, "P2000004", Ask(caller("solo"), PLAN, META, NOW))
    assert (other.status, other.slug) == (404, "authorization-not-found")
    missing = problem_of(logic.attachment, request.authorization_id, 2, "G1000001",
                         Ask(caller("office"), PLAN, META, NOW))
    assert (missing.status, missing.slug) == (404, "attachment-not-found")


def test_the_download_is_named_safely():
    assert files.content_disposition('scan "1".pdf', "application/pdf") == \
        'attachment; filename="scan _1_.pdf"; filename*=UTF-8\'\'scan%20%221%22.pdf'
    assert files.content_disposition("Röntgen.png", "image/png").startswith('attachment; filename="R_ntgen.png"')
    # saved under the extension of the type its content was checked to be, whatever it was called
    assert files.content_disposition("report.html", "image/png").startswith('attachment; filename="report.png"')
    assert files.content_disposition("setup.exe", "application/pdf").startswith('attachment; filename="setup.pdf"')
    assert files.content_disposition("photo.JPEG", "image/jpeg").startswith('attachment; filename="photo.JPEG"')
    assert files.content_disposition("scan", "image/tiff").startswith('attachment; filename="scan.tif"')


@pytest.mark.parametrize(("sent", "kept"), [
    ("..%2f..%2fsetup.exe", "setup.exe"),  # percent-encoded folders are folders
    ("%252e%252e%252fnotes.pdf", "notes.pdf"),  # and twice-encoded ones
    ("  .hidden.pdf", "hidden.pdf"),
    ("Röntgen 2026.png", "Röntgen 2026.png"),
    ("a%00b%E2%80%AEfdp.exe", "abfdp.exe"),  # decoded controls and overrides are dropped
    ("%2e%2e%2f", "attachment"),  # nothing left
])
def test_file_names_are_read_as_they_decode(sent, kept):
    from functions.authorizations.models import AttachmentUpload

    assert AttachmentUpload(name=sent, content_type="application/pdf", content="JVBERi0=").name == kept


@pytest.mark.parametrize("sent", ["invoice\u202egpj.exe", "scan\u200b.pdf", "\ufeffnotes.pdf", "a\x85b.pdf",
                                  "a/b.pdf"])
def test_names_that_read_otherwise_than_they_are_are_refused(sent):
    from pydantic import ValidationError

    from functions.authorizations.models import AttachmentUpload

    with pytest.raises(ValidationError):
        AttachmentUpload(name=sent, content_type="application/pdf", content="JVBERi0=")
