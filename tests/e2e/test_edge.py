"""The portal the way CloudFront serves it, against the devserver.

A small front stands in for the synthesized distribution and reads everything it does from the
synthesized dev stack: the pages bucket's objects (web/ and the generated config.json) with their
Cache-Control, the behaviours (which paths go to the API), the viewer function (run by Node, as
CloudFront runs it), the origin path (the stage) and the two response-headers policies. The API origin
is the devserver, reached the way API Gateway is: `/<stage>/x` is the stage's `/x`, which the
devserver serves under its `/api` base. Pages and API share the front's one origin, as deployed.
"""

from __future__ import annotations

import fnmatch
import json
import mimetypes
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from functions.shared.core.plans import PLANS
from infra.site import PAGE_HEADERS, public_config
from tests.e2e.conftest import Portal
from tests.e2e.helpers import STRONG, active_account, new_email, sign_in
from tests.infra.helpers import deployed_files, resources, synth

pytestmark = pytest.mark.e2e

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def _policy_headers(policy: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(header, value, override) a ResponseHeadersPolicy adds, as CloudFront writes them."""
    config = policy["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    out = [
        ("Content-Security-Policy", security["ContentSecurityPolicy"]["ContentSecurityPolicy"],
         security["ContentSecurityPolicy"]["Override"]),
        ("Strict-Transport-Security", f"max-age={hsts['AccessControlMaxAgeSec']}"
         + ("; includeSubDomains" if hsts["IncludeSubdomains"] else "") + ("; preload" if hsts["Preload"] else ""),
         hsts["Override"]),
        ("X-Content-Type-Options", "nosniff", security["ContentTypeOptions"]["Override"]),
        ("X-Frame-Options", security["FrameOptions"]["FrameOption"], security["FrameOptions"]["Override"]),
        ("Referrer-Policy", security["ReferrerPolicy"]["ReferrerPolicy"], security["ReferrerPolicy"]["Override"]),
    ]
    out += [(h["Header"], h["Value"], h["Override"]) for h in config["CustomHeadersConfig"]["Items"]]
    return out


@dataclass
class Distribution:
    """What the synthesized distribution does, read from the template and the staged assets."""

    objects: dict[str, bytes]
    cache_control: str
    default_root_object: str
    api_pattern: str
    viewer_function: str
    origin_path: str
    page_headers: list[tuple[str, str, bool]]
    api_headers: list[tuple[str, str, bool]]

    @classmethod
    def synthesized(cls, outdir: Path) -> Distribution:
        built = synth(outdir, stage="dev")
        template = built.template()
        (distribution,) = resources(template, "AWS::CloudFront::Distribution").values()
        config = distribution["Properties"]["DistributionConfig"]
        (api,) = config["CacheBehaviors"]
        (origin,) = [o for o in config["Origins"] if o["Id"] == api["TargetOriginId"]]
        (function,) = resources(template, "AWS::CloudFront::Function").values()
        policies = resources(template, "AWS::CloudFront::ResponseHeadersPolicy")
        (deployment,) = resources(template, "Custom::CDKBucketDeployment").values()
        return cls(
            objects=deployed_files(built, template),
            cache_control=deployment["Properties"]["SystemMetadata"]["cache-control"],
            default_root_object=config["DefaultRootObject"],
            api_pattern=api["PathPattern"],
            viewer_function=function["Properties"]["FunctionCode"],
            origin_path=origin["OriginPath"],
            page_headers=_policy_headers(policies[config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]["Ref"]]),
            api_headers=_policy_headers(policies[api["ResponseHeadersPolicyId"]["Ref"]]),
        )

    def viewer_request(self, uri: str) -> str:
        script = self.viewer_function + f"\nconsole.log(handler({{request: {{uri: {json.dumps(uri)}}}}}).uri);"
        return subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True,
                              timeout=20).stdout.strip()


class Edge(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, distribution: Distribution, api_origin: str, stage: str) -> None:
        super().__init__(("127.0.0.1", 0), EdgeHandler)
        self.distribution = distribution
        self.api_origin = api_origin  # the devserver, standing in for API Gateway's stage
        self.stage = stage

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class EdgeHandler(BaseHTTPRequestHandler):
    server: Edge
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        target = urlsplit(self.path)
        dist = self.server.distribution
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if fnmatch.fnmatchcase(target.path, dist.api_pattern):
            status, headers, payload = self._api(target.path, target.query, body)
            policy = dist.api_headers
        else:
            status, headers, payload = self._bucket(target.path)
            policy = dist.page_headers
        present = {name.lower() for name, _ in headers}
        for name, value, override in policy:
            if override or name.lower() not in present:
                headers = [(n, v) for n, v in headers if n.lower() != name.lower()] + [(name, value)]
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _bucket(self, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        dist = self.server.distribution
        if self.command not in ("GET", "HEAD"):  # the default behaviour allows GET and HEAD only
            return 403, [("Content-Type", "text/plain")], b"method not allowed by this behaviour"
        key = path.lstrip("/") or dist.default_root_object
        if key not in dist.objects:  # S3 through OAC without s3:ListBucket: 403, never a listing
            return 403, [("Content-Type", "application/xml")], b"<Error><Code>AccessDenied</Code></Error>"
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        return 200, [("Content-Type", content_type), ("Cache-Control", dist.cache_control)], dist.objects[key]

    def _api(self, path: str, query: str, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        dist = self.server.distribution
        origin_path = dist.origin_path + dist.viewer_request(path)  # what API Gateway receives
        stage_prefix = f"/{self.server.stage}"
        assert origin_path.startswith(stage_prefix + "/"), origin_path
        resource = origin_path[len(stage_prefix):]
        url = f"{self.server.api_origin}/api{resource}" + (f"?{query}" if query else "")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}  # all but Host
        request = urllib.request.Request(url, data=body or None, method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, head, payload = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, head, payload = error.code, error.headers, error.read()
        return status, [(k, v) for k, v in head.items() if k.lower() not in _HOP_BY_HOP], payload


@pytest.fixture(scope="module")
def edge(portal: Portal, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    distribution = Distribution.synthesized(tmp_path_factory.mktemp("cdk.out"))
    server = Edge(distribution, portal.url, stage="dev")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def test_config_json_is_the_synthesized_one_with_the_devservers_headers(edge: Edge, portal: Portal) -> None:
    status, headers, body = _get(f"{edge.url}/config.json")
    assert status == 200
    config = json.loads(body)
    assert config == public_config(PLANS[portal.plan])
    assert "outbox" not in config and config["api"] == "/api"
    for name, value in PAGE_HEADERS.items():
        assert headers[name] == value, name


def test_development_only_pages_are_not_served(edge: Edge) -> None:
    for path in ("/outbox.html", "/js/outbox.js", "/dev/outbox.json"):
        assert _get(edge.url + path)[0] == 403, path
    assert _get(f"{edge.url}/")[0] == 200


def test_api_answers_under_api_with_its_own_headers_kept(edge: Edge) -> None:
    status, headers, body = _get(f"{edge.url}/api/sessions/current")
    assert status == 401
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["type"].startswith("/problems/")
    assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"  # the API's own
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Frame-Options"] == "DENY"  # added by the API behaviour's policy
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_a_user_signs_in_on_the_one_origin_without_the_development_note(edge: Edge, portal: Portal,
                                                                       page: Any) -> None:
    email = new_email()
    active_account(portal, email)  # mail read from the embedded AWS, as AWS would deliver it
    edge_portal = Portal(edge.url, portal.plan, portal.process, portal.log)
    sign_in(page, edge_portal, email, STRONG)
    page.wait_for_url(f"{edge.url}/mfa-setup.html")  # the session cookie works on the edge's origin
    cookies = {c["name"]: c for c in page.context.cookies(edge.url)}
    assert cookies["__Host-session"]["sameSite"] == "Strict" and cookies["__Host-session"]["httpOnly"]
    expect(page.locator("[data-dev]").first).to_be_hidden()
    assert page.locator("a[data-outbox]:visible").count() == 0
