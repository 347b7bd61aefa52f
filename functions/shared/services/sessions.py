"""Session and remembered-device cookies, and the CSRF token that goes with a session.

Cookies carry only random tokens; the server keeps their SHA-256. `__Host-` cookies are Secure,
host-only and path-wide, so no sub-domain or plain-HTTP page can plant or read them.
"""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from functions.shared.core.states import SessionStage
from functions.shared.services.security.secrets import hash_secret, same_hash

SESSION_COOKIE = "__Host-session"
DEVICE_COOKIE = "__Host-device"
CSRF_HEADER = "X-CSRF-Token"


Stage = SessionStage  # the stages of a session (functions/shared/core/states.py)


def csrf_token(session_token: str) -> str:
    """The session's CSRF token, derived from its cookie: pages send it back in X-CSRF-Token.

    A cross-site page can neither read the HttpOnly cookie nor our responses, so it cannot know it.
    """
    return hash_secret(session_token, scope="csrf")


def csrf_ok(session_token: str, header_value: str | None) -> bool:
    return same_hash(csrf_token(session_token), header_value)


def read_cookie(cookie_header: str | None, name: str) -> str | None:
    """The value of cookie `name` in a Cookie header, read leniently: other cookies in the header may
    break RFC 6265 (spaces, commas, quotes, set by other sites on a parent domain) without hiding ours.
    The first occurrence wins (browsers send the most specific path first; ours are all path=/)."""
    if not cookie_header:
        return None
    for pair in cookie_header.split(";"):
        key, sep, value = pair.partition("=")
        if sep and key.strip() == name:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value or None
    return None


def session_cookie(token: str) -> Cookie:
    # No Max-Age: the server enforces idle and absolute limits; the browser forgets it on close.
    return Cookie(SESSION_COOKIE, token, path="/", secure=True, http_only=True,
                  same_site=SameSite.STRICT_MODE)


def device_cookie(token: str, valid_until: datetime) -> Cookie:
    return Cookie(DEVICE_COOKIE, token, path="/", secure=True, http_only=True, expires=valid_until,
                  same_site=SameSite.STRICT_MODE)


def expired_cookie(name: str) -> Cookie:
    return Cookie(name, "", path="/", secure=True, http_only=True, max_age=0, same_site=SameSite.STRICT_MODE)
