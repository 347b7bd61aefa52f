"""Prior authorizations on DynamoDB Local: ten retries of one submission racing, the gateway path with its
Idempotency-Key, and the plan's decision through the IAM-signed staff route."""

from __future__ import annotations

from datetime import date, timedelta

from devserver import malware_scan
from devserver.gateway import STAFF_HEADER
from functions.authorizations import logic
from functions.authorizations.models import AuthorizationRequest
from functions.shared.core.context import Ask
from functions.shared.core.errors import Problem
from functions.shared.core.http import Caller, RequestMeta
from functions.shared.core.plans import plan_profile
from functions.shared.store.authorizations import IMPORTED
from functions.shared.store.models import UniqueKey
from functions.shared.store.portal_models import AuthorizationRecord
from tests.integration import test_portal_data as portal
from tests.integration.browser import Browser
from tests.integration.conftest import concurrently
from tests.integration.helpers import mails_to

data, group = portal.data, portal.group  # the demo data and a user with access to G1000001
OFFICE = "office@riverside.example"


def form(today: date, **fields) -> dict:
    return {"acting_for": "G1000001", "member_id": "M100001", "birth_date": "1984-03-12",
            "requesting_provider_id": "G1000001", "servicing_provider_id": "P2000001",
            "service_lines": [{"code": "73721", "units": 1}], "diagnosis_codes": ["M25.561"],
            "service_from": (today + timedelta(days=3)).isoformat(),
            "service_to": (today + timedelta(days=10)).isoformat(), "urgency": "expedited", **fields}


def test_ten_retries_of_one_submission_racing_create_one_request(gateway, group, clock):
    who = Caller(portal._session_subject(group), "-", "full")
    request = AuthorizationRequest.model_validate(form(clock.now.date()))
    answers = concurrently(lambda i: logic.submit(request, "retry-key-0001", Ask(
        who, plan_profile("caresource"), RequestMeta(f"r{i}", "198.51.100.7", "t"), clock.now)), 10)
    assert not [a for a in answers if isinstance(a, Problem)]
    assert sum(1 for _, new in answers if new) == 1
    assert len({view.authorization_id for view, _ in answers}) == 1
    made_here = [r.authorization_id for r in AuthorizationRecord.scan() if r.submitted_by != IMPORTED]
    assert made_here == [answers[0][0].authorization_id]  # besides the demo extract's requests
    assert len([k for k in UniqueKey.scan() if k.key.startswith("pa-idempotency#")]) == 1


def test_submit_retry_and_decision_over_the_api(gateway, group, clock):
    today = clock.now.date()
    assert group.post("/authorizations", form(today)).status == 428  # no Idempotency-Key
    key = {"Idempotency-Key": "k-2026-0001"}
    created = group.request("POST", "/authorizations", form(today), headers=key)
    assert created.status == 201 and created.header("Cache-Control") == "no-store"
    number = created.body["authorization_id"]
    retried = group.request("POST", "/authorizations", form(today), headers=key)
    assert (retried.status, retried.body["authorization_id"]) == (200, number)
    bad = group.request("POST", "/authorizations", form(today, service_lines=[{"code": "7372", "units": 1}]),
                        headers={"Idempotency-Key": "k-2026-0002"})
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "service_lines.0.code"
    assert bad.body["errors"][0]["message"].startswith("Enter a CPT code")

    nurse = Browser(gateway)
    refused = nurse.request("POST", f"/staff/authorizations/{number}/decision",
                            {"outcome": "approve", "reason": "Meets criteria"})
    assert refused.status == 403  # a browser session is no signature: as API Gateway answers it
    remote = nurse.request("GET", "/staff/authorizations", headers={STAFF_HEADER: "um.nurse"})
    assert remote.status == 403  # the local stand-in header counts only from this machine
    nurse = Browser(gateway, ip="127.0.0.1")
    queue = nurse.request("GET", "/staff/authorizations", headers={STAFF_HEADER: "um.nurse"})
    # the portal's own requests only: the demo extract's waiting ones are decided in the plan's core system
    assert [item["authorization_id"] for item in queue.body["pending"]] == [number]
    elsewhere = nurse.request("POST", "/staff/authorizations/PA-DEMO000002/decision",
                              {"outcome": "approve", "reason": "Meets criteria"}, headers={STAFF_HEADER: "um.nurse"})
    assert (elsewhere.status, elsewhere.body["type"]) == (409, "/problems/decided-in-core-system")
    assert group.get("/authorizations/PA-DEMO000002?acting_for=G1000001").body["overdue"] is False
    decided = nurse.request("POST", f"/staff/authorizations/{number}/decision",
                            {"outcome": "deny", "reason": "Conservative treatment not tried for 6 weeks"},
                            headers={STAFF_HEADER: "um.nurse"})
    assert decided.status == 200
    shown = group.get(f"/authorizations/{number}?acting_for=G1000001").body
    assert shown["status"] == "denied" and shown["decision_reason"].startswith("Conservative")
    mail = mails_to(OFFICE)[-1]
    assert number in mail.subject and "M100001" not in mail.body and "73721" not in mail.body


