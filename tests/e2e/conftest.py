"""The local stack as a user meets it: `python -m devserver` in a subprocess, and a headless Chromium.

The first test that asks for `portal` (or `cmo_portal`) starts a devserver on a free port; the whole
session shares it (tests use fresh email addresses, and every rate limit is per address or account),
and it stops at the end. The browser is the system Chromium (CHROMIUM_PATH), driven by Playwright.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
START_TIMEOUT_S = 180  # DynamoDB Local (a JVM) and moto start first; over 80 s on a busy 2-core machine


@dataclass
class Portal:
    """A running devserver: its base URL and small helpers to call it over HTTP."""

    url: str
    plan: str
    process: subprocess.Popen[bytes]
    log: Path

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=15) as response:
                status, raw, head = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, head = error.code, error.read(), error.headers
        content_type = head.get("Content-Type", "")
        payload = json.loads(raw) if raw and "json" in content_type else raw.decode(errors="replace")
        return status, {k: v for k, v in head.items()}, payload

    def outbox(self) -> dict[str, list[dict[str, Any]]]:
        return self.request("GET", "/dev/outbox.json")[2]

    def mails_to(self, email: str) -> list[dict[str, Any]]:
        return [m for m in self.outbox()["mail"] if email in m["to"]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/config.json", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def start_portal(plan: str, name: str) -> Portal:
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env["PLAN"] = plan
    log = ARTIFACTS / f"devserver-{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "devserver", "--port", str(port)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    portal = Portal(f"http://127.0.0.1:{port}", plan, process, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _answers(portal.url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_portal(portal)
            pytest.fail(f"the devserver did not start; its output:\n{log.read_text()}")
        time.sleep(0.1)
    return portal


def stop_portal(portal: Portal) -> None:
    if portal.process.poll() is None:
        portal.process.terminate()
        try:
            portal.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            portal.process.kill()
            portal.process.wait()


@pytest.fixture(scope="session")
def portal() -> Iterator[Portal]:
    """A devserver with the default plan (caresource)."""
    running = start_portal("caresource", "caresource")
    yield running
    stop_portal(running)


@pytest.fixture(scope="session")
def cmo_portal() -> Iterator[Portal]:
    """A devserver with the extended sign-up form and CAPTCHA (PLAN=cmo)."""
    running = start_portal("cmo", "cmo")
    yield running
    stop_portal(running)


@pytest.fixture(scope="module")
def own_portal(request: pytest.FixtureRequest) -> Iterator[Portal]:
    """A devserver for this module alone, so its first user to link G1000001 becomes the group's
    administrator and gets access at once, whatever other modules did with it on the shared one."""
    running = start_portal("caresource", request.module.__name__.rsplit(".", 1)[-1])
    yield running
    stop_portal(running)


@pytest.fixture
def riverside(own_portal: Portal, browser: Any) -> Iterator[Any]:
    """A page of a signed-in user with access to G1000001 on `own_portal`; JavaScript errors fail the test."""
    from tests.e2e.helpers import link_riverside, signed_in_user

    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    signed_in_user(page, own_portal, "Rosa", "Parks")
    link_riverside(page, own_portal)
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright import sync_api

    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    # A missing browser is a failure, not a skip: `make test` installs it (scripts/ensure-chromium).
    assert Path(executable).exists(), f"no Chromium at {executable}: run scripts/ensure-chromium"
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[[], Any]]:
    """Makes pages, each in a fresh browser context (its own cookies and storage: another person);
    uncaught JavaScript errors on any of them fail the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    def make() -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        made = context.new_page()
        made.on("pageerror", lambda error: errors.append(str(error)))
        return made

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(new_page: Callable[[], Any]) -> Any:
    """A page in a fresh browser context; page errors (uncaught exceptions) fail the test."""
    return new_page()
