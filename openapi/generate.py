"""Generate the portal's OpenAPI documents from the resolvers of every function.

    python -m openapi.generate           write openapi/openapi.json and openapi/staff-openapi.json
    python -m openapi.generate --check   exit 1 (with a diff summary) if a committed file is stale

Each function in infra.routes.FUNCTIONS that serves routes is imported (`functions.<name>.handler`,
attribute `app`) and asked for its schema. The paths and components are merged and checked against
the route table; every error response is described as the RFC 9457 problem+json body that
functions/shared/core/http.py sends (one `Problem` schema, the types a response can carry in its
`x-problem-types`), routes that are not public need the session cookie, and each operation is named
and tagged by openapi/operations.py. The public document (openapi.json) describes the browser API;
the staff document (staff-openapi.json) the IAM-signed `/staff` routes. FHIR routes are in neither:
GET /fhir/metadata describes them. Generation never calls AWS: any AWS API call while it runs is an error.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import importlib
import json
import os
import re
import sys
import threading
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infra.routes import Route

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = Path(__file__).resolve().parent / "openapi.json"
STAFF_DOCUMENT = Path(__file__).resolve().parent / "staff-openapi.json"
TITLE = "Provider Portal API"
STAFF_TITLE = "Provider Portal Staff API"
DESCRIPTION = (
    "The API of the provider portal. Every error is an RFC 9457 `application/problem+json` body "
    "(schema `Problem`) whose `type` says what to do; each error response of an operation lists "
    "the types it can carry in `x-problem-types`. Validation failures (422) list each field in "
    "`errors`.\n\n"
    "What the statuses mean for a client:\n"
    "- **401** only ever means *no live session*: sign in again (`/problems/unauthenticated`).\n"
    "- **403** is a refusal of this request: a wrong password or code (`/problems/signin-failed`, "
    "`/problems/code-wrong`, ...; shown on the form), a session that has not finished MFA "
    "(`/problems/forbidden/mfa-required`), a missing or wrong `X-CSRF-Token` "
    "(`/problems/forbidden/csrf-missing`, `/problems/forbidden/csrf-invalid`: fetch the token from "
    "`GET /sessions/current` and retry), or no access to the record.\n"
    "- **400** a body that is not UTF-8 or nests more than 32 levels; **415** a body that is not "
    "`application/json`; **413** a body over 10 MB.\n"
    "- **403** `/problems/blocked`: the portal's firewall refused the request.\n"
    "- **404** `/problems/not-found`: no such address (or record).\n"
    "- **429** and **503** carry `Retry-After` (seconds), as do the gateway's **502** "
    "(`/problems/bad-gateway`) and **504** (`/problems/gateway-timeout`).\n"
    "- **405** (`/problems/method-not-allowed`, with `Allow`) answers any method a path does not list.\n\n"
    "Some rules depend on the deployment's plan profile and are stated in the field descriptions: "
    "plans with the extended sign-up form (cmo) require its extra fields and a CAPTCHA, and sign in "
    "by user name only."
)
STAFF_DESCRIPTION = (
    "The plan staff's API of the provider portal: every request is signed with AWS Signature Version 4 "
    "(IAM, `execute-api:Invoke`) by provider-relations or utilization-management staff; a browser session "
    "never suffices. API Gateway checks the signature itself and answers 403 without reaching the portal: "
    "`/problems/forbidden` (unsigned, or a signer who may not call staff routes), "
    "`/problems/signature-invalid`, `/problems/credentials-expired`. Every error is an RFC 9457 "
    "`application/problem+json` body (schema `Problem`); each error response lists the types it can "
    "carry in `x-problem-types`."
)
SERVERS = [{"url": "/api", "description": "The API under the portal's own origin (pages and API share it)"}]
Served = set[tuple[str, str, str]]  # (METHOD, /path, function)
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Powertools documents its own validation error shapes; the portal answers with a problem instead.
POWERTOOLS_ERROR_SCHEMAS = ("HTTPValidationError", "ResponseValidationError", "ValidationError")

PROBLEM_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "title": "Problem",
        "description": "RFC 9457 problem details. Extension members (such as `resend`, the page that "
                       "issues a new activation email) may be present.",
        "type": "object",
        "properties": {
            "type": {"type": "string", "format": "uri-reference",
                     "description": "The problem type, e.g. `/problems/validation`; each error response "
                                    "lists those it can carry in `x-problem-types`.",
                     "examples": ["/problems/validation"]},
            "title": {"type": "string", "description": "A short, human-readable summary of the type."},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "description": "What happened and what to do next."},
            "instance": {"type": "string", "format": "uri-reference",
                         "description": "The request path that failed."},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemFieldError"},
                       "description": "One entry per field that needs attention (validation problems)."},
        },
        "required": ["type", "title", "status", "detail"],
        "additionalProperties": True,
    },
    "ProblemFieldError": {
        "title": "ProblemFieldError",
        "type": "object",
        "properties": {
            "field": {"type": "string", "description": "Dotted name of the field, or `body`."},
            "code": {"type": "string", "description": "Machine-readable reason, e.g. `missing`."},
            "message": {"type": "string", "description": "What to change, in words for the user."},
        },
        "required": ["field", "code", "message"],
    },
}


class GenerationError(Exception):
    """The resolvers and the route table disagree, or two functions define a component differently."""


def _problem_content(problem_json: str) -> dict[str, Any]:
    return {problem_json: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _problem_response(description: str, problem_json: str, types: list[str] | None = None) -> dict[str, Any]:
    """An error response: the one `Problem` schema, and the problem types it can carry (`x-problem-types`)."""
    response: dict[str, Any] = {"description": description, "content": _problem_content(problem_json)}
    if types:
        response[PROBLEM_TYPES] = types
    return response


def _problem_responses(problem_json: str) -> dict[str, Any]:
    return {
        "ServerProblem": _problem_response(
            "The portal or its gateway could not complete the request; try again (503 carries "
            "Retry-After).", problem_json),
        "MethodNotAllowed": {
            **_problem_response("The path does not answer to this method; `Allow` lists those it does.",
                                problem_json, [PROBLEM_BASE + "method-not-allowed"]),
            "headers": {"Allow": {"$ref": "#/components/headers/Allow"}},
        },
    }


HEADERS: dict[str, Any] = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]+$"}},
    "Allow": {"description": "The methods this path answers to.", "required": True,
              "schema": {"type": "string"}},
    "Set-Cookie": {"description": "The `__Host-session` cookie (and `__Host-device` when the device is "
                                  "remembered): Secure, HttpOnly, SameSite=Strict, Path=/. Signing out "
                                  "expires it.",
                   "schema": {"type": "string"}},
    "Content-Disposition": {"description": "`attachment` and the file's name (`filename`, and `filename*` "
                                           "when it is not ASCII).",
                            "required": True, "schema": {"type": "string"}},
    "X-Content-Type-Options": {"description": "`nosniff`: the file is only ever its declared type.",
                               "required": True, "schema": {"type": "string", "enum": ["nosniff"]}},
}
PROBLEM_BASE = "/problems/"
# The problem types (`type` of the body) an error response can carry, listed on the response.
PROBLEM_TYPES = "x-problem-types"
# What each status means, as the heading of its response in every operation.
STATUS_WORDS = {
    400: "The body cannot be read: not UTF-8, or nested too deeply.",
    401: "No live session: sign in again.",
    403: "Refused: see `type` (wrong password or code, MFA not finished, CSRF token missing or wrong, "
         "no access).",
    404: "Not found.",
    409: "Conflicts with the current state of the record.",
    410: "Gone: expired.",
    413: "The body is larger than 10 MB.",
    415: "The body is not `application/json`.",
    422: "Some fields are missing or not valid; `errors` names each one.",
    428: "A required precondition header is missing.",
    429: "Too many requests: wait `Retry-After` seconds.",
    500: "Something went wrong in the portal.",
    503: "A service the portal needs is unavailable: try again after `Retry-After` seconds.",
}


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def _openapi_path(path: str) -> str:
    """Route table and resolver paths in OpenAPI form: `/a/<id>` and `/a/{id}` both become `/a/{id}`."""
    return re.sub(r"<(\w+)>", r"{\1}", path)


@contextmanager
def _no_aws_calls() -> Iterator[None]:
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    generating = threading.get_ident()

    def refuse(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        if threading.get_ident() != generating:  # another thread of the same process: not ours to stop
            return original(self, operation_name, api_params)
        raise GenerationError(f"an AWS call ({operation_name}) was made while generating the document; "
                              "handlers must not call AWS at import time")

    BaseClient._make_api_call = refuse  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def _local_env() -> None:
    """Handlers are imported with the local settings (as in the tests), never with real credentials."""
    from devserver.local_aws import LOCAL_ENV

    for name, value in LOCAL_ENV.items():
        os.environ.setdefault(name, value)


def function_schemas() -> dict[str, dict[str, Any]]:
    """Each API function's own OpenAPI schema, keyed by function name.

    Functions that serve no route in the table (the authorizer, scheduled jobs) have no resolver.
    """
    from infra.routes import FUNCTIONS
    from infra.routes import PORTAL_ROUTES as ROUTES

    version = project_version()
    schemas: dict[str, dict[str, Any]] = {}
    api_functions = {r.function for r in ROUTES}
    with _no_aws_calls():
        for fn in (f for f in FUNCTIONS if f.name in api_functions):
            module = importlib.import_module(f"functions.{fn.name}.handler")
            app = getattr(module, "app", None)
            if app is None or not hasattr(app, "get_openapi_json_schema"):
                raise GenerationError(f"functions.{fn.name}.handler has no Powertools resolver named 'app'")
            schemas[fn.name] = json.loads(app.get_openapi_json_schema(title=TITLE, version=version))
    return schemas


def _merge(schemas: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any], Served]:
    paths: dict[str, dict[str, Any]] = {}
    components: dict[str, dict[str, Any]] = {}
    owner: dict[tuple[str, str], str] = {}
    served: Served = set()
    for function, schema in schemas.items():
        for path, item in schema.get("paths", {}).items():
            merged = paths.setdefault(path, {})
            for method, operation in item.items():
                if method not in HTTP_METHODS:
                    merged.setdefault(method, operation)  # shared path-level members (parameters)
                    continue
                if method in merged:
                    raise GenerationError(f"{method.upper()} {path} is served by both "
                                          f"{owner[(method, path)]} and {function}")
                merged[method] = operation
                owner[(method, path)] = function
                served.add((method.upper(), path, function))
        for section, entries in schema.get("components", {}).items():
            target = components.setdefault(section, {})
            for name, value in entries.items():
                if name in target and target[name] != value:
                    raise GenerationError(f"components.{section}.{name} differs between functions; "
                                          "give one of the models another name")
                target[name] = value
    return paths, components, served


def check_routes(served: Served) -> None:
    """The resolvers must serve exactly the route table: same methods, paths and functions."""
    from infra.routes import PORTAL_ROUTES as ROUTES

    table = {(r.method, _openapi_path(r.path), r.function) for r in ROUTES}
    missing = sorted(table - served)
    extra = sorted(served - table)
    if missing or extra:
        lines = ["the resolvers and infra/routes.py ROUTES disagree:"]
        lines += [f"  in ROUTES, not served by that function: {m} {p} ({f})" for m, p, f in missing]
        lines += [f"  served, not in ROUTES:                 {m} {p} ({f})" for m, p, f in extra]
        raise GenerationError("\n".join(lines))


def _is_powertools_validation_error(response: dict[str, Any]) -> bool:
    refs = {media.get("schema", {}).get("$ref", "") for media in response.get("content", {}).values()}
    return any(ref.rsplit("/", 1)[-1] in POWERTOOLS_ERROR_SCHEMAS for ref in refs)


def edge_problems(route: Route, has_body: bool, has_parameters: bool) -> set[tuple[int, str]]:
    """What the gateway, the authorizer and the shared HTTP edge can answer for `route`, whatever its code."""
    from functions.authorizer.logic import REFUSALS, SAFE_METHODS
    from functions.shared.core.http import MALFORMED_BODY, UNSUPPORTED_MEDIA_TYPE
    from infra.gateway_problems import gateway_problem

    def gateway(*response_types: str) -> set[tuple[int, str]]:  # what API Gateway answers itself
        return {(gateway_problem(t).status, gateway_problem(t).slug) for t in response_types}

    # stage throttling, the stage's web ACL, and the last resort of the edge and of the gateway
    found = gateway("THROTTLED", "WAF_FILTERED") | {(500, "internal")}
    if has_body:
        found |= {(400, MALFORMED_BODY), (413, "content-too-large"), (415, UNSUPPORTED_MEDIA_TYPE),
                  (422, "validation")}
    elif route.method not in SAFE_METHODS:
        found.add((415, UNSUPPORTED_MEDIA_TYPE))  # a Content-Type other than JSON, even with no body
    if has_parameters:
        found.add((422, "validation"))
    if "{" in route.path:
        # API Gateway passes any segment to the function; its resolver answers 404 for one it cannot route.
        found.add((404, "not-found"))
    if route.iam:
        # unsigned (API Gateway's "Missing Authentication Token"), a bad signature, or a signer who may not
        # call staff routes
        found |= gateway("MISSING_AUTHENTICATION_TOKEN", "INVALID_SIGNATURE", "EXPIRED_TOKEN", "ACCESS_DENIED")
    elif not route.public:
        found |= gateway("UNAUTHORIZED")
        refusals = [] if route.partial else ["mfa_incomplete"]
        if route.method not in SAFE_METHODS:
            refusals += ["csrf_missing", "csrf_invalid"]
        found |= {(403, "forbidden" + REFUSALS[reason][0]) for reason in refusals}
    return found


def _add_problem_responses(paths: dict[str, Any], problem_json: str) -> None:
    """Each operation's error answers, status by status, each naming the problem types it can carry."""
    from infra.routes import PORTAL_ROUTES as ROUTES
    from openapi.problems import route_code

    code = {}
    for function in sorted({r.function for r in ROUTES}):
        for (method, path), found in route_code(function).items():
            code[(method, _openapi_path(path))] = found
    for route in ROUTES:
        path = _openapi_path(route.path)
        item = paths[path]
        operation = item[route.method.lower()]
        responses: dict[str, Any] = operation.setdefault("responses", {})
        for status, response in list(responses.items()):
            if status[:1] in "45" and _is_powertools_validation_error(response):
                del responses[status]
        own = code.get((route.method, path))
        if own is None:
            raise GenerationError(f"no handler function found for {route.method} {route.path} "
                                  f"in functions/{route.function}/handler.py")
        has_parameters = bool(operation.get("parameters") or item.get("parameters"))
        found = set(own.problems) | edge_problems(route, bool(operation.get("requestBody")), has_parameters)
        if any(status == 428 for status, _ in found):
            # The route refuses a request without its precondition header (428): the header is required.
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header":
                    parameter["required"] = True
        by_status: dict[int, list[str]] = {}
        for status, slug in sorted(found):
            by_status.setdefault(status, []).append(PROBLEM_BASE + slug)
        for status, types in sorted(by_status.items()):
            declared = responses.get(str(status), {})
            description = declared.get("description") or STATUS_WORDS.get(status, "Error")
            response = _problem_response(description, problem_json, types)
            if status in (429, 503):
                header = dict(HEADERS["Retry-After"], required=status == 429)
                response["headers"] = {"Retry-After": header}
            responses[str(status)] = response
        responses["5XX"] = {"$ref": "#/components/responses/ServerProblem"}
        if own.sets_cookies:
            for status, response in responses.items():
                if status.startswith("2"):
                    response.setdefault("headers", {})["Set-Cookie"] = {"$ref": "#/components/headers/Set-Cookie"}


