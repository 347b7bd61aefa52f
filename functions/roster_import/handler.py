"""Roster import, triggered by a CSV file landing in the roster bucket (S3 event notification).

A report `<key>.report.json` is written beside the file under reports/: applied, unchanged, or
rejected with every bad row and why.
"""

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger

from functions.roster_import.logic import import_roster
from functions.shared import clock
from functions.shared.aws import client

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    results = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        text = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8-sig")
        report = import_roster(text, key, clock.now())
        client("s3").put_object(Bucket=bucket, Key=f"reports/{key}.report.json",
                                Body=report.model_dump_json(indent=2).encode(), ContentType="application/json")
        logger.info("roster import", extra={"status": report.status, "rows": report.rows,
                                            "bad_rows": len(report.bad_rows), "version": report.roster_version})
        results.append({"key": key, "status": report.status})
    return {"imports": results}
