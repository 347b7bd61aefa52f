"""A local stand-in for API Gateway (REST, Lambda proxy integration).

HTTP request → route from infra/routes.py → full REST (v1) proxy event → the real handler (after the
real REQUEST authorizer for routes that are not public) → HTTP response. Everything here is a pure
function of its inputs except `Gateway.handle`, which also imports and calls the handlers.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import json
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from functions.shared.core.http import SECURITY_HEADERS
from infra.gateway_problems import gateway_problem
from infra.routes import FUNCTIONS, ROUTES, Function, Route

AUTHORIZER_FUNCTION = "authorizer"
ACCOUNT_ID = "123456789012"
STAFF_HEADER = "X-Staff-User"  # the local stand-in for a SigV4-signed staff request
API_ID = "local"
PROBLEM_JSON = "application/problem+json"
# What API Gateway's own answers carry when deployed (infra/constructs/api.py): the functions' headers.
GATEWAY_HEADERS = dict(SECURITY_HEADERS)



# ----------------------------------------------------------------------------------------------------
# Plain data passed between the server and the gateway


def is_loopback(address: str) -> bool:
    """Whether a peer address is this machine (127.0.0.0/8, ::1, or IPv4-mapped loopback)."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


@dataclass(frozen=True)
class HttpRequest:
    """What the HTTP server received. `target` is the raw request target (path and query)."""

    method: str
    target: str
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    client_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class Lookup:
    """A route match, or the methods the path answers to (empty: no such path → 404, else → 405)."""

    match: RouteMatch | None
    allowed: tuple[str, ...] = ()


class BadIntegrationResponse(ValueError):
    """The handler returned something API Gateway would answer with 502."""


# ----------------------------------------------------------------------------------------------------
# Route matching


