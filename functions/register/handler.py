"""Registration API: GET /captcha, POST /registrations."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.register import logic
from functions.register.models import FIELD_MESSAGES, CaptchaChallenge, RegistrationAccepted, RegistrationRequest
from functions.shared.core.config import settings
from functions.shared.core.context import Now, Origin, Plan
from functions.shared.core.http import json_response, make_handler, make_resolver

app = make_resolver(field_messages=FIELD_MESSAGES)


@app.get("/captcha", summary="A new security-code (CAPTCHA) challenge, for plans whose form asks one")
def captcha(plan: Plan) -> CaptchaChallenge:
    return logic.captcha_challenge(plan)


@app.post("/registrations", summary="Register an account; the next step arrives by email",
          responses={202: {"description": "Accepted",
                           "content": {"application/json": {"model": RegistrationAccepted}}}})
def register(plan: Plan, meta: Origin, now: Now,
             form: Annotated[RegistrationRequest, Body()]) -> Response[RegistrationAccepted]:
    accepted = logic.register(form, plan, meta, settings().portal_url, now)
    return json_response(202, accepted)


lambda_handler = make_handler(app)
