"""Files sent with a prior-authorization request or with the information the plan asked for: the
rules (pure; the content is stored by functions/shared/store/attachment_files.py).

They travel base64-encoded in the JSON body, so every cap leaves room for Lambda's 6 MB synchronous
payload (request and response: a download returns the file base64-encoded too): at most 3 MB per file,
4 MB per request, 5 files per request and 20 per authorization request. Only PDF, PNG, JPEG and TIFF
are accepted, and a file's first bytes must be those of the type it claims.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from urllib.parse import quote

from functions.authorizations.models import AttachmentUpload
from functions.shared.core.errors import FieldError, Problem, invalid_fields
from functions.shared.core.file_types import KINDS, SIGNATURES, download_name
from functions.shared.services.prior_auth import Upload

MAX_FILE_BYTES = 3_000_000
MAX_REQUEST_BYTES = 4_000_000
MAX_FILES_PER_REQUEST = 5
MAX_FILES = 20


def decode(uploads: list[AttachmentUpload], on_file: int) -> list[Upload]:
    """Check and decode the files of one request; `on_file`: how many the authorization holds already.
    415 for a type outside the list, 413 for too much, 422 for content that is not what it claims."""
    wrong_type = [FieldError(f"attachments.{i}.content_type", "Attach PDF, PNG, JPEG or TIFF files only.",
                             "type_not_allowed")
                  for i, u in enumerate(uploads) if u.content_type.lower() not in SIGNATURES]
    if wrong_type:
        raise Problem(415, "attachment-type-not-allowed", "This kind of file cannot be attached",
                      "Attach PDF, PNG, JPEG or TIFF files.", errors=wrong_type)
    if on_file + len(uploads) > MAX_FILES:
        raise invalid_fields([FieldError("attachments", f"A request holds at most {MAX_FILES} files; "
                                                        f"{on_file} are attached already.", "too_many")])
    decoded, errors = [], []
    for i, upload in enumerate(uploads):
        try:
            content = base64.b64decode(upload.content, validate=True)
        except (binascii.Error, ValueError):
            errors.append(FieldError(f"attachments.{i}.content", "The file did not arrive whole. Attach it again.",
                                     "not_base64"))
            continue
        if len(content) > MAX_FILE_BYTES:
            raise _too_large(f"attachments.{i}", f"{upload.name} is larger than {_mb(MAX_FILE_BYTES)}.")
        content_type = upload.content_type.lower()
        if not content:
            errors.append(FieldError(f"attachments.{i}.content", "The file is empty.", "empty"))
        elif not content.startswith(SIGNATURES[content_type]):
            errors.append(FieldError(f"attachments.{i}.content", f"This file is not a {KINDS[content_type]}: its "
                                                                 "content does not match its type.",
                                     "content_mismatch"))
        decoded.append(Upload(upload.name, content_type, content, hashlib.sha256(content).hexdigest()))
    if sum(len(u.content) for u in decoded) > MAX_REQUEST_BYTES:
        raise _too_large("attachments", f"The files together are larger than {_mb(MAX_REQUEST_BYTES)}: send some "
                                        "of them with the information later.")
    seen: set[str] = set()
    for i, upload in enumerate(decoded):
        if upload.sha256 in seen:
            errors.append(FieldError(f"attachments.{i}", "This file is attached twice.", "duplicate"))
        seen.add(upload.sha256)
    if errors:
        raise invalid_fields(errors)
    return decoded


def content_disposition(name: str, content_type: str) -> str:
    """`attachment`, under the file's name with its checked type's extension: a plain-ASCII fallback and the
    exact one (RFC 6266 / 5987)."""
    name = download_name(name, content_type)
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", name).strip() or "attachment"
    return f'attachment; filename="{fallback}"; filename*=UTF-8\'\'{quote(name, safe="")}'


def _mb(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


def _too_large(where: str, detail: str) -> Problem:
    return Problem(413, "attachment-too-large", "The attached files are too large", detail,
                   errors=[FieldError(where, detail, "too_large")],
                   extra={"max_file_bytes": MAX_FILE_BYTES, "max_request_bytes": MAX_REQUEST_BYTES})
