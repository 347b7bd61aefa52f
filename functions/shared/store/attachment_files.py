"""The files attached to prior-authorization requests: private objects in the portal-data bucket
(KMS-encrypted, TLS-only, versioned), at `attachments/<authorization id>/<sha256>`.

Content-addressed under the request's number: a retried upload writes the same key with the same bytes,
so a retry never duplicates a file, and a file is found only through the request that lists it (its
metadata lives on the authorization record, functions/shared/store/authorizations.py).

GuardDuty scans every new object under the prefix; the bucket policy refuses to read one that is not tagged
clean (functions/shared/core/malware_scan.py), which `get` reports as `NotScannedClean`. A quarantined file
is deleted: the bucket is versioned, so the infected version stays (still unreadable) for the security team
until noncurrent versions expire, and nothing that may delete a version is granted to the portal.
"""

from __future__ import annotations

import re
from typing import Protocol

from functions.shared.core.aws import client
from functions.shared.core.config import settings
from functions.shared.core.errors import service_unavailable

PREFIX = "attachments/"
_KEY = re.compile(r"attachments/(PA-[0-9A-Z]{10})/([0-9a-f]{64})")


class NotScannedClean(Exception):
    """The bucket refused to read the object: no scan has found it clean."""


def attachment_key(authorization_id: str, sha256: str) -> str:
    return f"{PREFIX}{authorization_id}/{sha256}"


def key_parts(key: str) -> tuple[str, str] | None:
    """(authorization id, sha256) of an attachment's object key; None for any other key."""
    found = _KEY.fullmatch(key)
    return (found[1], found[2]) if found else None


class AttachmentFiles(Protocol):
    def put(self, authorization_id: str, sha256: str, content: bytes, content_type: str) -> None:
        """Store a file (idempotent: the same file under the same request is the same object)."""
        ...

    def get(self, authorization_id: str, sha256: str) -> bytes | None:
        """The content; None when there is none; NotScannedClean when the bucket refuses it (not scanned clean)."""
        ...

    def quarantine(self, authorization_id: str, sha256: str) -> None:
        """Take an infected file out of reach (idempotent)."""
        ...


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
            if exc.response["Error"]["Code"] == "AccessDenied":  # the bucket policy: not tagged clean
                raise NotScannedClean(authorization_id) from None
            raise
        body: bytes = answer["Body"].read()
        return body

    def quarantine(self, authorization_id: str, sha256: str) -> None:
        client("s3").delete_object(Bucket=settings().portal_data_bucket, Key=attachment_key(authorization_id, sha256))
