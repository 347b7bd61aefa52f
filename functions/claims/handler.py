"""Claim status API: GET /claims/{claim_id}, POST /claims/search (member identity stays out of URLs)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from functions.claims import logic
from functions.claims.models import ClaimDetail, ClaimPageView, ClaimSearch
from functions.shared import clock
from functions.shared.http import caller, make_handler, make_resolver, request_meta
from functions.shared.ids import ClaimNumber
from functions.shared.plans import current_plan
from functions.shared.schemas import ActingFor

app = make_resolver()


@app.get("/claims/<claim_id>", summary="One claim: lines, reason codes and payment")
def open_claim(claim_id: Annotated[ClaimNumber, Path()], acting_for: Annotated[ActingFor, Query()]) -> ClaimDetail:
    return logic.open_claim(claim_id, acting_for, caller(app), current_plan(), request_meta(app), clock.now())


@app.post("/claims/search", summary="Claims of a member or a provider in a date-of-service range, page by page")
def search(req: Annotated[ClaimSearch, Body()]) -> ClaimPageView:
    return logic.search(req, caller(app), current_plan(), request_meta(app), clock.now())


lambda_handler = make_handler(app)
