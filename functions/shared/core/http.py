"""The HTTP edge every function shares: resolver factory, problem+json mapping, security headers.

Handlers stay one-liners: routes raise domain errors (shared/core/errors.py) and this module turns
each of them, and every validation failure, into an RFC 9457 `application/problem+json` body.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import os
import re
from collections.abc import Callable, Mapping
from contextvars import copy_context
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.depends import DependencyResolutionError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel

from functions.shared.core import telemetry
from functions.shared.core.config import settings
from functions.shared.core.errors import FieldError, Problem, is_transient, service_unavailable, session_ended
from functions.shared.core.forms import STATED
from functions.shared.core.logs import per_invocation

logger = Logger()

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "/problems/"
MAX_JSON_DEPTH = 32  # no request model nests deeper than a few levels; more is an attack on the parser
# RFC 3986 pchar and "/": what may stay unescaped in a path; everything else is percent-encoded.
_PATH_SAFE = "/!$&'()*+,;=:@-._~"

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class RequestMeta:
    request_id: str
    source_ip: str  # the client's address, as audited and stored
    user_agent: str

    @property
    def source(self) -> str:
        """What the per-source limits count (`counted_source`)."""
        return counted_source(self.source_ip)


def counted_source(address: str) -> str:
    """An IPv4 address as it is; an IPv6 address as its /64 network. A subscriber usually holds a whole /64
    (2^64 addresses), so counting single IPv6 addresses would give each rotation a fresh allowance."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return address


def problem_response(problem: Problem, instance: str | None = None) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if instance:
        body["instance"] = instance_uri(instance)
    if problem.errors:
        body["errors"] = [{"field": e.field, "code": e.code, "message": e.message} for e in problem.errors]
    body.update(problem.extra)
    return Response(problem.status, PROBLEM_JSON, json.dumps(body), dict(problem.headers))


def instance_uri(path: str) -> str:
    """The request path as a URI reference: the resolver sees it decoded (`/mfa/devices/É`)."""
    return quote(path, safe=_PATH_SAFE)


def json_response(status: int, model: BaseModel) -> Response:
    """A non-200 success; the resolver validates and serialises the model like any other return value."""
    return Response(status, "application/json", model)


def file_response(content: bytes, content_type: str, headers: dict[str, str]) -> Response[str]:
    """A file, byte for byte. The resolver's response validation would serialise bytes as UTF-8 text (and
    fail on a PNG or PDF), so the bytes pass it as latin-1 text, one character per byte, and
    `file_bodies` (a route middleware, which runs after that validation) turns them back into bytes,
    which the resolver sends base64-encoded."""
    return Response(200, content_type, content.decode("latin-1"), {**headers, _FILE_BODY: "latin-1"})


def file_bodies(app: APIGatewayRestResolver, next_middleware: Callable[[APIGatewayRestResolver], Response]) -> Response:
    response = next_middleware(app)
    if response.headers.pop(_FILE_BODY, None) and isinstance(response.body, str):
        response.body = response.body.encode("latin-1")
    return response


_FILE_BODY = "X-Portal-File-Body"  # set by file_response, removed by file_bodies before the response leaves


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


# A step's own wording for its fields: field name -> pydantic error type -> message, e.g.
# {"pin": {"string_pattern_mismatch": "Enter the 4 digits."}}. Each step keeps it in its models.py.
FieldMessages = Mapping[str, Mapping[str, str]]


def _message(err: Mapping[str, Any], field: str, field_messages: FieldMessages) -> str:
    kind = str(err.get("type", "invalid"))
    # Items of a list share their wording: 'service_lines.0.code' reads 'service_lines.code'.
    generic = ".".join(part for part in field.split(".") if not part.isdigit())
    own = field_messages.get(field, {}).get(kind) or field_messages.get(generic, {}).get(kind)
    if own is not None:
        return own
    if (err.get("ctx") or {}).get(STATED):  # a form rule's own words (functions/shared/core/forms.py)
        return str(err.get("msg", ""))
    if kind == "missing" or (kind == "string_too_short" and (err.get("ctx") or {}).get("min_length") == 1):
        return "This field is required."
    if kind == "json_invalid":
        return "The request body is not valid JSON."
    message = str(err.get("msg", "is not valid"))
    return message.removeprefix("Value error, ") if kind == "value_error" else message


def validation_problem(exc: RequestValidationError, field_messages: FieldMessages | None = None) -> Problem:
    """Every validation error as a field error: the step's own message for the field where it has one,
    otherwise the generic wording (required, not JSON, the validator's text)."""
    errors = []
    for err in exc.errors():
        kind = str(err.get("type", "invalid"))
        field = "body" if kind == "json_invalid" else _field_name(tuple(err.get("loc", ())))
        errors.append(FieldError(field=field, message=_message(err, field, field_messages or {}), code=kind))
    return Problem(422, "validation", "Some fields need attention",
                   "Correct the fields marked below and send the form again.", errors)


