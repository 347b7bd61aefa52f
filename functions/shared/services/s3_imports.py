"""The S3 side of every import function: a file lands under incoming/ (or an export's manifest under
exports/), its report goes to reports/.

An import function gives the rule that turns a file into a report (reading its bytes whole or streaming
them, and decoding them itself, so a bad byte is reported where it is); this module hands it each object
of the S3 event, writes `reports/<key>.report.json` and logs the outcome (counts only, never the file's
content).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger

from functions.shared.core.aws import client

REPORTS_PREFIX = "reports/"
# exports/<name>/: a Bulk Data export, one NDJSON file per type, then its manifest.json, which starts the import
EXPORTS_PREFIX = "exports/"
EXPORT_MANIFEST = "manifest.json"
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class S3File:
    bucket: str
    key: str

    def read(self) -> bytes:
        return bytes(client("s3").get_object(Bucket=self.bucket, Key=self.key)["Body"].read())

    def chunks(self) -> Iterator[bytes]:
        """The object streamed, a megabyte at a time (a multi-gigabyte file never sits in memory)."""
        body = client("s3").get_object(Bucket=self.bucket, Key=self.key)["Body"]
        try:
            yield from body.iter_chunks(CHUNK_BYTES)
        finally:
            body.close()

    def beside(self, name: str) -> S3File:
        """The file `name` in this file's folder (a name with a folder in it stays in this one)."""
        folder = self.key.rsplit("/", 1)[0]
        return S3File(self.bucket, f"{folder}/{name.rsplit('/', 1)[-1]}")


class Report(Protocol):
    status: str

    def model_dump_json(self, *, indent: int | None = None) -> str: ...


def run_imports(event: Mapping[str, Any], importer: Callable[[S3File], Report], logger: Logger,
                summary: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """Import every object named by the event; returns {"imports": [{key, status}, ...]}."""
    results = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        report = importer(S3File(bucket, key))
        client("s3").put_object(Bucket=bucket, Key=f"{REPORTS_PREFIX}{key}.report.json",
                                Body=report.model_dump_json(indent=2).encode(), ContentType="application/json")
        logger.info("import", extra={"status": report.status, **summary(report)})
        results.append({"key": key, "status": report.status})
    return {"imports": results}
