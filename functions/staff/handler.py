"""Provider-relations staff API (IAM-authorized in AWS; the devserver stands in for IAM locally)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.shared import clock
from functions.shared.errors import Problem
from functions.shared.http import make_handler, make_resolver, request_meta
from functions.shared.schemas import Message
from functions.staff import logic
from functions.staff.models import OrgDecision, PendingList

app = make_resolver()


def _staff() -> str:
    arn = (app.current_event.raw_event.get("requestContext", {}).get("identity") or {}).get("userArn")
    if not arn:
        raise Problem(403, "staff-only", "Staff only", "Sign the request with provider-relations credentials.")
    return str(arn)


@app.get("/staff/org-agreements", summary="Organizational agreements waiting for a decision, oldest first")
def pending() -> PendingList:
    _staff()
    return logic.pending()


@app.post("/staff/org-agreements/<tax_id>/decision", summary="Approve or reject an organizational agreement")
def decide(tax_id: Annotated[str, Path(pattern=r"^\d{9}$")], req: Annotated[OrgDecision, Body()]) -> Message:
    resumed = logic.decide(tax_id, req, _staff(), request_meta(app), clock.now())
    return Message(message=f"Decision recorded; {resumed} waiting request(s) resumed.")


lambda_handler = make_handler(app)
