"""The route table: every API route, the function that serves it, and what that function may touch.

Plain data, read by the CDK API and functions constructs and by the devserver. Adding a portal
step means one `Function` entry (what it needs) and its `Route` entries (where it answers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Access = Literal["read", "write"]
Table = Literal["accounts", "unique_keys", "tokens", "rate_limits", "audit", "sessions", "devices",
                "providers", "links", "consents", "org_agreements"]
AUTHORIZER = "authorizer"
ACCESS_WORKFLOW = "access_workflow"  # the Lambda task of infra/workflows/access_approval.asl.json
ROSTER_IMPORT = "roster_import"  # runs when a roster CSV lands in the roster bucket


@dataclass(frozen=True)
class Function:
    """A Lambda function: its folder under functions/ and the least privilege it needs."""

    name: str
    tables: dict[Table, Access] = field(default_factory=dict)
    sends_mail: bool = False
    sends_sms: bool = False
    sends_push: bool = False  # registers SNS platform endpoints and publishes to them
    uses_mfa_key: bool = False  # KMS encrypt/decrypt of TOTP seeds
    reads_captcha_secret: bool = False
    starts_workflow: bool = False  # states:StartExecution on the access-approval state machine
    resumes_workflow: bool = False  # states:SendTaskSuccess/SendTaskFailure on it
    roster_bucket: Access | None = None
    memory_mb: int = 256
    timeout_s: int = 10


@dataclass(frozen=True)
class Route:
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    function: str
    public: bool = False  # False: the request authorizer must admit the caller first
    partial: bool = False  # True: also open to sessions that have not finished MFA yet
    iam: bool = False  # plan staff only: SigV4-signed (AWS_IAM), never a browser session


_SESSION_TABLES: dict[Table, Access] = {"accounts": "write", "sessions": "write", "devices": "write",
                                        "audit": "write"}

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
    Function(AUTHORIZER, tables={"sessions": "write"}),
    Function("signin", tables={**_SESSION_TABLES, "unique_keys": "read"}, memory_mb=1024),
    Function("mfa", tables={**_SESSION_TABLES, "tokens": "write", "rate_limits": "write"},
             sends_mail=True, sends_sms=True, sends_push=True, uses_mfa_key=True, memory_mb=1024),
    Function("password_reset", tables={**_SESSION_TABLES, "unique_keys": "read", "tokens": "write",
                                       "rate_limits": "write"}, sends_mail=True, memory_mb=1024),
    Function("link_provider", tables={"accounts": "read", "providers": "read", "links": "write",
                                      "consents": "read", "unique_keys": "write", "rate_limits": "write",
                                      "audit": "write"}, starts_workflow=True),
    Function("provider_admin", tables={"links": "write", "unique_keys": "write", "audit": "write"},
             resumes_workflow=True),
    Function("agreements", tables={"links": "read", "consents": "write", "org_agreements": "write",
                                   "audit": "write"}, sends_mail=True, resumes_workflow=True),
    Function("staff", tables={"org_agreements": "write", "audit": "write"}, resumes_workflow=True),
    Function(ACCESS_WORKFLOW, tables={"links": "write", "consents": "read", "org_agreements": "write",
                                      "audit": "write"}, sends_mail=True, resumes_workflow=True),
    Function(ROSTER_IMPORT, tables={"providers": "write", "unique_keys": "write"}, roster_bucket="write",
             memory_mb=1024, timeout_s=300),
)

ROUTES: tuple[Route, ...] = (
    Route("GET", "/captcha", "register", public=True),
    Route("POST", "/registrations", "register", public=True),
    Route("POST", "/activations", "activate", public=True),
    Route("POST", "/activations/resend", "activate", public=True),
    Route("POST", "/sessions", "signin", public=True),
    Route("GET", "/sessions/current", "signin", partial=True),
    Route("DELETE", "/sessions/current", "signin", partial=True),
    Route("DELETE", "/sessions", "signin"),
    Route("POST", "/password-resets", "password_reset", public=True),
    Route("POST", "/password-resets/complete", "password_reset", public=True),
    Route("GET", "/mfa/factors", "mfa", partial=True),
    Route("POST", "/mfa/factors", "mfa", partial=True),
    Route("POST", "/mfa/factors/{factor_id}/confirm", "mfa", partial=True),
    Route("DELETE", "/mfa/factors/{factor_id}", "mfa"),
    Route("POST", "/mfa/challenge", "mfa", partial=True),
    Route("POST", "/mfa/verify", "mfa", partial=True),
    Route("GET", "/mfa/devices", "mfa"),
    Route("DELETE", "/mfa/devices/{device_id}", "mfa"),
    Route("POST", "/push/devices", "mfa", public=True),
    Route("POST", "/push/responses", "mfa", public=True),
    Route("POST", "/links", "link_provider"),
    Route("GET", "/links", "link_provider"),
    Route("GET", "/portal/providers", "link_provider"),
    Route("GET", "/providers/{provider_id}/members", "provider_admin"),
    Route("POST", "/providers/{provider_id}/requests/{account_id}/decision", "provider_admin"),
    Route("DELETE", "/providers/{provider_id}/members/{account_id}", "provider_admin"),
    Route("POST", "/providers/{provider_id}/admins", "provider_admin"),
    Route("DELETE", "/providers/{provider_id}/admins/me", "provider_admin"),
    Route("GET", "/agreements/provider", "agreements"),
    Route("POST", "/agreements/provider", "agreements"),
    Route("GET", "/agreements/organization/{provider_id}", "agreements"),
    Route("POST", "/agreements/organization", "agreements"),
    Route("GET", "/staff/org-agreements", "staff", iam=True),
    Route("POST", "/staff/org-agreements/{tax_id}/decision", "staff", iam=True),
)


def function(name: str) -> Function:
    return next(f for f in FUNCTIONS if f.name == name)


def partial_session_routes() -> str:
    """The PARTIAL_SESSION_ROUTES setting of the authorizer: 'METHOD /path' of every partial route."""
    return ",".join(f"{r.method} {r.path}" for r in ROUTES if r.partial)