def test_the_decision_clock_reminds_and_escalates_an_undecided_request(gateway, group, clock, aws):
    import json

    from devserver.local_aws import LOCAL_ENV
    from functions.shared.core.plans import plan_profile as profile
    from tests.integration.conftest import wait_for

    created = group.request("POST", "/authorizations", form(clock.now.date()),
                            headers={"Idempotency-Key": "k-clock-0001"}).body
    number = created["authorization_id"]
    sfn = aws.client("stepfunctions")
    arn = LOCAL_ENV["AUTHORIZATION_CLOCK_ARN"]
    started = [e for e in sfn.list_executions(stateMachineArn=arn)["executions"] if e["name"] == number]
    assert len(started) == 1  # the submission started its clock, named after the request
    state = json.loads(sfn.describe_execution(executionArn=started[0]["executionArn"])["input"])
    assert state["due_at"].startswith(created["due_at"][:16])
    # Run a clock whose moments have passed (a Standard execution would wait 48 hours for the first).
    # Stop it once its interpreter runs (moto cannot stop an execution whose worker has not started yet).
    assert wait_for(lambda: len(sfn.get_execution_history(executionArn=started[0]["executionArn"])["events"]) > 1)
    sfn.stop_execution(executionArn=started[0]["executionArn"])
    run = sfn.start_execution(stateMachineArn=arn, name=f"{number}-late", input=json.dumps(
        {"authorization_id": number, "remind_at": "2020-01-01T00:00:00Z", "due_at": "2020-01-02T00:00:00Z"}))
    clock.advance(hours=73)  # the escalation step compares with the clock
    assert wait_for(lambda: sfn.describe_execution(executionArn=run["executionArn"])["status"] == "SUCCEEDED")
    desk = profile("caresource").utilization_management_email
    subjects = [m.subject for m in mails_to(desk)]
    assert any(s.startswith("Due soon") and number in s for s in subjects)
    assert any(s.startswith("OVERDUE") and number in s for s in subjects)


