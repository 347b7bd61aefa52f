"""Password reset API: POST /password-resets, POST /password-resets/complete."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.password_reset import logic
from functions.password_reset.models import FIELD_MESSAGES, ResetCompletion, ResetRequest
from functions.shared.core.config import settings
from functions.shared.core.context import Now, Origin, Plan
from functions.shared.core.http import cookie_header, json_response, make_handler, make_resolver
from functions.shared.core.schemas import Message
from functions.shared.services.security.secrets import hash_secret
from functions.shared.services.sessions import DEVICE_COOKIE, read_cookie

app = make_resolver(field_messages=FIELD_MESSAGES)


@app.post("/password-resets", summary="Mail a reset link (same answer for any address)",
          responses={202: {"description": "Accepted", "content": {"application/json": {"model": Message}}}})
def request_reset(plan: Plan, meta: Origin, now: Now, req: Annotated[ResetRequest, Body()]) -> Response[Message]:
    device = read_cookie(cookie_header(app), DEVICE_COOKIE)
    answer = logic.request_reset(req, plan, meta, settings().portal_url, now,
                                 hash_secret(device) if device else None)
    return json_response(202, answer)


@app.post("/password-resets/complete", summary="Choose a new password with the mailed link")
def complete(plan: Plan, meta: Origin, now: Now, req: Annotated[ResetCompletion, Body()]) -> Message:
    return logic.complete_reset(req, plan, meta, now)


lambda_handler = make_handler(app)
