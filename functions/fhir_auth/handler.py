"""SMART Backend Services for providers' systems: the token endpoint and the server's SMART configuration
(POST /fhir/auth/token, GET /fhir/.well-known/smart-configuration). Errors on the token endpoint are
OAuth's (RFC 6749 section 5.2); the configuration is public."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.fhir_auth import logic
from functions.shared.core import clock
from functions.shared.core.fhir_http import fhir_response, form_body, make_fhir_handler, make_fhir_resolver
from functions.shared.core.http import request_meta_of

app = make_fhir_resolver()


@app.post("/fhir/auth/token")
def token() -> Response[str]:
    answer: dict[str, Any] = logic.token(form_body(app.current_event), request_meta_of(app.current_event.raw_event),
                                         clock.now())
    return fhir_response(200, answer, {"Pragma": "no-cache"}, content_type="application/json")


@app.get("/fhir/.well-known/smart-configuration")
def smart_configuration() -> Response[str]:
    return fhir_response(200, logic.smart_configuration(), content_type="application/json")


lambda_handler = make_fhir_handler(app)