def test_attachments_are_stored_in_the_private_bucket_and_read_only_through_the_request(gateway, group, clock, aws):
    import base64
    import hashlib

    from devserver.local_aws import LOCAL_ENV
    from tests.integration.test_portal_data import SOLO, with_access

    pdf = b"%PDF-1.7\n" + b"referral " * 50 + b"\n%%EOF\n"
    sent = {"name": "referral.pdf", "content_type": "application/pdf", "content": base64.b64encode(pdf).decode()}
    key = {"Idempotency-Key": "k-files-0001"}
    # Given a request submitted with a file, then retried
    created = group.request("POST", "/authorizations", form(clock.now.date(), attachments=[sent]), headers=key)
    retried = group.request("POST", "/authorizations", form(clock.now.date(), attachments=[sent]), headers=key)
    number = created.body["authorization_id"]
    # Then one object, under the request's number, encrypted by the bucket; its metadata on the request
    assert created.status == 201 and retried.status == 200 and retried.body["attachments"] == created.body[
        "attachments"]
    digest = hashlib.sha256(pdf).hexdigest()
    assert created.body["attachments"][0] | {"added_at": None} == {
        "number": 1, "name": "referral.pdf", "content_type": "application/pdf", "size": len(pdf), "sha256": digest,
        "added_at": None, "scan": "pending_scan"}
    s3 = aws.client("s3")
    listed = s3.list_object_versions(Bucket=LOCAL_ENV["PORTAL_DATA_BUCKET"], Prefix="attachments/")["Versions"]
    assert [(v["Key"]) for v in listed] == [f"attachments/{number}/{digest}"]  # the retry wrote the same object
    # When the office downloads it once the malware scan found it clean: the bytes, as an attachment, never
    # cached, audited
    assert malware_scan.drain() == 1
    got = group.request("GET", f"/authorizations/{number}/attachments/1?acting_for=G1000001",
                        headers={"Accept": "application/pdf"})
    assert (got.status, got.body, got.header("Content-Type")) == (200, pdf, "application/pdf")
    assert got.header("Cache-Control") == "no-store"
    assert got.header("Content-Disposition").startswith('attachment; filename="referral.pdf"')
    subject = portal._session_subject(group)
    from functions.shared.store.models import AuditEvent

    assert [r.outcome for r in AuditEvent.query(subject) if r.action == "phi.authorization.attachment"] == [
        "downloaded"]
    # And another provider gets nothing, as for a request that does not exist
    solo = with_access(gateway, "dr.chen@clinic.example", SOLO)
    theirs = solo.get(f"/authorizations/{number}/attachments/1?acting_for=P2000004")
    assert (theirs.status, theirs.body["type"]) == (404, "/problems/authorization-not-found")
    assert solo.get(f"/authorizations/{number}/attachments/1?acting_for=G1000001").body["type"] == \
        "/problems/not-acting-for"
    # Wrong type, content that lies about its type, too large: 415, 422, 413, and nothing stored
    word = dict(sent, name="notes.doc", content_type="application/msword")
    lying = dict(sent, content_type="image/png")
    big = dict(sent, content=base64.b64encode(b"%PDF-" + b"0" * 3_000_000).decode())
    answers = [group.request("POST", "/authorizations", form(clock.now.date(), attachments=[f]),
                             headers={"Idempotency-Key": f"k-files-bad-{n}"}) for n, f in enumerate([word, lying, big])]
    assert [(a.status, a.body["type"]) for a in answers] == [
        (415, "/problems/attachment-type-not-allowed"), (422, "/problems/validation"),
        (413, "/problems/attachment-too-large")]
    assert len(s3.list_object_versions(Bucket=LOCAL_ENV["PORTAL_DATA_BUCKET"], Prefix="attachments/")["Versions"]) == 1


def _png() -> bytes:
    """A real 2x2 RGB PNG: signature, IHDR, a zlib-compressed IDAT, IEND (every byte above 127 it needs)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([200, 30, 250, 0, 255, 128]) for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_binary_files_download_byte_for_byte_whatever_the_accept_header(gateway, group, clock):
    import base64

    png = _png()
    pdf = (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
           b"stream\n\x00\x01\xfe\xff\x80\nendstream\n%%EOF\n")
    files = [{"name": "scan.png", "content_type": "image/png", "content": base64.b64encode(png).decode()},
             {"name": "chart.pdf", "content_type": "application/pdf", "content": base64.b64encode(pdf).decode()}]
    # Given a request with a real PNG and a PDF holding binary bytes
    created = group.request("POST", "/authorizations", form(clock.now.date(), attachments=files),
                            headers={"Idempotency-Key": "k-binary-0001"})
    number = created.body["authorization_id"]
    assert created.status == 201
    malware_scan.drain()  # both scanned clean
    # When each is downloaded with its type, any type, or no Accept at all
    for n, (content, kind) in enumerate([(png, "image/png"), (pdf, "application/pdf")], start=1):
        for accept in (kind, "*/*", None):
            got = group.request("GET", f"/authorizations/{number.lower()}/attachments/{n}?acting_for=g1000001",
                                headers={"Accept": accept} if accept else {})
            # Then the very bytes come back, as their type
            assert (got.status, got.header("Content-Type")) == (200, kind), (n, accept, got.body)
            assert got.body == content, (n, accept)


def test_a_key_reused_for_another_submission_is_refused_over_the_api(group, clock):
    key = {"Idempotency-Key": "k-changed-0001"}
    first = group.request("POST", "/authorizations", form(clock.now.date()), headers=key)
    standard = group.request("POST", "/authorizations", form(clock.now.date(), urgency="standard"), headers=key)
    same = group.request("POST", "/authorizations", form(clock.now.date(), member_id="m100001"), headers=key)
    assert (first.status, same.status) == (201, 200) and same.body["authorization_id"] == first.body["authorization_id"]
    assert (standard.status, standard.body["type"]) == (422, "/problems/idempotency-key-reused")
    stored = AuthorizationRecord.get(first.body["authorization_id"])
    assert stored.urgency == "expedited"
