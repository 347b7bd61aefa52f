"""Schemathesis against a running devserver: the committed contracts (openapi/openapi.json, and
openapi/staff-openapi.json for the IAM-signed staff routes) are the oracle, every check is on
(schemathesis' default: server errors, status codes, content types, headers, response schemas,
negative data rejected, positive data accepted, missing auth, unsupported methods), with the few
exceptions in schemathesis.toml, each with its reason.

`run_fuzz` runs the `st` command line on a devserver: the public document once without credentials and
once as a user who is fully signed in (MFA done) and linked to a Provider ID with access, the staff
document as a signed staff user; `signed_in_linked_user` makes that user over plain HTTP, the way the
pages do.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp

from tests.e2e.conftest import ARTIFACTS, REPO, Portal

CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
STRONG = "Lantern-Orbit-42"
SEED = 20261128
# The coverage phase (every boundary value of every field) takes minutes per pass: `make fuzz` runs it,
# `make test` runs the examples and the random (positive and negative) fuzzing phases.
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing")
GROUP = {"provider_type": "group", "group_name": "Riverside Family Practice", "tax_id": "12-3456789",
         "provider_number": "G1000001", "zip": "43215"}
# Ending the fuzzing user's own session would leave the rest of the signed-in pass testing 401s; these
# are fuzzed in the pass without credentials, and their effects are covered by the integration tests.
SIGNED_IN_EXCLUDED = r"^/sessions(/current)?$"
SESSION_COOKIE = "__Host-session"
PUBLIC = REPO / "openapi" / "openapi.json"
STAFF = REPO / "openapi" / "staff-openapi.json"
SESSION_AUTH = """
[auth.openapi.session]
api_key = "${FUZZ_SESSION}"

