"""Plan profiles: everything that differs between the health plans this portal serves.

A deployment picks one profile by name (the PLAN setting); code never branches on a plan's
name, only on the profile's fields.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

RegistrationForm = Literal["standard", "cmo"]
Verification = Literal["link", "code"]
# How a Provider ID's first administrator proves they are with the practice before any access:
# "payment_or_staff": a recent payment the plan made to its Tax ID (check or EFT trace number and
# amount), else provider-relations staff verify them; "staff": staff always verify; "org_agreement":
# the organizational agreement that provider relations approves is the proof (cmo).
FirstAdminProof = Literal["payment_or_staff", "staff", "org_agreement"]


class PasswordPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    min_length: int = 12
    max_length: int = 256
    require_lower: bool = True
    require_upper: bool = True
    require_digit: bool = True
    require_special: bool = True
    reject_common: bool = True


class PlanProfile(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    brand: str
    portal_name: str
    provider_number_label: str = "Provider ID"
    zip_label: str = "ZIP"
    support_phone: str
    customer_service_phone: str = ""  # claims questions and reprocessing; support_phone when not set
    registration_form: RegistrationForm = "standard"
    verification: Verification = "link"
    activation_ttl: timedelta = timedelta(days=7)
    resend_limit_per_hour: int = 3
    password_policy: PasswordPolicy = PasswordPolicy()
    mfa_factors: tuple[str, ...] = ("push", "totp", "sms", "email")
    # Passkeys (WebAuthn) are a second factor after the password on every plan; with this on, a passkey also
    # signs in alone (the sign-in page's "Sign in with a passkey" and the browser's passkey autofill).
    passwordless_passkeys: bool = False
    session_idle: timedelta = timedelta(minutes=30)  # HIPAA automatic logoff
    session_absolute: timedelta = timedelta(hours=12)
    remember_device: timedelta = timedelta(days=30)
    code_ttl: timedelta = timedelta(minutes=10)
    code_sends_per_15_min: int = 5
    password_reset_ttl: timedelta = timedelta(hours=1)
    signin_with: Literal["email_or_username", "username"] = "email_or_username"
    provider_agreement_version: str = "2026-01"
    admin_decision_business_days: int = 5
    agreement_wait: timedelta = timedelta(days=30)
    requires_org_agreement: bool = False
    org_agreement_promise: str = ""  # what the plan promises its staff will take, shown to users
    org_agreement_remind_after: timedelta = timedelta(hours=36)
    provider_relations_email: str = "provider-relations@portal.example.org"
    utilization_management_email: str = "utilization-management@portal.example.org"  # the plan's UM desk
    first_admin_proof: FirstAdminProof = "payment_or_staff"
    payment_proof_days: int = 180  # how recent a payment must be to prove a first administrator
    # Failed payment proofs a day (functions/link_provider/logic.py proof_tries_left): per account and per
    # source, which only their own attempts use up; past the Provider ID's mark, failures from everyone cut
    # each account's tries for it to `payment_proof_tries_when_targeted`, and never refuse a correct proof.
    payment_proof_failures_per_account_per_day: int = 5
    payment_proof_failures_per_source_per_day: int = 10
    payment_proof_failures_per_provider_per_day: int = 10
    payment_proof_tries_when_targeted: int = 1
    staff_verification_business_days: int = 10  # then the first administrator's request expires
    registrations_per_address_per_hour: int = 5  # counted before any lookup: the same for unknown addresses
    registrations_per_source_per_hour: int = 20
    signin_failures_per_login_and_source: int = 5  # per 15 minutes; then that source waits for that login
    signin_failures_per_source: int = 30  # per 15 minutes, over all logins (password spraying)
    signin_failures_before_captcha: int = 5  # per login per 15 minutes, all sources; plans with a CAPTCHA
    password_resets_per_address_per_hour: int = 10  # all sources; a remembered device is exempt
    password_resets_per_source_per_hour: int = 20
    link_attempts_per_hour: int = 10
    link_failures_per_tax_id_per_hour: int = 20
    eligibility_lookups_per_hour: int = 120  # PHI harvesting guard, per account
    claim_searches_per_hour: int = 300  # claim searches and opened claims, per account
    authorization_requests_per_hour: int = 300  # submissions, searches, reads and changes, per account
    admission_requests_per_hour: int = 300  # notifications, searches, reads and discharges, per account
    admission_notice_business_days: int = 1  # a later notification is flagged late
    # Days the plan's offices are closed besides weekends and US federal holidays (a state holiday, the day
    # after Thanksgiving): no business day counts them (functions/shared/core/business_days.py).
    closure_dates: tuple[date, ...] = ()
    # The start page lists a stay with no discharge recorded once it is this many days old: past two
    # midnights an inpatient stay is one the plan reviews, and its discharge is what the facility owes next.
    admission_review_days: int = 2
    portal_data_strict: bool = False  # a bad line rejects the whole extract (else it is quarantined)
    # Where an imported request still waiting for a decision is decided: in the plan's core system (its
    # decision arrives in a later export; no portal queue, clock or "Overdue") or by the portal's UM desk.
    imported_requests_decided_in: Literal["core", "portal"] = "core"
    # Provider Access (CMS-0057-F): a member is attributed to a Provider ID whose providers are the member's
    # PCP, or billed or rendered a claim for the member within this many days.
    attribution_lookback_days: int = 730
    provider_access_group_days: int = 30  # how long a matched Group stays usable
    provider_export_days: int = 2  # how long an export's files may be downloaded
    # Account lifecycle (functions/jobs): deactivation after this long without activity, a warning before.
    inactivity_period: timedelta = timedelta(days=60)
    inactivity_warning_before: timedelta = timedelta(days=10)
    registration_grace: timedelta = timedelta(days=30)  # unactivated registrations removed after TTL + grace
    provider_relations_phone: str = ""  # whom a deactivated user calls; support_phone when not set
    portal_tab: str = ""  # the header tab that holds the portal pages once access is granted (cmo: "CMO")

    @property
    def claims_phone(self) -> str:
        return self.customer_service_phone or self.support_phone

    @property
    def reactivation_phone(self) -> str:
        return self.provider_relations_phone or self.support_phone

    @property
    def requires_captcha(self) -> bool:
        return self.registration_form == "cmo"


_CARESOURCE = PlanProfile(
    key="caresource",
    brand="CareSource",
    portal_name="CareSource Provider Portal",
    support_phone="1-800-488-0134",
    passwordless_passkeys=True,
)

PLANS: dict[str, PlanProfile] = {
    "caresource": _CARESOURCE,
    "caresource-passe": _CARESOURCE.model_copy(
        update={
            "key": "caresource-passe",
            "brand": "CareSource PASSE",
            "portal_name": "CareSource PASSE Provider Portal",
            "provider_number_label": "CareSource PASSE Provider Number",
            "support_phone": "1-833-230-2100",
        }
    ),
    "cca": _CARESOURCE.model_copy(
        update={
            "key": "cca",
            "brand": "Commonwealth Care Alliance (CCA)",
            "portal_name": "CCA Provider Portal",
            "provider_number_label": "CCA Provider Number",
            "zip_label": "ZIP Code",
            "support_phone": "1-866-610-2273",
        }
    ),
    "cmo": PlanProfile(
        key="cmo",
        brand="Post-N-Track",
        portal_name="Post-N-Track Provider Portal",
        provider_number_label="Provider Number",
        support_phone="1-800-635-1237",
        customer_service_phone="914-377-4400",
        provider_relations_phone="914-377-4477",
        registration_form="cmo",
        verification="code",
        signin_with="username",
        requires_org_agreement=True,
        first_admin_proof="org_agreement",
        org_agreement_promise="Provider relations reviews agreements within 24-48 hours (at most 5 business days).",
        mfa_factors=("totp", "sms", "email"),
        portal_tab="CMO",  # its guide: the "CMO" tab next to "HOME" means full access
    ),
}

DEFAULT_PLAN = "caresource"


def plan_profile(key: str) -> PlanProfile:
    try:
        return PLANS[key]
    except KeyError:
        raise ValueError(f"unknown plan profile {key!r}; known: {', '.join(sorted(PLANS))}") from None


def current_plan() -> PlanProfile:
    from functions.shared.core.config import settings

    return plan_profile(settings().plan)
