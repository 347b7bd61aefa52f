"""Agreements API: the Provider Agreement (read, accept) and the organizational agreement (status, sign)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.agreements import logic
from functions.agreements.models import (
    FIELD_MESSAGES,
    AcceptAgreement,
    OrgAgreementStatus,
    ProviderAgreement,
    SignOrgAgreement,
)
from functions.shared.core.context import Now, Origin, Plan, Who
from functions.shared.core.http import make_handler, make_resolver
from functions.shared.core.ids import ProviderId
from functions.shared.core.schemas import Message

app = make_resolver(field_messages=FIELD_MESSAGES)


@app.get("/agreements/provider", summary="The current Provider Agreement and whether this user accepted it")
def provider_agreement(who: Who, plan: Plan) -> ProviderAgreement:
    return logic.provider_agreement(who, plan)


@app.post("/agreements/provider", summary="Accept the Provider Agreement (who, when, from where, which version)")
def accept(who: Who, plan: Plan, meta: Origin, now: Now, req: Annotated[AcceptAgreement, Body()]) -> Message:
    logic.accept(req, who, plan, meta, now)
    return Message(message="Thank you. The Provider Agreement is accepted.")


@app.get("/agreements/organization/<provider_id>", summary="The group's organizational agreement status")
def org_status(who: Who, plan: Plan, provider_id: Annotated[ProviderId, Path()]) -> OrgAgreementStatus:
    return logic.org_status(provider_id, who, plan)


@app.post("/agreements/organization", summary="Sign the group's organizational agreement")
def sign(who: Who, plan: Plan, meta: Origin, now: Now, req: Annotated[SignOrgAgreement, Body()]) -> Message:
    logic.sign(req, who, plan, meta, now)
    return Message(message=f"Signed. {plan.org_agreement_promise}")


lambda_handler = make_handler(app)
