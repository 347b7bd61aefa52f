"""The states of accounts, sign-in, links and agreements, as `StrEnum`s shared by the stored records, the
rules and the API's pydantic views (so the OpenAPI document lists their values). No database code here.
A portal record's states (claims, coverage, authorizations, admissions) live with its repository in
functions/shared/store/, so a new kind of record touches no file of the core."""

from __future__ import annotations

from enum import StrEnum


class AccountState(StrEnum):
    """The account lifecycle."""

    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class FactorKind(StrEnum):
    TOTP = "totp"
    SMS = "sms"
    EMAIL = "email"
    PUSH = "push"
    PASSKEY = "passkey"  # a WebAuthn credential (functions/mfa/passkeys.py)


class PushStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class FailureKind(StrEnum):
    """What a failed attempt was; each kind has its own counter and pause (security/lockout.py)."""

    PASSWORD = "password"  # noqa: S105 - the name of a counter, not a secret
    CODE = "code"


class LinkType(StrEnum):
    PRACTITIONER = "practitioner"
    GROUP = "group"


class LinkRole(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    # Someone outside the practice (a billing service) an administrator invited: exactly the features
    # invited for, until an end date; never manages people (functions/shared/services/delegations.py).
    DELEGATE = "delegate"


class Feature(StrEnum):
    """What a person may use for a Provider ID (HIPAA minimum necessary: each person only what their job
    needs). Administrators have every feature and manage the people; a member has what an administrator
    gave them, or their role's defaults (functions/shared/services/access.py FEATURE_PRESETS)."""

    ELIGIBILITY = "eligibility"
    CLAIMS = "claims"
    AUTHORIZATIONS_VIEW = "authorizations.view"
    AUTHORIZATIONS_SUBMIT = "authorizations.submit"
    ADMISSIONS_VIEW = "admissions.view"
    ADMISSIONS_NOTIFY = "admissions.notify"


class LinkStatus(StrEnum):
    PENDING_VERIFICATION = "pending_verification"  # a first administrator waiting for provider relations
    PENDING_ADMIN = "pending_admin"  # waiting for the Provider ID's administrator
    PENDING_AGREEMENT = "pending_agreement"  # waiting for the user to accept the Provider Agreement
    PENDING_ORG = "pending_org_agreement"  # waiting for the organizational agreement's approval
    ACTIVE = "active"
    DENIED = "denied"
    EXPIRED = "expired"
    REMOVED = "removed"


OPEN_LINK_STATUSES = (LinkStatus.PENDING_VERIFICATION, LinkStatus.PENDING_ADMIN, LinkStatus.PENDING_AGREEMENT,
                      LinkStatus.PENDING_ORG)
CLOSED_LINK_STATUSES = (LinkStatus.DENIED, LinkStatus.EXPIRED, LinkStatus.REMOVED)


class WaitingFor(StrEnum):
    """The human step a link's approval workflow is waiting at."""

    STAFF = "staff"  # provider relations verifies a Provider ID's first administrator
    ADMIN = "admin"
    AGREEMENT = "agreement"
    ORG = "org"


class OrgAgreementState(StrEnum):
    """A provider group's organizational agreement: signed by the group, decided by plan staff."""

    UNSIGNED = "unsigned"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class SessionStage(StrEnum):
    """How far a session has got. Only FULL reaches the portal; the others reach the MFA steps."""

    MFA_SETUP = "mfa_setup"  # password checked; no factor enrolled yet
    MFA = "mfa"  # password checked; a factor must be verified
    FULL = "full"


class DeliveryState(StrEnum):
    """Where a queued mail's delivery is (functions/mail_sender)."""

    SENDING = "sending"  # claimed by one try; another may take over once its lease ends
    SENT = "sent"


class TokenPurpose(StrEnum):
    """What a single-use secret sent to a user is for."""

    ACTIVATION = "activation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a secret
    PUSH_ENROL = "push_enrol"
    PUSH_CHALLENGE = "push_challenge"
    DELEGATION_INVITE = "delegation_invite"
    PASSKEY_REGISTER = "passkey_register"  # a WebAuthn challenge: hashed, single-use, minutes long
    PASSKEY_SIGNIN = "passkey_signin"
