"""The files attached to prior-authorization requests: private objects in the portal-data bucket
(KMS-encrypted, TLS-only, versioned), at `attachments/<authorization id>/<sha256>`.

Content-addressed under the request's number: a retried upload writes the same key with the same bytes,
so a retry never duplicates a file, and a file is found only through the request that lists it (its
metadata lives on the authorization record, functions/shared/store/authorizations.py).
"""

from __future__ import annotations

from typing import Protocol

from functions.shared.core.aws import client
from functions.shared.core.config import settings
from functions.shared.core.errors import service_unavailable

PREFIX = "attachments/"


def attachment_key(authorization_id: str, sha256: str) -> str:
    return f"{PREFIX}{authorization_id}/{sha256}"


class AttachmentFiles(Protocol):
    def put(self, authorization_id: str, sha256: str, content: bytes, content_type: str) -> None:
        """Store a file (idempotent: the same file under the same request is the same object)."""
        ...

    def get(self, authorization_id: str, sha256: str) -> bytes | None: ...


class S3AttachmentFiles:
    def put(self, authorization_id: str, sha256: str, content: bytes, content_type: str) -> None:
        import base64

        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client("s3").put_object(
                Bucket=settings().portal_data_bucket, Key=attachment_key(authorization_id, sha256), Body=content,
                ContentType=content_type, ChecksumSHA256=base64.b64encode(bytes.fromhex(sha256)).decode())
        except (BotoCoreError, ClientError) as exc:  # nothing refers to the file yet: the retry stores it again
            raise service_unavailable("We could not store the attached files. Send them again.") from exc

    def get(self, authorization_id: str, sha256: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            answer = client("s3").get_object(Bucket=settings().portal_data_bucket,
                                             Key=attachment_key(authorization_id, sha256))
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise
        body: bytes = answer["Body"].read()
        return body
