"""The lifecycle jobs, locally: the devserver runs every scheduled job on a timer (infra/routes.py
SCHEDULES; a second run on the same day changes nothing) and on demand:

    make job NAME=deactivate AS_OF=2027-03-01     (or: python -m devserver.jobs deactivate --as-of 2027-03-01)

AS_OF sets the day the run believes it is; the mails appear in the outbox page.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

JOBS_PATH = "/dev/jobs"


def run_job(name: str, as_of: str | None) -> dict[str, Any]:
    """Run one job in this process, as its schedule would; returns its report (failures included)."""
    from devserver.gateway import LambdaContext
    from functions.jobs.handler import now_for
    from functions.jobs.logic import run
    from functions.shared.core.config import settings
    from functions.shared.core.plans import current_plan
    from infra.routes import JOBS, function

    context = LambdaContext(function(JOBS), settings().region)
    report = run(name, current_plan(), now_for({"as_of": as_of}), lambda: context.get_remaining_time_in_millis() / 1000)
    return report.model_dump(mode="json") | {"failed": report.failed}


def start_timer(interval_s: float, log: Callable[[str], None]) -> threading.Event:
    """Run every scheduled job now and then every `interval_s` seconds; set the event to stop."""
    from infra.routes import SCHEDULES

    stop = threading.Event()

    def loop() -> None:
        delay = 1.0  # the first run right after start-up
        while not stop.wait(delay):
            delay = interval_s
            for schedule in SCHEDULES:
                try:
                    report = run_job(schedule.job, None)
                    changed = sum(p["changed"] for p in report["phases"])
                    log(f"job {schedule.job}: {changed} change(s), {len(report['failed'])} failure(s)")
                except Exception as exc:  # a local timer: report and keep serving
                    log(f"job {schedule.job} failed: {type(exc).__name__}: {exc}")

    threading.Thread(target=loop, name="lifecycle-jobs", daemon=True).start()
    return stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("name", help="deactivate | expire")
    parser.add_argument("--as-of", dest="as_of", help="the day the run believes it is (YYYY-MM-DD)")
    parser.add_argument("--portal", default="http://127.0.0.1:3000")
    args = parser.parse_args()
    query = urllib.parse.urlencode({"name": args.name, **({"as_of": args.as_of} if args.as_of else {})})
    request = urllib.request.Request(f"{args.portal}{JOBS_PATH}?{query}", b"", method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=900) as response:  # noqa: S310 - the local devserver
            report = json.load(response)
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{error.code}: {error.read().decode(errors='replace')}") from None
    print(json.dumps(report, indent=2))
    sys.exit(1 if report.get("failed") else 0)


if __name__ == "__main__":
    main()
