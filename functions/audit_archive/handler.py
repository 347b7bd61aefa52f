"""Archives the audit table's stream (DynamoDB Streams event source) into the Object Lock bucket.

A failure raises, so the event source retries the batch (bisecting it) and, past its retries, sends its
description to the dead-letter queue, whose alarm pages the operators: no record is silently dropped.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from aws_lambda_powertools import Logger

from functions.audit_archive.logic import batch
from functions.shared.core import telemetry
from functions.shared.core.aws import client
from functions.shared.core.config import settings

logger = Logger()


@telemetry.traced
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    try:
        archived = batch(event.get("Records") or [])
        if archived is None:
            return {"records": 0}
        bucket = settings().audit_archive_bucket
        if not bucket:
            raise RuntimeError("AUDIT_ARCHIVE_BUCKET is not set")
        # Object Lock buckets refuse a put without an integrity checksum.
        client("s3").put_object(
            Bucket=bucket, Key=archived.key, Body=archived.body, ContentType="application/x-ndjson",
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=base64.b64encode(hashlib.sha256(archived.body).digest()).decode())
        if archived.unexpected:
            logger.warning("audit records changed or deleted", extra={"count": archived.unexpected})
            telemetry.count("audit.unexpected_change")  # alarmable: this should never happen
        logger.info("audit archived", extra={"records": archived.records, "key": archived.key})
        return {"records": archived.records}
    finally:
        telemetry.flush()
