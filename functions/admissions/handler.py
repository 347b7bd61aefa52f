"""Hospital admissions API: notify, list, open, record the discharge (member data stays out of URLs)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from functions.admissions import logic
from functions.admissions.models import (
    FIELD_MESSAGES,
    AdmissionId,
    AdmissionPage,
    AdmissionRequest,
    AdmissionSearch,
    AdmissionView,
    DischargeRequest,
)
from functions.shared.core.context import Asked
from functions.shared.core.http import json_response, make_handler, make_resolver
from functions.shared.core.schemas import ActingFor

app = make_resolver(field_messages=FIELD_MESSAGES)


@app.post("/admissions", summary="Notify the plan of a hospital admission",
          responses={201: {"description": "Notified", "content": {"application/json": {"model": AdmissionView}}}})
def notify(req: Annotated[AdmissionRequest, Body()], ask: Asked) -> Response[AdmissionView]:
    return json_response(201, logic.notify(req, ask))


@app.post("/admissions/search", summary="A facility's admissions in an admit-date range, page by page")
def search(req: Annotated[AdmissionSearch, Body()], ask: Asked) -> AdmissionPage:
    return logic.search(req, ask)


@app.get("/admissions/<admission_id>", summary="One admission notification")
def open_admission(admission_id: Annotated[AdmissionId, Path()], acting_for: Annotated[ActingFor, Query()],
                   ask: Asked) -> AdmissionView:
    return logic.open_admission(admission_id, acting_for, ask)


@app.patch("/admissions/<admission_id>", summary="Record the discharge of an admission")
def discharge(admission_id: Annotated[AdmissionId, Path()], req: Annotated[DischargeRequest, Body()],
              ask: Asked) -> AdmissionView:
    return logic.discharge(admission_id, req, ask)


lambda_handler = make_handler(app)
