"""The route table: every API route, the function that serves it, and what that function may touch.

Plain data, read by the CDK API and functions constructs and by the devserver. Adding a portal
step means one `Function` entry (what it needs) and its `Route` entries (where it answers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Access = Literal["read", "write"]
Table = Literal["accounts", "unique_keys", "tokens", "rate_limits", "audit"]


@dataclass(frozen=True)
class Function:
    """A Lambda function: its folder under functions/ and the least privilege it needs."""

    name: str
    tables: dict[Table, Access] = field(default_factory=dict)
    sends_mail: bool = False
    sends_sms: bool = False
    reads_captcha_secret: bool = False
    memory_mb: int = 256
    timeout_s: int = 10


@dataclass(frozen=True)
class Route:
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    function: str
    public: bool = False  # False: the request authorizer must admit the caller first


FUNCTIONS: tuple[Function, ...] = (
    Function(
        "register",
        tables={"accounts": "write", "unique_keys": "write", "tokens": "write", "audit": "write"},
        sends_mail=True,
        reads_captcha_secret=True,
        memory_mb=1024,  # argon2id at OWASP parameters needs the CPU that comes with memory
    ),
    Function(
        "activate",
        tables={"accounts": "write", "unique_keys": "read", "tokens": "write",
                "rate_limits": "write", "audit": "write"},
        sends_mail=True,
    ),
)

ROUTES: tuple[Route, ...] = (
    Route("GET", "/captcha", "register", public=True),
    Route("POST", "/registrations", "register", public=True),
    Route("POST", "/activations", "activate", public=True),
    Route("POST", "/activations/resend", "activate", public=True),
)


def function(name: str) -> Function:
    return next(f for f in FUNCTIONS if f.name == name)
