"""The devserver's local API Gateway and page helpers, as pure functions (no server, no AWS)."""

from __future__ import annotations

import base64
import json
import sys
import types
import uuid
from pathlib import Path
from typing import Any

import pytest

from devserver import gateway as gw
from devserver.app import local_env, public_host
from devserver.outbox import html_to_text, mail_entry, sms_entry
from devserver.server import host_allowed
from devserver.site import WEB_ROOT, content_type, public_config, static_file
from functions.shared.core.plans import PLANS
from infra.routes import Function, Route

ROUTES = (
    Route("GET", "/captcha", "register", public=True),
    Route("POST", "/registrations", "register", public=True),
    Route("GET", "/providers/{provider_id}", "providers"),
    Route("DELETE", "/providers/{provider_id}", "providers"),
    Route("GET", "/providers/mine", "providers"),
    Route("GET", "/files/{path+}", "providers"),
)


def request(method: str = "GET", target: str = "/api/captcha", body: bytes = b"",
            headers: list[tuple[str, str]] | None = None) -> gw.HttpRequest:
    return gw.HttpRequest(method, target, headers or [("Host", "127.0.0.1:3000"), ("User-Agent", "ua/1")],
                          body, client_ip="192.0.2.7")


def event_for(req: gw.HttpRequest, api_path: str) -> dict[str, Any]:
    lookup = gw.match_route(ROUTES, req.method, api_path)
    assert lookup.match is not None
    return gw.build_event(req, lookup.match, api_path, stage="local")


# --- route matching ---------------------------------------------------------------------------------


def test_literal_route() -> None:
    lookup = gw.match_route(ROUTES, "POST", "/registrations")
    assert lookup.match is not None and lookup.match.route.path == "/registrations"
    assert lookup.match.path_parameters == {}


def test_trailing_slash_is_ignored() -> None:
    assert gw.match_route(ROUTES, "POST", "/registrations/").match is not None


def test_path_parameter_is_captured() -> None:
    lookup = gw.match_route(ROUTES, "GET", "/providers/1234567890")
    assert lookup.match is not None
    assert lookup.match.route.path == "/providers/{provider_id}"
    assert lookup.match.path_parameters == {"provider_id": "1234567890"}


def test_literal_segment_wins_over_parameter() -> None:
    lookup = gw.match_route(ROUTES, "GET", "/providers/mine")
    assert lookup.match is not None and lookup.match.route.path == "/providers/mine"


def test_most_specific_resource_decides_the_methods() -> None:
    # /providers/mine exists, so DELETE there is a 405 even though /providers/{id} has DELETE.
    lookup = gw.match_route(ROUTES, "DELETE", "/providers/mine")
    assert lookup.match is None and lookup.allowed == ("GET",)


def test_path_parameters_are_decoded_after_matching() -> None:
    lookup = gw.match_route(ROUTES, "GET", "/providers/a%2Fb%20c")
    assert lookup.match is not None and lookup.match.path_parameters == {"provider_id": "a/b c"}


def test_greedy_parameter_takes_the_rest() -> None:
    lookup = gw.match_route(ROUTES, "GET", "/files/a/b/c.pdf")
    assert lookup.match is not None and lookup.match.path_parameters == {"path": "a/b/c.pdf"}


def test_unknown_path_and_wrong_method() -> None:
    assert gw.match_route(ROUTES, "GET", "/nope") == gw.Lookup(None, ())
    assert gw.match_route(ROUTES, "GET", "/registrations") == gw.Lookup(None, ("POST",))
    assert gw.match_route(ROUTES, "GET", "/providers/1/extra").match is None


# --- request → event --------------------------------------------------------------------------------


