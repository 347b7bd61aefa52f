"""Prior-authorization rules: a provider the caller acts for requests authorization for a member's
services; the plan's decision is due 72 hours (expedited) or 7 calendar days (standard) after
submission (CMS-0057-F); a retried submission with the same Idempotency-Key creates one request; the
provider answers a request for more information or withdraws while the plan has not decided. Records
outside the caller's scope answer like records that do not exist; every read and write is audited."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from functions.authorizations import attachments as files
from functions.authorizations.models import (
    AttachmentView,
    AuthorizationPageView,
    AuthorizationRequest,
    AuthorizationSearch,
    AuthorizationView,
    HistoryView,
    InformationRequest,
    ServiceLineView,
)
from functions.shared import access, audit, authorization_clock, paging, ratelimit, records
from functions.shared.audit import AuditEntry
from functions.shared.authorization_clock import DECISION_TIME
from functions.shared.errors import FieldError, Problem, invalid_fields
from functions.shared.http import Caller, RequestMeta
from functions.shared.member_identity import MEMBER_NOT_FOUND, find_member
from functions.shared.plans import PlanProfile
from functions.shared.states import OPEN_AUTHORIZATION_STATUSES, AuthorizationStatus
from functions.shared.store import repositories
from functions.shared.store.authorizations import (
    Attachment,
    Authorization,
    Change,
    Event,
    ServiceRequest,
    idempotency_key,
)
from functions.shared.store.transactions import StaleWrite, UniqueKeyTaken

WINDOW = timedelta(hours=1)
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
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
AUTHORIZATION: records.RecordKind[Authorization] = records.RecordKind(
    "authorization", NOT_FOUND, WINDOW, fetch=lambda number: repositories().authorizations.get(number))


def submit(req: AuthorizationRequest, key: str | None, who: Caller, plan: PlanProfile, meta: RequestMeta,
           now: datetime) -> tuple[AuthorizationView, bool]:
    """The request and whether it is new (False: a retry of a submission already stored)."""
    if not key:
        raise KEY_REQUIRED
    scope = access.scope_for(who.account_id, req.acting_for, plan)
    requesting = req.requesting_provider_id.upper()
    if requesting not in scope:
        raise invalid_fields([FieldError("requesting_provider_id", "Choose a Provider ID you act for.",
                                         "not_in_scope")])
    claim = idempotency_key(who.account_id, hashlib.sha256(key.encode()).hexdigest()[:32])
    earlier = repositories().authorizations.holder(claim)
    if earlier is not None:
        view_ = _retry(earlier, req)
        authorization_clock.start(view_.authorization_id, view_.submitted_at, view_.due_at)  # if it failed before
        return view_, False
    ratelimit.hit("authorizations", who.account_id, plan.claim_searches_per_hour, WINDOW, now)
    uploads = files.decode(req.attachments, 0)
    member = find_member(req.birth_date, req.member_id)
    if member is None:
        audit.record("phi.authorization.create", "member_not_found", meta, subject=who.account_id, now=now,
                     detail={"acting_for": req.acting_for})
        raise MEMBER_NOT_FOUND
    authorization_id = "PA-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))
    attached = _store_files(authorization_id, uploads, 0, now)  # before the record that points at them
    authorization = Authorization(
        authorization_id=authorization_id,
        member_id=member.profile.member_id, member_name=f"{member.profile.first_name} {member.profile.last_name}",
        requesting_provider_id=requesting, servicing_provider_id=req.servicing_provider_id.upper(),
        service_lines=tuple(ServiceRequest(line.code, line.units) for line in req.service_lines),
        diagnosis_codes=tuple(req.diagnosis_codes), service_from=req.service_from, service_to=req.service_to,
        urgency=req.urgency, clinical_notes=req.clinical_notes, submitted_at=now, submitted_by=who.account_id,
        due_at=now + DECISION_TIME[req.urgency], attachments=attached,
        history=(Event(now, "submitted", "provider", attachments=tuple(a.number for a in attached)),))
    try:
        repositories().authorizations.create(authorization, claim, _entry("phi.authorization.create", "submitted",
                                                                          who, req.acting_for, authorization, meta,
                                                                          now))
    except UniqueKeyTaken:  # a concurrent retry of the same submission stored it first
        holder = repositories().authorizations.holder(claim)
        assert holder is not None, "a taken key names its request"
        return _retry(holder, req), False
    authorization_clock.start(authorization.authorization_id, authorization.submitted_at, authorization.due_at)
    return view(authorization, now), True


def open_request(authorization_id: str, acting_for: str, who: Caller, plan: PlanProfile, meta: RequestMeta,
                 now: datetime) -> AuthorizationView:
    found = AUTHORIZATION.visible(authorization_id, acting_for, who, plan, meta, now)
    audit.record("phi.authorization.read", "shown", meta, subject=who.account_id, now=now,
                 detail={"acting_for": acting_for, "authorization_id": found.authorization_id,
                         "member_id": found.member_id})
    return view(found, now)


def send_information(authorization_id: str, req: InformationRequest, who: Caller, plan: PlanProfile,
                     meta: RequestMeta, now: datetime) -> AuthorizationView:
    found = AUTHORIZATION.visible(authorization_id, req.acting_for, who, plan, meta, now)
    if found.status != AuthorizationStatus.MORE_INFO_REQUESTED:
        raise Problem(409, "not-waiting-for-information", "The plan is not waiting for information",
                      "Information can be sent only when the plan asked for it.")
    on_file = len(found.attachments)
    attached = _store_files(found.authorization_id, files.decode(req.attachments, on_file), on_file, now)
    change = Change(AuthorizationStatus.PENDING,
                    Event(now, "information_sent", "provider", req.note, tuple(a.number for a in attached)),
                    attachments=attached)
    try:
        moved = repositories().authorizations.move(
            found.authorization_id, AuthorizationStatus.MORE_INFO_REQUESTED, change,
            _entry("phi.authorization.information", "sent", who, req.acting_for, found, meta, now))
    except StaleWrite:
        raise Problem(409, "not-waiting-for-information", "The plan is not waiting for information",
                      "The request changed meanwhile. Reload it.") from None
    return view(moved, now)


def withdraw(authorization_id: str, acting_for: str, who: Caller, plan: PlanProfile, meta: RequestMeta,
             now: datetime) -> AuthorizationView:
    found = AUTHORIZATION.visible(authorization_id, acting_for, who, plan, meta, now)
    decided = Problem(409, "already-decided", "The request is decided already",
                      "A decided or withdrawn request cannot be withdrawn.")
    if found.status not in OPEN_AUTHORIZATION_STATUSES:
        raise decided
    change = Change(AuthorizationStatus.WITHDRAWN, Event(now, "withdrawn", "provider"))
    try:
        moved = repositories().authorizations.move(found.authorization_id, found.status, change,
                                                   _entry("phi.authorization.withdraw", "withdrawn", who,
                                                          acting_for, found, meta, now))
    except StaleWrite:
        raise decided from None
    return view(moved, now)


def attachment(authorization_id: str, number: int, acting_for: str, who: Caller, plan: PlanProfile,
               meta: RequestMeta, now: datetime) -> tuple[Attachment, bytes]:
    """A file of a request the caller may see, with its content; every download is audited."""
    found = AUTHORIZATION.visible(authorization_id, acting_for, who, plan, meta, now)
    listed = next((a for a in found.attachments if a.number == number), None)
    content = repositories().attachment_files.get(found.authorization_id, listed.sha256) if listed else None
    detail = {"acting_for": acting_for, "authorization_id": found.authorization_id, "member_id": found.member_id,
              "attachment": number}
    if listed is None or content is None:
        audit.record("phi.authorization.attachment", "not_found", meta, subject=who.account_id, now=now,
                     detail=detail)
        raise Problem(404, "attachment-not-found", "No such file", "This request has no file with this number.")
    audit.record("phi.authorization.attachment", "downloaded", meta, subject=who.account_id, now=now, detail=detail)
    return listed, content


def search(req: AuthorizationSearch, who: Caller, plan: PlanProfile, meta: RequestMeta,
           now: datetime) -> AuthorizationPageView:
    scope = access.scope_for(who.account_id, req.acting_for, plan)
    ratelimit.hit("authorizations", who.account_id, plan.claim_searches_per_hour, WINDOW, now)
    provider = req.provider_id.upper()
    if provider not in scope:
        raise invalid_fields([FieldError("provider_id", "Choose a Provider ID you act for.", "not_in_scope")])
    page = repositories().authorizations.page(provider, req.from_date, req.to_date, req.page_size,
                                              paging.decode(req.cursor, provider))
    audit.record("phi.authorization.search", "listed", meta, subject=who.account_id, now=now,
                 detail={"acting_for": req.acting_for, "provider_id": provider,
                         "authorizations": len(page.authorizations)})
    return AuthorizationPageView(authorizations=[view(a, now) for a in page.authorizations],
                                 next_cursor=paging.encode(provider, page.after))


def view(a: Authorization, now: datetime) -> AuthorizationView:
    return AuthorizationView(
        authorization_id=a.authorization_id, status=a.status, status_text=STATUS_TEXT[a.status],
        member_id=a.member_id, member_name=a.member_name, requesting_provider_id=a.requesting_provider_id,
        servicing_provider_id=a.servicing_provider_id,
        service_lines=[ServiceLineView(code=s.code, units=s.units, approved_units=s.approved_units)
                       for s in a.service_lines],
        diagnosis_codes=list(a.diagnosis_codes), service_from=a.service_from, service_to=a.service_to,
        urgency=a.urgency, submitted_at=a.submitted_at, due_at=a.due_at,
        overdue=a.status == AuthorizationStatus.PENDING and now > a.due_at, decision_reason=a.decision_reason,
        decided_at=a.decided_at,
        history=[HistoryView(at=e.at, event=e.event, by=e.by, note=e.note, attachments=list(e.attachments))
                 for e in a.history],
        attachments=[AttachmentView(number=f.number, name=f.name, content_type=f.content_type, size=f.size,
                                    sha256=f.sha256, added_at=f.added_at) for f in a.attachments])


def _retry(authorization_id: str, req: AuthorizationRequest) -> AuthorizationView:
    """The stored answer to a retried submission; a key reused for another submission is refused."""
    from functions.shared import clock

    stored = repositories().authorizations.get(authorization_id)
    assert stored is not None, "a claimed key names a stored request"
    same = (stored.member_id == req.member_id.upper()
            and [(s.code, s.units) for s in stored.service_lines] == [(s.code, s.units) for s in req.service_lines]
            and [f.sha256 for f in stored.attachments] == [_sha256_of(u.content) for u in req.attachments])
    if not same:
        raise Problem(422, "idempotency-key-reused", "This Idempotency-Key belongs to another request",
                      "Send a new Idempotency-Key with each new submission; reuse it only to retry the same one.")
    return view(stored, clock.now())


def _store_files(authorization_id: str, uploads: list[files.Upload], on_file: int,
                 now: datetime) -> tuple[Attachment, ...]:
    for upload in uploads:
        repositories().attachment_files.put(authorization_id, upload.sha256, upload.content, upload.content_type)
    return files.numbered(uploads, on_file, now)


def _sha256_of(encoded: str) -> str | None:
    import base64
    import binascii

    try:
        return hashlib.sha256(base64.b64decode(encoded, validate=True)).hexdigest()
    except (binascii.Error, ValueError):
        return None


def _entry(action: str, outcome: str, who: Caller, acting_for: str, a: Authorization, meta: RequestMeta,
           now: datetime) -> AuditEntry:
    return audit.audit_event(action, outcome, meta, subject=who.account_id, now=now,
                             detail={"acting_for": acting_for, "authorization_id": a.authorization_id,
                                     "member_id": a.member_id})
