"""The kinds of file the portal takes and gives back (attachments of prior-authorization requests), and
the first bytes each must start with. Plain data: the functions check uploads with it and the API
construct lists its types as API Gateway's binary media types."""

from __future__ import annotations

# Declared type → the magic numbers its content starts with
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
}
KINDS = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG", "image/tiff": "TIFF"}
