"""A new prior-authorization request, whichever door it comes through: the portal's pages
(functions/authorizations) or a provider's system over Da Vinci PAS `Claim/$submit`
(functions/prior_auth_api). Both doors check their own input and find the member by the same identity
rule; from there a request is one thing: a number, its files, its record written with the claim of its
idempotency key and its audit record in one transaction (an appeal also marks the request it appeals),
then its decision clock. A retry of a stored submission returns the stored request; a key reused for
another submission is refused (`KeyReused`), and so is a second appeal of one decision (`NotAppealable`).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from functions.shared.core.audit import AuditEntry
from functions.shared.services import authorization_clock
from functions.shared.services.authorization_clock import DECISION_TIME
from functions.shared.store import repositories
from functions.shared.store.authorizations import (
    Attachment,
    Authorization,
    AuthorizationUrgency,
    Event,
    IdempotencyClaim,
    ServiceRequest,
)
from functions.shared.store.transactions import StaleWrite, UniqueKeyTaken

_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class KeyReused(Exception):
    """The idempotency key was claimed by another submission."""


class NotAppealable(Exception):
    """The appealed request is not denied or partially approved, or has an appeal already."""


@dataclass(frozen=True)
class Upload:
    """A decoded, checked file, ready to store."""

    name: str
    content_type: str
    content: bytes
    sha256: str


@dataclass(frozen=True)
class NewRequest:
    """What either door submits, checked: the member found, the codes valid, the files decoded."""

    member_id: str
    member_name: str
    requesting_provider_id: str
    servicing_provider_id: str
    service_lines: tuple[ServiceRequest, ...]
    diagnosis_codes: tuple[str, ...]
    service_from: date
    service_to: date
    urgency: AuthorizationUrgency
    clinical_notes: str | None
    submitted_by: str  # an account id, or API_CLIENT + a client id
    uploads: tuple[Upload, ...] = ()
    appeal_of: str | None = None
    trace_number: str | None = None


AuditOf = Callable[[Authorization], AuditEntry]  # the audit entry of the stored request


def new_number() -> str:
    return "PA-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))


def earlier(claim_key: str, digest: str) -> Authorization | None:
    """The request an earlier submission with this key stored (its clock started again if that failed),
    or None; KeyReused when the key came with another submission."""
    claim = repositories().authorizations.holder(claim_key)
    if claim is None:
        return None
    return _stored_answer(claim, digest)


def create(new: NewRequest, claim_key: str, digest: str, audit_of: AuditOf,
           now: datetime) -> tuple[Authorization, bool]:
    """Store the request and start its clock; (the request, True), or (the stored one, False) when a
    concurrent retry of the same submission stored it first."""
    authorization_id = new_number()
    attached = store_files(authorization_id, new.uploads, 0, now)  # before the record that points at them
    authorization = Authorization(
        authorization_id=authorization_id, member_id=new.member_id, member_name=new.member_name,
        requesting_provider_id=new.requesting_provider_id, servicing_provider_id=new.servicing_provider_id,
        service_lines=new.service_lines, diagnosis_codes=new.diagnosis_codes, service_from=new.service_from,
        service_to=new.service_to, urgency=new.urgency, clinical_notes=new.clinical_notes, submitted_at=now,
        submitted_by=new.submitted_by, due_at=now + DECISION_TIME[new.urgency], attachments=attached,
        appeal_of=new.appeal_of, trace_number=new.trace_number,
        history=(Event(now, "appealed" if new.appeal_of else "submitted", "provider",
                       attachments=tuple(a.number for a in attached)),))
    try:
        repositories().authorizations.create(authorization, IdempotencyClaim(claim_key, authorization_id, digest),
                                             audit_of(authorization))
    except UniqueKeyTaken:  # a concurrent retry of the same submission stored it first
        holder = repositories().authorizations.holder(claim_key)
        assert holder is not None, "a taken key names its request"
        return _stored_answer(holder, digest), False
    except StaleWrite:
        raise NotAppealable from None
    authorization_clock.start(authorization.authorization_id, authorization.submitted_at, authorization.due_at)
    return authorization, True


def store_files(authorization_id: str, uploads: tuple[Upload, ...] | list[Upload], on_file: int,
                now: datetime) -> tuple[Attachment, ...]:
    for upload in uploads:
        repositories().attachment_files.put(authorization_id, upload.sha256, upload.content, upload.content_type)
    return tuple(Attachment(on_file + n, u.name, u.content_type, len(u.content), u.sha256, now)
                 for n, u in enumerate(uploads, start=1))


def _stored_answer(claim: IdempotencyClaim, digest: str) -> Authorization:
    if not hmac.compare_digest(claim.digest or "", digest):
        raise KeyReused
    stored = repositories().authorizations.get(claim.authorization_id)
    assert stored is not None, "a claimed key names a stored request"
    if stored.decided_in == "portal":  # if the first attempt failed to start it
        authorization_clock.start(stored.authorization_id, stored.submitted_at, stored.due_at)
    return stored
