"""The committed OpenAPI documents (public and staff) are what the resolvers generate today, they cover the
route table between them, and a client generator can type them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.routes import PORTAL_ROUTES as ROUTES
from openapi import generate


@pytest.fixture(scope="module")
def fresh() -> dict[Any, str]:
    return generate.generate()


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    return json.loads(generate.DOCUMENT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def staff() -> dict[str, Any]:
    return json.loads(generate.STAFF_DOCUMENT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def both(committed: dict[str, Any], staff: dict[str, Any]) -> list[dict[str, Any]]:
    return [committed, staff]


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method in generate.HTTP_METHODS]


def test_committed_documents_equal_a_fresh_generation(fresh: dict[Any, str]) -> None:
    assert set(fresh) == {generate.DOCUMENT, generate.STAFF_DOCUMENT}
    for document, text in fresh.items():
        committed_text = document.read_text(encoding="utf-8")
        assert committed_text == text, f"openapi/{document.name} is stale: run `python -m openapi.generate`"


def test_every_route_in_the_table_is_documented_once(committed: dict[str, Any], staff: dict[str, Any]) -> None:
    public_ops = {(method, path) for method, path, _ in _operations(committed)}
    staff_ops = {(method, path) for method, path, _ in _operations(staff)}
    table = {(r.method, generate._openapi_path(r.path)): r for r in ROUTES}
    assert public_ops == {key for key, r in table.items() if not r.iam}
    assert staff_ops == {key for key, r in table.items() if r.iam}
    assert all(path.startswith("/staff/") for _, path in staff_ops)
    assert not any(path.startswith(("/staff/", "/fhir/")) for _, path in public_ops)
    assert not any(path.startswith("/fhir/") for _, path in staff_ops)  # FHIR: its CapabilityStatement


def test_documents_are_titled_and_versioned(committed: dict[str, Any], staff: dict[str, Any]) -> None:
    assert committed["info"]["title"] == "Provider Portal API"
    assert staff["info"]["title"] == "Provider Portal Staff API"
    assert committed["info"]["version"] == staff["info"]["version"] == generate.project_version()


@pytest.mark.parametrize("audience", ["public", "staff"])
def test_every_error_response_is_the_problem_schema_naming_its_types(
        audience: str, committed: dict[str, Any], staff: dict[str, Any]) -> None:
    document = committed if audience == "public" else staff
    responses = document["components"]["responses"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert "4XX" not in operation["responses"], (method, path)  # each 4xx status is spelled out
            for status, response in operation["responses"].items():
                if status[:1] not in "45":
                    continue
                resolved = responses[response["$ref"].rsplit("/", 1)[-1]] if "$ref" in response else response
                assert list(resolved["content"]) == ["application/problem+json"], (method, path, status)
                schema = resolved["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)
                if status == "5XX":
                    continue
                types = resolved["x-problem-types"]
                assert types and all(t.startswith("/problems/") for t in types), (method, path, status)
                if status == "429":
                    assert resolved["headers"]["Retry-After"]["required"] is True
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "instance", "errors"}
    assert "HTTPValidationError" not in json.dumps(document)


def _types(operation: dict[str, Any], status: str) -> list[str]:
    return operation["responses"][status]["x-problem-types"]


def test_each_route_documents_what_its_code_and_the_edge_answer(committed: dict[str, Any],
                                                                 staff: dict[str, Any]) -> None:
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
    signed = next(staff["paths"][generate._openapi_path(r.path)][r.method.lower()] for r in ROUTES if r.iam)
    # as API Gateway answers them (infra/gateway_problems.py): unsigned, badly signed, expired, not allowed
    assert {"/problems/signature-invalid", "/problems/credentials-expired", "/problems/forbidden"} <= set(
        _types(signed, "403"))
    assert committed["servers"] == [{"url": "/api", "description": generate.SERVERS[0]["description"]}]
    assert committed["components"]["responses"]["MethodNotAllowed"]["headers"]["Allow"]


def test_documents_are_valid_openapi(both: list[dict[str, Any]]) -> None:
    import openapi_spec_validator  # installed with the dev requirements: never skipped

    for document in both:
        openapi_spec_validator.validate(document)


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


def test_security_is_the_session_and_csrf_token_or_sigv4_for_staff(committed: dict[str, Any],
                                                                    staff: dict[str, Any]) -> None:
    schemes = committed["components"]["securitySchemes"]
    assert set(schemes) == {"session", "csrf"}
    assert schemes["csrf"] == schemes["csrf"] | {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"}
    assert set(staff["components"]["securitySchemes"]) == {"sigv4"}
    sigv4 = staff["components"]["securitySchemes"]["sigv4"]
    assert sigv4["x-amazon-apigateway-authtype"] == "awsSigv4" and "Signature Version 4" in sigv4["description"]
    for route in ROUTES:
        document = staff if route.iam else committed
        operation = document["paths"][generate._openapi_path(route.path)][route.method.lower()]
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


def test_every_operation_has_a_tag_and_a_unique_readable_operation_id(both: list[dict[str, Any]]) -> None:
    ids = []
    for document in both:
        declared = {tag["name"] for tag in document["tags"]}
        for method, path, operation in _operations(document):
            assert re.fullmatch(r"[a-z][a-zA-Z0-9]*", operation.get("operationId", "")), (method, path)
            assert len(operation["tags"]) == 1 and operation["tags"][0] in declared, (method, path)
            ids.append(operation["operationId"])
    assert len(ids) == len(set(ids)) == len(ROUTES)
    sign_up = {op["operationId"]: (m, p) for m, p, op in _operations(both[0])}
    assert sign_up["createRegistration"] == ("POST", "/registrations")
    assert sign_up["getClaim"] == ("GET", "/claims/{claim_id}")
    assert sign_up["checkEligibility"] == ("POST", "/eligibility")


def test_a_route_without_a_name_or_tag_stops_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    from openapi import operations

    route = next(r for r in ROUTES if r.path == "/eligibility")
    named = dict(operations.OPERATIONS)
    del named[(route.method, route.path)]
    named[("GET", "/claims/{claim_id}")] = ("getClaim", "no such tag")
    named[("POST", "/claims/search")] = ("getClaim", "claims")
    monkeypatch.setattr(operations, "OPERATIONS", named)
    with pytest.raises(generate.GenerationError) as raised:
        generate._name_operations({})
    message = str(raised.value)
    assert 'POST /eligibility has no operationId and tag: add ("POST", "/eligibility")' in message
    assert "tag 'no such tag' is not one of TAGS" in message
    assert "operationId 'getClaim' names both GET /claims/{claim_id} and POST /claims/search" in message


def test_schema_names_are_unique_without_module_paths_and_no_enum_takes_a_models_name(
        both: list[dict[str, Any]]) -> None:
    for document in both:
        schemas = document["components"]["schemas"]
        generate.check_schema_names(schemas)
        enums = {name for name, schema in schemas.items() if "enum" in schema}
        models = {name for name, schema in schemas.items() if schema.get("type") == "object"}
        assert enums and models and not enums & models
        assert all("__" not in name and name == schema.get("title", name) for name, schema in schemas.items())
        # each document lists the schemas its operations use, and no others
        others = {k: v for k, v in document["components"].items() if k != "schemas"}
        pending, used = _schema_refs([document["paths"], others]), set()
        while pending:
            used.add(name := pending.pop())
            pending |= _schema_refs(schemas[name]) - used
        assert set(schemas) == used


def _schema_refs(value: Any) -> set[str]:
    return set(re.findall(r'"#/components/schemas/(\w+)"', json.dumps(value)))


def test_schema_name_clashes_are_refused() -> None:
    model = {"title": "OrgAgreement", "type": "object",
             "properties": {"status": {"title": "Status", "type": "string", "enum": ["a", "b"]}}}
    with pytest.raises(generate.GenerationError, match=r"OrgAgreement\.status: its inline enum or model would "
                                                       r"be named OrgAgreementStatus"):
        generate.check_schema_names({"OrgAgreement": model, "OrgAgreementStatus": {"type": "object"}})
    with pytest.raises(generate.GenerationError, match="functions__x__Model: not a PascalCase name"):
        generate.check_schema_names({"functions__x__Model": {"type": "object"}})
    generate.check_schema_names({"OrgAgreement": model})


def test_required_parameters_are_not_nullable(both: list[dict[str, Any]]) -> None:
    for document in both:
        for method, path, operation in _operations(document):
            for parameter in operation.get("parameters", []):
                if parameter.get("required"):
                    assert {"type": "null"} not in parameter["schema"].get("anyOf", []), (method, path, parameter)
    submit = committed_operation(both[0], "POST", "/authorizations")
    [key] = [p for p in submit["parameters"] if p["in"] == "header" and p["name"].lower() == "idempotency-key"]
    assert key["required"] is True and key["schema"]["type"] == "string" and key["schema"]["minLength"] == 8


def committed_operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return document["paths"][path][method.lower()]


def test_file_downloads_declare_their_types_and_headers(committed: dict[str, Any], staff: dict[str, Any]) -> None:
    download = committed_operation(committed, "GET", "/authorizations/{authorization_id}/attachments/{number}")
    ok = download["responses"]["200"]
    assert ok["content"] == {kind: {"schema": {"type": "string", "format": "binary"}}
                             for kind in ("application/pdf", "image/png", "image/jpeg", "image/tiff")}
    assert ok["headers"] == {"Content-Disposition": {"$ref": "#/components/headers/Content-Disposition"},
                             "X-Content-Type-Options": {"$ref": "#/components/headers/X-Content-Type-Options"}}
    assert committed["components"]["headers"]["Content-Disposition"]["required"] is True
    basis = committed_operation(staff, "GET", "/staff/prior-authorization-metrics/{year}/basis")
    assert "Content-Disposition" in basis["responses"]["200"]["headers"]
