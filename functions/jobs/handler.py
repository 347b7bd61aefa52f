"""The lifecycle jobs' Lambda, invoked by EventBridge Scheduler with {"job": "deactivate" | "expire" |
"end-delegations"} (and locally by the devserver, which may add "as_of": "YYYY-MM-DD" to run a day of its
choosing)."""

from datetime import UTC, date, datetime
from typing import Any

from aws_lambda_powertools import Logger

from functions.jobs.logic import run
from functions.shared.core import clock, telemetry
from functions.shared.core.plans import current_plan

logger = Logger()


class JobFailed(Exception):
    """Some accounts failed: the invocation fails so the schedule retries it and the alarm fires."""


def now_for(event: dict[str, Any]) -> datetime:
    """The run's 'now': the clock, or the event's as_of day at the current time of day (local runs)."""
    as_of = event.get("as_of")
    if not as_of:
        return clock.now()
    current = clock.now()
    return datetime.combine(date.fromisoformat(str(as_of)), current.timetz()).astimezone(UTC)


@telemetry.traced
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        report = run(str(event.get("job", "")), current_plan(), now_for(event),
                     lambda: context.get_remaining_time_in_millis() / 1000)
        summary = report.model_dump(mode="json")
        logger.info("lifecycle job finished", extra={"report": summary})
        if report.failed:
            raise JobFailed(f"{len(report.failed)} account(s) failed; see the report in the log")
        return summary
    finally:
        telemetry.flush()
