"""Claim status API: GET /claims/{claim_id}, POST /claims/search (member identity stays out of URLs)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from functions.claims import logic
from functions.claims.models import ClaimDetail, ClaimPageView, ClaimSearch
from functions.shared.core.context import Asked
from functions.shared.core.http import make_handler, make_resolver
from functions.shared.core.ids import ClaimNumber
from functions.shared.core.schemas import ActingFor

app = make_resolver()


@app.get("/claims/<claim_id>", summary="One claim: lines, reason codes and payment")
def open_claim(claim_id: Annotated[ClaimNumber, Path()], acting_for: Annotated[ActingFor, Query()],
               ask: Asked) -> ClaimDetail:
    return logic.open_claim(claim_id, acting_for, ask)


@app.post("/claims/search", summary="Claims of a member or a provider in a date-of-service range, page by page")
def search(req: Annotated[ClaimSearch, Body()], ask: Asked) -> ClaimPageView:
    return logic.search(req, ask)


lambda_handler = make_handler(app)
