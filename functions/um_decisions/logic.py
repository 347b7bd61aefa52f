"""The plan's utilization-management decisions on prior-authorization requests: approve, partially
approve (units per service line), deny with a specific reason, or ask for more information. Each is
recorded once, from the status it was made on, with its history entry and audit record; the requesting
provider's user is mailed that a decision landed (a failed mail is raised, so the caller retries)."""

from __future__ import annotations

from datetime import datetime

from functions.shared.core import audit
from functions.shared.core.errors import FieldError, Problem, invalid_fields
from functions.shared.core.http import RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.services.notify.mail import send_mail
from functions.shared.store import repositories
from functions.shared.store.authorizations import AuthorizationStatus, Change, Event, may_move
from functions.shared.store.transactions import StaleWrite
from functions.um_decisions import mails
from functions.um_decisions.models import UmDecision, UmQueue, UmQueueItem

OUTCOMES = {"approve": AuthorizationStatus.APPROVED, "partially_approve": AuthorizationStatus.PARTIALLY_APPROVED,
            "deny": AuthorizationStatus.DENIED, "request_information": AuthorizationStatus.MORE_INFO_REQUESTED}
QUEUE_SIZE = 100


def queue() -> UmQueue:
    return UmQueue(pending=[UmQueueItem(authorization_id=a.authorization_id, urgency=a.urgency,
                                        due_at=a.due_at.isoformat(), requesting_provider_id=a.requesting_provider_id,
                                        service_codes=[s.code for s in a.service_lines], appeal_of=a.appeal_of)
                            for a in repositories().authorizations.pending(QUEUE_SIZE)])


def decide(authorization_id: str, req: UmDecision, staff: str, plan: PlanProfile, portal_url: str,
           meta: RequestMeta, now: datetime) -> AuthorizationStatus:
    found = repositories().authorizations.get(authorization_id)
    if found is None:
        raise Problem(404, "authorization-not-found", "No such request", "Check the request's number.")
    if found.decided_in == "core":
        raise Problem(409, "decided-in-core-system", "The plan's core system decides this request",
                      "Record the decision there: it reaches the portal with the next data export.")
    target = OUTCOMES[req.outcome]
    if not may_move(found.status, target) or found.status != AuthorizationStatus.PENDING:
        raise Problem(409, "not-pending", "The request is not waiting for a decision",
                      f"It is {found.status.value.replace('_', ' ')}.")
    units = tuple(line.units for line in found.service_lines) if target == AuthorizationStatus.APPROVED else None
    if target == AuthorizationStatus.PARTIALLY_APPROVED:
        units = tuple(req.approved_units or ())
        asked = [line.units for line in found.service_lines]
        if len(units) != len(asked) or any(not 0 <= u <= a for u, a in zip(units, asked, strict=False)) \
                or units == tuple(asked):
            raise invalid_fields([FieldError("approved_units", "Give the approved units of every service line: at "
                                                               "most what was asked, and less for at least one.",
                                             "range")])
    decision = target != AuthorizationStatus.MORE_INFO_REQUESTED
    change = Change(target, Event(now, target.value, "plan", req.reason), reason=req.reason if decision else None,
                    decided_by=staff if decision else None, approved_units=units)
    entry = audit.audit_event("authorization.decision", target.value, meta, subject=found.submitted_by, now=now,
                              detail={"authorization_id": found.authorization_id, "by": staff})
    try:
        repositories().authorizations.move(found.authorization_id, AuthorizationStatus.PENDING, change, entry)
    except StaleWrite:
        raise Problem(409, "not-pending", "The request is not waiting for a decision",
                      "Someone decided it or the provider withdrew it meanwhile.") from None
    submitter = repositories().accounts.get(found.submitted_by)
    if submitter is not None:
        mail = (mails.information_needed(plan, found.authorization_id, portal_url) if not decision else
                mails.decided(plan, found.authorization_id, target.value.replace("_", " "), portal_url))
        send_mail(submitter.email, mail)
    return target
