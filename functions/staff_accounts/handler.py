"""Provider-relations account API: reactivate or deactivate an account (IAM-authorized in AWS; the
devserver stands in for IAM locally)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.shared.core.config import settings
from functions.shared.core.context import Now, Origin, Plan, Staff
from functions.shared.core.http import make_handler, make_resolver
from functions.shared.core.schemas import Message
from functions.staff_accounts import logic
from functions.staff_accounts.models import AccountDecision

app = make_resolver()


@app.post("/staff/accounts/reactivations", summary="Reactivate a deactivated account, with a reason")
def reactivate(staff: Staff, plan: Plan, meta: Origin, now: Now, req: Annotated[AccountDecision, Body()]) -> Message:
    return Message(message=logic.reactivate(req, staff, plan, meta, settings().portal_url,
                                            now))


@app.post("/staff/accounts/deactivations", summary="Deactivate an account on request, with a reason")
def deactivate(staff: Staff, plan: Plan, meta: Origin, now: Now, req: Annotated[AccountDecision, Body()]) -> Message:
    return Message(message=logic.deactivate(req, staff, plan, meta, now))


lambda_handler = make_handler(app)
