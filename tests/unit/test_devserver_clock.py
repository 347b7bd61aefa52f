"""The devserver's clock control (POST /dev/clock): forward only, in minutes, moving `clock.now`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from devserver import app
from devserver.gateway import HttpRequest
from devserver.server import CLOCK_PATH, PortalServer
from functions.shared.core import clock


@pytest.fixture
def server(tmp_path):
    running = PortalServer(("127.0.0.1", 0), web_root=tmp_path)
    yield running
    running.server_close()


@pytest.mark.parametrize("value", ["", "soon", "0", "-5", "nan", "20000"])
def test_only_a_forward_move_of_at_most_a_week_is_taken(server, value):
    asked: list[float] = []
    server.advance_clock = lambda minutes: asked.append(minutes) or {}
    reply = server.route(HttpRequest("POST", f"{CLOCK_PATH}?advance_minutes={value}"))
    assert reply.status == 400 and asked == []


def test_the_portal_clock_moves_forward_by_the_minutes_asked(server, monkeypatch):
    monkeypatch.setattr(clock, "now", clock.now)  # restored after the test
    monkeypatch.setattr(app, "_clock_offset", timedelta(0))
    server.advance_clock = app.advance_clock
    reply = server.route(HttpRequest("POST", f"{CLOCK_PATH}?advance_minutes=6"))
    assert reply.status == 200 and json.loads(reply.body)["offset_minutes"] == 6
    server.route(HttpRequest("POST", f"{CLOCK_PATH}?advance_minutes=1.5"))
    ahead = clock.now() - datetime.now(UTC)
    assert timedelta(minutes=7.4) < ahead <= timedelta(minutes=7.5)


def test_without_the_devserver_app_the_route_is_not_there(server):
    assert server.route(HttpRequest("POST", f"{CLOCK_PATH}?advance_minutes=6")).status == 405