def test_event_has_every_rest_v1_field() -> None:
    req = request("GET", "/api/providers/42?a=1&a=2&b=&c=x",
                  headers=[("Host", "127.0.0.1:3000"), ("User-Agent", "ua/1"), ("Cookie", "a=1"),
                           ("Accept", "text/html"), ("Accept", "application/json")])
    event = event_for(req, "/providers/42")

    assert event["resource"] == "/providers/{provider_id}"
    assert event["path"] == "/providers/42"
    assert event["httpMethod"] == "GET"
    assert event["headers"]["Accept"] == "application/json"
    assert event["multiValueHeaders"]["Accept"] == ["text/html", "application/json"]
    assert event["queryStringParameters"] == {"a": "2", "b": "", "c": "x"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""], "c": ["x"]}
    assert event["pathParameters"] == {"provider_id": "42"}
    assert event["stageVariables"] is None
    assert event["body"] is None and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    uuid.UUID(ctx["requestId"])
    assert ctx["extendedRequestId"]
    assert ctx["resourcePath"] == "/providers/{provider_id}"
    assert ctx["httpMethod"] == "GET"
    assert ctx["path"] == "/api/providers/42"
    assert ctx["stage"] == "local"
    assert ctx["accountId"] == gw.ACCOUNT_ID and ctx["apiId"] == gw.API_ID
    assert ctx["protocol"] == "HTTP/1.1"
    assert ctx["requestTime"].endswith("+0000")
    assert isinstance(ctx["requestTimeEpoch"], int)
    assert ctx["identity"]["sourceIp"] == "192.0.2.7"
    assert ctx["identity"]["userAgent"] == "ua/1"


def test_no_query_and_no_path_parameters_are_null() -> None:
    event = event_for(request("POST", "/api/registrations"), "/registrations")
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None


def test_a_json_body_is_base64_as_the_deployed_api_sends_it() -> None:
    """The API's binary media types are */* (so every download is bytes): API Gateway then hands every body
    to the function base64-encoded, JSON included; the devserver does the same, so the decoding is tested."""
    from infra.constructs.api import BINARY_MEDIA_TYPES

    assert BINARY_MEDIA_TYPES == ("*/*",)
    req = request("POST", "/api/registrations", b'{"email": "\xc3\xa9@x.org"}',
                  [("Content-Type", "application/json; charset=utf-8")])
    event = event_for(req, "/registrations")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]).decode() == '{"email": "é@x.org"}'


def test_binary_body_is_base64() -> None:
    payload = bytes(range(256))
    req = request("POST", "/api/registrations", payload, [("Content-Type", "application/pdf")])
    event = event_for(req, "/registrations")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_authorizer_event_is_a_request_authorizer_event() -> None:
    event = event_for(request("GET", "/api/providers/42?x=1"), "/providers/42")
    auth = gw.build_authorizer_event(event, "us-east-1")

    assert auth["type"] == "REQUEST"
    assert auth["methodArn"] == "arn:aws:execute-api:us-east-1:123456789012:local/local/GET/providers/42"
    assert auth["headers"] == event["headers"]
    assert auth["queryStringParameters"] == {"x": "1"}
    assert auth["requestContext"] is event["requestContext"]
    assert "body" not in auth


# --- result → response ------------------------------------------------------------------------------