def make_resolver(field_messages: FieldMessages | None = None) -> APIGatewayRestResolver:
    """A REST (v1) resolver with request validation and the one central error map.

    `field_messages`: the step's wording for its own fields' validation errors (see FieldMessages).
    """
    app = APIGatewayRestResolver(enable_validation=True)
    messages: FieldMessages = field_messages or {}

    @app.exception_handler(Problem)
    def _problem(exc: Problem) -> Response:
        return problem_response(exc, app.current_event.path)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(_: RequestUnsupportedContentType) -> Response:
        # An empty body under a non-JSON Content-Type (a body is refused earlier, in body_problem).
        media_type = (app.current_event.headers.get("content-type") or "").split(";", 1)[0].strip()
        return problem_response(unsupported_media_type(media_type), app.current_event.path)

    @app.exception_handler(DependencyResolutionError)
    def _dependency(exc: DependencyResolutionError) -> Response:
        # A route's injected context (functions/shared/core/context.py) failed: answer for what it raised.
        cause = exc.__cause__ or exc
        if isinstance(cause, Problem):
            return _problem(cause)
        return _unexpected(cause if isinstance(cause, Exception) else exc)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        return problem_response(validation_problem(exc, messages), app.current_event.path)

    @app.not_found
    def _not_found(_: Exception) -> Response:
        return problem_response(Problem(404, "not-found", "Not found",
                                        "There is no such address in the portal API."))

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # Each state change is one transaction, made whole or not at all: a busy service means "try again".
        if is_transient(exc):
            logger.warning("service busy", extra={"error_type": type(exc).__name__})
            return problem_response(service_unavailable("The portal is busy just now. Wait a moment, then try "
                                                         "again."), app.current_event.path)
        # The exception text may echo user input: deployed stages log only its type; the local
        # stack also logs the trace, to debug with.
        local = os.environ.get("STAGE") == "local"
        logger.error("unhandled error", extra={"error_type": type(exc).__name__}, exc_info=local)
        return problem_response(Problem(500, "internal", "Something went wrong",
                                        "The request could not be completed. Try again; if it keeps "
                                        "failing, call the support number shown on the page."))

    return app


# Set by CloudFront from the viewer's connection: '<IPv4>:<port>' or '<IPv6>:<port>' (the IPv6 address is not
# bracketed; brackets are accepted too). infra/constructs/web.py forwards it to the API.
VIEWER_ADDRESS_HEADER = "CloudFront-Viewer-Address"
_VIEWER_ADDRESS = re.compile(r"(?:\[(?P<bracketed>[0-9A-Fa-f:.]+)\]|(?P<plain>[0-9A-Fa-f:.]+)):(?P<port>[0-9]{1,5})")


def viewer_address(value: str) -> str | None:
    """The IP address of a CloudFront-Viewer-Address value, in its canonical form; None unless the value is
    exactly an address and a port (no zone, no spaces, port 0-65535, IPv4 never bracketed)."""
    match = _VIEWER_ADDRESS.fullmatch(value)
    if match is None or int(match["port"]) > 65535:
        return None
    text = match["bracketed"] or match["plain"]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if match["bracketed"] and address.version != 6:
        return None
    return str(address)


def _header_values(event: Mapping[str, Any], name: str) -> list[str]:
    """Every value of header `name` in a REST proxy event (the single-value map keeps only the last)."""
    wanted = name.lower()
    values = [v for k, vs in (event.get("multiValueHeaders") or {}).items() if k.lower() == wanted for v in vs or ()]
    if not values:
        values = [v for k, v in (event.get("headers") or {}).items() if k.lower() == wanted and v is not None]
    return values


def client_address(event: Mapping[str, Any], *, trust_viewer_header: bool) -> str:
    """Who the client is, for per-source limits, lockouts and audit records.

    Behind CloudFront, API Gateway's sourceIp is an edge server shared by many viewers: a stage deployed
    there (TRUST_VIEWER_ADDRESS_HEADER) takes the viewer's address from CloudFront-Viewer-Address, which
    CloudFront sets and the stage's web ACL guarantees (requests that bypass CloudFront are blocked). A
    missing, repeated or malformed value falls back to sourceIp: the request still gets a (coarser) source.
    """
    source_ip = str(((event.get("requestContext") or {}).get("identity") or {}).get("sourceIp") or "")
    if trust_viewer_header:
        values = _header_values(event, VIEWER_ADDRESS_HEADER)
        if len(values) == 1:
            address = viewer_address(values[0])
            if address is not None:
                return address
        if values:
            logger.warning("malformed viewer address header", extra={"values": len(values)})
    return source_ip


def request_meta_of(event: Mapping[str, Any]) -> RequestMeta:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return RequestMeta(
        request_id=(event.get("requestContext") or {}).get("requestId") or "",
        source_ip=client_address(event, trust_viewer_header=settings().trust_viewer_address_header),
        user_agent=str(headers.get("user-agent") or "")[:256],
    )


