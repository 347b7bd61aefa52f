"""Backend clients of a Provider ID (its administrators register, list and revoke them), and the staff
routes: a Provider ID's clients, revoking any client, and a member's Provider Access opt-out."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.fhir_clients import logic
from functions.fhir_clients.models import ClientList, ClientView, ProviderAccessChoice, RegisterByKeys, RegisterByUrl
from functions.shared.core.context import Now, Origin, Staff, Who
from functions.shared.core.http import make_handler, make_resolver
from functions.shared.core.ids import MemberId as MemberIdentifier
from functions.shared.core.ids import ProviderId as ProviderIdentifier
from functions.shared.core.schemas import Message

app = make_resolver()
ProviderId = Annotated[ProviderIdentifier, Path()]
MemberId = Annotated[MemberIdentifier, Path()]
ClientId = Annotated[str, Path(min_length=3, max_length=64, pattern=r"^[a-z0-9-]+$")]


@app.get("/providers/<provider_id>/fhir-clients", summary="The Provider ID's systems that use the FHIR API")
def clients(who: Who, provider_id: ProviderId) -> ClientList:
    return logic.clients(provider_id, who)


@app.post("/providers/<provider_id>/fhir-clients", summary="Register a system (SMART Backend Services client)")
def register(who: Who, meta: Origin, now: Now, provider_id: ProviderId,
             req: Annotated[RegisterByUrl | RegisterByKeys, Body()]) -> ClientView:
    return logic.register(provider_id, req, who, meta, now)


@app.delete("/providers/<provider_id>/fhir-clients/<client_id>", summary="Revoke a system's access")
def revoke(who: Who, meta: Origin, now: Now, provider_id: ProviderId, client_id: ClientId) -> Message:
    logic.revoke(provider_id, client_id, who, meta, now)
    return Message(message="The client was revoked: its tokens stop working now.")


@app.get("/staff/providers/<provider_id>/fhir-clients", summary="A Provider ID's FHIR clients (staff)")
def staff_clients(staff: Staff, provider_id: ProviderId) -> ClientList:
    return logic.listing(provider_id)


@app.delete("/staff/fhir-clients/<client_id>", summary="Revoke any FHIR client (staff)")
def staff_revoke(staff: Staff, meta: Origin, now: Now, client_id: ClientId) -> Message:
    logic.staff_revoke(client_id, staff, meta, now)
    return Message(message="The client was revoked.")


@app.put("/staff/members/<member_id>/provider-access", summary="Record a member's Provider Access opt-out (staff)")
def opt_out(staff: Staff, meta: Origin, now: Now, member_id: MemberId,
            req: Annotated[ProviderAccessChoice, Body()]) -> Message:
    logic.set_opt_out(member_id, req.opted_out, staff, meta, now)
    return Message(message="Recorded.")


lambda_handler = make_handler(app)
