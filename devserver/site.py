"""The web pages: static files under web/, the public plan configuration they read, and their headers."""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import unquote

from infra.site import PAGE_HEADERS, public_config

__all__ = ["PAGE_HEADERS", "WEB_ROOT", "content_type", "public_config", "static_file"]

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
}


def static_file(root: Path, url_path: str) -> Path | None:
    """The file under `root` that `url_path` names (directories give their index.html), or None.

    Rejects anything that would leave `root`: `..` segments (also percent-encoded), backslashes,
    NUL bytes, and symbolic links pointing outside.
    """
    path = unquote(url_path)
    if "\x00" in path or "\\" in path or not path.startswith("/"):
        return None
    if any(part == ".." for part in path.split("/")):
        return None
    normalised = posixpath.normpath(path).lstrip("/")
    if any(part.startswith(".") for part in normalised.split("/") if part):
        return None  # no dotfiles
    base = root.resolve()
    candidate = (base / normalised).resolve()
    if not candidate.is_relative_to(base):
        return None
    if candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
