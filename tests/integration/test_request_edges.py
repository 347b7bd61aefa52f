"""What a client gets for requests at the edges, through the local API Gateway adapter: each refusal a
problem with its own type (so a client knows what to do), and malformed input a 4xx, never a 500."""

from __future__ import annotations

import base64
import json

import pytest

from devserver.gateway import HttpRequest
from tests.integration.browser import Browser
from tests.integration.helpers import active_account, sign_in, signed_in_user


@pytest.fixture
def browser(gateway, clock) -> Browser:
    return Browser(gateway)


def raw(browser: Browser, method: str, path: str, body: bytes, content_type: str = "application/json",
        **headers: str) -> tuple[int, dict]:
    sent = {"Content-Type": content_type, **headers}
    if browser.cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    if browser.csrf:
        sent["X-CSRF-Token"] = browser.csrf
    response = browser.gateway.handle(HttpRequest(method, "/api" + path, list(sent.items()), body, browser.ip))
    return response.status, json.loads(response.body)


def test_a_half_signed_in_session_is_told_to_finish_mfa_not_to_sign_in(browser):
    active_account(browser)
    sign_in(browser)
    reply = browser.get("/mfa/devices")
    assert (reply.status, reply.body["type"]) == (403, "/problems/forbidden/mfa-required")
    assert "/mfa/verify" in reply.body["detail"]


def test_csrf_token_missing_and_wrong_are_told_apart(browser):
    active_account(browser)
    sign_in(browser)
    browser.send_csrf = False
    missing = browser.post("/mfa/factors", {"kind": "email"})
    assert (missing.status, missing.body["type"]) == (403, "/problems/forbidden/csrf-missing")
    browser.send_csrf = True
    browser.csrf = "forged" * 8
    wrong = browser.post("/mfa/factors", {"kind": "email"})
    assert (wrong.status, wrong.body["type"]) == (403, "/problems/forbidden/csrf-invalid")
    assert missing.body["title"] and wrong.body["detail"] != missing.body["detail"]


def test_only_a_missing_or_ended_session_is_a_401(browser):
    active_account(browser)
    wrong = sign_in(browser, password="Wrong-Password-99")
    assert (wrong.status, wrong.body["type"]) == (403, "/problems/signin-failed")
    assert browser.get("/sessions/current").status == 401
    sign_in(browser)
    browser.delete("/sessions/current")
    ended = browser.get("/sessions/current")
    assert (ended.status, ended.body["type"]) == (401, "/problems/unauthenticated")


def test_a_cookie_that_breaks_rfc_6265_does_not_sign_the_user_out(gateway, clock):
    user = signed_in_user(gateway, "cookies@clinic.example")
    user.cookies = {"name": "John Smith", **user.cookies, "theme": '"dark, wide"'}
    assert user.get("/mfa/devices").status == 200
    assert user.post("/mfa/factors", {"kind": "email"}).status == 200


@pytest.mark.parametrize("path", ["/sessions", "/registrations", "/activations", "/password-resets"])
def test_a_body_that_is_not_utf8_is_a_400(browser, path):
    status, problem = raw(browser, "POST", path, b"\xff")
    assert (status, problem["type"], problem["status"]) == (400, "/problems/malformed-body", 400)


def test_a_body_that_is_not_json_is_a_415(browser):
    for content_type in ("text/plain", "application/xml", "application/octet-stream"):
        status, problem = raw(browser, "POST", "/sessions", b'{"login": "a", "password": "b"}', content_type)
        assert (status, problem["type"]) == (415, "/problems/unsupported-media-type")


def test_json_nested_a_thousand_levels_is_a_400(browser):
    status, problem = raw(browser, "POST", "/sessions", b"[" * 1000 + b"]" * 1000)
    assert (status, problem["type"]) == (400, "/problems/malformed-body")


def test_the_instance_is_percent_encoded(gateway, clock):
    user = signed_in_user(gateway, "instance@clinic.example")
    reply = user.delete("/mfa/devices/%C3%89")
    assert reply.status == 404
    assert reply.body["instance"] == "/mfa/devices/%C3%89"


@pytest.mark.parametrize("solution", [
    {"algorithm": "SHA-256", "challenge": 1, "number": "x", "salt": 2, "signature": 3},
    {"algorithm": "SHA-256", "challenge": "c", "number": True, "salt": "s", "signature": "x"},
    {"algorithm": "SHA-256", "challenge": "c", "number": 1, "salt": "s", "signature": None},
    [1, 2, 3],
    "just a string",
])
def test_a_malformed_captcha_solution_is_a_422_on_captcha(gateway, plan, solution):
    from tests.integration.test_register import cmo_form

    plan("cmo")
    payload = base64.b64encode(json.dumps(solution).encode()).decode()
    reply = Browser(gateway).post("/registrations", cmo_form(payload))
    assert reply.status == 422, reply.body
    assert [e["field"] for e in reply.body["errors"]] == ["captcha"]
