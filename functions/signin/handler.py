"""Sign-in API: POST /sessions, GET /sessions/current, DELETE /sessions/current, DELETE /sessions."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.shared.core.config import settings
from functions.shared.core.context import Now, Origin, Plan, Who
from functions.shared.core.http import cookie_header, make_handler, make_resolver
from functions.shared.core.schemas import Message
from functions.shared.services.security.secrets import hash_secret
from functions.shared.services.sessions import DEVICE_COOKIE, SESSION_COOKIE, expired_cookie, read_cookie
from functions.shared.services.signin import SessionView
from functions.signin import logic
from functions.signin.models import FIELD_MESSAGES, SignInRequest

app = make_resolver(field_messages=FIELD_MESSAGES)


@app.post("/sessions", summary="Sign in with user name or email and password")
def sign_in(plan: Plan, meta: Origin, now: Now, req: Annotated[SignInRequest, Body()]) -> Response[SessionView]:
    device = read_cookie(cookie_header(app), DEVICE_COOKIE)
    started = logic.sign_in(req, plan, meta, hash_secret(device) if device else None,
                            now, settings().portal_url)
    return Response(200, "application/json", started.view, cookies=started.cookies)


@app.get("/sessions/current", summary="The current session: its stage, factors and CSRF token")
def current(who: Who, plan: Plan) -> SessionView:
    return logic.current(who, plan, read_cookie(cookie_header(app), SESSION_COOKIE))


@app.delete("/sessions/current", summary="Sign out")
def sign_out(who: Who, meta: Origin, now: Now) -> Response[Message]:
    who = who
    logic.sign_out(who.session_hash, who.account_id, meta, now)
    return Response(200, "application/json", Message(message="You are signed out."),
                    cookies=[expired_cookie(SESSION_COOKIE)])


@app.delete("/sessions", summary="Sign out everywhere: end every session of this account")
def sign_out_everywhere(who: Who, meta: Origin, now: Now) -> Response[Message]:
    who = who
    count = logic.sign_out_everywhere(who.account_id, meta, now)
    return Response(200, "application/json", Message(message=f"Signed out of {count} session(s)."),
                    cookies=[expired_cookie(SESSION_COOKIE)])


lambda_handler = make_handler(app)
