"""Registration API: GET /captcha, POST /registrations."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.register import logic
from functions.register.models import FIELD_MESSAGES, CaptchaChallenge, RegistrationAccepted, RegistrationRequest
from functions.shared import clock
from functions.shared.config import settings
from functions.shared.http import json_response, make_handler, make_resolver, request_meta
from functions.shared.plans import current_plan

app = make_resolver(field_messages=FIELD_MESSAGES)


@app.get("/captcha", summary="A new security-code (CAPTCHA) challenge, for plans whose form asks one")
def captcha() -> CaptchaChallenge:
    return logic.captcha_challenge(current_plan())


@app.post("/registrations", summary="Register an account; the next step arrives by email",
          responses={202: {"description": "Accepted",
                           "content": {"application/json": {"model": RegistrationAccepted}}}})
def register(form: Annotated[RegistrationRequest, Body()]) -> Response[RegistrationAccepted]:
    accepted = logic.register(form, current_plan(), request_meta(app), settings().portal_url, clock.now())
    return json_response(202, accepted)


lambda_handler = make_handler(app)
