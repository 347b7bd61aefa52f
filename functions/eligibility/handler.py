"""Eligibility API: POST /eligibility (the member's identity travels in the body, never in a URL)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.eligibility import logic
from functions.eligibility.models import EligibilityRequest, EligibilityResult
from functions.shared.core.context import Now, Origin, Plan, Who
from functions.shared.core.http import make_handler, make_resolver

app = make_resolver()


@app.post("/eligibility", summary="Check a member's eligibility and benefits on a date of service")
def check(who: Who, plan: Plan, meta: Origin, now: Now,
          req: Annotated[EligibilityRequest, Body()]) -> EligibilityResult:
    return logic.check(req, who, plan, meta, now)


lambda_handler = make_handler(app)
