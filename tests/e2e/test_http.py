"""The devserver over plain HTTP: config, the gateway's own problems, and sign-up → mail → activation."""

from __future__ import annotations

import re
import uuid

import pytest

from infra.gateway_problems import UNKNOWN_ADDRESS, gateway_problem
from infra.routes import ROUTES
from tests.e2e.conftest import Portal

pytestmark = pytest.mark.e2e

STRONG = "Lantern-Orbit-42"
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")


def new_email() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}@clinic.example"


def test_config_is_the_public_part_of_the_plan(portal: Portal) -> None:
    status, headers, config = portal.request("GET", "/config.json")

    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert config["key"] == "caresource"
    assert config["brand"] == "CareSource"
    assert config["registration_form"] == "standard"
    assert config["verification"] == "link"
    assert config["password_policy"]["min_length"] == 12
    assert config["api"] == "/api"
    assert config["signin_with"] == "email_or_username"
    assert config["remember_device_days"] == 30
    assert config["outbox"] == "/outbox.html"
    assert config["provider_number_label"] == "Provider ID" and config["zip_label"] == "ZIP"
    assert config["requires_org_agreement"] is False and config["org_agreement_promise"] == ""
    assert "activation_ttl" not in config and "mfa_factors" not in config


def test_unknown_api_path_is_a_404_problem(portal: Portal) -> None:
    status, headers, problem = portal.request("GET", "/api/no-such-thing")

    assert status == 404
    assert headers["Content-Type"] == "application/problem+json"
    # The deployed API's answer for a path no route has (infra/gateway_problems.py), word for word.
    answer = UNKNOWN_ADDRESS
    assert problem == {"type": f"/problems/{answer.slug}", "title": answer.title, "status": 404,
                       "detail": answer.detail}


def test_an_unsigned_staff_request_is_answered_as_api_gateway_answers_it(portal: Portal) -> None:
    route = next(r for r in ROUTES if r.iam)
    status, _, problem = portal.request(route.method, "/api" + route.path.replace("{", "x").replace("}", ""),
                                        {} if route.method != "GET" else None)

    assert (status, problem["type"]) == (403, "/problems/forbidden")
    assert problem["detail"] == gateway_problem("MISSING_AUTHENTICATION_TOKEN").detail


def test_wrong_method_is_a_405_problem_with_allow(portal: Portal) -> None:
    status, headers, problem = portal.request("DELETE", "/api/registrations")

    assert status == 405
    assert headers["Allow"] == "POST"
    assert headers["Content-Type"] == "application/problem+json"
    assert problem["status"] == 405


def test_protected_route_runs_the_real_authorizer(portal: Portal) -> None:
    route = next(r for r in ROUTES if not r.public and "{" not in r.path)
    status, headers, problem = portal.request(route.method, f"/api{route.path}", {} if route.method != "GET"
                                              else None)

    assert status == 401, problem
    assert headers["Content-Type"] == "application/problem+json"
    assert problem["status"] == 401


@pytest.mark.parametrize("path", ["/", "/register.html", "/activate.html", "/resend.html", "/outbox.html",
                                  "/signin.html", "/mfa-setup.html", "/mfa.html", "/account.html",
                                  "/forgot.html", "/reset.html", "/link.html", "/access.html",
                                  "/agreement.html", "/org-agreement.html", "/members.html", "/start.html"])
def test_pages_carry_security_headers(portal: Portal, path: str) -> None:
    status, headers, body = portal.request("GET", path)

    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"] == PAGE_CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "<script" not in re.sub(r'<script type="module" src="/js/[\w-]+\.js"></script>', "", body)


def test_scripts_and_styles_have_their_types(portal: Portal) -> None:
    assert portal.request("GET", "/js/api.js")[1]["Content-Type"].startswith("text/javascript")
    assert portal.request("GET", "/css/portal.css")[1]["Content-Type"].startswith("text/css")


def test_no_way_out_of_the_web_folder(portal: Portal) -> None:
    for path in ("/%2e%2e/pyproject.toml", "/js/%2e%2e/%2e%2e/pyproject.toml", "/..%2fpyproject.toml"):
        assert portal.request("GET", path)[0] == 404


def test_register_mail_activate_once(portal: Portal) -> None:
    email = new_email()
    status, _, accepted = portal.request("POST", "/api/registrations", {
        "email": email, "password": STRONG, "first_name": "Ada", "last_name": "Lovelace"})
    assert status == 202, accepted
    assert accepted["email"] == email

    [mail] = portal.mails_to(email)
    assert mail["subject"] == "Activate Account"
    [link] = [link for link in mail["links"] if link["label"] == "Activate Account"]
    assert link["href"].startswith(f"{portal.url}/activate.html#token=")
    token = link["href"].split("#token=", 1)[1]
    assert token not in mail["text"]

    status, _, result = portal.request("POST", "/api/activations", {"token": token})
    assert status == 200, result
    assert result["state"] == "active"

    status, headers, problem = portal.request("POST", "/api/activations", {"token": token})
    assert status == 409
    assert headers["Content-Type"] == "application/problem+json"
    assert problem["status"] == 409
    assert problem["resend"] == "/resend.html"


def test_outbox_lists_newest_first(portal: Portal) -> None:
    first, second = new_email(), new_email()
    for email in (first, second):
        portal.request("POST", "/api/activations/resend", {"email": email})  # no account: no mail
        portal.request("POST", "/api/registrations", {
            "email": email, "password": STRONG, "first_name": "Grace", "last_name": "Hopper"})

    recipients = [m["to"][0] for m in portal.outbox()["mail"]]
    assert recipients.index(second) < recipients.index(first)


def test_cmo_config_names_the_organizational_agreement(cmo_portal: Portal) -> None:
    config = cmo_portal.request("GET", "/config.json")[2]

    assert config["requires_org_agreement"] is True
    assert "24-48 hours" in config["org_agreement_promise"]
    assert config["provider_number_label"] == "Provider Number"


def _raw(portal: Portal, method: str, target: str, body: bytes = b"",
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(portal.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=15)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "BREW"])
def test_any_other_method_is_a_405_problem_with_allow(portal: Portal, method: str) -> None:
    import json

    status, headers, body = _raw(portal, method, "/api/sessions")
    assert status == 405
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["Allow"] == "DELETE, POST"
    assert json.loads(body)["type"] == "/problems/method-not-allowed"


def test_a_body_that_is_not_utf8_is_a_400_problem(portal: Portal) -> None:
    import json

    status, headers, body = _raw(portal, "POST", "/api/sessions", b"\xff", {"Content-Type": "application/json"})
    assert (status, headers["Content-Type"]) == (400, "application/problem+json")
    assert json.loads(body)["type"] == "/problems/malformed-body"
    status, _, body = _raw(portal, "POST", "/api/sessions", b"login=a", {"Content-Type": "text/plain"})
    assert status == 415 and json.loads(body)["type"] == "/problems/unsupported-media-type"


def test_a_roster_that_is_not_utf8_is_a_400(portal: Portal) -> None:
    import json

    status, _, body = _raw(portal, "POST", "/dev/roster?name=bad.csv", b"\xff\xfe\x00bad", {"Content-Type": "text/csv"})
    assert status == 400 and json.loads(body)["type"] == "/problems/malformed-body"
