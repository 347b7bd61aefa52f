"""The committed OpenAPI document is what the resolvers generate today, and it covers the route table."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.routes import PORTAL_ROUTES as ROUTES
from openapi import generate


@pytest.fixture(scope="module")
def fresh() -> str:
    return generate.generate()


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    return json.loads(generate.DOCUMENT.read_text(encoding="utf-8"))


def test_committed_document_equals_a_fresh_generation(fresh: str) -> None:
    committed_text = generate.DOCUMENT.read_text(encoding="utf-8")
    assert committed_text == fresh, "openapi/openapi.json is stale: run `python -m openapi.generate`"


def test_every_route_in_the_table_is_documented(committed: dict[str, Any]) -> None:
    documented = {(method.upper(), path) for path, item in committed["paths"].items()
                  for method in item if method in generate.HTTP_METHODS}
    table = {(r.method, generate._openapi_path(r.path)) for r in ROUTES}
    assert table <= documented, f"missing: {sorted(table - documented)}"
    assert documented == table, f"documented but not in ROUTES: {sorted(documented - table)}"


def test_document_is_titled_and_versioned(committed: dict[str, Any]) -> None:
    assert committed["info"]["title"] == "Provider Portal API"
    assert committed["info"]["version"] == generate.project_version()


def test_every_error_response_is_a_problem_naming_its_types(committed: dict[str, Any]) -> None:
    responses = committed["components"]["responses"]
    for path, item in committed["paths"].items():
        for method, operation in item.items():
            assert "4XX" not in operation["responses"], (method, path)  # each 4xx status is spelled out
            for status, response in operation["responses"].items():
                if status[:1] not in "45":
                    continue
                resolved = responses[response["$ref"].rsplit("/", 1)[-1]] if "$ref" in response else response
                assert list(resolved["content"]) == ["application/problem+json"], (method, path, status)
                schema = resolved["content"]["application/problem+json"]["schema"]
                if status == "5XX":
                    assert schema == {"$ref": "#/components/schemas/Problem"}
                    continue
                base, narrowed = schema["allOf"]
                assert base == {"$ref": "#/components/schemas/Problem"}
                assert narrowed["properties"]["status"] == {"const": int(status)}
                assert all(t.startswith("/problems/") for t in narrowed["properties"]["type"]["enum"])
                if status == "429":
                    assert resolved["headers"]["Retry-After"]["required"] is True
    problem = committed["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "instance", "errors"}
    assert "HTTPValidationError" not in json.dumps(committed)


def _types(operation: dict[str, Any], status: str) -> list[str]:
    return operation["responses"][status]["content"]["application/problem+json"]["schema"]["allOf"][1][
        "properties"]["type"]["enum"]


def test_each_route_documents_what_its_code_and_the_edge_answer(committed: dict[str, Any]) -> None:
    sign_in = committed["paths"]["/sessions"]["post"]
    assert {"/problems/signin-failed", "/problems/verification-code-required"} <= set(_types(sign_in, "403"))
    assert _types(sign_in, "400") == ["/problems/malformed-body"]
    assert _types(sign_in, "415") == ["/problems/unsupported-media-type"]
    assert "401" not in sign_in["responses"]  # a public route never asks to sign in again
    assert "Set-Cookie" in sign_in["responses"]["200"]["headers"]
    verify = committed["paths"]["/mfa/verify"]["post"]
    assert {"200", "202"} <= set(verify["responses"])
    assert verify["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SessionView"}
    assert set(_types(verify, "403")) >= {"/problems/code-wrong", "/problems/forbidden/csrf-missing",
                                           "/problems/forbidden/csrf-invalid"}
    assert "/problems/forbidden/mfa-required" not in _types(verify, "403")  # open to partial sessions
    devices = committed["paths"]["/mfa/devices"]["get"]
    assert _types(devices, "401") == ["/problems/unauthenticated"]
    assert _types(devices, "403") == ["/problems/blocked", "/problems/forbidden/mfa-required"]
    staff = next(committed["paths"][generate._openapi_path(r.path)][r.method.lower()] for r in ROUTES if r.iam)
    # as API Gateway answers them (infra/gateway_problems.py): unsigned, badly signed, expired, not allowed
    assert {"/problems/signature-invalid", "/problems/credentials-expired", "/problems/forbidden"} <= set(
        _types(staff, "403"))
    assert committed["servers"] == [{"url": "/api", "description": generate.SERVERS[0]["description"]}]
    assert committed["components"]["responses"]["MethodNotAllowed"]["headers"]["Allow"]


def test_document_is_valid_openapi(committed: dict[str, Any]) -> None:
    import openapi_spec_validator  # installed with the dev requirements: never skipped

    openapi_spec_validator.validate(committed)


def test_a_route_table_mismatch_is_an_error() -> None:
    served = {(r.method, generate._openapi_path(r.path), r.function) for r in ROUTES}
    generate.check_routes(served)
    first = next(iter(sorted(served)))
    with pytest.raises(generate.GenerationError, match="not served"):
        generate.check_routes(served - {first})
    with pytest.raises(generate.GenerationError, match="not in ROUTES"):
        generate.check_routes(served | {("DELETE", "/nowhere", "register")})
    with pytest.raises(generate.GenerationError):
        generate.check_routes((served - {first}) | {(first[0], first[1], "some-other-function")})


def test_security_is_the_session_and_csrf_token_or_sigv4_for_staff(committed: dict[str, Any]) -> None:
    schemes = committed["components"]["securitySchemes"]
    assert schemes["csrf"] == schemes["csrf"] | {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"}
    assert schemes["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    for route in ROUTES:
        operation = committed["paths"][generate._openapi_path(route.path)][route.method.lower()]
        if route.public:
            expected = None
        elif route.iam:
            expected = [{"sigv4": []}]
        elif route.method == "GET":
            expected = [{"session": []}]
        else:
            expected = [{"session": [], "csrf": []}]
        assert operation.get("security") == expected, (route.method, route.path)


def test_generation_refuses_aws_calls() -> None:
    import boto3

    dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
    with generate._no_aws_calls(), pytest.raises(generate.GenerationError, match="ListTables"):
        dynamodb.list_tables()
