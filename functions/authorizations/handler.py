"""Prior authorizations API: submit (idempotent), list, open, send information, withdraw, download a file."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query

from functions.authorizations import logic
from functions.authorizations.attachments import content_disposition
from functions.authorizations.models import (
    FIELD_MESSAGES,
    AppealRequest,
    AttachmentNumber,
    AuthorizationId,
    AuthorizationPageView,
    AuthorizationRequest,
    AuthorizationSearch,
    AuthorizationView,
    IdempotencyKey,
    InformationRequest,
    WithdrawRequest,
)
from functions.shared.core.context import Asked
from functions.shared.core.file_types import SIGNATURES
from functions.shared.core.http import (
    file_bodies,
    file_response,
    json_response,
    make_handler,
    make_resolver,
)
from functions.shared.core.ids import ActingFor

app = make_resolver(field_messages=FIELD_MESSAGES)


@app.post("/authorizations", summary="Request a prior authorization (send an Idempotency-Key; a retry returns it)",
          responses={201: {"description": "Submitted", "content": {"application/json": {"model": AuthorizationView}}},
                     200: {"description": "A retry of a stored submission",
                           "content": {"application/json": {"model": AuthorizationView}}}})
def submit(req: Annotated[AuthorizationRequest, Body()], ask: Asked,
           idempotency_key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
           ) -> Response[AuthorizationView]:
    view, new = logic.submit(req, idempotency_key, ask)
    return json_response(201 if new else 200, view)


@app.post("/authorizations/search", summary="A provider's authorization requests by submission date, page by page")
def search(req: Annotated[AuthorizationSearch, Body()], ask: Asked) -> AuthorizationPageView:
    return logic.search(req, ask)


@app.get("/authorizations/<authorization_id>", summary="One authorization request, its due time and history")
def open_request(authorization_id: Annotated[AuthorizationId, Path()], acting_for: Annotated[ActingFor, Query()],
                 ask: Asked) -> AuthorizationView:
    return logic.open_request(authorization_id, acting_for, ask)


@app.get("/authorizations/<authorization_id>/attachments/<number>",
         summary="Download a file of a request (send Accept with the file's type; it comes back as that type)",
         responses={200: {"description": "The file, as an attachment",
                          "content": {kind: {"schema": {"type": "string", "format": "binary"}}
                                      for kind in SIGNATURES}}},
         middlewares=[file_bodies])
def download(authorization_id: Annotated[AuthorizationId, Path()], number: Annotated[AttachmentNumber, Path()],
             acting_for: Annotated[ActingFor, Query()], ask: Asked) -> Response[str]:
    listed, content = logic.attachment(authorization_id, number, acting_for, ask)
    disposition = content_disposition(listed.name, listed.content_type)
    return file_response(content, listed.content_type,
                         {"Content-Disposition": disposition, "Cache-Control": "no-store"})


@app.post("/authorizations/<authorization_id>/information", summary="Send the information the plan asked for")
def send_information(authorization_id: Annotated[AuthorizationId, Path()], req: Annotated[InformationRequest, Body()],
                     ask: Asked) -> AuthorizationView:
    return logic.send_information(authorization_id, req, ask)


@app.post("/authorizations/<authorization_id>/appeal",
          summary="Appeal a denial or partial approval (one appeal per decision; sending it again returns it)",
          responses={201: {"description": "Appealed", "content": {"application/json": {"model": AuthorizationView}}},
                     200: {"description": "The same appeal, sent again",
                           "content": {"application/json": {"model": AuthorizationView}}}})
def appeal(authorization_id: Annotated[AuthorizationId, Path()], req: Annotated[AppealRequest, Body()],
           ask: Asked) -> Response[AuthorizationView]:
    view, new = logic.appeal(authorization_id, req, ask)
    return json_response(201 if new else 200, view)


@app.post("/authorizations/<authorization_id>/withdraw", summary="Withdraw a request the plan has not decided")
def withdraw(authorization_id: Annotated[AuthorizationId, Path()], req: Annotated[WithdrawRequest, Body()],
             ask: Asked) -> AuthorizationView:
    return logic.withdraw(authorization_id, req.acting_for, ask)


lambda_handler = make_handler(app)
