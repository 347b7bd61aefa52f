"""Provider-relations staff API (IAM-authorized in AWS; the devserver stands in for IAM locally)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.shared.core.config import settings
from functions.shared.core.context import Now, Origin, Plan, Staff
from functions.shared.core.http import make_handler, make_resolver
from functions.shared.core.ids import ProviderId as ProviderIdentifier
from functions.shared.core.schemas import Message
from functions.shared.services import member_features
from functions.shared.services.member_features import FeatureChange
from functions.staff import logic
from functions.staff.models import (
    AssignAdministrator,
    OrgDecision,
    PendingList,
    ProviderLinks,
    RemoveAdministrator,
    VerificationDecision,
)

app = make_resolver()
ProviderId = Annotated[ProviderIdentifier, Path()]
AccountId = Annotated[str, Path(min_length=8, max_length=64)]


@app.get("/staff/org-agreements", summary="Organizational agreements waiting for a decision, oldest first")
def pending(staff: Staff) -> PendingList:
    return logic.pending()


@app.post("/staff/org-agreements/<tax_id>/decision", summary="Approve or reject an organizational agreement")
def decide(staff: Staff, meta: Origin, now: Now, tax_id: Annotated[str, Path(pattern=r"^\d{9}$")],
           req: Annotated[OrgDecision, Body()]) -> Message:
    resumed = logic.decide(tax_id, req, staff, meta, now)
    return Message(message=f"Decision recorded; {resumed} waiting request(s) resumed.")


@app.get("/staff/providers/<provider_id>/links", summary="Everyone linked to a Provider ID or asking for it")
def provider_links(staff: Staff, provider_id: ProviderId) -> ProviderLinks:
    return logic.provider_links(provider_id)


@app.post("/staff/providers/<provider_id>/verifications/<account_id>/decision",
          summary="Approve or deny a Provider ID's would-be first administrator, after checking with the practice")
def decide_verification(staff: Staff, meta: Origin, now: Now, provider_id: ProviderId, account_id: AccountId,
                        req: Annotated[VerificationDecision, Body()]) -> Message:
    logic.decide_verification(provider_id, account_id, req, staff, meta, now)
    return Message(message="Verified: the requester goes on to the Provider Agreement." if req.approve
                   else "Denied. The requester will be told.")


@app.post("/staff/providers/<provider_id>/administrators",
          summary="Make an active member an administrator (in place of another, or besides them)")
def assign_administrator(staff: Staff, plan: Plan, meta: Origin, now: Now, provider_id: ProviderId,
                         req: Annotated[AssignAdministrator, Body()]) -> Message:
    logic.assign_administrator(provider_id, req, staff, plan,
                               settings().portal_url.rstrip("/"), meta, now)
    return Message(message="The member is now an administrator.")


@app.post("/staff/providers/<provider_id>/administrators/<account_id>/removal",
          summary="Remove an administrator (the last one's removal frees the Provider ID for a verified one)")
def remove_administrator(staff: Staff, plan: Plan, meta: Origin, now: Now, provider_id: ProviderId,
                         account_id: AccountId, req: Annotated[RemoveAdministrator, Body()]) -> Message:
    logic.remove_administrator(provider_id, account_id, req.reason, staff, plan,
                               meta, now)
    return Message(message="The administrator was removed.")


@app.put("/staff/providers/<provider_id>/members/<account_id>/features",
         summary="Set what a member of a Provider ID may use (as its administrator would)")
def set_features(staff: Staff, plan: Plan, meta: Origin, now: Now, provider_id: ProviderId, account_id: AccountId,
                 req: Annotated[FeatureChange, Body()]) -> Message:
    changed = member_features.change(provider_id, account_id, req, staff, meta, now, plan, staff=True)
    return Message(message=f"{changed.requester_name} may now use: "
                           f"{', '.join(f.value for f in member_features.shown(changed)) or 'nothing'}.")


lambda_handler = make_handler(app)