[auth.openapi.csrf]
api_key = "${FUZZ_CSRF}"
"""
# Locally the devserver takes the access key of a SigV4 header as the staff user (the signature is
# API Gateway's to check).
STAFF_AUTH = """
[auth.openapi.sigv4]
api_key = "${FUZZ_SIGV4}"
"""
SIGV4 = ("AWS4-HMAC-SHA256 Credential=pr.fuzz/20261128/us-east-1/execute-api/aws4_request, "
         "SignedHeaders=host, Signature=local")


@dataclass
class Client:
    """A browser-like HTTP client: keeps the cookies the portal sets (also `Secure` ones, which
    urllib's jar would drop over http://127.0.0.1) and the CSRF token it hands out."""

    portal: Portal
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        sent = {"Content-Type": "application/json", **self.headers}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.csrf:
            sent["X-CSRF-Token"] = self.csrf
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.portal.url + "/api" + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw, head = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, head = error.code, error.read(), error.headers
        for cookie in head.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "Max-Age=0" not in cookie:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        payload = json.loads(raw) if raw else None
        if isinstance(payload, dict) and payload.get("csrf_token"):
            self.csrf = payload["csrf_token"]
        return status, payload

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, payload = self.call(method, path, body)
        assert 200 <= status < 300, (method, path, status, payload)
        return payload


def _wait_for(check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    return check()


def _link_status(client: Client) -> str | None:
    links = client.ok("GET", "/links")["links"]
    return next((link["status"] for link in links if link["provider_id"] == GROUP["provider_number"]), None)


def _solved_captcha(client: Client) -> str:
    from altcha import solve_challenge_v1

    challenge = client.ok("GET", "/captcha")
    solution = solve_challenge_v1(challenge["challenge"], challenge["salt"], challenge["algorithm"],
                                  challenge["maxnumber"])
    payload = {"algorithm": challenge["algorithm"], "challenge": challenge["challenge"],
               "number": solution.number, "salt": challenge["salt"], "signature": challenge["signature"]}
    return base64.b64encode(json.dumps(payload).encode()).decode()


def signed_in_linked_user(portal: Portal) -> Client:
    """A new account, fully signed in (authenticator app), linked to G1000001 with access granted.

    It must be the first to link G1000001 on `portal` (so it becomes the group's administrator). On
    plans with an organizational agreement it signs it and provider-relations staff approve it.
    """
    client = Client(portal)
    email = f"fuzz-{uuid.uuid4().hex[:10]}@clinic.example"
    if portal.plan == "cmo":
        username = f"fuzz{uuid.uuid4().hex[:8]}"
        client.ok("POST", "/registrations", {
            "email": email, "password": STRONG, "confirm_password": STRONG, "first_name": "Fay",
            "last_name": "Fuzz", "username": username, "display_name": "Front Desk",
            "group_name": "Riverside Family Practice", "telephone": "555-123-4567", "fax": "555-123-4568",
            "captcha": _solved_captcha(client)})
        [mail] = portal.mails_to(email)
        code = re.search(r"verification code is (\d{6})", mail["text"]).group(1)  # type: ignore[union-attr]
        client.ok("POST", "/sessions", {"login": username, "password": STRONG, "verification_code": code})
    else:
        client.ok("POST", "/registrations", {"email": email, "password": STRONG, "first_name": "Fay",
                                              "last_name": "Fuzz"})
        mail = next(m for m in portal.mails_to(email) if m["subject"] == "Activate Account")
        client.ok("POST", "/activations", {"token": mail["links"][0]["href"].split("#token=", 1)[1]})
        client.ok("POST", "/sessions", {"login": email, "password": STRONG})
    factor = client.ok("POST", "/mfa/factors", {"kind": "totp"})
    code = pyotp.TOTP(factor["secret"]).now()
    session = client.ok("POST", f"/mfa/factors/{factor['factor_id']}/confirm", {"code": code})
    assert session["stage"] == "full", session
    # On the link plans the first administrator proves the demo payment to the group's Tax ID (README).
    proof = {} if portal.plan == "cmo" else {"payment": {"number": "EFT-7731042", "amount": "130.00"}}
    assert client.ok("POST", "/links", {**GROUP, **proof})["role"] == "admin"
    assert _wait_for(lambda: _link_status(client) == "pending_agreement")
    version = client.ok("GET", "/agreements/provider")["version"]
    client.ok("POST", "/agreements/provider", {"version": version})
    if portal.plan == "cmo":
        assert _wait_for(lambda: _link_status(client) == "pending_org_agreement")
        client.ok("POST", "/agreements/organization", {"provider_id": GROUP["provider_number"],
                                                       "signer_name": "Fay Fuzz", "signer_title": "owner",
                                                       "attest": True})
        staff = Client(portal, headers={"X-Staff-User": "pr.fuzz"})
        [pending] = staff.ok("GET", "/staff/org-agreements")["agreements"]  # a fresh devserver: ours only
        staff.ok("POST", f"/staff/org-agreements/{pending['tax_id']}/decision",
                 {"approve": True, "reason": "Fuzzing user"})
    assert _wait_for(lambda: _link_status(client) == "active"), _link_status(client)
    assert client.call("GET", "/portal/providers")[0] == 200
    return client


@dataclass(frozen=True)
class FuzzResult:
    returncode: int
    output: str
    report: Path


def run_fuzz(portal: Portal, name: str, *, examples: int, user: Client | None = None, staff: bool = False,
             timeout_s: int = 900) -> FuzzResult:
    """`st run` over a committed contract against `portal`: the public one (`user` adds its session to
    every request), or with `staff` the staff one, each request signed (the local stand-in)."""
    report = ARTIFACTS / f"fuzz-{name}"
    report.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run",
        str(STAFF if staff else PUBLIC), "--url", f"{portal.url}/api",
        "--mode", "all", "--seed", str(SEED), "--max-examples", str(examples),
        "--workers", "1", "--phases", PHASES, "--continue-on-failure",
        "--report", "junit", "--report-dir", str(report),
    ]
    env = {**os.environ, "NO_COLOR": "1"}
    if user is not None or staff:
        # The credentials as the contract's security schemes, so schemathesis also sends requests
        # without each of them (and expects a refusal).
        config = report / "schemathesis.toml"
        config.write_text(CONFIG.read_text() + (STAFF_AUTH if staff else SESSION_AUTH))
        command[command.index(str(CONFIG))] = str(config)
    if user is not None:
        command += ["--exclude-path-regex", SIGNED_IN_EXCLUDED]
        env |= {"FUZZ_SESSION": user.cookies[SESSION_COOKIE], "FUZZ_CSRF": user.csrf or ""}
    if staff:
        env["FUZZ_SIGV4"] = SIGV4
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=timeout_s, check=False)
    output = done.stdout + done.stderr
    (report / "output.txt").write_text(output)
    return FuzzResult(done.returncode, output, report)
