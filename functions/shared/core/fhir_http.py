"""The HTTP edge of the FHIR routes (providers' systems, not browsers): FHIR JSON in and out, and every
error an `OperationOutcome` (never problem+json), as FHIR clients expect.

A FHIR handler raises `FhirError(status, code, diagnostics)`; `code` is the FHIR issue type
(http://hl7.org/fhir/issue-type: invalid, security, login, forbidden, not-found, throttled, ...), so a
client can act on it without reading the text. OAuth's token endpoint answers in OAuth's own error
form (RFC 6749 section 5.2), also from here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from functions.shared.core import telemetry
from functions.shared.core.errors import is_transient
from functions.shared.core.http import with_security_headers
from functions.shared.core.logs import per_invocation

logger = Logger()

FHIR_JSON = "application/fhir+json"
_JSON_TYPES = (FHIR_JSON, "application/json")
MAX_BODY_BYTES = 1_000_000  # a member-match request of a few hundred members; more is split by the client


class FhirError(Exception):
    """`expression`: the FHIRPath of the element at fault (e.g. `Claim.item[0].productOrService`), so a
    client's user is shown which field to fix."""

    def __init__(self, status: int, code: str, diagnostics: str, headers: Mapping[str, str] | None = None,
                 expression: str | None = None) -> None:
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics = status, code, diagnostics
        self.headers = dict(headers or {})
        self.expression = expression


class OAuthError(Exception):
    """An RFC 6749 token-endpoint error: `invalid_client`, `invalid_grant`, `invalid_request`, ..."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def operation_outcome(code: str, diagnostics: str, severity: str = "error",
                      expression: str | None = None) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def fhir_response(status: int, body: Mapping[str, Any] | None, headers: Mapping[str, str] | None = None,
                  content_type: str = FHIR_JSON) -> Response[str]:
    return Response(status, content_type, json.dumps(body, separators=(",", ":")) if body is not None else "",
                    dict(headers or {}))


def json_body(event: Any, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The request's FHIR JSON body (a JSON object), or a 415/413/400 FhirError that says what to send."""
    media_type = (event.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media_type not in _JSON_TYPES:
        raise FhirError(415, "not-supported", f"Send the body as {FHIR_JSON} (not {media_type or 'no type'}).")
    if len(event.body or "") * 3 // 4 > max_bytes:  # base64 (as API Gateway sends it) or text: at least this
        raise FhirError(413, "too-costly", f"The body is larger than {max_bytes} bytes: send less in one request.")
    try:
        raw = event.decoded_body or ""
        if len(raw.encode()) > max_bytes:
            raise FhirError(413, "too-costly", f"The body is larger than {max_bytes} bytes: send less in one "
                                               "request.")
        body = json.loads(raw)
    except ValueError:  # not base64, not UTF-8, or not JSON
        raise FhirError(400, "structure", "The body is not JSON.") from None
    if not isinstance(body, dict):
        raise FhirError(400, "structure", "The body is not a FHIR resource (a JSON object).")
    return body


def form_body(event: Any) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body (the OAuth token request), each field once."""
    media_type = (event.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "Send the token request as application/x-www-form-urlencoded.")
    raw = event.decoded_body or ""
    if len(raw) > 16_384:
        raise OAuthError("invalid_request", "The token request is too large.")
    fields: dict[str, str] = {}
    for name, value in parse_qsl(raw, keep_blank_values=True):
        if name in fields:
            raise OAuthError("invalid_request", f"`{name}` is given more than once.")
        fields[name] = value
    return fields


def make_fhir_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver()

    @app.exception_handler(FhirError)
    def _fhir(exc: FhirError) -> Response[str]:
        return fhir_response(exc.status, operation_outcome(exc.code, exc.diagnostics, expression=exc.expression),
                             exc.headers)

    @app.exception_handler(OAuthError)
    def _oauth(exc: OAuthError) -> Response[str]:
        return fhir_response(exc.status, {"error": exc.error, "error_description": exc.description},
                             {"Pragma": "no-cache"}, content_type="application/json")

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        return fhir_response(404, operation_outcome("not-found", "The FHIR API has no such address: see "
                                                                  "GET /fhir/metadata."))

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[str]:
        if is_transient(exc):
            logger.warning("service busy", extra={"error_type": type(exc).__name__})
            return fhir_response(503, operation_outcome("transient", "Busy just now: try again shortly."),
                                 {"Retry-After": "5"})
        logger.error("unhandled error", extra={"error_type": type(exc).__name__},
                     exc_info=os.environ.get("STAGE") == "local")
        return fhir_response(500, operation_outcome("exception", "The request could not be completed; try again."))

    return app


def make_fhir_handler(app: APIGatewayRestResolver) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    @per_invocation(logger, correlation_id_path=correlation_paths.API_GATEWAY_REST)
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            return with_security_headers(app.resolve(event, context))  # bodies are read by each route
        finally:
            telemetry.flush()

    return telemetry.traced(lambda_handler)
