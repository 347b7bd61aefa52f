"""The Lambda task of the authorization decision clock (Step Functions invokes it at each step)."""

from typing import Any

from aws_lambda_powertools import Logger

from functions.authorization_clock.logic import step
from functions.shared.core import clock, telemetry
from functions.shared.core.plans import current_plan

logger = Logger()


@telemetry.traced
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, bool]:
    try:
        return step(event, current_plan(), clock.now())
    finally:
        telemetry.flush()
