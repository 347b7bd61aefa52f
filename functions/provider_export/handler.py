"""The task of the Provider Access export workflow (infra/workflows/provider_export.asl.json):
`{"step": "export", "job_id": ...}` writes the files, `{"step": "failed", ...}` marks a job that failed
after its retries."""

from typing import Any

from aws_lambda_powertools import Logger

from functions.provider_export import logic
from functions.shared.core import clock, telemetry

logger = Logger()


@telemetry.traced
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        job_id = str(event["job_id"])
        if event.get("step") == "failed":
            return {"status": logic.mark_failed(job_id)}
        return {"status": logic.run(job_id, clock.now())}
    finally:
        telemetry.flush()
