"""Cold start of each function's handler module, each in a fresh Python process.

The child times `importlib.import_module` with time.perf_counter (interpreter start-up excluded).
The handlers create their AWS clients lazily, on the first request, while the floor creates its
client at import; so the first few children also start moto (untimed, warmed up) and time the
function's first and second request, to show what the import figure alone leaves out.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench.table import ms, render

ROOT = Path(__file__).resolve().parent.parent
FLOOR = "bench.floor_handler"
TARGET_RATIO = 1.3
HEAVY = ("boto3", "botocore", "pynamodb", "pydantic", "email_validator", "argon2", "altcha",
         "aws_xray_sdk", "urllib3")

# One self-contained request per module (no setup data needed); "__EMAIL__" becomes a fresh address.
FIRST_REQUEST: dict[str, tuple[str, str, str | None]] = {
    "functions.register.handler": ("POST", "/registrations", json.dumps(
        {"email": "__EMAIL__", "password": "Lantern-Orbit-42", "first_name": "Bench", "last_name": "Mark"})),
    "functions.activate.handler": ("POST", "/activations/resend", json.dumps({"email": "__EMAIL__"})),
}

_CHILD = """
import importlib, json, sys, time, uuid
sys.path.insert(0, {root!r})
c0, t0 = time.process_time(), time.perf_counter()
module = [importlib.import_module(name) for name in {module!r}.split(",")][-1]
t1, c1 = time.perf_counter(), time.process_time()
result = {{"import": t1 - t0, "cpu": c1 - c0, "heavy": [m for m in {heavy!r} if m in sys.modules]}}
request = {request!r}
if request:
    import boto3
    from moto import mock_aws
    from devserver.local_aws import LOCAL_ENV, provision
    from tests.events import FakeContext, api_event
    mock_aws().start()
    session = boto3.Session(region_name=LOCAL_ENV["AWS_REGION"])
    provision(LOCAL_ENV, session)
    session.client("sesv2").list_email_identities()  # moto builds its REST router on first use: not ours
    method, path, body = request
    for key in ("first", "second"):
        email = f"b{{uuid.uuid4().hex}}@x.example"
        event = api_event(method, path, body and body.replace("__EMAIL__", email))
        t2 = time.perf_counter()
        response = module.lambda_handler(event, FakeContext())
        result[key] = time.perf_counter() - t2
        result[key + "_status"] = response["statusCode"]
print(json.dumps(result))
"""


@dataclass
class Sample:
    import_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    first_s: list[float] = field(default_factory=list)
    second_s: list[float] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)
    heavy: list[str] = field(default_factory=list)


def _child_env() -> dict[str, str]:
    from devserver.local_aws import LOCAL_ENV

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env.update(LOCAL_ENV)
    return env


def _run(module: str, request: tuple[str, str, str | None] | None, env: dict[str, str]) -> dict[str, object]:
    code = _CHILD.format(root=str(ROOT), module=module, heavy=HEAVY, request=request)
    out = subprocess.run([sys.executable, "-I", "-c", code], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"measuring {module} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def modules() -> list[str]:
    from infra.routes import FUNCTIONS

    return [FLOOR, *(f"functions.{f.name}.handler" for f in FUNCTIONS)]


def measure(runs: int = 7, request_runs: int = 3) -> dict[str, Sample]:
    """Samples per module. Modules are interleaved so that drift affects all of them alike."""
    env = _child_env()
    names = modules()
    samples = {m: Sample() for m in names}
    _run(",".join(names), None, env)  # warm-up, untimed: writes bytecode caches, fills the page cache
    for i in range(runs):
        for module in names:
            request = FIRST_REQUEST.get(module) if i < request_runs else None
            result = _run(module, request, env)
            sample = samples[module]
            sample.import_s.append(float(result["import"]))  # type: ignore[arg-type]
            sample.cpu_s.append(float(result["cpu"]))  # type: ignore[arg-type]
            sample.heavy = list(result["heavy"])  # type: ignore[call-overload]
            if request:
                sample.first_s.append(float(result["first"]))  # type: ignore[arg-type]
                sample.second_s.append(float(result["second"]))  # type: ignore[arg-type]
                sample.statuses |= {int(result["first_status"]), int(result["second_status"])}  # type: ignore[call-overload]
    return samples


def _median(values: list[float]) -> str:
    return ms(statistics.median(values)) if values else "-"


def report(samples: dict[str, Sample], runs: int) -> str:
    floor = statistics.median(samples[FLOOR].import_s)
    floor_cpu = statistics.median(samples[FLOOR].cpu_s)
    rows, lazy_rows = [], []
    for module, sample in samples.items():
        imp = statistics.median(sample.import_s)
        ratio = imp / floor
        name = "FLOOR (bench/floor_handler.py)" if module == FLOOR else module
        meets = "-" if module == FLOOR else ("yes" if ratio <= TARGET_RATIO else "NO")
        cpu = statistics.median(sample.cpu_s)
        rows.append([name, ms(imp), f"{ratio:.2f}x", meets, ms(cpu), f"{cpu / floor_cpu:.2f}x",
                     ", ".join(sample.heavy)])
        request = FIRST_REQUEST.get(module)
        if request and sample.first_s:
            total = imp + statistics.median(sample.first_s)
            answered = "/".join(map(str, sorted(sample.statuses)))
            if any(not 200 <= status < 300 for status in sample.statuses):
                answered += " ERROR"  # the request failed: its time is not the function's work
            lazy_rows.append([name, f"{request[0]} {request[1]}", answered,
                              _median(sample.first_s), _median(sample.second_s), ms(total),
                              f"{total / floor:.2f}x"])
    text = (f"Cold start: import + init of the handler module, median of {runs} fresh processes each\n"
            + render(["handler module", "import", "vs floor", f"<= {TARGET_RATIO}x", "cpu time", "cpu vs floor",
                      "loaded at import"], rows, right=(1, 2, 4, 5))
            + "\n'import' is wall time (perf_counter); 'cpu time' (process_time) of the same imports is less "
              "disturbed by other load on the machine.")
    if lazy_rows:
        n = len(next(s for s in samples.values() if s.first_s).first_s)
        text += (f"\n\nFirst and second request in the same fresh process, on moto (median of {n}; moto is "
                 "started untimed after the import, so boto3 is already imported).\nThe floor's client "
                 "already exists after its import; 'vs floor' compares import + 1st request with it.\n"
                 + render(["handler module", "request", "HTTP", "1st request", "2nd request",
                           "import + 1st", "vs floor"], lazy_rows, right=(3, 4, 5, 6)))
    return text
