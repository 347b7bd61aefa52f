"""The route table: every API route, the function that serves it, and what that function may touch.

Plain data, read by the CDK API and functions constructs, the devserver and the infra tests. Adding a
portal step means one `Function` entry (its tables and capabilities) and its `Route` entries (where it
answers); infra/capabilities.py says what each capability sets and grants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

# What a function may do with a table; infra/capabilities.py TABLE_ACTIONS lists the DynamoDB actions of
# each. Nothing grants Scan; Delete only where a function deletes; the audit table is append-only.
Access = Literal[
    "read",  # GetItem, Query (table and indexes), ConditionCheckItem
    "index_read",  # Query of the table's indexes only: their projected attributes, never the items
    "write",  # read + PutItem, UpdateItem (no deletes)
    "write_delete",  # write + DeleteItem, BatchWriteItem
    "update",  # UpdateItem of an item by its key, nothing else (the authorizer touching a session)
    "append",  # PutItem only: audit records are inserted (never overwritten: store/models.py AuditEvent)
]
Table = Literal["accounts", "unique_keys", "tokens", "rate_limits", "audit", "sessions", "devices",
                "providers", "links", "consents", "org_agreements", "members", "claims", "claim_index",
                "admissions", "authorizations", "provider_access"]
AUTHORIZER = "authorizer"
ACCESS_WORKFLOW = "access_workflow"  # the Lambda task of infra/workflows/access_approval.asl.json
AUTHORIZATION_CLOCK = "authorization_clock"  # the Lambda task of infra/workflows/authorization_clock.asl.json
ROSTER_IMPORT = "roster_import"  # runs when a roster CSV lands in the roster bucket
IMPORT_RANGES_AT_ONCE = 10  # MaxConcurrency of the ranges' Map in infra/workflows/portal_data_import.asl.json
PORTAL_DATA_IMPORT = "portal_data_import"  # a FHIR extract or export landing in the portal-data bucket starts its
# workflow (infra/workflows/portal_data_import.asl.json), whose every step it runs
AUDIT_ARCHIVE = "audit_archive"  # runs on the audit table's stream: archives records to the Object Lock bucket
JOBS = "jobs"  # the scheduled lifecycle jobs (infra/schedules.py: which job runs when)
MAIL_SENDER = "mail_sender"  # delivers the mail queue (its SQS event source)
PROVIDER_EXPORT = "provider_export"  # the Lambda task of infra/workflows/provider_export.asl.json
PA_METRICS = "pa_metrics"  # the yearly prior-authorization metrics: public and staff routes, and its schedule
ATTACHMENT_SCAN = "attachment_scan"  # GuardDuty's malware-scan results of attached files (an EventBridge rule)
# What a function may reach besides its tables; each name has its entry in infra/capabilities.py.
Capability = Literal["sends_mail", "delivers_mail", "sends_sms", "sends_push", "uses_mfa_key", "reads_captcha_secret",
                     "seals_cursors",
                     "starts_workflow", "resumes_workflow", "reads_rosters", "imports_rosters",
                     "imports_portal_data", "runs_portal_data_import", "starts_authorization_clock",
                     "stores_authorization_attachments",
                     "authorizes_sessions", "archives_audit", "starts_provider_export", "writes_provider_exports",
                     "reads_provider_exports", "publishes_pa_metrics", "reads_pa_metrics",
                     "quarantines_attachments"]


@dataclass(frozen=True)
class Function:
    """A Lambda function: its folder under functions/ and the least privilege it needs."""

    name: str
    tables: dict[Table, Access] = field(default_factory=dict)
    uses: tuple[Capability, ...] = ()  # see infra/capabilities.py
    requirements: str | None = None  # requirements/<file>: packages only this function ships (its own layer)
    memory_mb: int = 256
    timeout_s: int = 10
    # Reserved concurrency (infra/constructs/functions.py reserved_concurrency): a fixed number here, or, for
    # a function API Gateway calls, derived from the stage's throttle rate and `p99_ms`, its expected p99
    # duration (compare with the dashboard's duration widgets and correct it).
    reserved_concurrency: int | None = None
    p99_ms: int = 150


@dataclass(frozen=True)
class Route:
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    function: str
    public: bool = False  # False: the request authorizer must admit the caller first
    partial: bool = False  # True: also open to sessions that have not finished MFA yet
    iam: bool = False  # plan staff only: SigV4-signed (AWS_IAM), never a browser session
    # A FHIR route for providers' systems: public to the gateway (the function checks the bearer token),
    # described by GET /fhir/metadata rather than the portal's OpenAPI document, errors as OperationOutcome.
    fhir: bool = False


_SESSION_TABLES: dict[Table, Access] = {"accounts": "write", "sessions": "write_delete", "devices": "write",
                                        "audit": "append"}
# What every portal-data step reads to decide whose records a caller may see (functions/shared/services/access.py),
# and writes: its rate limits and the audit record of every read.
_PORTAL_ACCESS: dict[Table, Access] = {"links": "read", "consents": "read", "providers": "read",
                                       "rate_limits": "write", "audit": "append"}

FUNCTIONS: tuple[Function, ...] = (
    Function(
        "register",
        tables={"accounts": "write", "unique_keys": "write", "tokens": "write", "rate_limits": "write",
                "audit": "append"},
        uses=("sends_mail", "reads_captcha_secret"),
        memory_mb=1024,  # argon2id at OWASP parameters needs the CPU that comes with memory
        p99_ms=250,  # the password hash
    ),
    Function(
        "activate",
        tables={"accounts": "write", "unique_keys": "read", "tokens": "write",
                "rate_limits": "write", "audit": "append"},
        uses=("sends_mail",),
    ),
    # accounts: the once-a-day activity write (functions/shared/store/lifecycle.py record_activity)
    Function(AUTHORIZER, tables={"sessions": "update", "accounts": "update"}, uses=("authorizes_sessions",)),
    # unique_keys write: a CAPTCHA asked after repeated failures is spent there; sends_mail: a deactivated
    # account that signs in is told (by mail only) how to get reactivated, and 100 failures in a row
    Function("signin", tables={**_SESSION_TABLES, "unique_keys": "write", "rate_limits": "write"},
             uses=("sends_mail", "reads_captcha_secret"), memory_mb=1024, p99_ms=250),
    Function("mfa", tables={**_SESSION_TABLES, "devices": "write_delete", "tokens": "write", "rate_limits": "write"},
             uses=("sends_mail", "sends_sms", "sends_push", "uses_mfa_key"), requirements="mfa.txt", memory_mb=1024),
    Function("password_reset", tables={**_SESSION_TABLES, "devices": "write_delete", "unique_keys": "read",
                                       "tokens": "write", "rate_limits": "write"}, uses=("sends_mail",),
             memory_mb=1024, p99_ms=250),
    # claims: the by-payment index only (amounts, no PHI), to check a first administrator's payment proof
    Function("link_provider", tables={"accounts": "read", "providers": "read", "links": "write",
                                      "consents": "read", "unique_keys": "write", "rate_limits": "write",
                                      "claims": "index_read", "audit": "append"}, uses=("starts_workflow",)),
    Function("provider_admin", tables={"links": "write", "unique_keys": "write", "audit": "append"},
             uses=("resumes_workflow", "sends_mail")),
    Function("agreements", tables={"links": "read", "consents": "write", "org_agreements": "write",
                                   "audit": "append"}, uses=("sends_mail", "resumes_workflow")),
    # unique_keys: removing a Provider ID's last administrator gives its claim back
    Function("staff", tables={"org_agreements": "write", "links": "write", "unique_keys": "write_delete",
                              "audit": "append"}, uses=("resumes_workflow", "sends_mail")),
    # unique_keys: a first administrator's denied or expired link gives its claim back
    Function(ACCESS_WORKFLOW, tables={"links": "write", "consents": "read", "org_agreements": "write",
                                      "unique_keys": "write_delete", "audit": "append"},
             uses=("sends_mail", "resumes_workflow")),
    # links, audit, mail: links to Provider IDs a new roster drops end (their administrator claims released),
    # and their users are told
    Function(ROSTER_IMPORT, tables={"providers": "write_delete", "unique_keys": "write_delete", "links": "write",
                                    "audit": "append"},
             uses=("imports_rosters", "sends_mail"), memory_mb=1024, timeout_s=300),
    Function(PORTAL_DATA_IMPORT, tables={"members": "write", "claims": "write", "claim_index": "write_delete",
                                         "authorizations": "write", "provider_access": "write", "audit": "append"},
             # 2 GB: the survey holds a digest of every resource id of an export (about 800 bytes each)
             uses=("imports_portal_data", "runs_portal_data_import"), requirements="fhir-models.txt",
             memory_mb=2048, timeout_s=900,
             # the workflow runs 10 ranges of a phase at once (its ASL's MaxConcurrency), and S3 starts
             reserved_concurrency=IMPORT_RANGES_AT_ONCE + 2),
    Function("eligibility", tables={**_PORTAL_ACCESS, "members": "read"}),
    Function("claims", tables={**_PORTAL_ACCESS, "members": "read", "claims": "read", "claim_index": "read"},
             uses=("seals_cursors",)),
    Function("admissions", tables={**_PORTAL_ACCESS, "members": "read", "admissions": "write",
                                   "unique_keys": "write"}, uses=("seals_cursors",)),
    Function("authorizations", tables={**_PORTAL_ACCESS, "members": "read", "authorizations": "write",
                                       "unique_keys": "write"},
             uses=("starts_authorization_clock", "stores_authorization_attachments", "seals_cursors")),
    # The start page (functions/start): links, agreements and the records behind its items, read only; the last
    # look kept on the account (one UpdateItem); the audit of the member data it shows
    Function("start", tables={"links": "read", "consents": "read", "authorizations": "read", "admissions": "read",
                              "accounts": "update", "audit": "append"}),
    Function(AUTHORIZATION_CLOCK, tables={"authorizations": "read", "audit": "append"}, uses=("sends_mail",)),
    Function("um_decisions", tables={"authorizations": "write", "accounts": "read", "audit": "append"},
             uses=("sends_mail",)),
    # no table access: it reads the audit table's stream (granted with its event source, infra/stack.py)
    Function(AUDIT_ARCHIVE, uses=("archives_audit",), timeout_s=60),
    # deactivation revokes sessions and devices; expiry deletes registrations and releases their unique-key
    # claims, and keeps job markers; end-delegations ends delegations past their end (links' delegations-by-end)
    Function(JOBS, tables={"accounts": "write_delete", "sessions": "write_delete", "devices": "write_delete",
                           "unique_keys": "write_delete", "links": "write", "audit": "append"},
             uses=("sends_mail",), timeout_s=300),
    # Delegations (README "Delegates"): invitations are tokens; accepting reads the account's address and
    # whether it accepted the Provider Agreement; the delegate's link is written with the invitation spent
    Function("delegations", tables={"links": "write", "tokens": "write", "accounts": "read", "consents": "read",
                                    "rate_limits": "write", "audit": "append"}, uses=("sends_mail",)),
    Function("staff_accounts", tables={"accounts": "write", "unique_keys": "read", "sessions": "write_delete",
                                       "devices": "write_delete", "audit": "append"}, uses=("sends_mail",)),
    # The FHIR door for providers' systems (README "For provider systems (FHIR)"): the SMART token endpoint,
    # the clients a Provider ID's administrators register, and the Provider Access API with its export task.
    Function("fhir_auth", tables={"provider_access": "write", "audit": "append"}, requirements="fhir-auth.txt"),
    Function("fhir_clients", tables={"links": "read", "provider_access": "write", "audit": "append"}),
    Function("provider_access", tables={"provider_access": "write", "members": "read", "claim_index": "read",
                                        "authorizations": "read", "providers": "read", "audit": "append"},
             uses=("starts_provider_export", "reads_provider_exports")),
    # The Prior Authorization API (Da Vinci PAS): the same requests, clock and queue as the pages
    Function("prior_auth_api", tables={"provider_access": "read", "members": "read", "authorizations": "write",
                                       "unique_keys": "write", "audit": "append"},
             uses=("starts_authorization_clock", "stores_authorization_attachments"), requirements="fhir-models.txt",
             memory_mb=1024, timeout_s=15),
    Function(PROVIDER_EXPORT, tables={"provider_access": "write", "members": "read", "claims": "read",
                                      "claim_index": "read", "authorizations": "read", "providers": "read",
                                      "audit": "append"},
             uses=("writes_provider_exports",), memory_mb=1024, timeout_s=900),
    # The yearly prior-authorization metrics (README "Prior-authorization metrics"): decided requests through
    # the by-decision-month index (read), the published figures and their per-request basis (S3), the audit
    # of each publication. 300 s: the yearly schedule's run reads a whole year of decisions.
    Function(PA_METRICS, tables={"authorizations": "read", "audit": "append"},
             uses=("publishes_pa_metrics", "reads_pa_metrics"), memory_mb=512, timeout_s=300),
    # Records each attached file's malware-scan result on its request (with the audit record), deletes an
    # infected file's object, mails the submitter (their account's address) and the plan's desk.
    Function(ATTACHMENT_SCAN, tables={"authorizations": "write", "accounts": "read", "audit": "append"},
             uses=("quarantines_attachments", "sends_mail")),
    # Delivery claims live in unique_keys ('delivery#<id>'); 30 s leaves room for SES retries in a batch.
    # 5: the queue's event source runs at most that many batches at once (a throttled batch would go back to the
    # queue and count as a failed receive on its way to the dead letters).
    Function(MAIL_SENDER, tables={"unique_keys": "write_delete"}, uses=("delivers_mail",), timeout_s=30,
             reserved_concurrency=5),
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
    Route("POST", "/mfa/passkeys/registration-options", "mfa"),
    Route("POST", "/mfa/passkeys", "mfa"),
    Route("PATCH", "/mfa/passkeys/{factor_id}", "mfa"),
    Route("POST", "/mfa/passkeys/challenge", "mfa", partial=True),
    Route("POST", "/mfa/passkeys/verify", "mfa", partial=True),
    Route("POST", "/passkeys/signin-options", "mfa", public=True),
    Route("POST", "/passkeys/signin", "mfa", public=True),
    Route("POST", "/links", "link_provider"),
    Route("GET", "/links", "link_provider"),
    Route("GET", "/portal/providers", "link_provider"),
    Route("GET", "/providers/{provider_id}/members", "provider_admin"),
    Route("POST", "/providers/{provider_id}/requests/{account_id}/decision", "provider_admin"),
    Route("DELETE", "/providers/{provider_id}/members/{account_id}", "provider_admin"),
    Route("PUT", "/providers/{provider_id}/members/{account_id}/features", "provider_admin"),
    Route("POST", "/providers/{provider_id}/admins", "provider_admin"),
    Route("DELETE", "/providers/{provider_id}/admins/me", "provider_admin"),
    Route("GET", "/agreements/provider", "agreements"),
    Route("POST", "/agreements/provider", "agreements"),
    Route("GET", "/agreements/organization/{provider_id}", "agreements"),
    Route("POST", "/agreements/organization", "agreements"),
    Route("GET", "/staff/org-agreements", "staff", iam=True),
    Route("POST", "/staff/org-agreements/{tax_id}/decision", "staff", iam=True),
    Route("GET", "/staff/providers/{provider_id}/links", "staff", iam=True),
    Route("POST", "/staff/providers/{provider_id}/verifications/{account_id}/decision", "staff", iam=True),
    Route("POST", "/staff/providers/{provider_id}/administrators", "staff", iam=True),
    Route("POST", "/staff/providers/{provider_id}/administrators/{account_id}/removal", "staff", iam=True),
    Route("PUT", "/staff/providers/{provider_id}/members/{account_id}/features", "staff", iam=True),
    Route("POST", "/providers/{provider_id}/delegations", "delegations"),
    Route("GET", "/providers/{provider_id}/delegations", "delegations"),
    Route("DELETE", "/providers/{provider_id}/delegations/{account_id}", "delegations"),
    Route("POST", "/delegations/accept", "delegations"),
    Route("DELETE", "/staff/providers/{provider_id}/delegations/{account_id}", "delegations", iam=True),
    Route("GET", "/start", "start"),
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
    Route("POST", "/authorizations/{authorization_id}/appeal", "authorizations"),
    Route("POST", "/authorizations/{authorization_id}/withdraw", "authorizations"),
    Route("GET", "/staff/authorizations", "um_decisions", iam=True),
    Route("POST", "/staff/authorizations/{authorization_id}/decision", "um_decisions", iam=True),
    Route("GET", "/public/prior-authorization-metrics", PA_METRICS, public=True),
    Route("GET", "/public/prior-authorization-metrics/{year}", PA_METRICS, public=True),
    Route("POST", "/staff/prior-authorization-metrics/{year}", PA_METRICS, iam=True),
    Route("GET", "/staff/prior-authorization-metrics/{year}/basis", PA_METRICS, iam=True),
    Route("POST", "/staff/accounts/reactivations", "staff_accounts", iam=True),
    Route("POST", "/staff/accounts/deactivations", "staff_accounts", iam=True),
    Route("GET", "/providers/{provider_id}/fhir-clients", "fhir_clients"),
    Route("POST", "/providers/{provider_id}/fhir-clients", "fhir_clients"),
    Route("DELETE", "/providers/{provider_id}/fhir-clients/{client_id}", "fhir_clients"),
    Route("GET", "/staff/providers/{provider_id}/fhir-clients", "fhir_clients", iam=True),
    Route("DELETE", "/staff/fhir-clients/{client_id}", "fhir_clients", iam=True),
    Route("PUT", "/staff/members/{member_id}/provider-access", "fhir_clients", iam=True),
    Route("POST", "/fhir/auth/token", "fhir_auth", public=True, fhir=True),
    Route("GET", "/fhir/.well-known/smart-configuration", "fhir_auth", public=True, fhir=True),
    Route("GET", "/fhir/metadata", "provider_access", public=True, fhir=True),
    # `$` cannot stand in an API Gateway path part: an operation's name is the path parameter in its place
    # (POST /fhir/Group/$provider-member-match), named as its sibling's so the two share one resource.
    Route("POST", "/fhir/Group/{group_id}", "provider_access", public=True, fhir=True),
    Route("POST", "/fhir/Group/{group_id}/{operation}", "provider_access", public=True, fhir=True),
    Route("GET", "/fhir/Group/{group_id}", "provider_access", public=True, fhir=True),
    Route("GET", "/fhir/bulkstatus/{job_id}", "provider_access", public=True, fhir=True),
    Route("DELETE", "/fhir/bulkstatus/{job_id}", "provider_access", public=True, fhir=True),
    Route("GET", "/fhir/bulkfiles/{job_id}/{file_name}", "provider_access", public=True, fhir=True),
    Route("POST", "/fhir/Claim/{operation}", "prior_auth_api", public=True, fhir=True),
)

# The routes the portal's OpenAPI document describes (the FHIR routes answer GET /fhir/metadata instead).
PORTAL_ROUTES: tuple[Route, ...] = tuple(r for r in ROUTES if not r.fhir)


@dataclass(frozen=True)
class Schedule:
    """When a scheduled job runs (EventBridge Scheduler in AWS, a timer on the devserver): every day at
    `hour`:`minute`, or, with `month` and `day`, once a year on that date. The function gets {"job": job}."""

    job: str  # functions/jobs/logic.py JOBS, or the job the schedule's `function` knows
    hour: int
    minute: int
    description: str
    time_zone: str = "America/New_York"  # stated explicitly: the plans' offices work on US Eastern time
    function: str = JOBS
    month: int | None = None  # with `day`: a yearly schedule
    day: int | None = None

    def __post_init__(self) -> None:
        if (self.month is None) != (self.day is None):
            raise ValueError(f"schedule {self.job!r}: give both month and day, or neither")
        if self.month is not None:
            date(2001, self.month, self.day or 0)  # ValueError unless every year has the date (not 29 February)

    def runs_on(self, day: date) -> bool:
        """Whether the schedule runs on `day` (a date in its time zone)."""
        return self.month is None or (day.month, day.day) == (self.month, self.day)


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("deactivate", 2, 15, "Inactivity warnings and deactivations, daily"),
    Schedule("expire", 2, 45, "Removes registrations never activated, daily"),
    # after midnight Eastern standard time (1:00 under daylight saving), when a delegation's last day is over
    Schedule("end-delegations", 1, 15, "Ends delegations past their end date and mails both sides, daily"),
    # CMS-0057-F: a year's metrics are due by March 31; January 15 leaves time to check them
    Schedule("pa-metrics", 6, 0, "Publishes the previous year's prior-authorization metrics, January 15",
             function=PA_METRICS, month=1, day=15),
)


def function(name: str) -> Function:
    return next(f for f in FUNCTIONS if f.name == name)


def partial_session_routes() -> str:
    """The PARTIAL_SESSION_ROUTES setting of the authorizer: 'METHOD /path' of every partial route."""
    return ",".join(f"{r.method} {r.path}" for r in ROUTES if r.partial)
