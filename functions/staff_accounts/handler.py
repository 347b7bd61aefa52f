"""Provider-relations account API: reactivate or deactivate an account (IAM-authorized in AWS; the
devserver stands in for IAM locally)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.shared.core.config import settings
from functions.shared.core.context import Now, Origin, Plan
from functions.shared.core.errors import Problem
from functions.shared.core.http import make_handler, make_resolver
from functions.shared.core.schemas import Message
from functions.staff_accounts import logic
from functions.staff_accounts.models import AccountDecision

app = make_resolver()


def _staff() -> str:
    arn = (app.current_event.raw_event.get("requestContext", {}).get("identity") or {}).get("userArn")
    if not arn:
        raise Problem(403, "staff-only", "Staff only", "Sign the request with provider-relations credentials.")
    return str(arn)


@app.post("/staff/accounts/reactivations", summary="Reactivate a deactivated account, with a reason")
def reactivate(plan: Plan, meta: Origin, now: Now, req: Annotated[AccountDecision, Body()]) -> Message:
    return Message(message=logic.reactivate(req, _staff(), plan, meta, settings().portal_url,
                                            now))


@app.post("/staff/accounts/deactivations", summary="Deactivate an account on request, with a reason")
def deactivate(plan: Plan, meta: Origin, now: Now, req: Annotated[AccountDecision, Body()]) -> Message:
    return Message(message=logic.deactivate(req, _staff(), plan, meta, now))


lambda_handler = make_handler(app)
