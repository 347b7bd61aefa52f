"""Activation API: POST /activations, POST /activations/resend."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.activate import logic
from functions.activate.models import ActivationRequest, ActivationResult, ResendAccepted, ResendRequest
from functions.shared.core.config import settings
from functions.shared.core.context import Now, Origin, Plan
from functions.shared.core.http import json_response, make_handler, make_resolver

app = make_resolver()


@app.post("/activations", summary="Activate an account with the secret from its activation link")
def activate(meta: Origin, now: Now, req: Annotated[ActivationRequest, Body()]) -> ActivationResult:
    return logic.activate(req, meta, now)


@app.post("/activations/resend", summary="Send a new activation email (same answer for any address)",
          responses={202: {"description": "Accepted",
                           "content": {"application/json": {"model": ResendAccepted}}}})
def resend(plan: Plan, meta: Origin, now: Now, req: Annotated[ResendRequest, Body()]) -> Response[ResendAccepted]:
    accepted = logic.resend(req, plan, meta, settings().portal_url, now)
    return json_response(202, accepted)


lambda_handler = make_handler(app)
