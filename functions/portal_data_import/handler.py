"""Portal-data import. A FHIR NDJSON extract landing under incoming/ in the portal-data bucket, or a Bulk
Data export's manifest (`manifest.json`, written after its files) under exports/<name>/, starts the
import workflow (infra/workflows/portal_data_import.asl.json); the workflow runs this function for each
of its steps (functions/portal_data_import/steps.py).

A report `reports/<key>.report.json` is written at the end: applied, unchanged, partial, rejected or
failed, with every quarantined line (file, line, field, reason). The report never quotes member data.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aws_lambda_powertools import Logger

from functions.portal_data_import import steps
from functions.shared.core import telemetry
from functions.shared.core.aws import client
from functions.shared.core.config import settings
from functions.shared.services.s3_imports import Landed, landed

logger = Logger()


def start(one: Landed) -> dict[str, str]:
    """Start the workflow of one landed object. Its name comes from the key and the event's sequencer: a
    redelivered event starts nothing new, a new upload of the same key (to complete a stopped import)
    starts again."""
    from botocore.exceptions import ClientError

    arn = settings().portal_data_import_arn
    if not arn:
        raise RuntimeError("PORTAL_DATA_IMPORT_ARN is not set: the import workflow is part of every stage")
    name = "import-" + hashlib.sha256(f"{one.file.bucket}/{one.file.key}#{one.sequencer}".encode()).hexdigest()[:40]
    try:
        client("stepfunctions").start_execution(stateMachineArn=arn, name=name, input=json.dumps(
            {"bucket": one.file.bucket, "key": one.file.key, "import_id": name}))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise  # the S3 event is retried, then kept by the function's failure destination
    return {"key": one.file.key, "execution": arn.replace(":stateMachine:", ":execution:") + f":{name}"}


@telemetry.traced
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        if "Records" in event:
            return {"imports": [start(one) for one in landed(event)]}
        result = steps.run(event)
        logger.info("import step", extra={"step": event["step"], **result})  # counts and statuses only
        return result
    finally:
        telemetry.flush()  # the count of imports with quarantined lines, which an alarm watches
