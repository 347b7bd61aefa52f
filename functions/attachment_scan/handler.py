"""Records GuardDuty's malware-scan result of an attached file (an EventBridge rule invokes it)."""

from typing import Any

from aws_lambda_powertools import Logger

from functions.attachment_scan.logic import record_result
from functions.shared.core import clock, telemetry
from functions.shared.core.plans import current_plan

logger = Logger()


@telemetry.traced
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    try:
        return record_result(event, current_plan(), clock.now())
    finally:
        telemetry.flush()
