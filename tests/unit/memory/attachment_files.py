"""Attachment files in memory, keyed like the S3 objects."""

from __future__ import annotations

from functions.shared.store.attachment_files import attachment_key


class MemoryAttachmentFiles:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.puts = 0

    def put(self, authorization_id: str, sha256: str, content: bytes, content_type: str) -> None:
        self.puts += 1
        self.objects[attachment_key(authorization_id, sha256)] = (content, content_type)

    def get(self, authorization_id: str, sha256: str) -> bytes | None:
        found = self.objects.get(attachment_key(authorization_id, sha256))
        return found[0] if found else None


REPOSITORIES = {"attachment_files": MemoryAttachmentFiles}
