"""The devserver under load: many connections at once all answered, a kept-alive connection's answers sent
without a stall, different functions served side by side while each serves one request at a time (as one
warm Lambda container does), and log lines that stay whole when requests end together."""

from __future__ import annotations

import http.client
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from devserver.gateway import Gateway, HttpRequest
from devserver.server import PortalServer
from infra.routes import Function, Route
from tests.integration.conftest import wait_for

CONNECTIONS = 64
# Public routes of four real functions, and the server's own page: what a page opening at once asks for.
PATHS = ("/api/public/prior-authorization-metrics", "/api/fhir/metadata",
         "/api/fhir/.well-known/smart-configuration", "/config.json")


class CountingSocket(socket.socket):
    """An accepted connection that counts the writes the server makes on it."""

    writes = 0

    def sendall(self, data: Any, flags: int = 0) -> None:
        self.writes += 1
        super().sendall(data, flags)

    def send(self, data: Any, flags: int = 0) -> int:
        self.writes += 1
        return super().send(data, flags)


class RecordingServer(PortalServer):
    """The devserver's HTTP front, keeping each connection it accepted for the test to look at."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accepted: list[CountingSocket] = []

    def get_request(self) -> tuple[socket.socket, Any]:
        plain, address = super().get_request()
        counted = CountingSocket(plain.family, plain.type, plain.proto, fileno=plain.detach())
        self.accepted.append(counted)
        return counted, address


@contextmanager
def serving(server: PortalServer) -> Iterator[PortalServer]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def get(sock: socket.socket, path: str) -> tuple[int, bytes]:
    """One GET on an open connection, kept alive; the status and body of its answer."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    answer = http.client.HTTPResponse(sock)
    answer.begin()
    return answer.status, answer.read()


def at_once(count: int, request: Callable[[int], Any]) -> list[Any]:
    """Run `request(i)` for every i in its own thread, all released together; each result or exception."""
    barrier = threading.Barrier(count, timeout=60)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = request(i)
        except Exception as exc:  # reported in the results, so one failure does not hide the others
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


# ----------------------------------------------------------------------------------------------------
# Connections


def test_sixty_four_connections_opened_at_once_are_all_answered(gateway, tmp_path):
    server = RecordingServer(("127.0.0.1", 0), web_root=tmp_path, log=lambda _line: None)
    server.gateway = gateway
    # All connect before the server accepts any: the kernel must hold every one until it does.
    sockets = []
    try:
        for _ in range(CONNECTIONS):
            sockets.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
    except OSError as exc:
        server.server_close()
        pytest.fail(f"connection {len(sockets) + 1} of {CONNECTIONS} was not taken while the server was busy: "
                    f"{exc!r}")
    with serving(server):
        answers = at_once(CONNECTIONS, lambda i: get(sockets[i], PATHS[i % len(PATHS)]))
    for sock in sockets:
        sock.close()
    assert [a if isinstance(a, Exception) else a[0] for a in answers] == [200] * CONNECTIONS
    assert len(server.accepted) == CONNECTIONS


def test_each_answer_on_a_kept_alive_connection_is_one_write_without_nagle(gateway, tmp_path):
    server = RecordingServer(("127.0.0.1", 0), web_root=tmp_path, log=lambda _line: None)
    server.gateway = gateway
    with serving(server), socket.create_connection(("127.0.0.1", server.port), timeout=15) as sock:
        answers = [get(sock, path) for path in (*PATHS, *PATHS)]
        assert [status for status, _ in answers] == [200] * len(answers)
        assert all(body for _, body in answers)
        [connection] = server.accepted  # every request on one connection
        # Nagle's algorithm off: an answer that is small is sent at once, not held for the previous one's ACK.
        assert connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        # Head and body leave together: the client never holds a head whose body waits behind its ACK.
        assert connection.writes == len(answers)


# ----------------------------------------------------------------------------------------------------
# Functions side by side, each one request at a time


def _gateway_of(handlers: dict[str, Callable[[dict[str, Any], Any], Any]]) -> Gateway:
    """A gateway with a public route `/api/<name>` per function, whose handlers are the ones given."""

    def import_module(module: str) -> Any:
        return SimpleNamespace(lambda_handler=handlers[module.split(".")[1]])

    return Gateway(routes=[Route("GET", f"/{name}", name, public=True) for name in handlers],
                   functions=[Function(name) for name in handlers], import_module=import_module)


def _ok() -> dict[str, Any]:
    return {"statusCode": 200, "body": "{}", "headers": {"Content-Type": "application/json"}}


def test_two_functions_serve_their_requests_side_by_side():
    first_running, second_running = threading.Event(), threading.Event()
    saw_second: list[bool] = []

    def first(_event: dict[str, Any], _context: Any) -> dict[str, Any]:
        first_running.set()
        saw_second.append(second_running.wait(timeout=10))  # the second request, served while this one runs
        return _ok()

    def second(_event: dict[str, Any], _context: Any) -> dict[str, Any]:
        second_running.set()
        return _ok()

    def send(i: int) -> int:
        if i == 1:  # the second function's request comes while the first function is busy
            first_running.wait(timeout=10)
        return gateway.handle(HttpRequest("GET", ("/api/first", "/api/second")[i])).status

    gateway = _gateway_of({"first": first, "second": second})
    assert at_once(2, send) == [200, 200]
    assert saw_second == [True]


def test_one_function_serves_one_request_at_a_time():
    running = most = 0
    waited = False
    together = threading.Event()
    guard = threading.Lock()

    def only(_event: dict[str, Any], _context: Any) -> dict[str, Any]:
        nonlocal running, most, waited
        with guard:
            running += 1
            most = max(most, running)
            if running == 2:
                together.set()
            first, waited = not waited, True
        if first:  # holds on until the other request comes in too, which it does only if nothing keeps it out
            together.wait(timeout=2)
        with guard:
            running -= 1
        return _ok()

    gateway = _gateway_of({"only": only})
    answers = at_once(2, lambda _i: gateway.handle(HttpRequest("GET", "/api/only")).status)
    assert answers == [200, 200]
    assert most == 1


# ----------------------------------------------------------------------------------------------------
# Logs


class Console:
    """A stand-in for stderr that keeps every write and notes writes that overlap."""

    def __init__(self) -> None:
        self.writes: list[str] = []
        self.overlapping = 0
        self._inside = 0
        self._guard = threading.Lock()

    def write(self, text: str) -> int:
        with self._guard:
            self._inside += 1
            self.overlapping += self._inside > 1
        time.sleep(0.001)  # long enough for a write from another thread to land inside this one
        with self._guard:
            self.writes.append(text)
            self._inside -= 1
        return len(text)

    def flush(self) -> None:
        pass


def test_request_log_lines_stay_whole_when_requests_end_together(tmp_path: Path, monkeypatch):
    console = Console()
    monkeypatch.setattr(sys, "stderr", console)
    server = PortalServer(("127.0.0.1", 0), web_root=tmp_path)  # its own log: the console

    def one(_i: int) -> int:
        with socket.create_connection(("127.0.0.1", server.port), timeout=15) as sock:
            return get(sock, "/config.json")[0]

    with serving(server):
        answers = at_once(32, one)
        wait_for(lambda: len(console.writes) >= 32)  # each request's line follows its answer
    assert answers == [200] * 32
    assert console.overlapping == 0
    assert len(console.writes) == 32
    assert all(re.fullmatch(r"GET /config\.json 200 \d+ ms\n", line) for line in console.writes), console.writes
