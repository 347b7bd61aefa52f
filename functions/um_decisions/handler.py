"""Utilization-management API of the plan (IAM-authorized in AWS; the devserver stands in for IAM)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.shared.core.config import settings
from functions.shared.core.context import Now, Origin, Plan, Staff
from functions.shared.core.http import make_handler, make_resolver
from functions.shared.core.schemas import Message
from functions.um_decisions import logic
from functions.um_decisions.models import UmDecision, UmQueue

app = make_resolver()


@app.get("/staff/authorizations", summary="Authorization requests waiting for a decision, soonest due first")
def pending(staff: Staff) -> UmQueue:
    return logic.queue()


@app.post("/staff/authorizations/<authorization_id>/decision", summary="Decide an authorization request")
def decide(staff: Staff, plan: Plan, meta: Origin, now: Now,
           authorization_id: Annotated[str, Path(pattern=r"^PA-[0-9A-Z]{10}$")],
           req: Annotated[UmDecision, Body()]) -> Message:
    status = logic.decide(authorization_id, req, staff, plan, settings().portal_url.rstrip("/"),
                          meta, now)
    return Message(message=f"Recorded: {status.value.replace('_', ' ')}; the provider is told by email.")


lambda_handler = make_handler(app)
