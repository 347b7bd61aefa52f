"""The files of Provider Access exports: private objects in the portal-data bucket (KMS-encrypted,
TLS-only), at `provider-exports/<job id>/<file name>`, expired by the bucket's lifecycle rule
(infra/constructs/storage.py). Written once by the export task, read by the download route for the client
whose job it is (the job record lists the files; functions/shared/store/provider_access.py)."""

from __future__ import annotations

from typing import Protocol

from functions.shared.core.aws import client
from functions.shared.core.config import settings

PREFIX = "provider-exports/"
NDJSON = "application/fhir+ndjson"


def export_key(job_id: str, name: str) -> str:
    return f"{PREFIX}{job_id}/{name}"


class ExportFiles(Protocol):
    def put(self, job_id: str, name: str, content: bytes) -> None: ...

    def get(self, job_id: str, name: str) -> bytes: ...


class S3ExportFiles:
    def put(self, job_id: str, name: str, content: bytes) -> None:
        client("s3").put_object(Bucket=settings().portal_data_bucket, Key=export_key(job_id, name), Body=content,
                                ContentType=NDJSON)

    def get(self, job_id: str, name: str) -> bytes:
        answer = client("s3").get_object(Bucket=settings().portal_data_bucket, Key=export_key(job_id, name))
        body: bytes = answer["Body"].read()
        return body
