"""Delegations of a Provider ID: its administrators invite, list and revoke delegates (a billing service
acting for it); the invitee accepts; staff revoke any delegation."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.delegations import logic
from functions.delegations.models import (
    FIELD_MESSAGES,
    Accept,
    Accepted,
    Delegations,
    Invite,
    Invited,
    StaffRevocation,
)
from functions.shared.core.config import settings
from functions.shared.core.context import Now, Origin, Plan, Staff, Who
from functions.shared.core.http import make_handler, make_resolver
from functions.shared.core.ids import ProviderId as ProviderIdentifier
from functions.shared.core.schemas import Message
from functions.shared.services import access

app = make_resolver(field_messages=FIELD_MESSAGES)
ProviderId = Annotated[ProviderIdentifier, Path()]
AccountId = Annotated[str, Path(max_length=64)]


@app.post("/providers/<provider_id>/delegations",
          summary="Invite someone outside the practice (a billing service) to act for the Provider ID")
def invite(who: Who, meta: Origin, now: Now, plan: Plan, provider_id: ProviderId,
           req: Annotated[Invite, Body()]) -> Invited:
    return logic.invite(provider_id, req, who, meta, now, plan, settings().portal_url)


@app.get("/providers/<provider_id>/delegations", summary="The Provider ID's delegates, active and ended")
def delegations(who: Who, now: Now, provider_id: ProviderId) -> Delegations:
    return logic.listing(provider_id, who, now)


@app.delete("/providers/<provider_id>/delegations/<account_id>", summary="Revoke a delegation now")
def revoke(who: Who, meta: Origin, now: Now, plan: Plan, provider_id: ProviderId, account_id: AccountId) -> Message:
    access.require_admin(who.account_id, provider_id)
    logic.revoke(provider_id, account_id, who.account_id, meta, now, plan)
    return Message(message="The delegation was revoked: the delegate's access ended now.")


@app.post("/delegations/accept", summary="Accept an invitation to act for a Provider ID (its emailed link)")
def accept(who: Who, meta: Origin, now: Now, plan: Plan, req: Annotated[Accept, Body()]) -> Accepted:
    return logic.accept(req.token, who, meta, now, plan)


@app.delete("/staff/providers/<provider_id>/delegations/<account_id>", summary="Revoke a delegation (staff)")
def staff_revoke(staff: Staff, meta: Origin, now: Now, plan: Plan, provider_id: ProviderId, account_id: AccountId,
                 req: Annotated[StaffRevocation, Body()]) -> Message:
    logic.revoke(provider_id, account_id, staff, meta, now, plan, reason=req.reason)
    return Message(message="The delegation was revoked.")


lambda_handler = make_handler(app)
