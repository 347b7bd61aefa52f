"""The problem+json shape every error takes (RFC 9457)."""

import importlib
import json
from pathlib import Path
from typing import Annotated, Literal

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict, Field

from functions.shared.core import http
from functions.shared.core.errors import FieldError, Problem, invalid_fields, rate_limited
from functions.shared.core.http import make_handler, make_resolver
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


# --- validation messages: generic in shared/core/http.py, field wording supplied by each step ----------------

class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    pin: str = Field(pattern=r"^\d{4}$")
    agree: Literal[True]


stepped = make_resolver(field_messages={"pin": {"string_pattern_mismatch": "Enter the 4 digits."},
                                        "agree": {"literal_error": "Tick the box."}})
plain = make_resolver()


@stepped.post("/form")
def stepped_form(form: Annotated[Form, Body()]) -> dict:
    return {}


@plain.post("/form")
def plain_form(form: Annotated[Form, Body()]) -> dict:
    return {}


def post(app, body: object) -> dict:
    event = api_event("POST", "/form", body)
    if isinstance(body, str):
        event["body"] = body
    response = make_handler(app)(event, FakeContext())
    assert response["statusCode"] == 422
    return {e["field"]: e for e in json.loads(response["body"])["errors"]}


def test_a_steps_own_field_messages_are_used():
    errors = post(stepped, {"name": "", "pin": "12", "agree": False})
    assert errors["pin"]["message"] == "Enter the 4 digits."
    assert errors["pin"]["code"] == "string_pattern_mismatch"
    assert errors["agree"]["message"] == "Tick the box."
    assert errors["name"]["message"] == "This field is required."


def test_without_step_messages_the_generic_wording_is_used():
    errors = post(plain, {"name": "x", "pin": "12", "agree": False})
    assert set(errors) == {"pin", "agree"}
    assert errors["pin"]["message"] != "Enter the 4 digits." and errors["pin"]["message"]
    assert errors["agree"]["message"] != "Tick the box." and errors["agree"]["message"]
    assert post(plain, {"pin": "1234", "agree": True})["name"]["message"] == "This field is required."
    assert post(plain, "{not json")["body"]["message"] == "The request body is not valid JSON."


def test_the_shared_edge_names_no_step_field():
    source = Path(http.__file__).read_text()
    for step_field in ("verification_code", "attest", "tax_id", "zip", "6 digits"):
        assert step_field not in source, step_field


STEP_MESSAGES = {
    "mfa": {"code": "Enter the 6 digits of the code."},
    "signin": {"verification_code": "Enter the 6 digits of the code."},
    "agreements": {"attest": "Tick the box to confirm you may sign for this organization."},
    "link_provider": {"tax_id": "Enter the 9 digits of the Tax ID, such as 12-3456789.",
                      "zip": "Enter a 5-digit ZIP code, or ZIP+4 such as 43017-1234."},
}


def test_each_step_words_its_own_fields():
    for step, expected in STEP_MESSAGES.items():
        models = importlib.import_module(f"functions.{step}.models")
        fields = {name for value in vars(models).values()
                  if isinstance(value, type) and issubclass(value, BaseModel) for name in value.model_fields}
        assert {name.rsplit(".", 1)[-1] for name in models.FIELD_MESSAGES} <= fields, step  # 'payment.amount' too
        for field, message in expected.items():
            assert message in models.FIELD_MESSAGES[field].values(), (step, field)


# --- bodies that cannot be read as JSON at all are refused before any route sees them ------------------

def send(app, raw: bytes, content_type: str = "application/json", path: str = "/form") -> tuple[int, dict, dict]:
    import base64

    event = api_event("POST", path, headers={"Content-Type": content_type})
    event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    response = make_handler(app)(event, FakeContext())
    headers = {k: v[0] for k, v in response["multiValueHeaders"].items()}
    return response["statusCode"], headers, json.loads(response["body"])


def test_a_body_that_is_not_utf8_is_a_400():
    status, headers, body = send(plain, b"\xff")
    assert (status, body["type"], body["status"]) == (400, "/problems/malformed-body", 400)
    assert headers["Content-Type"] == "application/problem+json" and headers["Cache-Control"] == "no-store"


def test_a_body_as_text_with_a_lone_surrogate_is_a_400_too():
    event = api_event("POST", "/form")
    event["body"] = '{"name": "\udcff"}'
    response = make_handler(plain)(event, FakeContext())
    assert response["statusCode"] == 400


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/octet-stream",
                                          "application/x-www-form-urlencoded", "application/merge-patch+json", ""])
def test_a_body_that_is_not_json_is_a_415(content_type):
    status, _, body = send(plain, b'{"name": "x", "pin": "1234", "agree": true}', content_type)
    assert (status, body["type"]) == (415, "/problems/unsupported-media-type")


def test_json_media_types_with_parameters_or_suffixes_are_json():
    for content_type in ("application/json; charset=utf-8", "APPLICATION/JSON", "Application/Json ;charset=UTF-8"):
        assert send(plain, b'{"name": "x", "pin": "1234", "agree": true}', content_type)[0] == 200


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deeply_nested_json_is_a_400(depth):
    status, _, body = send(plain, ("[" * depth + "]" * depth).encode())
    assert (status, body["type"]) == (400, "/problems/malformed-body")
    assert "32" in body["detail"]


def test_json_within_the_depth_limit_reaches_validation():
    nested = {"name": "x", "pin": "1234", "agree": True, "extra": json.loads("[" * 30 + "]" * 30)}
    status, _, body = send(plain, json.dumps(nested).encode())
    assert status == 422 and body["type"] == "/problems/validation"


def test_the_instance_is_the_path_percent_encoded():
    response = make_handler(app)(api_event("GET", "/fields/É x"), FakeContext())
    assert response["statusCode"] == 404
    body = json.loads(make_handler(app)(api_event("GET", "/fields"), FakeContext())["body"])
    assert body["instance"] == "/fields"
    assert http.problem_response(Problem(404, "x", "t", "d"), "/mfa/devices/É 50%").body == json.dumps(
        {"type": "/problems/x", "title": "t", "status": 404, "detail": "d",
         "instance": "/mfa/devices/%C3%89%2050%25"})


def test_an_empty_body_under_another_media_type_is_a_415_too():
    event = api_event("POST", "/form", headers={"Content-Type": "text/plain"})
    response = make_handler(plain)(event, FakeContext())
    assert response["statusCode"] == 415
    assert json.loads(response["body"])["type"] == "/problems/unsupported-media-type"
