"""The devserver's HTTP front: `/api/*` through the local gateway, the pages, config and outbox.

A thin layer: it turns `http.server` requests into `HttpRequest`s and writes `HttpResponse`s back;
the decisions live in gateway.py, site.py and outbox.py.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devserver.gateway import Gateway, HttpRequest, HttpResponse, problem
from devserver.site import PAGE_HEADERS, content_type, static_file
from functions.shared.core.errors import Problem

MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
_EXPORT_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")
MAX_FILE_BODY = 1024 * 1024 * 1024  # a roster or an extract sent by the local tools (S3 takes any size)
CONFIG_PATH = "/config.json"
OUTBOX_PATH = "/dev/outbox.json"
ROSTER_PATH = "/dev/roster"  # POST a roster CSV: `python -m devserver.roster FILE`
LOAD_PATH = "/dev/load"  # POST a FHIR NDJSON extract: `python -m devserver.load FILE`
JOBS_PATH = "/dev/jobs"  # POST ?name=deactivate&as_of=YYYY-MM-DD: `make job NAME=... AS_OF=...`
CLOCK_PATH = "/dev/clock"  # POST ?advance_minutes=N: the portal's clock moves forward (tests of time limits)
SCANS_PATH = "/dev/scans"  # POST: every attached file stored so far has its malware-scan result recorded
FHIR_CLIENT_PATH = "/dev/fhir-client"  # POST {provider_id, name, jwks}: `python -m devserver.fhir_client`
LOCAL_NAMES = {"127.0.0.1", "localhost", "::1"}
_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}
_console = threading.Lock()


def console_line(line: str) -> None:
    """Write one log line to stderr whole: lines of requests served on other threads never cut into it."""
    with _console:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def host_allowed(host_header: str | None, allowed: set[str] | None) -> bool:
    """Guard against DNS rebinding: only answer to the names this server listens on (None: any)."""
    if allowed is None:
        return True
    if not host_header:
        return False
    name = urlsplit(f"//{host_header}").hostname or ""
    return name in allowed


def json_page(data: Any, status: int = 200) -> HttpResponse:
    body = json.dumps(data, indent=1).encode()
    headers = {**PAGE_HEADERS, "Content-Type": "application/json", "Cache-Control": "no-store"}
    return HttpResponse(status, list(headers.items()), body)


def page_problem(status: int, title: str, detail: str, **extra: Any) -> HttpResponse:
    response = problem(status, title, detail, **extra)
    present = {name.lower() for name, _ in response.headers}
    response.headers.extend((k, v) for k, v in PAGE_HEADERS.items() if k.lower() not in present)
    return response


class PortalServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Connections the kernel holds until they are accepted: a page opening many at once, or a load test,
    # would otherwise see the ones beyond the default of 5 refused or reset.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        *,
        web_root: Path,
        allowed_hosts: set[str] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(address, PortalRequestHandler)
        self.web_root = web_root
        self.allowed_hosts = allowed_hosts
        self.log = log or console_line
        # Set once the embedded AWS is up (the port is bound first, so PORTAL_URL can name it).
        self.gateway: Gateway | None = None
        self.config: dict[str, Any] = {}
        self.outbox: Callable[[], dict[str, Any]] = dict
        self.roster_import: Callable[[str, str], dict[str, Any]] | None = None
        self.data_import: Callable[[bytes, str, str | None], dict[str, Any]] | None = None
        self.run_job: Callable[[str, str | None], dict[str, Any]] | None = None
        self.advance_clock: Callable[[float], dict[str, Any]] | None = None
        self.register_fhir_client: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self.settle_scans: Callable[[], dict[str, Any]] | None = None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A request's failure outside the gateway, written as one log entry (socketserver prints it in pieces)."""
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            return  # the client left before its answer (a page that navigated on): nothing to fix
        self.log(f"error serving {client_address[0]}:\n{traceback.format_exc().rstrip()}")

    def route(self, request: HttpRequest) -> HttpResponse:
        path = urlsplit(request.target).path or "/"
        if self.gateway is not None and self.gateway.owns(path):
            return self.gateway.handle(request)
        if path == ROSTER_PATH and request.method == "POST" and self.roster_import is not None:
            name = parse_qs(urlsplit(request.target).query).get("name", ["roster.csv"])[0]
            try:
                text = request.body.decode("utf-8-sig")
            except UnicodeDecodeError:
                return page_problem(400, "Roster not UTF-8", "Save the roster CSV as UTF-8 and send it again.",
                                    slug="malformed-body")
            return json_page(self.roster_import(text, name))
        if path == LOAD_PATH and request.method == "POST" and self.data_import is not None:
            query = parse_qs(urlsplit(request.target).query)
            name = query.get("name", ["extract.ndjson"])[0]
            export = query.get("export", [None])[0]
            if export is not None and not _EXPORT_NAME.fullmatch(export):
                return page_problem(400, "Bad export name", "Name the export with letters, digits, '.', '_' or '-'.")
            return json_page(self.data_import(request.body, name, export))  # bytes: the import reports bad ones
        if path == JOBS_PATH and request.method == "POST" and self.run_job is not None:
            query = parse_qs(urlsplit(request.target).query)
            try:
                return json_page(self.run_job(query.get("name", [""])[0], query.get("as_of", [None])[0]))
            except ValueError as exc:  # an unknown job or a malformed day
                return page_problem(400, "Bad request", str(exc))
        if path == CLOCK_PATH and request.method == "POST" and self.advance_clock is not None:
            value = parse_qs(urlsplit(request.target).query).get("advance_minutes", [""])[0]
            try:
                minutes = float(value)
            except ValueError:
                minutes = -1.0
            if not 0 < minutes <= 7 * 24 * 60:  # forward only: what was stamped never lies in the future
                return page_problem(400, "Bad request", "advance_minutes must be a number of minutes above 0, "
                                    "at most a week.")
            return json_page(self.advance_clock(minutes))
        if path == SCANS_PATH and request.method == "POST" and self.settle_scans is not None:
            return json_page(self.settle_scans())
        if path == FHIR_CLIENT_PATH and request.method == "POST" and self.register_fhir_client is not None:
            try:
                return json_page(self.register_fhir_client(json.loads(request.body or b"{}")))
            except (ValueError, Problem) as exc:  # not JSON, or a client an administrator could not register
                return page_problem(400, "Bad request", str(exc)[:300])
        if request.method not in ("GET", "HEAD"):
            return page_problem(405, "Method not allowed", f"{path} can only be read (GET).",
                                headers=[("Allow", "GET, HEAD")])
        if path == CONFIG_PATH:
            return json_page(self.config)
        if path == OUTBOX_PATH:
            return json_page(self.outbox())
        file = static_file(self.web_root, path)
        if file is None:
            return page_problem(404, "Not found", f"There is no page at {path}.")
        return HttpResponse(200, [("Content-Type", content_type(file)), *PAGE_HEADERS.items()],
                            file.read_bytes())