def _add_security(paths: dict[str, Any], components: dict[str, Any]) -> None:
    """Browser routes sit behind the request authorizer (session cookie, and the CSRF header on state
    changes); staff routes are IAM-signed (SigV4). Public routes need neither."""
    from functions.authorizer.logic import SAFE_METHODS
    from functions.shared.services.sessions import CSRF_HEADER, SESSION_COOKIE
    from infra.routes import PORTAL_ROUTES as ROUTES

    schemes = components.setdefault("securitySchemes", {})
    schemes["session"] = {
        "type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
        "description": "The session cookie set at sign-in (`POST /sessions`) and renewed when MFA is "
                       "finished. Without a live one the answer is 401.",
    }
    schemes["csrf"] = {
        "type": "apiKey", "in": "header", "name": CSRF_HEADER,
        "description": "The session's CSRF token (`csrf_token` of the sign-in answer and of "
                       "`GET /sessions/current`), required with the session cookie on every request "
                       "other than GET, HEAD and OPTIONS: 403 `/problems/forbidden/csrf-missing` "
                       "without it, `/problems/forbidden/csrf-invalid` when it is not this session's.",
    }
    schemes["sigv4"] = {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "x-amazon-apigateway-authtype": "awsSigv4",
        "description": "Staff routes: an AWS Signature Version 4 signed request (IAM, "
                       "execute-api:Invoke) by provider-relations or utilization-management staff; a "
                       "browser session never suffices.",
    }
    for route in ROUTES:
        operation = paths[_openapi_path(route.path)][route.method.lower()]
        if route.iam:
            operation["security"] = [{"sigv4": []}]
        elif not route.public:
            needs = {"session": []} if route.method in SAFE_METHODS else {"session": [], "csrf": []}
            operation["security"] = [needs]


