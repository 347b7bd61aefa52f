"""The Provider Access export workflow (Step Functions, infra/workflows/provider_export.asl.json):
starting one export, named by its job, so a retried start cannot run it twice."""

from __future__ import annotations

import json

from functions.shared.core.aws import client
from functions.shared.core.config import settings


def start(job_id: str) -> bool:
    """Start the export of `job_id`; False when Step Functions could not be reached or refused."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client("stepfunctions").start_execution(stateMachineArn=settings().provider_export_arn, name=job_id,
                                                input=json.dumps({"job_id": job_id}))
    except ClientError as exc:
        return exc.response["Error"]["Code"] == "ExecutionAlreadyExists"
    except BotoCoreError:
        return False
    return True
