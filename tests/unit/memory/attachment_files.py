"""Attachment files in memory, keyed like the S3 objects, with the bucket policy's rule: an object is read
only once tagged clean (`tag`, as GuardDuty does; a new put clears the tag as a new S3 version has none)."""

from __future__ import annotations

from functions.shared.core.malware_scan import ScanResult
from functions.shared.store.attachment_files import NotScannedClean, attachment_key


class MemoryAttachmentFiles:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.tags: dict[str, ScanResult] = {}
        self.quarantined: list[str] = []
        self.puts = 0

    def put(self, authorization_id: str, sha256: str, content: bytes, content_type: str) -> None:
        self.puts += 1
        key = attachment_key(authorization_id, sha256)
        self.objects[key] = (content, content_type)
        self.tags.pop(key, None)

    def get(self, authorization_id: str, sha256: str) -> bytes | None:
        key = attachment_key(authorization_id, sha256)
        found = self.objects.get(key)
        if found is not None and self.tags.get(key) != ScanResult.NO_THREATS_FOUND:
            raise NotScannedClean(authorization_id)
        return found[0] if found else None

    def quarantine(self, authorization_id: str, sha256: str) -> None:
        key = attachment_key(authorization_id, sha256)
        self.objects.pop(key, None)
        self.quarantined.append(key)

    def tag(self, authorization_id: str, sha256: str, result: ScanResult) -> None:
        self.tags[attachment_key(authorization_id, sha256)] = result


REPOSITORIES = {"attachment_files": MemoryAttachmentFiles}
