"""Portal-data import, triggered by a FHIR NDJSON extract landing in the portal-data bucket (S3 event).

A report `reports/<key>.report.json` is written beside the file: applied, unchanged, or rejected with
every bad line (line, field, reason). The report never quotes member data.
"""

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger

from functions.portal_data_import.logic import import_extract
from functions.shared.aws import client

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    results = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = ""  # reported as a file with no resources; nothing is applied
        report = import_extract(text, key)
        client("s3").put_object(Bucket=bucket, Key=f"reports/{key}.report.json",
                                Body=report.model_dump_json(indent=2).encode(), ContentType="application/json")
        logger.info("portal data import", extra={"status": report.status, "lines": report.lines,
                                                 "written": report.written, "problems": len(report.problems)})
        results.append({"key": key, "status": report.status})
    return {"imports": results}
