"""The page a finished MFA step leads to."""

from __future__ import annotations

SIGNED_IN_PAGE = "/account.html"
