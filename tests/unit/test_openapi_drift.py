"""The committed OpenAPI document is what the resolvers generate today, and it covers the route table."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.routes import ROUTES
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


def test_every_error_response_is_a_problem(committed: dict[str, Any]) -> None:
    responses = committed["components"]["responses"]
    for path, item in committed["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status[:1] not in "45":
                    continue
                resolved = responses[response["$ref"].rsplit("/", 1)[-1]] if "$ref" in response else response
                assert list(resolved["content"]) == ["application/problem+json"], (method, path, status)
                assert resolved["content"]["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/Problem"}
    problem = committed["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "instance", "errors"}
    assert "HTTPValidationError" not in json.dumps(committed)


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


def test_only_public_routes_go_without_the_session_cookie(committed: dict[str, Any]) -> None:
    for route in ROUTES:
        operation = committed["paths"][generate._openapi_path(route.path)][route.method.lower()]
        expected = None if route.public else [{"session": []}]
        assert operation.get("security") == expected, (route.method, route.path)


def test_generation_refuses_aws_calls() -> None:
    import boto3

    dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
    with generate._no_aws_calls(), pytest.raises(generate.GenerationError, match="ListTables"):
        dynamodb.list_tables()
