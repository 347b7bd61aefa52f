"""A browser-like client for integration tests: it goes through the local API Gateway adapter (route
table, real authorizer, real handlers) in-process, and keeps cookies and the CSRF token."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from devserver.gateway import Gateway, HttpRequest


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: Any

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def set_cookies(self) -> list[str]:
        return [v for k, v in self.headers if k.lower() == "set-cookie"]


@dataclass
class Browser:
    gateway: Gateway
    ip: str = "198.51.100.7"
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str | None = None
    send_csrf: bool = True

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> Reply:
        sent = {"Content-Type": "application/json", "User-Agent": "Mozilla/5.0 (X11; Linux) Chrome/130",
                **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.csrf and self.send_csrf:
            sent["X-CSRF-Token"] = self.csrf
        raw = b"" if body is None else json.dumps(body).encode()
        response = self.gateway.handle(HttpRequest(method, "/api" + path, list(sent.items()), raw, self.ip))
        kind = next((v for k, v in response.headers if k.lower() == "content-type"), "")
        reply = Reply(response.status, response.headers,  # a file (not JSON) stays bytes
                      (json.loads(response.body) if "json" in kind else response.body) if response.body else None)
        for cookie in reply.set_cookies:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in cookie or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        if isinstance(reply.body, dict) and reply.body.get("csrf_token"):
            self.csrf = reply.body["csrf_token"]
        return reply

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None) -> Reply:
        return self.request("POST", path, body if body is not None else {})

    def delete(self, path: str, body: Any = None) -> Reply:
        return self.request("DELETE", path, body)
