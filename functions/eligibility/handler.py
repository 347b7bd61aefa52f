"""Eligibility API: POST /eligibility (the member's identity travels in the body, never in a URL)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.eligibility import logic
from functions.eligibility.models import EligibilityRequest, EligibilityResult
from functions.shared import clock
from functions.shared.http import caller, make_handler, make_resolver, request_meta
from functions.shared.plans import current_plan

app = make_resolver()


@app.post("/eligibility", summary="Check a member's eligibility and benefits on a date of service")
def check(req: Annotated[EligibilityRequest, Body()]) -> EligibilityResult:
    return logic.check(req, caller(app), current_plan(), request_meta(app), clock.now())


lambda_handler = make_handler(app)
