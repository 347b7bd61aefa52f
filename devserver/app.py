"""`python -m devserver`: the whole portal on one machine, with an embedded AWS and no account.

Start-up order: bind the HTTP port (so PORTAL_URL can name it) → set the environment the functions
read → start DynamoDB Local (Java) and moto in-process and point every AWS SDK at them → create
tables, sender and secrets the way infra/ does → load demo data → serve the API, the pages, their config and the outbox.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import boto3

from devserver import demo, dynamodb_local, fhir_client, jobs, load, local_aws, mail_queue, malware_scan, outbox, roster
from devserver.gateway import ACCOUNT_ID, Gateway, is_loopback
from devserver.server import LOCAL_NAMES, PortalServer
from devserver.site import WEB_ROOT, public_config
from functions.shared.core.plans import PLANS, plan_profile

OUTBOX_PAGE = "/outbox.html"
# Settings from the user's shell that would send the SDKs anywhere but the embedded AWS.
_FOREIGN_AWS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")


def public_host(host: str) -> str:
    """The host name a browser on this machine uses to reach a server bound to `host`."""
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def local_env(plan: str | None, portal_url: str) -> dict[str, str]:
    """LOCAL_ENV with the chosen plan (the user's PLAN wins) and the URL the pages are served on."""
    return {**local_aws.LOCAL_ENV, "PLAN": plan or local_aws.LOCAL_ENV["PLAN"], "PORTAL_URL": portal_url}


def apply_env(env: Mapping[str, str], endpoint: str | None = None, moto_port: int | None = None) -> None:
    for name in [*_FOREIGN_AWS, *(k for k in os.environ if k.startswith("AWS_ENDPOINT_URL_"))]:
        os.environ.pop(name, None)
    os.environ.update(env)
    if endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
    if moto_port:
        os.environ["MOTO_PORT"] = str(moto_port)


def _post_json(url: str, payload: Mapping[str, Any]) -> None:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - our own moto server
        answer.read()


@contextmanager
def embedded_aws(env: Mapping[str, str]) -> Iterator[str]:
    """Start DynamoDB Local and moto, point the SDKs at them, provision them; yields moto's endpoint URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per SDK call
    engine = dynamodb_local.start()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        apply_env(env, endpoint, port)
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = engine.endpoint  # DynamoDB: Amazon's own engine
        # Workflows run their states for real; Lambda runs in-process, never in Docker.
        _post_json(f"{endpoint}/moto-api/config",
                   {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}})
        local_aws.run_lambdas_in_process()

        import boto3

        session = boto3.Session(region_name=env["AWS_REGION"])
        local_aws.provision(dict(env), session)
        demo.load(env, session)
        yield endpoint
    finally:
        server.stop()
        engine.stop()


_clock_offset = timedelta(0)


def advance_clock(minutes: float) -> dict[str, Any]:
    """Move the portal's clock (`functions.shared.core.clock.now`, which every handler reads) forward in this
    process, so a browser test can see what a user sees once time has passed. Development only."""
    global _clock_offset
    from functions.shared.core import clock

    _clock_offset += timedelta(minutes=minutes)
    offset = _clock_offset
    clock.now = lambda: datetime.now(UTC) + offset  # type: ignore[assignment]
    return {"now": clock.now().isoformat(), "offset_minutes": offset.total_seconds() / 60}


def _stop_on_sigterm() -> None:
    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devserver", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=3000, help="port to listen on (default 3000; 0: any)")
    parser.add_argument("--job-interval", type=float, default=3600.0,
                        help="run the scheduled lifecycle jobs at start and every N seconds (0: only on demand)")
    parser.add_argument("--allow-network", action="store_true",
                        help="allow --host to be an address other machines can reach (demo data, no real "
                             "sign-in protection for staff routes: use only on a network you trust)")
    return parser.parse_args(argv)


NETWORK_WARNING = ("WARNING: the development server listens on {host}, reachable from other machines. It holds "
                   "demo data, its mail outbox page shows every message, and nothing here is hardened for a "
                   "network. Staff routes still answer only to this machine.")


def bind_refusal(host: str, allow_network: bool) -> str | None:
    """Why the server must not listen on `host` (None: it may). Loopback only, unless explicitly allowed."""
    if host == "localhost" or is_loopback(host) or allow_network:
        return None
    return (f"refusing to listen on {host}: the development server is for this machine only. Pass "
            "--allow-network to listen on a network address anyway.")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    plan_key = os.environ.get("PLAN") or local_aws.LOCAL_ENV["PLAN"]
    try:
        plan = plan_profile(plan_key)
    except ValueError:
        print(f"PLAN={plan_key!r} is not a plan profile; choose one of: {', '.join(PLANS)}", file=sys.stderr)
        return 2

    refusal = bind_refusal(args.host, args.allow_network)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    if args.allow_network and not (args.host == "localhost" or is_loopback(args.host)):
        print(NETWORK_WARNING.format(host=args.host), file=sys.stderr)
    allowed = None if args.host in ("0.0.0.0", "::") else LOCAL_NAMES | {args.host}
    try:
        httpd = PortalServer((args.host, args.port), web_root=WEB_ROOT, allowed_hosts=allowed)
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    base_url = f"http://{public_host(args.host)}:{httpd.port}"
    env = local_env(plan.key, base_url)
    _stop_on_sigterm()
    try:
        with embedded_aws(env) as endpoint:
            gateway = Gateway(stage=env["STAGE"], region=env["AWS_REGION"], log=httpd.log)
            gateway.warm_up()
            httpd.gateway = gateway
            httpd.config = public_config(plan, api=gateway.base, outbox=OUTBOX_PAGE)
            mail_queue.drain()  # warm: the sender's imports and clients, before the first request
            pump = mail_queue.MailPump()  # delivers queued mail as the deployed event source would
            pump.start()
            scanner = malware_scan.ScanPump()  # scans attached files as GuardDuty would, moments after upload
            scanner.start()

            def sent() -> dict[str, Any]:
                mail_queue.settle()  # what was queued before this read shows in it
                return outbox.collect(ACCOUNT_ID, env["AWS_REGION"])

            httpd.outbox = sent
            session = boto3.Session(region_name=env["AWS_REGION"])
            httpd.roster_import = lambda text, name: roster.import_csv(env, session, text, name)
            httpd.data_import = lambda data, name, export: load.import_ndjson(env, session, data, name, export)
            httpd.run_job = jobs.run_job
            httpd.advance_clock = advance_clock
            httpd.register_fhir_client = fhir_client.register_locally
            httpd.settle_scans = lambda: {"scanned": malware_scan.settle()}
            if args.job_interval > 0:
                jobs.start_timer(args.job_interval, httpd.log)
            print(f"{plan.portal_name} (plan {plan.key}) on {base_url}/\n"
                  f"  outbox (mail and SMS sent): {base_url}{OUTBOX_PAGE}\n"
                  f"  embedded AWS (moto):        {endpoint}\n"
                  f"  DynamoDB Local:             {os.environ['AWS_ENDPOINT_URL_DYNAMODB']}\n"
                  "Press Ctrl-C to stop.", flush=True)
            try:
                httpd.serve_forever()
            finally:
                scanner.stop()  # before the embedded AWS goes away
                pump.stop()
    except KeyboardInterrupt:
        print("\nstopping", flush=True)
    finally:
        httpd.server_close()
    return 0