class PortalRequestHandler(BaseHTTPRequestHandler):
    server: PortalServer
    protocol_version = "HTTP/1.1"
    server_version = "provider-portal-devserver"
    # A kept-alive connection's next answer must not wait for the client's delayed ACK of the last one.
    disable_nagle_algorithm = True

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

    def do_OPTIONS(self) -> None:
        self._serve()

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, CONNECT, made-up ones) is routed too, so it gets what API Gateway
        # answers, a 405 problem with Allow, instead of http.server's 501 HTML page.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _read_body(self) -> bytes | HttpResponse:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return page_problem(411, "Length required", "Send the body with a Content-Length.")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return page_problem(400, "Bad request", "The Content-Length header is not a number.")
        limit = MAX_FILE_BODY if urlsplit(self.path).path in (ROSTER_PATH, LOAD_PATH) else MAX_BODY
        if length > limit:
            return page_problem(413, "Content too large", f"Bodies are limited to {limit} bytes.")
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        started = time.monotonic()
        body = self._read_body()
        if isinstance(body, HttpResponse):
            response = body
            self.close_connection = True
        elif not host_allowed(self.headers.get("Host"), self.server.allowed_hosts):
            response = page_problem(421, "Misdirected request",
                                    "This development server only answers to its own host name.")
        else:
            request = HttpRequest(
                method=self.command,
                target=self.path,
                headers=list(self.headers.items()),
                body=body,
                client_ip=self.client_address[0],
                protocol=self.request_version,
            )
            try:
                response = self.server.route(request)
            except Exception as exc:
                self.server.log(traceback.format_exc())
                response = page_problem(500, "Devserver error", f"{type(exc).__name__}; see the console.")
        self._write(response)
        elapsed = (time.monotonic() - started) * 1000
        self.server.log(f"{self.command} {urlsplit(self.path).path} {response.status} {elapsed:.0f} ms")

    def _write(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        # The head and the body leave in one write (not end_headers, which writes the head alone), so the
        # client never waits on a half-sent answer.
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD" and response.body:
            self._headers_buffer.append(response.body)
        self.flush_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # _serve writes one line per request, with its duration

    def log_message(self, format: str, *args: Any) -> None:
        self.server.log(f"{self.address_string()} {format % args}")
