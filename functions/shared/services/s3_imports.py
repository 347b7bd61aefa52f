"""The S3 side of every import function: a file lands under incoming/, its report goes to reports/.

An import function gives the rule that turns a file's bytes into a report (it decodes them itself, so a
bad byte is reported where it is); this module reads each
object of the S3 event, runs it, writes `reports/<key>.report.json` beside the file and logs the
outcome (counts only, never the file's content).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger

from functions.shared.core.aws import client

REPORTS_PREFIX = "reports/"


class Report(Protocol):
    status: str

    def model_dump_json(self, *, indent: int | None = None) -> str: ...


def run_imports(event: Mapping[str, Any], importer: Callable[[bytes, str], Report], logger: Logger,
                summary: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """Import every object named by the event; returns {"imports": [{key, status}, ...]}."""
    results = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        report = importer(body, key)
        client("s3").put_object(Bucket=bucket, Key=f"{REPORTS_PREFIX}{key}.report.json",
                                Body=report.model_dump_json(indent=2).encode(), ContentType="application/json")
        logger.info("import", extra={"status": report.status, **summary(report)})
        results.append({"key": key, "status": report.status})
    return {"imports": results}