def test_response_merges_headers_like_api_gateway() -> None:
    response = gw.http_response({
        "statusCode": 201,
        "headers": {"Content-Type": "text/plain", "X-One": "single"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "x-one": ["multi"]},
        "body": "héllo",
    })
    assert response.status == 201
    assert [v for k, v in response.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert [v for k, v in response.headers if k.lower() == "x-one"] == ["multi"]
    assert response.header("content-type") == "text/plain"
    assert response.body == "héllo".encode()


def test_base64_response_body_is_decoded() -> None:
    response = gw.http_response({"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(),
                                 "isBase64Encoded": True})
    assert response.body == b"\x00\x01"


@pytest.mark.parametrize("result", [None, "text", {"body": "x"}, {"statusCode": 99},
                                    {"statusCode": 200, "body": 5},
                                    {"statusCode": 200, "body": "%%", "isBase64Encoded": True}])
def test_malformed_results_are_rejected(result: Any) -> None:
    with pytest.raises(gw.BadIntegrationResponse):
        gw.http_response(result)


def test_gateway_problem_is_rfc9457() -> None:
    response = gw.problem(405, "Method not allowed", "Use POST.", headers=[("Allow", "POST")])
    body = json.loads(response.body)
    assert response.header("Content-Type") == "application/problem+json"
    assert response.header("Allow") == "POST"
    assert body == {"type": "/problems/method-not-allowed", "title": "Method not allowed", "status": 405,
                    "detail": "Use POST."}


# --- authorizer policy ------------------------------------------------------------------------------

ARN = "arn:aws:execute-api:us-east-1:123456789012:local/local/GET/providers/42"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_policy_allow_with_wildcards() -> None:
    allow = {"Effect": "Allow", "Action": "execute-api:Invoke",
             "Resource": ["arn:aws:execute-api:us-east-1:123456789012:local/local/*/providers/*"]}
    assert gw.policy_allows(policy(allow), ARN)
    assert gw.policy_allows(policy({**allow, "Action": ["execute-api:*"], "Resource": "*"}), ARN)
    assert gw.policy_allows({"Statement": {"Effect": "Allow", "Action": "*", "Resource": ARN}}, ARN)


def test_policy_explicit_deny_wins_and_default_is_deny() -> None:
    allow = {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": ARN}
    assert not gw.policy_allows(policy(allow, deny), ARN)
    assert not gw.policy_allows(policy(), ARN)
    assert not gw.policy_allows(policy({**allow, "Resource": ARN.replace("GET", "POST")}), ARN)
    assert not gw.policy_allows(policy({**allow, "Action": "s3:GetObject"}), ARN)
    assert not gw.policy_allows(None, ARN)


# --- the gateway with fake functions and a fake authorizer --------------------------------------------

FUNCTIONS = (Function("register"), Function("providers", memory_mb=512), Function("authorizer"))


class Fakes:
    """Fake `functions.<name>.handler` modules, put in sys.modules so the real import finds them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, dict[str, Any], Any]] = []
        self.monkeypatch = monkeypatch

    def module(self, name: str, respond: Any) -> None:
        def lambda_handler(event: dict[str, Any], context: Any) -> Any:
            self.calls.append((name, event, context))
            return respond(event) if callable(respond) else respond

        fake = types.ModuleType(f"functions.{name}.handler")
        fake.lambda_handler = lambda_handler  # type: ignore[attr-defined]
        self.monkeypatch.setitem(sys.modules, f"functions.{name}.handler", fake)

    def names(self) -> list[str]:
        return [name for name, _, _ in self.calls]


def allow_all(event: dict[str, Any]) -> dict[str, Any]:
    return {"principalId": "account-1", "context": {"account_id": "account-1", "mfa": True},
            "policyDocument": policy({"Effect": "Allow", "Action": "execute-api:Invoke",
                                      "Resource": event["methodArn"]})}


OK = {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok": true}'}


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    made = Fakes(monkeypatch)
    made.module("providers", OK)
    made.module("register", OK)
    return made


def gateway(functions: tuple[Function, ...] = FUNCTIONS) -> gw.Gateway:
    return gw.Gateway(routes=ROUTES, functions=functions, stage="local", region="us-east-1")


def test_protected_route_runs_the_authorizer_first(fakes: Fakes) -> None:
    fakes.module("authorizer", allow_all)
    response = gateway().handle(request("GET", "/api/providers/42"))

    assert response.status == 200 and json.loads(response.body) == {"ok": True}
    assert fakes.names() == ["authorizer", "providers"]
    _, auth_event, auth_context = fakes.calls[0]
    assert auth_event["type"] == "REQUEST"
    assert auth_event["methodArn"].endswith("/local/GET/providers/42")
    assert auth_context.function_name.endswith("authorizer")
    _, event, context = fakes.calls[1]
    authorizer = event["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "account-1"
    assert authorizer["account_id"] == "account-1" and authorizer["mfa"] is True
    assert context.memory_limit_in_mb == 512
    assert context.aws_request_id == event["requestContext"]["requestId"]
    assert 0 < context.get_remaining_time_in_millis() <= 10_000


def test_denying_policy_is_403(fakes: Fakes) -> None:
    fakes.module("authorizer", lambda event: {**allow_all(event), "policyDocument": policy(
        {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": event["methodArn"]})})
    response = gateway().handle(request("GET", "/api/providers/42"))

    assert response.status == 403
    assert response.header("Content-Type") == "application/problem+json"
    assert json.loads(response.body)["status"] == 403
    assert fakes.names() == ["authorizer"]


def test_a_refusal_the_authorizer_explains_is_typed_like_the_deployed_access_denied_response(fakes: Fakes) -> None:
    # infra/constructs/api.py: type "/problems/forbidden$context.authorizer.subtype", detail from the context.
    fakes.module("authorizer", lambda event: {
        **allow_all(event), "context": {"account_id": "a", "subtype": "/csrf-missing", "detail": "Send it."},
        "policyDocument": policy({"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": event["methodArn"]})})
    problem = json.loads(gateway().handle(request("GET", "/api/providers/42")).body)

    assert (problem["type"], problem["status"], problem["detail"]) == (
        "/problems/forbidden/csrf-missing", 403, "Send it.")


def test_a_sigv4_authorization_header_names_the_staff_user_locally() -> None:
    assert gw._sigv4_user("AWS4-HMAC-SHA256 Credential=pr.staff/20261128/us-east-1/execute-api/aws4_request, "
                          "SignedHeaders=host, Signature=abc") == "pr.staff"
    assert gw._sigv4_user("Bearer pr.staff/x") is None
    assert gw._sigv4_user(None) is None


def test_unauthorized_from_the_authorizer_is_401(fakes: Fakes) -> None:
    def unauthorized(_event: dict[str, Any]) -> None:
        raise Exception("Unauthorized")  # the Lambda authorizer convention for a 401

    fakes.module("authorizer", unauthorized)
    response = gateway().handle(request("GET", "/api/providers/42"))

    assert response.status == 401
    assert json.loads(response.body)["type"] == "/problems/unauthenticated"
    assert fakes.names() == ["authorizer"]


@pytest.mark.parametrize("answer", [None, {"principalId": "x"}, {"policyDocument": {}},
                                    {"principalId": "x", "policyDocument": {}, "context": {"a": [1]}}])
def test_malformed_authorizer_answer_is_500(fakes: Fakes, answer: Any) -> None:
    fakes.module("authorizer", answer)
    assert gateway().handle(request("GET", "/api/providers/42")).status == 500
    assert fakes.names() == ["authorizer"]


def test_failing_authorizer_is_a_retryable_503(fakes: Fakes) -> None:
    def broken(_event: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    fakes.module("authorizer", broken)
    answer = gateway().handle(request("GET", "/api/providers/42"))
    # The deployed API's AUTHORIZER_FAILURE gateway response (infra/gateway_problems.py)
    assert answer.status == 503 and dict(answer.headers)["Retry-After"] == "5"
    assert json.loads(answer.body)["type"] == "/problems/service-unavailable"


def test_protected_route_without_authorizer_function_fails_closed(fakes: Fakes) -> None:
    functions = tuple(f for f in FUNCTIONS if f.name != "authorizer")
    response = gateway(functions).handle(request("GET", "/api/providers/42"))
    assert response.status == 500
    assert "authorizer" in json.loads(response.body)["detail"]
    assert fakes.names() == []


def test_public_route_skips_the_authorizer(fakes: Fakes) -> None:
    fakes.module("authorizer", lambda _event: pytest.fail("the authorizer ran for a public route"))
    assert gateway().handle(request("GET", "/api/captcha")).status == 200
    assert fakes.names() == ["register"]


def test_gateway_404_and_405(fakes: Fakes) -> None:
    missing = gateway().handle(request("GET", "/api/nope"))
    assert missing.status == 404 and missing.header("Content-Type") == "application/problem+json"
    wrong = gateway().handle(request("PUT", "/api/providers/42"))
    assert wrong.status == 405 and wrong.header("Allow") == "DELETE, GET"
    assert fakes.names() == []


def test_failing_handler_is_502(fakes: Fakes) -> None:
    def crash(_event: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    fakes.module("register", crash)
    response = gateway().handle(request("GET", "/api/captcha"))
    assert response.status == 502
    assert response.header("Content-Type") == "application/problem+json"


def test_the_event_satisfies_a_real_powertools_handler() -> None:
    """GET /captcha on a plan without CAPTCHA: the real register function answers its own 404."""
    response = gw.Gateway().handle(request("GET", "/api/captcha"))
    body = json.loads(response.body)
    assert response.status == 404
    assert body["instance"] == "/captcha"  # set by the function's resolver, not by the gateway
    assert response.header("Strict-Transport-Security")


# --- pages, config, outbox ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/../pyproject.toml", "/%2e%2e/pyproject.toml", "/js/../../pyproject.toml",
                                  "/..%2f..%2fpyproject.toml", "/js%5c..%5c..%5cpyproject.toml",
                                  "/%00index.html", "/.hidden", "relative.html"])
def test_static_files_cannot_escape_the_web_folder(path: str) -> None:
    assert static_file(WEB_ROOT, path) is None


def test_static_files_and_types(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "app.js").write_text("export {}")
    (tmp_path / "link.html").symlink_to(tmp_path.parent / "outside.html")
    (tmp_path.parent / "outside.html").write_text("secret")

    assert static_file(tmp_path, "/") == tmp_path / "index.html"
    assert static_file(tmp_path, "/js/app.js") == tmp_path / "js" / "app.js"
    assert static_file(tmp_path, "/link.html") is None
    assert static_file(tmp_path, "/missing.html") is None
    assert content_type(tmp_path / "index.html") == "text/html; charset=utf-8"
    assert content_type(tmp_path / "js" / "app.js") == "text/javascript; charset=utf-8"
    assert content_type(tmp_path / "x.bin") == "application/octet-stream"


def test_public_config_per_plan() -> None:
    standard = public_config(PLANS["caresource"], outbox="/outbox.html")
    cmo = public_config(PLANS["cmo"])

    assert standard["registration_form"] == "standard" and standard["requires_captcha"] is False
    assert standard["outbox"] == "/outbox.html" and standard["api"] == "/api"
    assert cmo["registration_form"] == "cmo" and cmo["requires_captcha"] is True
    assert "outbox" not in cmo
    assert (cmo["portal_tab"], standard["portal_tab"]) == ("CMO", "")  # the cmo guide's tab; others keep links
    assert set(cmo["password_policy"]) >= {"min_length", "max_length", "require_special"}
    json.dumps(standard)


def test_html_mail_becomes_text_and_links() -> None:
    text, links = html_to_text('<!doctype html><html><head><style>p{}</style></head><body><p>Hello &amp; '
                               'welcome.</p><p><a href="http://127.0.0.1:3000/activate.html#token=abc">'
                               'Activate Account</a></p><script>alert(1)</script></body></html>')
    assert text == "Hello & welcome.\n\nActivate Account"
    assert links == [{"href": "http://127.0.0.1:3000/activate.html#token=abc", "label": "Activate Account"}]


def test_mail_and_sms_entries() -> None:
    message = types.SimpleNamespace(id="m1", source="no-reply@x.org", subject="Hi",
                                    destinations={"ToAddresses": ["a@x.org"], "CcAddresses": ["b@x.org"]},
                                    body="Sign in at http://127.0.0.1:3000/signin.html.")
    entry = mail_entry(message)
    assert entry["to"] == ["a@x.org", "b@x.org"]
    assert entry["links"] == [{"href": "http://127.0.0.1:3000/signin.html",
                               "label": "http://127.0.0.1:3000/signin.html"}]

    raw = types.SimpleNamespace(id="m2", source="no-reply@x.org", destinations=["c@x.org"],
                                raw_data="Subject: Code\r\nFrom: no-reply@x.org\r\nTo: c@x.org\r\n"
                                         "Content-Type: text/plain\r\n\r\nYour code is 123456.\r\n")
    assert mail_entry(raw) | {"links": []} == {"id": "m2", "from": "no-reply@x.org", "to": ["c@x.org"],
                                                "subject": "Code", "text": "Your code is 123456.",
                                                "links": []}
    assert sms_entry("s1", "+15551234567", "Code 123456") == {"id": "s1", "to": "+15551234567",
                                                               "text": "Code 123456", "links": []}


def test_outbox_collects_newest_first() -> None:
    import boto3
    from moto import mock_aws

    from devserver.outbox import collect

    with mock_aws():
        ses = boto3.client("ses", region_name="us-east-1")
        ses.verify_email_identity(EmailAddress="no-reply@x.org")
        for subject in ("first", "second"):
            ses.send_email(Source="no-reply@x.org", Destination={"ToAddresses": ["a@x.org"]},
                           Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": subject}}})
        sns = boto3.client("sns", region_name="us-east-1")
        sns.publish(PhoneNumber="+15551234567", Message="123456")
        app = sns.create_platform_application(Name="push", Platform="GCM", Attributes={})
        device = sns.create_platform_endpoint(PlatformApplicationArn=app["PlatformApplicationArn"],
                                              Token="device-1")["EndpointArn"]
        for n in (1, 2):
            sns.publish(TargetArn=device, Message=json.dumps({"default": json.dumps({"n": n})}),
                        MessageStructure="json")
        sent = collect(gw.ACCOUNT_ID, "us-east-1")

    assert [m["subject"] for m in sent["mail"]] == ["second", "first"]
    assert [s["text"] for s in sent["sms"]] == ["123456"]
    assert [(p["token"], json.loads(json.loads(p["message"])["default"])["n"]) for p in sent["pushes"]] == [
        ("device-1", 2), ("device-1", 1)]


# --- start-up helpers ----------------------------------------------------------------------------------


def test_local_env_takes_the_plan_and_url() -> None:
    env = local_env("cmo", "http://127.0.0.1:4000")
    assert env["PLAN"] == "cmo" and env["PORTAL_URL"] == "http://127.0.0.1:4000"
    assert local_env(None, "http://x")["PLAN"] == "caresource"
    assert public_host("0.0.0.0") == "127.0.0.1" and public_host("::1") == "[::1]"


def test_host_header_guard() -> None:
    allowed = {"127.0.0.1", "localhost"}
    assert host_allowed("127.0.0.1:3000", allowed)
    assert host_allowed("localhost", allowed)
    assert not host_allowed("evil.example:3000", allowed)
    assert not host_allowed(None, allowed)
    assert host_allowed("anything", None)


def test_staff_stand_in_header_counts_from_this_machine_only(fakes: Fakes) -> None:
    # Given a staff route, and a request that claims a staff user in the local stand-in header
    routes = (*ROUTES, Route("GET", "/staff/queue", "providers", iam=True))
    staff_gateway = gw.Gateway(routes=routes, functions=FUNCTIONS, stage="local", region="us-east-1")
    claimed = [("Host", "127.0.0.1:3000"), (gw.STAFF_HEADER, "pr.staff")]

    # When it comes from another machine, it is refused before any function runs
    remote = staff_gateway.handle(gw.HttpRequest("GET", "/api/staff/queue", claimed, client_ip="192.0.2.7"))
    assert remote.status == 403 and fakes.names() == []
    # and from this machine (IPv4, IPv6, IPv4-mapped) it stands in for the IAM signature
    for peer in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        local = staff_gateway.handle(gw.HttpRequest("GET", "/api/staff/queue", claimed, client_ip=peer))
        assert local.status == 200
    _, event, _ = fakes.calls[-1]
    assert event["requestContext"]["identity"]["userArn"].endswith(":user/pr.staff")


def test_devserver_listens_on_a_network_address_only_when_told_and_then_warns(capsys) -> None:
    from devserver.app import bind_refusal, main

    assert bind_refusal("127.0.0.1", False) is None and bind_refusal("localhost", False) is None
    assert bind_refusal("::1", False) is None
    assert "--allow-network" in (bind_refusal("0.0.0.0", False) or "")
    assert bind_refusal("0.0.0.0", True) is None
    assert main(["--host", "0.0.0.0", "--port", "0"]) == 2  # refused before anything starts
    assert "refusing to listen on 0.0.0.0" in capsys.readouterr().err
    # Told, it warns first (192.0.2.1 is a documentation address this machine cannot bind: it stops there)
    assert main(["--host", "192.0.2.1", "--allow-network", "--port", "0"]) == 1
    assert "WARNING: the development server listens on 192.0.2.1" in capsys.readouterr().err
