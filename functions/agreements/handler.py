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
from functions.shared import clock
from functions.shared.http import caller, make_handler, make_resolver, request_meta
from functions.shared.plans import current_plan
from functions.shared.schemas import Message

app = make_resolver(field_messages=FIELD_MESSAGES)


@app.get("/agreements/provider", summary="The current Provider Agreement and whether this user accepted it")
def provider_agreement() -> ProviderAgreement:
    return logic.provider_agreement(caller(app), current_plan())


@app.post("/agreements/provider", summary="Accept the Provider Agreement (who, when, from where, which version)")
def accept(req: Annotated[AcceptAgreement, Body()]) -> Message:
    logic.accept(req, caller(app), current_plan(), request_meta(app), clock.now())
    return Message(message="Thank you. The Provider Agreement is accepted.")


@app.get("/agreements/organization/<provider_id>", summary="The group's organizational agreement status")
def org_status(provider_id: Annotated[str, Path(max_length=20)]) -> OrgAgreementStatus:
    return logic.org_status(provider_id, caller(app), current_plan())


@app.post("/agreements/organization", summary="Sign the group's organizational agreement")
def sign(req: Annotated[SignOrgAgreement, Body()]) -> Message:
    plan = current_plan()
    logic.sign(req, caller(app), plan, request_meta(app), clock.now())
    return Message(message=f"Signed. {plan.org_agreement_promise}")


lambda_handler = make_handler(app)
