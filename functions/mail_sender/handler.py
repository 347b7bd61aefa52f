"""The mail queue's consumer (SQS event source with partial batch responses)."""

from typing import Any

from aws_lambda_powertools import Logger

from functions.mail_sender.logic import deliver_batch
from functions.shared.core import clock, telemetry
from functions.shared.services.notify.mail import deliver

logger = Logger()


@telemetry.traced
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    try:
        records = [(record["messageId"], record["body"]) for record in event.get("Records", [])]
        failed = deliver_batch(records, clock.now(), deliver)
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
    finally:
        telemetry.flush()
