"""Portal-data import, triggered by a FHIR NDJSON extract landing under incoming/ in the portal-data bucket,
or by a Bulk Data export's manifest (`manifest.json`, written after its files) under exports/<name>/.

A report `reports/<key>.report.json` is written: applied, unchanged, partial or rejected, with every
quarantined line (file, line, field, reason). The report never quotes member data.
"""

from typing import Any

from aws_lambda_powertools import Logger

from functions.portal_data_import.fhir import Source
from functions.portal_data_import.logic import ImportReport, import_export, import_files
from functions.shared.core import telemetry
from functions.shared.services.s3_imports import EXPORTS_PREFIX, S3File, run_imports

logger = Logger()


def _summary(report: ImportReport) -> dict[str, Any]:
    return {"lines": report.lines, "written": report.written, "problems": len(report.problems)}


def _import(file: S3File) -> ImportReport:
    if file.key.startswith(EXPORTS_PREFIX):
        return import_export(file.read(), lambda name: file.beside(name).chunks(), file.key)
    return import_files([Source("", file.chunks)], file.key)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return run_imports(event, _import, logger, _summary)
    finally:
        telemetry.flush()  # the count of imports with quarantined lines, which an alarm watches