@dataclass(frozen=True)
class Caller:
    """Who is calling, as established by the request authorizer for this request."""

    account_id: str
    session_hash: str
    stage: str


def caller_of(event: Mapping[str, Any]) -> Caller:
    context = (event.get("requestContext") or {}).get("authorizer") or {}
    if not context.get("account_id"):
        # Routes behind the authorizer never get here without it; refuse rather than guess.
        raise session_ended()
    return Caller(context["account_id"], context["session_hash"], context["stage"])


def cookie_header(app: APIGatewayRestResolver) -> str | None:
    return app.current_event.headers.get("cookie")


MALFORMED_BODY = "malformed-body"
UNSUPPORTED_MEDIA_TYPE = "unsupported-media-type"


def _content_type(event: dict[str, Any]) -> str:
    """The body's media type, lower-cased in the event too: media types are case-insensitive, the
    resolver's request validation compares them as they are."""
    media_type = ""
    for section in ("headers", "multiValueHeaders"):
        headers = event.get(section) or {}
        for name, value in headers.items():
            if name.lower() == "content-type":
                values = value if isinstance(value, list) else [value]
                lowered = [str(v).split(";", 1)[0].strip().lower() + _params(str(v)) for v in values]
                headers[name] = lowered if isinstance(value, list) else lowered[0]
                media_type = lowered[-1].split(";", 1)[0]
    return media_type


def _params(value: str) -> str:
    _, sep, params = value.partition(";")
    return sep + params


def _too_deep(value: Any, limit: int) -> bool:
    """Whether `value` nests arrays/objects more than `limit` levels (iteratively: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def unsupported_media_type(media_type: str) -> Problem:
    return Problem(415, UNSUPPORTED_MEDIA_TYPE, "Send JSON",
                   f"The body must be JSON (Content-Type: application/json), not {media_type or 'an unnamed type'}.")


def body_problem(event: dict[str, Any]) -> Problem | None:
    """Why a request body cannot be read as JSON at all (415, 400), or None to let the route parse it.

    Runs before the resolver, so no route meets a body that is not UTF-8 JSON text of sane depth.
    Syntax errors are left to request validation (a 422 naming `body`).
    """
    raw = event.get("body")
    if not raw:
        return None
    media_type = _content_type(event)
    if media_type != "application/json":
        return unsupported_media_type(media_type)
    try:
        data = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else None
        text = data.decode("utf-8") if data is not None else str(raw)
        text.encode("utf-8")  # a lone surrogate (from a gateway that decoded leniently) is not UTF-8 either
    except (binascii.Error, UnicodeError):
        return Problem(400, MALFORMED_BODY, "The body is not UTF-8 text",
                       "JSON must be sent as UTF-8 text; the body holds bytes that are not.")
    try:
        parsed = json.loads(text)
    except RecursionError:
        return Problem(400, MALFORMED_BODY, "The body nests too deeply",
                       f"JSON arrays and objects may nest at most {MAX_JSON_DEPTH} levels.")
    except ValueError:
        return None
    if _too_deep(parsed, MAX_JSON_DEPTH):
        return Problem(400, MALFORMED_BODY, "The body nests too deeply",
                       f"JSON arrays and objects may nest at most {MAX_JSON_DEPTH} levels.")
    return None


def problem_result(problem: Problem, path: str | None = None) -> dict[str, Any]:
    """A problem as the proxy result the resolver would have returned (for answers given before it)."""
    response = problem_response(problem, path)
    headers = {"Content-Type": [PROBLEM_JSON], **{k: [v] for k, v in (response.headers or {}).items()
                                                   if k != "Content-Type"}}
    return {"statusCode": response.status_code, "multiValueHeaders": headers, "body": response.body,
            "isBase64Encoded": False}


def with_security_headers(result: dict[str, Any]) -> dict[str, Any]:
    if "multiValueHeaders" in result:
        for name, value in SECURITY_HEADERS.items():
            result["multiValueHeaders"].setdefault(name, [value])
    else:
        headers = result.setdefault("headers", {})
        for name, value in SECURITY_HEADERS.items():
            headers.setdefault(name, value)
    return result


def make_handler(app: APIGatewayRestResolver) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda entry point for a resolver: correlation id in every log line, headers on every reply."""

    @per_invocation(logger, correlation_id_path=correlation_paths.API_GATEWAY_REST)
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            refused = body_problem(event)
            if refused is not None:
                return with_security_headers(problem_result(refused, event.get("path")))
            # a fresh context per invocation: nothing one request noted (audit.acting_through) reaches the next
            return with_security_headers(copy_context().run(app.resolve, event, context))
        finally:
            telemetry.flush()

    return telemetry.traced(lambda_handler)
