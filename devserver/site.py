"""The web pages: static files under web/, the public plan configuration they read, and their headers."""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from functions.shared.plans import PlanProfile

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

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


def public_config(plan: PlanProfile, *, api: str = "/api", outbox: str | None = None) -> dict[str, Any]:
    """What the pages may know about the plan: wording, form shape and the password rules to hint."""
    policy = plan.password_policy
    config: dict[str, Any] = {
        "key": plan.key,
        "brand": plan.brand,
        "portal_name": plan.portal_name,
        "provider_number_label": plan.provider_number_label,
        "zip_label": plan.zip_label,
        "support_phone": plan.support_phone,
        "registration_form": plan.registration_form,
        "verification": plan.verification,
        "requires_captcha": plan.requires_captcha,
        "signin_with": plan.signin_with,
        "remember_device_days": plan.remember_device.days,
        "requires_org_agreement": plan.requires_org_agreement,
        "org_agreement_promise": plan.org_agreement_promise,
        "portal_tab": plan.portal_tab,
        "password_policy": {
            "min_length": policy.min_length,
            "max_length": policy.max_length,
            "require_lower": policy.require_lower,
            "require_upper": policy.require_upper,
            "require_digit": policy.require_digit,
            "require_special": policy.require_special,
            "reject_common": policy.reject_common,
        },
        "api": api,
    }
    if outbox:
        config["outbox"] = outbox  # development only: where the sent mail and SMS can be read
    return config


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