@cache
def _pattern(path: str) -> re.Pattern[str]:
    parts = []
    for segment in path.strip("/").split("/"):
        greedy = re.fullmatch(r"\{(\w+)\+\}", segment)
        param = re.fullmatch(r"\{(\w+)\}", segment)
        if greedy:
            parts.append(f"(?P<{greedy.group(1)}>.+)")
        elif param:
            parts.append(f"(?P<{param.group(1)}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("^/" + "/".join(parts) + "$")


def _specificity(route: Route) -> tuple[int, ...]:
    """API Gateway prefers literal segments over {param} and {param} over {greedy+}, left to right."""
    rank = []
    for segment in route.path.strip("/").split("/"):
        rank.append(2 if segment.endswith("+}") else 1 if segment.startswith("{") else 0)
    return tuple(rank)


def match_route(routes: Iterable[Route], method: str, path: str) -> Lookup:
    """Find the route for `method` and `path`, an API path as sent (`/providers/a%20b`): segments are
    matched before decoding, so an encoded `/` stays inside its path parameter."""
    if path != "/" and path.endswith("/"):
        path = path.rstrip("/") or "/"
    best: dict[str, RouteMatch] = {}
    ranked = sorted(routes, key=_specificity)
    resource: str | None = None
    for route in ranked:
        found = _pattern(route.path).match(path)
        if not found:
            continue
        if resource is None:
            resource = route.path  # the most specific resource that matches wins, as in API Gateway
        if route.path != resource:
            continue
        params = {name: unquote(value) for name, value in found.groupdict().items()}
        best.setdefault(route.method, RouteMatch(route, params))
    if method in best:
        return Lookup(best[method], tuple(sorted(best)))
    return Lookup(None, tuple(sorted(best)))


# ----------------------------------------------------------------------------------------------------
# Request → event


def _split_target(target: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urlsplit(target)
    return parts.path or "/", parse_qsl(parts.query, keep_blank_values=True)


def _multi(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for name, value in pairs:
        merged.setdefault(name, []).append(value)
    return merged


def _header_lookup(headers: Mapping[str, list[str]], name: str) -> str | None:
    return next((v[-1] for k, v in headers.items() if k.lower() == name.lower()), None)


def build_event(
    request: HttpRequest, match: RouteMatch, api_path: str, *, stage: str, request_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The API Gateway REST (v1) proxy event for `request`, as a Lambda proxy integration receives it.

    `api_path` is the path inside the API (what the resolver routes on); `request.target` is what the
    client asked for (kept in `requestContext.path`, as with a custom domain's base path).
    """
    now = now or datetime.now(UTC)
    request_id = request_id or str(uuid.uuid4())
    raw_path, query = _split_target(request.target)
    multi_headers = _multi(request.headers)
    headers = {name: values[-1] for name, values in multi_headers.items()}
    multi_query = _multi(query)
    # The deployed API's binary media types are */* (infra/constructs/api.py), so API Gateway hands every
    # request body to the function base64-encoded, JSON included.
    if not request.body:
        body, encoded = None, False
    else:
        body, encoded = base64.b64encode(request.body).decode("ascii"), True
    user_agent = headers.get("User-Agent") or _header_lookup(multi_headers, "User-Agent")
    return {
        "resource": match.route.path,
        "path": api_path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": match.path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": _resource_id(match.route.path),
            "resourcePath": match.route.path,
            "httpMethod": request.method,
            "extendedRequestId": base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("="),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": raw_path,
            "accountId": ACCOUNT_ID,
            "protocol": request.protocol,
            "stage": stage,
            "domainPrefix": (_header_lookup(multi_headers, "Host") or "localhost").split(".")[0],
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "domainName": _header_lookup(multi_headers, "Host") or "localhost",
            "apiId": API_ID,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": request.client_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": user_agent,
                "user": None,
            },
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


def _sigv4_user(authorization: str | None) -> str | None:
    """The access key of a SigV4 `Authorization` header (`AWS4-HMAC-SHA256 Credential=KEY/...`), taken
    locally as the staff user's name; the signature itself is not checked here."""
    match = re.match(r"AWS4-HMAC-SHA256 Credential=([A-Za-z0-9._-]{1,64})/", authorization or "")
    return match.group(1) if match else None


def _resource_id(path: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, path).hex[:6]


def method_arn(event: Mapping[str, Any], region: str) -> str:
    ctx = event["requestContext"]
    return (f"arn:aws:execute-api:{region}:{ctx['accountId']}:{ctx['apiId']}/{ctx['stage']}/"
            f"{event['httpMethod']}{event['path']}")


def build_authorizer_event(event: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The event a REQUEST authorizer receives for the proxy event `event` (no body)."""
    keys = ("resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
            "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext")
    return {"type": "REQUEST", "methodArn": method_arn(event, region), **{k: event[k] for k in keys}}


# ----------------------------------------------------------------------------------------------------
# Authorizer result


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _arn_matches(pattern: str, arn: str) -> bool:
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, arn) is not None


def _action_matches(action: str) -> bool:
    return action in ("*", "execute-api:*", "execute-api:Invoke")


def policy_allows(policy: Mapping[str, Any] | None, arn: str) -> bool:
    """IAM evaluation of `execute-api:Invoke` on `arn`: an explicit Deny wins, else an Allow must match."""
    allowed = False
    for statement in _as_list((policy or {}).get("Statement")):
        if not isinstance(statement, Mapping):
            continue
        actions = [str(a) for a in _as_list(statement.get("Action"))]
        resources = [str(r) for r in _as_list(statement.get("Resource"))]
        if not any(_action_matches(a) for a in actions):
            continue
        if not any(_arn_matches(r, arn) for r in resources):
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            return False
        if effect == "Allow":
            allowed = True
    return allowed


@dataclass(frozen=True)
class Decision:
    """What API Gateway does with an authorizer's answer: admit with a context, or reply `status`."""

    allowed: bool
    status: int = 200
    context: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


def authorizer_decision(result: Any, error: BaseException | None, arn: str,
                        latency_ms: int = 0) -> Decision:
    if error is not None:
        if str(error) == "Unauthorized":  # how a Lambda authorizer asks API Gateway for a 401
            return Decision(False, 401, reason="The request has no valid session.")
        return Decision(False, 500, reason=f"The authorizer failed ({type(error).__name__}).")
    if not isinstance(result, Mapping) or "principalId" not in result or "policyDocument" not in result:
        return Decision(False, 500, reason="The authorizer returned no principalId and policyDocument.")
    context = result.get("context") or {}
    if not isinstance(context, Mapping) or any(
        not isinstance(v, str | int | float | bool) for v in context.values()
    ):
        return Decision(False, 500, reason="The authorizer context may hold only strings, numbers and "
                                           "booleans.")
    if not policy_allows(result["policyDocument"], arn):
        # The context still reaches the ACCESS_DENIED gateway response ($context.authorizer.*).
        return Decision(False, 403, context=dict(context),
                        reason="The authorizer's policy does not allow this request.")
    return Decision(True, context={**context, "principalId": result["principalId"],
                                   "integrationLatency": latency_ms})


# ----------------------------------------------------------------------------------------------------
# Handler result → HTTP response


def http_response(result: Any) -> HttpResponse:
    """Map a proxy integration result to HTTP, the way API Gateway does (or raise for a 502)."""
    if not isinstance(result, Mapping):
        raise BadIntegrationResponse(f"the handler returned {type(result).__name__}, not a dict")
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise BadIntegrationResponse(f"invalid statusCode {status!r}")
    headers: list[tuple[str, str]] = []
    multi = result.get("multiValueHeaders") or {}
    single = result.get("headers") or {}
    if not isinstance(multi, Mapping) or not isinstance(single, Mapping):
        raise BadIntegrationResponse("headers and multiValueHeaders must be objects")
    for name, values in multi.items():
        headers.extend((str(name), str(v)) for v in _as_list(values))
    taken = {name.lower() for name, _ in headers}
    headers.extend((str(n), str(v)) for n, v in single.items() if str(n).lower() not in taken)
    body = result.get("body")
    if body is None:
        payload = b""
    elif not isinstance(body, str):
        raise BadIntegrationResponse("body must be a string")
    elif result.get("isBase64Encoded"):
        try:
            payload = base64.b64decode(body, validate=True)
        except binascii.Error as exc:
            raise BadIntegrationResponse("isBase64Encoded body is not base64") from exc
    else:
        payload = body.encode("utf-8")
    return HttpResponse(status, headers, payload)


def gateway_answer(response_type: str, detail: str = "", *, subtype: str = "",
                   own_detail: bool = False) -> HttpResponse:
    """What the deployed API's gateway response of this type answers (infra/gateway_problems.py). `detail`
    stands for API Gateway's own message, or replaces the table's with `own_detail` (a developer's hint)."""
    answer = gateway_problem(response_type)
    retry = [("Retry-After", str(answer.retry_after))] if answer.retry_after else []
    text = detail if own_detail or not answer.detail else answer.detail
    return problem(answer.status, answer.title, text, slug=answer.slug + subtype, headers=retry)


def problem(status: int, title: str, detail: str, *, headers: Iterable[tuple[str, str]] = (),
            slug: str | None = None, **extra: Any) -> HttpResponse:
    """An RFC 9457 problem answered by the gateway itself."""
    slug = slug or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    body = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail, **extra}
    return HttpResponse(
        status,
        [("Content-Type", PROBLEM_JSON), *GATEWAY_HEADERS.items(), *headers],
        json.dumps(body).encode(),
    )


# ----------------------------------------------------------------------------------------------------
# The Lambda context and the gateway


class LambdaContext:
    """The parts of the Lambda context object that handlers and Powertools read."""

    def __init__(self, function: Function, region: str, request_id: str | None = None) -> None:
        self.function_name = f"provider-portal-local-{function.name}"
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{self.function_name}"
        self.memory_limit_in_mb = function.memory_mb
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + function.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


Handler = Callable[[dict[str, Any], Any], Any]


def load_handler(function: str, import_module: Callable[[str], ModuleType] = importlib.import_module
                 ) -> Handler:
    handler: Handler = import_module(f"functions.{function}.handler").lambda_handler
    return handler


class Gateway:
    """Routes requests under `base` (e.g. `/api`) to the functions of the route table."""

    def __init__(
        self,
        *,
        routes: Sequence[Route] = ROUTES,
        functions: Sequence[Function] = FUNCTIONS,
        base: str = "/api",
        stage: str = "local",
        region: str = "us-east-1",
        import_module: Callable[[str], ModuleType] = importlib.import_module,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.routes = tuple(routes)
        self.functions = {f.name: f for f in functions}
        self.base = base.rstrip("/")
        self.stage = stage
        self.region = region
        self._import = import_module
        self._log = log or (lambda _message: None)
        # A Lambda container runs one invocation at a time, and a function keeps per-invocation state in
        # its module's globals (its resolver's current event): each function runs one request at a time,
        # as one warm container would, while different functions run side by side as they do deployed.
        # What the functions share in this one process (functions/shared) holds no invocation's state
        # across threads: clients are created under a lock, the models bound once, the audit's
        # delegation is a context variable, metrics are counted per thread.
        self._locks = {name: threading.Lock() for name in self.functions}

    def owns(self, path: str) -> bool:
        return path == self.base or path.startswith(self.base + "/")

    def api_path(self, raw_path: str) -> str:
        """The path inside the API, still percent-encoded."""
        return raw_path[len(self.base):] or "/"

    def warm_up(self) -> list[str]:
        """Import every function now, so the first request is fast; returns the ones that failed."""
        failed = []
        for name in self.functions:
            try:
                load_handler(name, self._import)
            except Exception:
                failed.append(name)
                self._log(f"cannot import functions.{name}.handler:\n{traceback.format_exc()}")
        return failed

    def handle(self, request: HttpRequest) -> HttpResponse:
        raw_path, _ = _split_target(request.target)
        encoded = self.api_path(raw_path)
        api_path = unquote(encoded)
        lookup = match_route(self.routes, request.method, encoded)
        if lookup.match is None:
            if lookup.allowed:
                return problem(405, "Method not allowed",
                               f"{api_path} answers to {', '.join(lookup.allowed)}, not {request.method}.",
                               headers=[("Allow", ", ".join(lookup.allowed))])
            return gateway_answer("RESOURCE_NOT_FOUND")  # the API's catch-all {proxy+} answer
        route = lookup.match.route
        event = build_event(request, lookup.match, api_path, stage=self.stage)
        if route.iam:
            # Stand-in for API Gateway's AWS_IAM auth: locally the staff tool names its user in a
            # header (the devserver only answers on this machine); a browser session never suffices.
            # The header is believed only from this machine: with the server bound to another address,
            # anyone on the network could otherwise claim to be staff.
            staff = _header_lookup(event["multiValueHeaders"] or {}, STAFF_HEADER) or _sigv4_user(
                _header_lookup(event["multiValueHeaders"] or {}, "Authorization"))
            if not staff:  # as API Gateway answers an unsigned request to an AWS_IAM method
                return gateway_answer("MISSING_AUTHENTICATION_TOKEN")
            if not is_loopback(request.client_ip):
                return gateway_answer("ACCESS_DENIED")
            event["requestContext"]["identity"]["userArn"] = f"arn:aws:iam::{ACCOUNT_ID}:user/{staff}"
        elif not route.public:
            denied = self._authorize(event)
            if denied is not None:
                return denied
        function = self.functions.get(route.function)
        if function is None:
            return problem(500, "Route misconfigured",
                           f"The route names function {route.function!r}, which FUNCTIONS does not list.")
        return self._invoke(function, event)

    def _authorize(self, event: dict[str, Any]) -> HttpResponse | None:
        """Run the REQUEST authorizer; None admits the request (with its context added to `event`)."""
        authorizer = self.functions.get(AUTHORIZER_FUNCTION)
        if authorizer is None:
            return problem(500, "No authorizer",
                           "This route is not public, but infra/routes.py defines no 'authorizer' "
                           "function to admit its callers.")
        auth_event = build_authorizer_event(event, self.region)
        result: Any = None
        error: BaseException | None = None
        started = time.monotonic()
        try:
            handler = load_handler(AUTHORIZER_FUNCTION, self._import)
            with self._locks[AUTHORIZER_FUNCTION]:
                result = handler(auth_event, LambdaContext(authorizer, self.region))
        except Exception as exc:
            error = exc
            if str(exc) != "Unauthorized":
                self._log(f"authorizer failed:\n{traceback.format_exc()}")
        decision = authorizer_decision(result, error, auth_event["methodArn"],
                                       int((time.monotonic() - started) * 1000))
        if not decision.allowed:
            # The same types and titles as the deployed API's gateway responses (infra/constructs/api.py):
            # a refused live session's problem comes from the authorizer context.
            if decision.status == 403:
                return gateway_answer("ACCESS_DENIED", str(decision.context.get("detail", decision.reason)),
                                      subtype=str(decision.context.get("subtype", "")))
            if decision.status == 401:
                return gateway_answer("UNAUTHORIZED", decision.reason)
            if error is not None:  # the function failed: API Gateway's AUTHORIZER_FAILURE
                return gateway_answer("AUTHORIZER_FAILURE")
            return gateway_answer("AUTHORIZER_CONFIGURATION_ERROR", decision.reason)
        event["requestContext"]["authorizer"] = decision.context
        return None

    def _invoke(self, function: Function, event: dict[str, Any]) -> HttpResponse:
        try:
            handler = load_handler(function.name, self._import)
            with self._locks[function.name]:
                result = handler(event, LambdaContext(function, self.region,
                                                      event["requestContext"]["requestId"]))
            return http_response(result)
        except Exception:
            self._log(f"functions.{function.name} failed:\n{traceback.format_exc()}")
            return gateway_answer("INTEGRATION_FAILURE", f"The {function.name} function failed; see the devserver "
                                  "console for the traceback.", own_detail=True)
