"""The scheduled jobs, locally: the devserver runs every scheduled job on a timer (infra/routes.py
SCHEDULES: the daily ones at every tick, a yearly one once on its day; a second run on the same day changes
nothing) and on demand:

    make job NAME=deactivate AS_OF=2027-03-01     (or: python -m devserver.jobs deactivate --as-of 2027-03-01)
    make job NAME=pa-metrics AS_OF=2027-01-15     (publishes the prior-authorization metrics of 2026)

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
from datetime import date
from typing import Any

JOBS_PATH = "/dev/jobs"


def run_job(name: str, as_of: str | None) -> dict[str, Any]:
    """Run one job in this process, as its schedule would; returns its report (failures included). A job of
    another function than the lifecycle jobs' gets the schedule's event, as EventBridge Scheduler sends it."""
    import importlib

    from devserver.gateway import LambdaContext
    from functions.jobs.handler import now_for
    from functions.jobs.logic import run
    from functions.shared.core.config import settings
    from functions.shared.core.plans import current_plan
    from infra.routes import JOBS, SCHEDULES, function

    target = next((s.function for s in SCHEDULES if s.job == name), JOBS)
    if target != JOBS:
        handler = importlib.import_module(f"functions.{target}.handler").lambda_handler
        result: dict[str, Any] = handler({"job": name, **({"as_of": as_of} if as_of else {})},
                                         LambdaContext(function(target), settings().region))
        return result
    context = LambdaContext(function(JOBS), settings().region)
    report = run(name, current_plan(), now_for({"as_of": as_of}), lambda: context.get_remaining_time_in_millis() / 1000)
    return report.model_dump(mode="json") | {"failed": report.failed}


def start_timer(interval_s: float, log: Callable[[str], None]) -> threading.Event:
    """Run every scheduled job due today now and then every `interval_s` seconds (a yearly one once on its
    day, in its time zone); set the event to stop."""
    from zoneinfo import ZoneInfo

    from functions.shared.core import clock
    from infra.routes import SCHEDULES

    stop = threading.Event()
    yearly_done: set[tuple[str, date]] = set()

    def loop() -> None:
        delay = 1.0  # the first run right after start-up
        while not stop.wait(delay):
            delay = interval_s
            for schedule in SCHEDULES:
                today = clock.now().astimezone(ZoneInfo(schedule.time_zone)).date()
                if not schedule.runs_on(today) or (schedule.month is not None and (schedule.job, today) in yearly_done):
                    continue
                try:
                    report = run_job(schedule.job, None)
                    if schedule.month is not None:
                        yearly_done.add((schedule.job, today))
                    if "phases" not in report:
                        log(f"job {schedule.job}: {report}")
                        continue
                    changed = sum(p["changed"] for p in report["phases"])
                    log(f"job {schedule.job}: {changed} change(s), {len(report['failed'])} failure(s)")
                except Exception as exc:  # a local timer: report and keep serving
                    log(f"job {schedule.job} failed: {type(exc).__name__}: {exc}")

    threading.Thread(target=loop, name="lifecycle-jobs", daemon=True).start()
    return stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("name", help="deactivate | expire | end-delegations | pa-metrics")
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
