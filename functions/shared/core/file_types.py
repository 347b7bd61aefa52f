"""The kinds of file the portal takes and gives back (attachments of prior-authorization requests), and
the first bytes each must start with. Plain data: the functions check uploads with it and the API
construct lists its types as API Gateway's binary media types."""

from __future__ import annotations

import re
from urllib.parse import unquote

# Declared type → the magic numbers its content starts with
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
}
KINDS = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG", "image/tiff": "TIFF"}

# The extension a saved file gets, so it opens as the type its content was checked to be
EXTENSIONS = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg"),
              "image/tiff": (".tif", ".tiff")}
# Characters that make a name read otherwise than it is: bidirectional overrides and isolates, zero-width
# and invisible formatting characters, and the byte-order mark; with C0/C1 controls, never in a file name.
DECEPTIVE = r"\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"  # regular-expression escapes
_UNSHOWN = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{DECEPTIVE}]")
# A file name as the API's schema states it (the same characters refused, folders and quotes too)
FILE_NAME_PATTERN = f'^[^/\\\\"\\x00-\\x1f\\x7f-\\x9f{DECEPTIVE}]+$'


def clean_file_name(name: str, fallback: str = "attachment") -> str:
    """A file name as kept: percent-decoded (so `..%2f` is what it means), without what that decoding brings
    that no name may hold, its last path part only, without leading dots or spaces; `fallback` when
    nothing is left."""
    decoded = _UNSHOWN.sub("", unquote(unquote(name)))  # twice: %252f is a percent-encoded %2f
    last = re.split(r"[/\\\\]", decoded)[-1].strip().lstrip(". ").strip()
    return last or fallback


def download_name(name: str, content_type: str) -> str:
    """The name a file is saved under: its own, with the extension of its checked type (`report.html` of a
    PNG is saved as `report.png`), so the saved file opens as what it is."""
    extensions = EXTENSIONS[content_type]
    stem, dot, extension = name.rpartition(".")
    if dot and f".{extension.lower()}" in extensions:
        return name
    return f"{stem if dot and stem else name}{extensions[0]}"
