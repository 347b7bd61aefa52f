"""The problem+json shape every error takes (RFC 9457)."""

import json

from functions.shared.errors import FieldError, Problem, invalid_fields, rate_limited
from functions.shared.http import make_handler, make_resolver
from tests.events import FakeContext, api_event

app = make_resolver()


@app.get("/boom")
def boom() -> dict:
    raise RuntimeError("secret detail that must not leak")


@app.get("/limited")
def limited() -> dict:
    raise rate_limited(120, "Wait and try again.")


@app.get("/fields")
def fields() -> dict:
    raise invalid_fields([FieldError("email", "Enter an email."), FieldError("password", "Too short.")])


@app.get("/conflict")
def conflict() -> dict:
    raise Problem(409, "thing-used", "Used", "It was used.", extra={"resend": "/resend.html"})


handler = make_handler(app)


def call(path: str) -> tuple[int, dict, dict]:
    response = handler(api_event("GET", path), FakeContext())
    headers = {k: v[0] for k, v in response["multiValueHeaders"].items()}
    return response["statusCode"], headers, json.loads(response["body"])


def test_field_errors_list_every_field():
    status, headers, body = call("/fields")
    assert status == 422
    assert headers["Content-Type"] == "application/problem+json"
    assert body["type"] == "/problems/validation" and body["status"] == 422 and body["instance"] == "/fields"
    assert [e["field"] for e in body["errors"]] == ["email", "password"]
    assert {"title", "detail"} <= body.keys()


def test_rate_limit_has_retry_after():
    status, headers, body = call("/limited")
    assert status == 429 and headers["Retry-After"] == "120"
    assert body["detail"] == "Wait and try again."


def test_extension_members_are_kept():
    status, _, body = call("/conflict")
    assert status == 409 and body["resend"] == "/resend.html"


def test_unexpected_errors_do_not_leak_details():
    status, headers, body = call("/boom")
    assert status == 500 and headers["Content-Type"] == "application/problem+json"
    assert "secret" not in json.dumps(body)


def test_unknown_route_is_a_problem_too():
    status, headers, body = call("/nowhere")
    assert status == 404 and headers["Content-Type"] == "application/problem+json"
    assert body["type"] == "/problems/not-found"


def test_security_headers_on_every_response():
    _, headers, _ = call("/fields")
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" in headers
