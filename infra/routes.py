"""The route table: every API route, the function that serves it, and what that function may touch.

Plain data, read by the CDK API and functions constructs, the devserver and the infra tests. Adding a
portal step means one `Function` entry (its tables and capabilities) and its `Route` entries (where it
answers); infra/capabilities.py says what each capability sets and grants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Access = Literal["read", "write"]
Table = Literal["accounts", "unique_keys", "tokens", "rate_limits", "audit", "sessions", "devices",
                "providers", "links", "consents", "org_agreements", "members", "claims", "claim_index",
                "admissions", "authorizations"]
AUTHORIZER = "authorizer"
ACCESS_WORKFLOW = "access_workflow"  # the Lambda task of infra/workflows/access_approval.asl.json
AUTHORIZATION_CLOCK = "authorization_clock"  # the Lambda task of infra/workflows/authorization_clock.asl.json
ROSTER_IMPORT = "roster_import"  # runs when a roster CSV lands in the roster bucket
PORTAL_DATA_IMPORT = "portal_data_import"  # runs when a FHIR NDJSON extract lands in the portal-data bucket
MAIL_SENDER = "mail_sender"  # delivers the mail queue (its SQS event source)
# What a function may reach besides its tables; each name has its entry in infra/capabilities.py.
Capability = Literal["sends_mail", "delivers_mail", "sends_sms", "sends_push", "uses_mfa_key", "reads_captcha_secret",
                     "starts_workflow", "resumes_workflow", "reads_rosters", "imports_rosters",
                     "imports_portal_data", "starts_authorization_clock", "stores_authorization_attachments",
                     "authorizes_sessions"]


@dataclass(frozen=True)
class Function:
    """A Lambda function: its folder under functions/ and the least privilege it needs."""

    name: str
    tables: dict[Table, Access] = field(default_factory=dict)
    uses: tuple[Capability, ...] = ()  # see infra/capabilities.py
    requirements: str | None = None  # requirements/<file>: packages only this function ships (its own layer)
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
# What every portal-data step reads to decide whose records a caller may see (functions/shared/access.py),
# and writes: its rate limits and the audit record of every read.
_PORTAL_ACCESS: dict[Table, Access] = {"links": "read", "consents": "read", "providers": "read",
                                       "rate_limits": "write", "audit": "write"}

FUNCTIONS: tuple[Function, ...] = (
    Function(
        "register",
        tables={"accounts": "write", "unique_keys": "write", "tokens": "write", "audit": "write"},
        uses=("sends_mail", "reads_captcha_secret"),
        memory_mb=1024,  # argon2id at OWASP parameters needs the CPU that comes with memory
    ),
    Function(
        "activate",
        tables={"accounts": "write", "unique_keys": "read", "tokens": "write",
                "rate_limits": "write", "audit": "write"},
        uses=("sends_mail",),
    ),
    Function(AUTHORIZER, tables={"sessions": "write"}, uses=("authorizes_sessions",)),
    Function("signin", tables={**_SESSION_TABLES, "unique_keys": "read"}, memory_mb=1024),
    Function("mfa", tables={**_SESSION_TABLES, "tokens": "write", "rate_limits": "write"},
             uses=("sends_mail", "sends_sms", "sends_push", "uses_mfa_key"), memory_mb=1024),
    Function("password_reset", tables={**_SESSION_TABLES, "unique_keys": "read", "tokens": "write",
                                       "rate_limits": "write"}, uses=("sends_mail",), memory_mb=1024),
    Function("link_provider", tables={"accounts": "read", "providers": "read", "links": "write",
                                      "consents": "read", "unique_keys": "write", "rate_limits": "write",
                                      "audit": "write"}, uses=("starts_workflow",)),
    Function("provider_admin", tables={"links": "write", "unique_keys": "write", "audit": "write"},
             uses=("resumes_workflow",)),
    Function("agreements", tables={"links": "read", "consents": "write", "org_agreements": "write",
                                   "audit": "write"}, uses=("sends_mail", "resumes_workflow")),
    Function("staff", tables={"org_agreements": "write", "audit": "write"}, uses=("resumes_workflow",)),
    Function(ACCESS_WORKFLOW, tables={"links": "write", "consents": "read", "org_agreements": "write",
                                      "audit": "write"}, uses=("sends_mail", "resumes_workflow")),
    Function(ROSTER_IMPORT, tables={"providers": "write", "unique_keys": "write"}, uses=("imports_rosters",),
             memory_mb=1024, timeout_s=300),
    Function(PORTAL_DATA_IMPORT, tables={"members": "write", "claims": "write", "claim_index": "write",
                                         "authorizations": "write", "audit": "write"},
             uses=("imports_portal_data",), requirements="portal-data-import.txt", memory_mb=1024, timeout_s=900),
    Function("eligibility", tables={**_PORTAL_ACCESS, "members": "read"}),
    Function("claims", tables={**_PORTAL_ACCESS, "members": "read", "claims": "read", "claim_index": "read"}),
    Function("admissions", tables={**_PORTAL_ACCESS, "members": "read", "admissions": "write",
                                   "unique_keys": "write"}),
    Function("authorizations", tables={**_PORTAL_ACCESS, "members": "read", "authorizations": "write",
                                       "unique_keys": "write"},
             uses=("starts_authorization_clock", "stores_authorization_attachments")),
    Function(AUTHORIZATION_CLOCK, tables={"authorizations": "read", "audit": "write"}, uses=("sends_mail",)),
    Function("um_decisions", tables={"authorizations": "write", "accounts": "read", "audit": "write"},
             uses=("sends_mail",)),
    # Delivery claims live in unique_keys ('delivery#<id>'); 30 s leaves room for SES retries in a batch.
    Function(MAIL_SENDER, tables={"unique_keys": "write"}, uses=("delivers_mail",), timeout_s=30),
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
    Route("POST", "/eligibility", "eligibility"),
    Route("GET", "/claims/{claim_id}", "claims"),
    Route("POST", "/claims/search", "claims"),
    Route("POST", "/admissions", "admissions"),
    Route("POST", "/admissions/search", "admissions"),
    Route("GET", "/admissions/{admission_id}", "admissions"),
    Route("PATCH", "/admissions/{admission_id}", "admissions"),
    Route("POST", "/authorizations", "authorizations"),
    Route("POST", "/authorizations/search", "authorizations"),
    Route("GET", "/authorizations/{authorization_id}", "authorizations"),
    Route("POST", "/authorizations/{authorization_id}/information", "authorizations"),
    Route("GET", "/authorizations/{authorization_id}/attachments/{number}", "authorizations"),
    Route("POST", "/authorizations/{authorization_id}/withdraw", "authorizations"),
    Route("GET", "/staff/authorizations", "um_decisions", iam=True),
    Route("POST", "/staff/authorizations/{authorization_id}/decision", "um_decisions", iam=True),
)


def function(name: str) -> Function:
    return next(f for f in FUNCTIONS if f.name == name)


def partial_session_routes() -> str:
    """The PARTIAL_SESSION_ROUTES setting of the authorizer: 'METHOD /path' of every partial route."""
    return ",".join(f"{r.method} {r.path}" for r in ROUTES if r.partial)
