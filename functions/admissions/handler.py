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
from functions.shared import clock
from functions.shared.http import caller, json_response, make_handler, make_resolver, request_meta
from functions.shared.plans import current_plan
from functions.shared.schemas import ActingFor

app = make_resolver(field_messages=FIELD_MESSAGES)


@app.post("/admissions", summary="Notify the plan of a hospital admission",
          responses={201: {"description": "Notified", "content": {"application/json": {"model": AdmissionView}}}})
def notify(req: Annotated[AdmissionRequest, Body()]) -> Response[AdmissionView]:
    return json_response(201, logic.notify(req, caller(app), current_plan(), request_meta(app), clock.now()))


@app.post("/admissions/search", summary="A facility's admissions in an admit-date range, page by page")
def search(req: Annotated[AdmissionSearch, Body()]) -> AdmissionPage:
    return logic.search(req, caller(app), current_plan(), request_meta(app), clock.now())


@app.get("/admissions/<admission_id>", summary="One admission notification")
def open_admission(admission_id: Annotated[AdmissionId, Path()],
                   acting_for: Annotated[ActingFor, Query()]) -> AdmissionView:
    return logic.open_admission(admission_id, acting_for, caller(app), current_plan(), request_meta(app), clock.now())


@app.patch("/admissions/<admission_id>", summary="Record the discharge of an admission")
def discharge(admission_id: Annotated[AdmissionId, Path()], req: Annotated[DischargeRequest, Body()]) -> AdmissionView:
    return logic.discharge(admission_id, req, caller(app), current_plan(), request_meta(app), clock.now())


lambda_handler = make_handler(app)
