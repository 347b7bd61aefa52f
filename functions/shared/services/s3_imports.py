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
# import-work/<import>/: what the portal-data import workflow's steps hand one another (its survey, each
# range's part of the report); removed when the import ends, expired by the bucket if it stops
IMPORT_WORK_PREFIX = "import-work/"
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


@dataclass(frozen=True)
class Landed:
    """An object an S3 event names, and the event's `sequencer`: one per write of the key (a redelivered
    event carries the same one, a new upload of the same key a new one)."""

    file: S3File
    sequencer: str


def landed(event: Mapping[str, Any]) -> list[Landed]:
    return [Landed(S3File(record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"])),
                   str(record["s3"]["object"].get("sequencer") or ""))
            for record in event.get("Records", [])]


def write_report(file: S3File, report: Report) -> None:
    """`reports/<key>.report.json`."""
    client("s3").put_object(Bucket=file.bucket, Key=f"{REPORTS_PREFIX}{file.key}.report.json",
                            Body=report.model_dump_json(indent=2).encode(), ContentType="application/json")


def run_imports(event: Mapping[str, Any], importer: Callable[[S3File], Report], logger: Logger,
                summary: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """Import every object named by the event; returns {"imports": [{key, status}, ...]}."""
    results = []
    for one in landed(event):
        report = importer(one.file)
        write_report(one.file, report)
        logger.info("import", extra={"status": report.status, **summary(report)})
        results.append({"key": one.file.key, "status": report.status})
    return {"imports": results}
