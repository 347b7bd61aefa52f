"""The Lambda task of the access-approval state machine (infra/workflows/access_approval.asl.json)."""

from typing import Any

from aws_lambda_powertools import Logger

from functions.access_workflow.logic import run
from functions.shared.core import clock, telemetry
from functions.shared.core.config import settings
from functions.shared.core.plans import current_plan

logger = Logger()


@telemetry.traced
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    try:
        return run(event, current_plan(), settings().portal_url.rstrip("/"), clock.now())
    finally:
        telemetry.flush()
