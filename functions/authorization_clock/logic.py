"""The decision clock's steps (the Lambda task of infra/workflows/authorization_clock.asl.json): before
the due time, remind the plan's utilization-management desk of a request still undecided; at the due
time, escalate one still undecided. Each step reads the request's current status, so a decision or a
withdrawal made meanwhile ends the clock without a mail. Mails name the request, never the member."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.shared.core.audit import SystemOrigin
from functions.shared.core.plans import PlanProfile
from functions.shared.services.notify.mail import send_mail
from functions.shared.services.notify.templates import simple
from functions.shared.store import audit as audit_log
from functions.shared.store import repositories
from functions.shared.store.authorizations import OPEN_AUTHORIZATION_STATUSES, AuthorizationStatus

CLOCK = SystemOrigin("authorization-clock", "authorization-clock")


def step(event: dict[str, Any], plan: PlanProfile, now: datetime) -> dict[str, bool]:
    authorization_id = str(event["authorization_id"])
    found = repositories().authorizations.get(authorization_id)
    if found is None or found.status not in OPEN_AUTHORIZATION_STATUSES:
        return {"open": False}
    if found.status != AuthorizationStatus.PENDING:  # waiting for the provider's information, not the plan
        return {"open": True}
    due = f"{found.due_at:%m/%d/%Y %H:%M} UTC"
    if event["step"] == "remind":
        send_mail(plan.utilization_management_email, simple(
            "authorization_due_soon", f"Due soon: authorization request {authorization_id} ({found.urgency})",
            f"Prior-authorization request {authorization_id} ({found.urgency}) is still undecided; its decision "
            f"is due {due}.", "Decide it in the utilization-management queue."))
        audit_log.record("authorization.clock", "reminded", CLOCK, subject=found.submitted_by, now=now,
                         detail={"authorization_id": authorization_id})
    elif now >= found.due_at:
        send_mail(plan.utilization_management_email, simple(
            "authorization_overdue", f"OVERDUE: authorization request {authorization_id} ({found.urgency})",
            f"Prior-authorization request {authorization_id} ({found.urgency}) was due {due} and is still "
            "undecided.", "Escalate it to the medical director and decide it now."))
        audit_log.record("authorization.clock", "escalated", CLOCK, subject=found.submitted_by, now=now,
                         detail={"authorization_id": authorization_id})
    return {"open": True}
