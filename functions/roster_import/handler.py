"""Roster import, triggered by a CSV file landing in the roster bucket (S3 event notification).

A report `<key>.report.json` is written beside the file under reports/: applied, unchanged, or
rejected with every bad row and why.
"""

from typing import Any

from aws_lambda_powertools import Logger

from functions.roster_import.logic import ImportReport, import_roster
from functions.shared.core import clock, telemetry
from functions.shared.services.s3_imports import S3File, run_imports

logger = Logger()


def _summary(report: ImportReport) -> dict[str, Any]:
    return {"rows": report.rows, "bad_rows": len(report.bad_rows), "version": report.roster_version}


def _import(file: S3File) -> ImportReport:
    try:
        text = file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""  # not UTF-8: rejected as empty, with a report, instead of failing
    return import_roster(text, file.key, clock.now())


@telemetry.traced
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_imports(event, _import, logger, _summary)