def _drop_powertools_error_schemas(document: dict[str, Any], names: tuple[str, ...]) -> None:
    schemas = document["components"].get("schemas", {})
    for name in names:
        schemas.pop(name, None)
    text = json.dumps(document)
    for name in names:
        if f"#/components/schemas/{name}\"" in text:
            raise GenerationError(f"schema {name} is still referenced after replacing validation errors")


def _not_nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [X, null]` as X: a required parameter cannot be null (`Header() X | None` lets the route
    answer its own 428 for a missing one)."""
    variants = schema.get("anyOf", [])
    kept = [v for v in variants if v != {"type": "null"}]
    if len(kept) != 1 or len(kept) == len(variants):
        return schema
    return {**{k: v for k, v in schema.items() if k != "anyOf"}, **kept[0]}


def _describe_parameters_and_files(paths: dict[str, Any]) -> None:
    """Required parameters are not nullable; a file answer declares its name and that it is not sniffed."""
    for item in paths.values():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("required"):
                    parameter["schema"] = _not_nullable(parameter["schema"])
            for status, response in operation.get("responses", {}).items():
                files = [media for media in response.get("content", {}) if "json" not in media]
                if status.startswith("2") and files:
                    response.setdefault("headers", {}).update(
                        {name: {"$ref": f"#/components/headers/{name}"}
                         for name in ("Content-Disposition", "X-Content-Type-Options")})


def _name_operations(paths: dict[str, Any]) -> None:
    """Each operation's `operationId` and tag, from openapi/operations.py; a route without them is an error."""
    from infra.routes import PORTAL_ROUTES as ROUTES
    from openapi.operations import OPERATIONS, problems

    wrong = problems([(r.method, r.path) for r in ROUTES])
    if wrong:
        raise GenerationError("openapi/operations.py does not name every route:\n  " + "\n  ".join(wrong))
    for route in ROUTES:
        operation_id, tag = OPERATIONS[(route.method, route.path)]
        operation = paths[_openapi_path(route.path)][route.method.lower()]
        operation["operationId"] = operation_id
        operation["tags"] = [tag]


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("$ref"), str):
            yield value["$ref"]
        for inner in value.values():
            yield from _refs(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _refs(inner)


def _used_components(paths: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """The components the paths refer to, directly or through other components."""
    used: dict[str, Any] = {}
    pending = list(_refs(paths))
    while pending:
        ref = pending.pop()
        _, _, section, name = ref.split("/", 3)
        if name in used.get(section, {}):
            continue
        used.setdefault(section, {})[name] = components[section][name]
        pending += _refs(components[section][name])
    return used


def _pascal(name: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[^A-Za-z0-9]+", name) if word)


def check_schema_names(schemas: dict[str, Any]) -> None:
    """Names a client generator keeps: PascalCase without module paths, each schema titled by its own name,
    and no inline enum or object (named after its model and property, `OrgAgreementStatus`) taking the
    name of a schema."""
    wrong = []
    for name, schema in schemas.items():
        if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", name):
            wrong.append(f"{name}: not a PascalCase name (two models of one name in different modules?)")
        if schema.get("title", name) != name:
            wrong.append(f"{name}: titled {schema['title']!r}")
        for field_name, field_schema in schema.get("properties", {}).items():
            inline = [field_schema, *field_schema.get("anyOf", []), field_schema.get("items", {})]
            if any("enum" in s or "properties" in s for s in inline):
                derived = name + _pascal(field_schema.get("title") or field_name)
                if derived in schemas:
                    wrong.append(f"{name}.{field_name}: its inline enum or model would be named {derived}, "
                                 "as a schema is; give it a model or enum of its own")
    if wrong:
        raise GenerationError("schema names a client generator cannot keep apart:\n  " + "\n  ".join(wrong))


@dataclass(frozen=True)
class Audience:
    """One of the documents: who calls its routes, and where it is written."""

    name: str
    document: Path
    title: str
    description: str
    security_schemes: tuple[str, ...]

    def serves(self, route: Route) -> bool:
        return route.iam == (self.name == "staff")


AUDIENCES = (
    Audience("public", DOCUMENT, TITLE, DESCRIPTION, ("session", "csrf")),
    Audience("staff", STAFF_DOCUMENT, STAFF_TITLE, STAFF_DESCRIPTION, ("sigv4",)),
)


def _document_for(audience: Audience, paths: dict[str, Any], components: dict[str, Any],
                  openapi_version: str) -> dict[str, Any]:
    from infra.routes import PORTAL_ROUTES as ROUTES
    from openapi.operations import TAGS

    own: dict[str, Any] = {}
    for route in ROUTES:
        if audience.serves(route):
            path, method = _openapi_path(route.path), route.method.lower()
            shared = {k: v for k, v in paths[path].items() if k not in HTTP_METHODS}
            own.setdefault(path, dict(shared))[method] = paths[path][method]
    used = _used_components(own, components)
    used["securitySchemes"] = {name: components["securitySchemes"][name] for name in audience.security_schemes}
    used["responses"] = components["responses"]  # shared answers, also for undocumented methods (405)
    used["headers"] = components["headers"]
    check_schema_names(used.get("schemas", {}))
    tags = {operation["tags"][0] for item in own.values() for m, operation in item.items() if m in HTTP_METHODS}
    return {
        "openapi": openapi_version,
        "info": {"title": audience.title, "version": project_version(), "description": audience.description},
        "servers": SERVERS,
        "tags": [{"name": tag, "description": text} for tag, text in TAGS.items() if tag in tags],
        "paths": own,
        "components": used,
    }


def build_documents(schemas: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """The public and the staff document, keyed by audience; writes nothing."""
    from functions.shared.core.http import PROBLEM_JSON

    schemas = copy.deepcopy(schemas) if schemas is not None else function_schemas()
    paths, components, served = _merge(schemas)
    check_routes(served)
    _add_problem_responses(paths, PROBLEM_JSON)
    _add_security(paths, components)
    _describe_parameters_and_files(paths)
    _name_operations(paths)
    for name, schema in PROBLEM_SCHEMAS.items():
        existing = components.setdefault("schemas", {}).get(name)
        if existing is not None and existing != schema:
            raise GenerationError(f"a model named {name} clashes with the problem schema; rename the model")
        components["schemas"][name] = schema
    for name in POWERTOOLS_ERROR_SCHEMAS:
        components["schemas"].pop(name, None)
    components.setdefault("responses", {}).update(_problem_responses(PROBLEM_JSON))
    components.setdefault("headers", {}).update(HEADERS)
    openapi_version = next(iter(schemas.values()), {}).get("openapi", "3.1.0")
    documents = {a.name: _document_for(a, paths, components, openapi_version) for a in AUDIENCES}
    for document in documents.values():
        _drop_powertools_error_schemas(document, POWERTOOLS_ERROR_SCHEMAS)
    return documents


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate() -> dict[Path, str]:
    """Each document's file and its fresh text."""
    _local_env()
    documents = build_documents()
    return {audience.document: render(documents[audience.name]) for audience in AUDIENCES}


def _diff_summary(relative: Path, committed: str, fresh: str, limit: int = 60) -> str:
    diff = list(difflib.unified_diff(committed.splitlines(), fresh.splitlines(),
                                     f"{relative} (committed)", f"{relative} (generated)",
                                     lineterm="", n=2))
    changed = sum(1 for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---"))
    shown = diff[:limit]
    more = f"\n... {len(diff) - limit} more diff lines" if len(diff) > limit else ""
    return f"{changed} changed lines\n" + "\n".join(shown) + more


def main(argv: list[str] | None = None) -> int:
    summary = (__doc__ or "").split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m openapi.generate", description=summary)
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a committed document differs from a fresh one")
    args = parser.parse_args(argv)
    try:
        fresh = generate()
    except GenerationError as exc:
        print(f"openapi: {exc}", file=sys.stderr)
        return 2
    stale = 0
    for document, text in fresh.items():
        relative = document.relative_to(ROOT)
        if not args.check:
            document.write_text(text, encoding="utf-8")
            print(f"openapi: wrote {relative}")
            continue
        committed = document.read_text(encoding="utf-8") if document.exists() else ""
        if committed == text:
            print(f"openapi: {relative} is up to date")
            continue
        stale += 1
        print(f"openapi: {relative} is out of date; run `python -m openapi.generate`\n"
              f"{_diff_summary(relative, committed, text)}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
