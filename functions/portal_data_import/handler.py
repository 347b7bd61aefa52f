"""Portal-data import, triggered by a FHIR NDJSON extract landing in the portal-data bucket (S3 event).

A report `reports/<key>.report.json` is written beside the file: applied, unchanged, or rejected with
every bad line (line, field, reason). The report never quotes member data.
"""

from typing import Any

from aws_lambda_powertools import Logger

from functions.portal_data_import.logic import ImportReport, import_extract
from functions.shared.core import telemetry
from functions.shared.services.s3_imports import run_imports

logger = Logger()


def _summary(report: ImportReport) -> dict[str, Any]:
    return {"lines": report.lines, "written": report.written, "problems": len(report.problems)}


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return run_imports(event, import_extract, logger, _summary)
    finally:
        telemetry.flush()  # the count of imports with quarantined lines, which an alarm watches
