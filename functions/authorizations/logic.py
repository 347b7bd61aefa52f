"""Prior-authorization rules: a provider the caller acts for requests authorization for a member's
services; the plan's decision is due 72 hours (expedited) or 7 calendar days (standard) after
submission (CMS-0057-F); a retried submission with the same Idempotency-Key creates one request; the
provider answers a request for more information or withdraws while the plan has not decided. Records
outside the caller's scope answer like records that do not exist; every read and write is audited."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import replace
from datetime import datetime

from functions.authorizations import attachments as files
from functions.authorizations.models import (
    AppealRequest,
    AttachmentView,
    AuthorizationPageView,
    AuthorizationRequest,
    AuthorizationSearch,
    AuthorizationView,
    HistoryView,
    InformationRequest,
    ServiceLineView,
)
from functions.shared.core.context import Ask
from functions.shared.core.errors import Problem
from functions.shared.core.malware_scan import FileState, downloadable
from functions.shared.core.schemas import icd10cm_dotted
from functions.shared.core.states import Feature
from functions.shared.services import access, prior_auth, records
from functions.shared.services.member_identity import MEMBER_NOT_FOUND, find_member
from functions.shared.store import audit as audit_log
from functions.shared.store import repositories
from functions.shared.store.attachment_files import NotScannedClean
from functions.shared.store.authorizations import (
    APPEALABLE,
    OPEN_AUTHORIZATION_STATUSES,
    Attachment,
    Authorization,
    AuthorizationStatus,
    Change,
    Event,
    ServiceRequest,
    idempotency_key,
)
from functions.shared.store.transactions import StaleWrite

STATUS_TEXT = {
    AuthorizationStatus.PENDING: "Pending: the plan is reviewing the request.",
    AuthorizationStatus.MORE_INFO_REQUESTED: "More information requested: send it so the review can go on.",
    AuthorizationStatus.APPROVED: "Approved.",
    AuthorizationStatus.PARTIALLY_APPROVED: "Partially approved: see the approved units of each service.",
    AuthorizationStatus.DENIED: "Denied: see the reason.",
    AuthorizationStatus.WITHDRAWN: "Withdrawn by the provider.",
}
NOT_FOUND = Problem(404, "authorization-not-found", "No authorization request found",
                    "No request with this number is on file for the providers you act for.")
KEY_REQUIRED = Problem(428, "idempotency-key-required", "Send an Idempotency-Key header",
                       "Each submission needs an Idempotency-Key header (any unique value, the same on a retry), "
                       "so that a retried submission never creates a second request.")
KEY_REUSED = Problem(422, "idempotency-key-reused", "This Idempotency-Key belongs to another request",
                     "Send a new Idempotency-Key with each new submission; reuse it only to retry the very same one.")
AUTHORIZATION: records.RecordKind[Authorization] = records.RecordKind(
    "authorization", NOT_FOUND, fetch=lambda number: repositories().authorizations.get(number),
    per_hour=lambda plan: plan.authorization_requests_per_hour, reads=Feature.AUTHORIZATIONS_VIEW,
    writes=Feature.AUTHORIZATIONS_SUBMIT)


def submit(req: AuthorizationRequest, key: str | None, ask: Ask) -> tuple[AuthorizationView, bool]:
    """The request and whether it is new (False: a retry of a submission already stored)."""
    if not key:
        raise KEY_REQUIRED
    who, now = ask.who, ask.now
    scope = access.scope_for(who.account_id, req.acting_for, ask.plan, Feature.AUTHORIZATIONS_SUBMIT)
    requesting = records.in_scope("requesting_provider_id", req.requesting_provider_id, scope,
                                  "Choose a Provider ID you act for.")
    claim = idempotency_key(who.account_id, hashlib.sha256(key.encode()).hexdigest()[:32])
    digest = submission_digest(req)
    try:
        stored = prior_auth.earlier(claim, digest)
        if stored is not None:
            return view(stored, now), False
        AUTHORIZATION.count(ask)  # a new submission (a retry is not counted)
        uploads = files.decode(req.attachments, 0)
        member = find_member(req.birth_date, req.member_id)
        if member is None:
            AUTHORIZATION.member_not_found("create", req.acting_for, ask)
            raise MEMBER_NOT_FOUND
        new = prior_auth.NewRequest(
            member_id=member.profile.member_id, member_name=f"{member.profile.first_name} {member.profile.last_name}",
            requesting_provider_id=requesting, servicing_provider_id=req.servicing_provider_id,
            service_lines=tuple(ServiceRequest(line.code, line.units) for line in req.service_lines),
            diagnosis_codes=tuple(req.diagnosis_codes), service_from=req.service_from, service_to=req.service_to,
            urgency=req.urgency, clinical_notes=req.clinical_notes, submitted_by=who.account_id,
            uploads=tuple(uploads))
        created, is_new = prior_auth.create(
            new, claim, digest, lambda a: AUTHORIZATION.entry("create", "submitted", req.acting_for, a, ask), now)
    except prior_auth.KeyReused:
        raise KEY_REUSED from None
    return view(created, now), is_new


def open_request(authorization_id: str, acting_for: str, ask: Ask) -> AuthorizationView:
    found = AUTHORIZATION.visible(authorization_id, acting_for, ask)
    return view(AUTHORIZATION.shown(found, acting_for, ask), ask.now)


def send_information(authorization_id: str, req: InformationRequest, ask: Ask) -> AuthorizationView:
    now = ask.now
    found = AUTHORIZATION.changeable(authorization_id, req.acting_for, ask)
    if found.status != AuthorizationStatus.MORE_INFO_REQUESTED:
        raise Problem(409, "not-waiting-for-information", "The plan is not waiting for information",
                      "Information can be sent only when the plan asked for it.")
    on_file = len(found.attachments)
    attached = prior_auth.store_files(found.authorization_id, files.decode(req.attachments, on_file), on_file,
                                      now)
    change = Change(AuthorizationStatus.PENDING,
                    Event(now, "information_sent", "provider", req.note, tuple(a.number for a in attached)),
                    attachments=attached)
    try:
        moved = repositories().authorizations.move(
            found.authorization_id, AuthorizationStatus.MORE_INFO_REQUESTED, change,
            AUTHORIZATION.entry("information", "sent", req.acting_for, found, ask))
    except StaleWrite:
        raise Problem(409, "not-waiting-for-information", "The plan is not waiting for information",
                      "The request changed meanwhile. Reload it.") from None
    return view(moved, now)


NOT_APPEALABLE = Problem(409, "not-appealable", "This decision cannot be appealed",
                         "Only a denial or a partial approval can be appealed, once; an appeal on file is "
                         "listed on the request.")


def appeal(authorization_id: str, req: AppealRequest, ask: Ask) -> tuple[AuthorizationView, bool]:
    """A new request asking the plan to reconsider a denial or partial approval: the same member, services
    and providers, the reason and files given, on its own decision clock. One appeal per decision: sending
    the same appeal again returns it (False), and a different second appeal is refused."""
    found = AUTHORIZATION.changeable(authorization_id, req.acting_for, ask)
    claim = idempotency_key("appeal", found.authorization_id)
    body = req.model_dump(mode="json")
    body["attachments"] = [{**a, "content": _sha256_of(a["content"])} for a in body["attachments"]]
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    try:
        stored = prior_auth.earlier(claim, digest)
        if stored is not None:
            return view(stored, ask.now), False
        if found.status not in APPEALABLE or found.appeal_id is not None:
            raise NOT_APPEALABLE
        new = prior_auth.NewRequest(
            member_id=found.member_id, member_name=found.member_name,
            requesting_provider_id=found.requesting_provider_id, servicing_provider_id=found.servicing_provider_id,
            service_lines=tuple(ServiceRequest(line.code, line.units) for line in found.service_lines),
            diagnosis_codes=found.diagnosis_codes, service_from=found.service_from, service_to=found.service_to,
            urgency=req.urgency, clinical_notes=req.reason, submitted_by=ask.who.account_id,
            uploads=tuple(files.decode(req.attachments, 0)), appeal_of=found.authorization_id)
        created, is_new = prior_auth.create(
            new, claim, digest, lambda a: AUTHORIZATION.entry("appeal", "submitted", req.acting_for, a, ask), ask.now)
    except prior_auth.KeyReused:
        raise NOT_APPEALABLE from None
    except prior_auth.NotAppealable:
        raise NOT_APPEALABLE from None
    return view(created, ask.now), is_new


def withdraw(authorization_id: str, acting_for: str, ask: Ask) -> AuthorizationView:
    found = AUTHORIZATION.changeable(authorization_id, acting_for, ask)
    decided = Problem(409, "already-decided", "The request is decided already",
                      "A decided or withdrawn request cannot be withdrawn.")
    if found.status not in OPEN_AUTHORIZATION_STATUSES:
        raise decided
    change = Change(AuthorizationStatus.WITHDRAWN, Event(ask.now, "withdrawn", "provider"))
    try:
        moved = repositories().authorizations.move(found.authorization_id, found.status, change,
                                                   AUTHORIZATION.entry("withdraw", "withdrawn", acting_for, found,
                                                                       ask))
    except StaleWrite:
        raise decided from None
    return view(moved, ask.now)


def attachment(authorization_id: str, number: int, acting_for: str, ask: Ask) -> tuple[Attachment, bytes]:
    """A file of a request the caller may see, with its content, once it is scanned clean (the bucket refuses
    it before: core/malware_scan.py); every download and every refusal is audited."""
    found = AUTHORIZATION.visible(authorization_id, acting_for, ask)
    listed = next((a for a in found.attachments if a.number == number), None)
    detail = {"acting_for": acting_for, "authorization_id": found.authorization_id, "member_id": found.member_id,
              "attachment": number}
    content = None
    if listed is not None and downloadable(listed.scan):
        try:
            content = repositories().attachment_files.get(found.authorization_id, listed.sha256)
        except NotScannedClean:  # sent again and not rescanned yet: the bucket is the authority
            listed = replace(listed, scan=FileState.PENDING_SCAN)
    if listed is not None and not downloadable(listed.scan):
        audit_log.record("phi.authorization.attachment", f"refused_{listed.scan.value}", ask.meta,
                         subject=ask.who.account_id, now=ask.now, detail=detail)
        raise _not_downloadable(listed.scan)
    if listed is None or content is None:
        audit_log.record("phi.authorization.attachment", "not_found", ask.meta, subject=ask.who.account_id,
                         now=ask.now, detail=detail)
        raise Problem(404, "attachment-not-found", "No such file", "This request has no file with this number.")
    audit_log.record("phi.authorization.attachment", "downloaded", ask.meta, subject=ask.who.account_id, now=ask.now,
                     detail=detail)
    return listed, content


def _not_downloadable(state: FileState) -> Problem:
    if state == FileState.QUARANTINED:
        return Problem(410, "file-quarantined", "The file was refused: it contains malware",
                       "The plan's malware scan found a threat in this file; it was removed and cannot be "
                       "downloaded. Send a clean copy if the plan still needs it.")
    if state == FileState.NOT_SCANNED:
        return Problem(409, "file-not-scanned", "The file could not be scanned",
                       "The plan's malware scan could not check this file (for example a password-protected PDF), "
                       "so it cannot be downloaded. Send it again without a password.")
    return Problem(409, "file-pending-scan", "The file is being scanned",
                   "Every file is scanned for malware before anyone can download it. Try again in a minute.",
                   extra={"retry_after_s": 30})


def search(req: AuthorizationSearch, ask: Ask) -> AuthorizationPageView:
    scope = AUTHORIZATION.scope(req.acting_for, ask)
    provider = records.in_scope("provider_id", req.provider_id, scope, "Choose a Provider ID you act for.")
    page = AUTHORIZATION.page(records.ListQuery(provider, req.from_date, req.to_date, req.page_size, req.cursor),
                              repositories().authorizations.page, ask, scope=scope,
                              detail={"acting_for": req.acting_for, "provider_id": provider})
    return AuthorizationPageView(authorizations=[view(a, ask.now) for a in page.items], next_cursor=page.next_cursor)


def submission_digest(req: AuthorizationRequest) -> str:
    """SHA-256 of the whole submission as validated (identifiers and codes normalised; each file by its
    content's SHA-256): the same key with any other submission is refused."""
    body = req.model_dump(mode="json")
    body["attachments"] = [{**a, "content": _sha256_of(a["content"])} for a in body["attachments"]]
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def view(a: Authorization, now: datetime) -> AuthorizationView:
    return AuthorizationView(
        authorization_id=a.authorization_id, status=a.status, status_text=STATUS_TEXT[a.status],
        member_id=a.member_id, member_name=a.member_name, requesting_provider_id=a.requesting_provider_id,
        servicing_provider_id=a.servicing_provider_id,
        service_lines=[ServiceLineView(code=s.code, units=s.units, approved_units=s.approved_units)
                       for s in a.service_lines],
        # dotted, also where stored before codes were kept so
        diagnosis_codes=[icd10cm_dotted(code) for code in a.diagnosis_codes], clinical_notes=a.clinical_notes,
        service_from=a.service_from,
        service_to=a.service_to, urgency=a.urgency, submitted_at=a.submitted_at, due_at=a.due_at,
        overdue=a.status == AuthorizationStatus.PENDING and a.decided_in == "portal" and now > a.due_at,
        decided_in=a.decided_in, decision_reason=a.decision_reason,
        decided_at=a.decided_at, payer_number=a.payer_number, door=a.door, trace_number=a.trace_number,
        appeal_of=a.appeal_of, appeal_id=a.appeal_id,
        history=[HistoryView(at=e.at, event=e.event, by=e.by, note=e.note, attachments=list(e.attachments))
                 for e in a.history],
        attachments=[AttachmentView(number=f.number, name=f.name, content_type=f.content_type, size=f.size,
                                    sha256=f.sha256, added_at=f.added_at, scan=f.scan) for f in a.attachments])


def _sha256_of(encoded: str) -> str | None:
    try:
        return hashlib.sha256(base64.b64decode(encoded, validate=True)).hexdigest()
    except (binascii.Error, ValueError):
        return None
