"""Administrator API of a Provider ID: members, access requests, administrators."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.provider_admin import logic
from functions.provider_admin.models import Decision, Member, Members, Promote
from functions.shared.core.context import Now, Origin, Plan, Who
from functions.shared.core.http import make_handler, make_resolver
from functions.shared.core.ids import ProviderId as ProviderIdentifier
from functions.shared.core.schemas import Message
from functions.shared.services import access, member_features
from functions.shared.services.member_features import FeatureChange

app = make_resolver()
ProviderId = Annotated[ProviderIdentifier, Path()]
AccountId = Annotated[str, Path(max_length=64)]


@app.get("/providers/<provider_id>/members", summary="Members, administrators and pending requests")
def members(who: Who, provider_id: ProviderId) -> Members:
    return logic.members(provider_id, who)


@app.post("/providers/<provider_id>/requests/<account_id>/decision", summary="Approve or deny a request")
def decide(who: Who, meta: Origin, now: Now, provider_id: ProviderId, account_id: AccountId,
           req: Annotated[Decision, Body()]) -> Message:
    logic.decide(provider_id, account_id, req.approve, who, meta, now)
    return Message(message="Approved." if req.approve else "Denied. The requester will be told.")


@app.delete("/providers/<provider_id>/members/<account_id>", summary="Remove a member")
def remove(who: Who, meta: Origin, now: Now, provider_id: ProviderId, account_id: AccountId) -> Message:
    logic.remove(provider_id, account_id, who, meta, now)
    return Message(message="The member was removed.")


@app.put("/providers/<provider_id>/members/<account_id>/features",
         summary="Set what a member may use (a preset for a kind of job, or the features one by one)")
def set_features(who: Who, meta: Origin, now: Now, plan: Plan, provider_id: ProviderId, account_id: AccountId,
                 req: Annotated[FeatureChange, Body()]) -> Member:
    access.require_admin(who.account_id, provider_id)
    return logic.member(member_features.change(provider_id, account_id, req, who.account_id, meta, now, plan))


@app.post("/providers/<provider_id>/admins", summary="Make a member an administrator")
def promote(who: Who, meta: Origin, now: Now, provider_id: ProviderId, req: Annotated[Promote, Body()]) -> Message:
    logic.promote(provider_id, req.account_id, who, meta, now)
    return Message(message="The member is now an administrator.")


@app.delete("/providers/<provider_id>/admins/me", summary="Step down as administrator")
def step_down(who: Who, meta: Origin, now: Now, provider_id: ProviderId) -> Message:
    logic.step_down(provider_id, who, meta, now)
    return Message(message="You are no longer an administrator.")


lambda_handler = make_handler(app)
