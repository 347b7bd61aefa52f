"""PynamoDB models: the one definition of every table's keys, read by CDK and the devserver too.

Table names are bound from the environment on first use (`bind_tables`), never at import time.
"""

from __future__ import annotations

import threading
from contextlib import suppress
from functools import cache
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from functions.shared.store.portal_models import PORTAL_MODELS


class Factor(MapAttribute):
    """One multi-factor method of an account. Secrets are never stored in clear."""

    factor_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # totp | sms | email | push | passkey
    label = UnicodeAttribute()
    confirmed = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    phone = UnicodeAttribute(null=True)  # sms: E.164
    totp_secret_encrypted = UnicodeAttribute(null=True)  # totp: KMS ciphertext, base64
    totp_last_step = NumberAttribute(null=True)  # totp: newest time step used (replay guard)
    public_key = UnicodeAttribute(null=True)  # push: the device's Ed25519 public key, base64
    push_endpoint = UnicodeAttribute(null=True)  # push: SNS platform endpoint ARN
    credential_id = UnicodeAttribute(null=True)  # passkey: the WebAuthn credential id, base64url
    credential_public_key = UnicodeAttribute(null=True)  # passkey: its COSE public key, base64url
    sign_count = NumberAttribute(null=True)  # passkey: the authenticator's last signature counter
    last_used_at = UTCDateTimeAttribute(null=True)  # passkey: the last sign-in with it


class AccountsByLifecycleDay(GlobalSecondaryIndex):
    """Accounts the lifecycle jobs may act on, per day (sparse: only accounts with something due).

    Partition 'active#<day of the last activity>', 'pending#<day the activation secret expires>' or
    'deactivated#<day>' (until the deactivation mail went out): a daily job reads only the accounts of
    the day that falls due, never the whole table (functions/shared/core/lifecycle.py).
    """

    class Meta:
        index_name = "by-lifecycle-day"
        projection = KeysOnlyProjection()

    lifecycle_day = UnicodeAttribute(hash_key=True)


class Account(Model):
    """One person's portal account, keyed by a random id (never by the email, which can change)."""

    class Meta:
        table_name = "accounts"

    account_id = UnicodeAttribute(hash_key=True)
    plan = UnicodeAttribute()
    email = UnicodeAttribute()
    state = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    first_name = UnicodeAttribute()
    last_name = UnicodeAttribute()
    username = UnicodeAttribute(null=True)
    display_name = UnicodeAttribute(null=True)
    group_name = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    fax = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    activated_at = UTCDateTimeAttribute(null=True)
    # Only the newest activation secret counts: a resend replaces it, activation removes it.
    activation_secret_hash = UnicodeAttribute(null=True)
    activation_expires_at = UTCDateTimeAttribute(null=True)
    # Sign-in throttling: password and code failures are counted apart (see security/lockout.py).
    password_failures = NumberAttribute(default=0)
    password_locked_until = UTCDateTimeAttribute(null=True)
    code_failures = NumberAttribute(default=0)
    code_locked_until = UTCDateTimeAttribute(null=True)
    password_changed_at = UTCDateTimeAttribute(null=True)
    last_active_at = UTCDateTimeAttribute(null=True)
    factors = ListAttribute(of=Factor, default=list)
    # Lifecycle (store/lifecycle.py): the index key, and markers that keep each mail to once.
    lifecycle_day = UnicodeAttribute(null=True)
    warned_day = UnicodeAttribute(null=True)  # the lifecycle_day the inactivity warning was sent for
    notice_day = UnicodeAttribute(null=True)  # the day a deactivated user was last told how to reactivate
    deactivated_at = UTCDateTimeAttribute(null=True)
    start_seen_at = UTCDateTimeAttribute(null=True)  # the person's last look at the start page (functions/start)
    by_lifecycle_day = AccountsByLifecycleDay()

    def factor(self, factor_id: str) -> Factor | None:
        return next((f for f in self.factors if f.factor_id == factor_id), None)

    @property
    def confirmed_factors(self) -> list[Factor]:
        return [f for f in self.factors if f.confirmed]


class UniqueKey(Model):
    """Claims a value that must be unique (email, user name, used CAPTCHA) with a conditional put."""

    class Meta:
        table_name = "unique-keys"

    key = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute(null=True)
    tally = NumberAttribute(null=True)  # e.g. how many administrators a Provider ID has
    day = UnicodeAttribute(null=True)  # 'job#<name>': the last day the job finished (its progress marker)
    digest = UnicodeAttribute(null=True)  # 'pa-idempotency#...': SHA-256 of the submission that claimed it
    expires_at = TTLAttribute(null=True)


class Delivery(Model):
    """The delivery claim of one queued mail (functions/mail_sender), in the unique-keys table:
    key = 'delivery#<delivery id>'. A conditional write claims it, so no mail goes out twice."""

    class Meta:
        table_name = "unique-keys"

    key = UnicodeAttribute(hash_key=True)
    delivery_state = UnicodeAttribute()  # DeliveryState
    lease_until = UTCDateTimeAttribute(null=True)  # while sending: another try may take over after it
    expires_at = TTLAttribute()


class Invitation(MapAttribute):
    """What a delegation invitation offers (its token: account_id the inviter, subject_ref the Provider ID)."""

    email = UnicodeAttribute()  # lower-cased: the accepting account's address must be this one
    company = UnicodeAttribute()
    features = ListAttribute(of=UnicodeAttribute)
    ends_at = UTCDateTimeAttribute()


class Token(Model):
    """A single-use secret sent to a user, stored only as its SHA-256 hash."""

    class Meta:
        table_name = "tokens"

    token_hash = UnicodeAttribute(hash_key=True)
    purpose = UnicodeAttribute()
    account_id = UnicodeAttribute()
    subject_ref = UnicodeAttribute(null=True)  # what the token acts on: a factor, a session
    created_at = UTCDateTimeAttribute()
    valid_until = UTCDateTimeAttribute()
    used_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute()  # housekeeping only: DynamoDB deletes late, so code checks valid_until
    invitation = Invitation(null=True)  # delegation_invite tokens only


class SessionsByAccount(GlobalSecondaryIndex):
    """Every session of one account (sign out everywhere)."""

    class Meta:
        index_name = "by-account"
        projection = KeysOnlyProjection()

    account_id = UnicodeAttribute(hash_key=True)


class DevicesByAccount(GlobalSecondaryIndex):
    """Every remembered device of one account (list, revoke all); small, so it carries every field."""

    class Meta:
        index_name = "by-account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)


class Challenge(MapAttribute):
    """The MFA challenge of a sign-in attempt: bound to its session, single use, few tries."""

    factor_id = UnicodeAttribute()
    code_hash = UnicodeAttribute(null=True)
    valid_until = UTCDateTimeAttribute()
    attempts = NumberAttribute(default=0)
    sent_at = UTCDateTimeAttribute()
    push_number = UnicodeAttribute(null=True)  # push: the number shown to match on the device
    push_status = UnicodeAttribute(null=True)  # push: pending | approved | denied


class Session(Model):
    """A browser session, keyed by the SHA-256 of the cookie's token."""

    class Meta:
        table_name = "sessions"

    session_hash = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    stage = UnicodeAttribute()  # mfa_setup | mfa | full
    created_at = UTCDateTimeAttribute()
    idle_until = UTCDateTimeAttribute()
    absolute_until = UTCDateTimeAttribute()
    source_ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    challenge = Challenge(null=True)
    active_day = UnicodeAttribute(null=True)  # the day this session last recorded its account's activity
    expires_at = TTLAttribute()
    by_account = SessionsByAccount()


class Device(Model):
    """A remembered device ("do not challenge me on this device"), keyed by its cookie's hash."""

    class Meta:
        table_name = "devices"

    device_hash = UnicodeAttribute(hash_key=True)
    device_id = UnicodeAttribute()  # shown to the user and used to revoke; not the secret
    account_id = UnicodeAttribute()
    label = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    valid_until = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
    by_account = DevicesByAccount()


class RosterState(Model):
    """The roster version that lookups read; an import flips it only after every row is written."""

    class Meta:
        table_name = "providers"

    provider_id = UnicodeAttribute(hash_key=True)  # always ROSTER_STATE_KEY
    roster_version = NumberAttribute(range_key=True)  # always 0
    current_version = NumberAttribute()
    imported_at = UTCDateTimeAttribute()
    source = UnicodeAttribute()  # the file (S3 key) the current version came from


ROSTER_STATE_KEY = "#roster"


class ProvidersByTaxId(GlobalSecondaryIndex):
    """Every provider billing under one Tax ID, per roster version (what a group link covers)."""

    class Meta:
        index_name = "by-tax-id"
        projection = AllProjection()

    tax_id = UnicodeAttribute(hash_key=True)
    roster_version = NumberAttribute(range_key=True)


class ProvidersByVersion(GlobalSecondaryIndex):
    """Every provider of one roster version, in 16 shards (so an import's writes spread over partitions):
    what the next import compares against to find the Provider IDs it drops."""

    class Meta:
        index_name = "by-version"
        projection = AllProjection()

    version_shard = UnicodeAttribute(hash_key=True)  # '<roster version>#<shard 00-15>'
    provider_id = UnicodeAttribute(range_key=True)


class Provider(Model):
    """One provider of the plan's roster, as of one roster version."""

    class Meta:
        table_name = "providers"

    provider_id = UnicodeAttribute(hash_key=True)
    roster_version = NumberAttribute(range_key=True)
    provider_type = UnicodeAttribute()  # practitioner | group
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    group_name = UnicodeAttribute(null=True)
    tax_id = UnicodeAttribute()
    zips = UnicodeSetAttribute()
    addresses = ListAttribute(of=MapAttribute, default=list)
    expires_at = TTLAttribute()  # superseded versions age out
    version_shard = UnicodeAttribute(null=True)
    by_tax_id = ProvidersByTaxId()
    by_version = ProvidersByVersion()


class LinksByProvider(GlobalSecondaryIndex):
    """Everyone linked to (or asking for) one Provider ID: its administrators, members, requests."""

    class Meta:
        index_name = "by-provider"
        projection = AllProjection()

    provider_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute(range_key=True)


class LinksEnding(GlobalSecondaryIndex):
    """Delegations in force by end time (sparse: only an active delegation carries `ending`), so the daily
    job reads those past their end and nothing else."""

    class Meta:
        index_name = "delegations-by-end"
        projection = KeysOnlyProjection()

    ending = UnicodeAttribute(hash_key=True)  # always 'delegation'
    ends_at = UTCDateTimeAttribute(range_key=True)


class Link(Model):
    """An account's link to a Provider ID, and the approval it is waiting for."""

    class Meta:
        table_name = "links"

    account_id = UnicodeAttribute(hash_key=True)
    provider_id = UnicodeAttribute(range_key=True)
    link_type = UnicodeAttribute()  # practitioner | group
    tax_id = UnicodeAttribute()
    provider_name = UnicodeAttribute()
    role = UnicodeAttribute()  # admin | member | delegate
    status = UnicodeAttribute()
    requester_name = UnicodeAttribute()
    requester_email = UnicodeAttribute()
    requested_at = UTCDateTimeAttribute()
    decided_at = UTCDateTimeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decision_due = UTCDateTimeAttribute(null=True)
    execution = UnicodeAttribute(null=True)  # the approval workflow's execution name
    waiting_token = UnicodeAttribute(null=True)  # Step Functions task token of the step now waiting
    waiting_for = UnicodeAttribute(null=True)  # admin | agreement | org
    features = ListAttribute(of=UnicodeAttribute, null=True)  # a member's features; none: the role's defaults
    company = UnicodeAttribute(null=True)  # a delegate's company
    ends_at = UTCDateTimeAttribute(null=True)  # a delegation's end
    ending = UnicodeAttribute(null=True)  # set while a delegation is active: its entry in delegations-by-end
    by_provider = LinksByProvider()
    delegations_by_end = LinksEnding()


class Consent(Model):
    """A signed agreement: who accepted which version of what, when and from where."""

    class Meta:
        table_name = "consents"

    account_id = UnicodeAttribute(hash_key=True)
    document = UnicodeAttribute(range_key=True)  # '<agreement>#<version>'
    accepted_at = UTCDateTimeAttribute()
    source_ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)


class OrgAgreementsPending(GlobalSecondaryIndex):
    """Agreements waiting for provider relations, oldest first (sparse: only pending ones)."""

    class Meta:
        index_name = "pending"
        projection = AllProjection()

    pending_status = UnicodeAttribute(hash_key=True)
    pending_since = UTCDateTimeAttribute(range_key=True)


class OrgAgreement(Model):
    """The one organizational agreement of a provider group (Tax ID), and its staff decision."""

    class Meta:
        table_name = "org-agreements"

    tax_id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()  # unsigned | pending | approved | rejected
    group_name = UnicodeAttribute()
    version = UnicodeAttribute(null=True)
    signer_account_id = UnicodeAttribute(null=True)
    signer_name = UnicodeAttribute(null=True)
    signer_title = UnicodeAttribute(null=True)
    signed_at = UTCDateTimeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    decided_at = UTCDateTimeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    waiting_tokens = UnicodeSetAttribute(null=True)  # task tokens of every link waiting for the decision
    pending_since = UTCDateTimeAttribute(null=True)
    pending_status = UnicodeAttribute(null=True)  # set only while pending: keeps the staff index sparse
    pending = OrgAgreementsPending()


class RateCounter(Model):
    """A fixed-window counter: key = '<action>#<subject>#<window start>'."""

    class Meta:
        table_name = "rate-limits"

    key = UnicodeAttribute(hash_key=True)
    hits = NumberAttribute(default=0)  # not `count`: that name is Model.count()
    expires_at = TTLAttribute()


class AuditEvent(Model):
    """An append-only audit record: who did what to which account, when, from where, with what outcome."""

    class Meta:
        table_name = "audit"
        stream_view_type = "NEW_IMAGE"  # archived to the Object Lock bucket (functions/audit_archive)

    subject = UnicodeAttribute(hash_key=True)  # account id, or 'anonymous'
    at_id = UnicodeAttribute(range_key=True)  # ISO time + '#' + random id: sorted and unique
    action = UnicodeAttribute()
    outcome = UnicodeAttribute()
    request_id = UnicodeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    detail = MapAttribute(null=True)  # never PHI, passwords, tokens or codes
    expires_at = TTLAttribute()

    def _get_save_args(self, condition: Any = None, **kwargs: Any) -> Any:
        """Insert-only: every put of a record, alone or inside a transaction (both come here), carries
        attribute_not_exists, so no code path can overwrite history (IAM grants PutItem only, too)."""
        insert_only = AuditEvent.at_id.does_not_exist()
        return super()._get_save_args(condition=insert_only if condition is None else insert_only & condition,
                                      **kwargs)


MODELS: dict[str, type[Model]] = {
    "accounts": Account,
    "unique_keys": UniqueKey,
    "tokens": Token,
    "rate_limits": RateCounter,
    "audit": AuditEvent,
    "sessions": Session,
    "devices": Device,
    "providers": Provider,
    "links": Link,
    "consents": Consent,
    "org_agreements": OrgAgreement,
    **PORTAL_MODELS,
}
# Models that live in another model's table (same keys, different items).
SHARED_TABLE_MODELS: dict[str, type[Model]] = {"providers": RosterState, "unique_keys": Delivery}


_binding = threading.Lock()  # threads of one process (the devserver's side-by-side functions) bind once


def bind_tables() -> None:
    """Point every model at this deployment's table names and region (once per container)."""
    with _binding:
        _bind_tables()


def forget_bound_tables() -> None:
    """Bind again on the next use (a process that points its SDK at another endpoint: the bench)."""
    with _binding:
        _bind_tables.cache_clear()


@cache
def _bind_tables() -> None:
    from functions.shared.core.config import settings

    cfg = settings()
    shared = connection()
    for logical, model in [*MODELS.items(), *((k, m) for k, m in SHARED_TABLE_MODELS.items())]:
        # A function is given only the tables it may use; the others keep their placeholder name.
        model.Meta.table_name = cfg.table_name(logical) or model.Meta.table_name
        model.Meta.region = cfg.region
        model._connection = None
        table = model._get_connection()  # the model's TableConnection, with its key schema; no AWS call
        with suppress(ValueError):  # already known: models sharing a table, or tables bound again
            shared.add_meta_table(table.get_meta_table())
        table.connection = shared  # every model and every transaction use one DynamoDB client


class _SharedSessionConnection(Connection):
    """A PynamoDB connection on the container's one botocore session (functions/shared/core/aws.py)."""

    @property
    def session(self) -> Any:
        from functions.shared.core.aws import botocore_session

        return botocore_session()


@cache
def connection() -> Connection:
    """The DynamoDB connection of this container; its client is created here, once."""
    from functions.shared.core.aws import created_once
    from functions.shared.core.config import settings

    shared = _SharedSessionConnection(region=settings().region)
    created_once(lambda: shared.client)
    return shared


def key_schema(model: type[Model]) -> dict[str, Any]:
    """Keys of a model as plain data, so infrastructure and local tables follow the models."""
    hash_key = model._hash_key_attribute()
    range_key = model._range_key_attribute()
    ttl = next((a.attr_name for a in model.get_attributes().values() if isinstance(a, TTLAttribute)), None)
    indexes = []
    for index in model._indexes.values():
        attrs = index.Meta.attributes.values()
        index_hash = next(a for a in attrs if a.is_hash_key)
        index_range = next((a for a in attrs if a.is_range_key), None)
        indexes.append({
            "name": index.Meta.index_name,
            "hash_key": (index_hash.attr_name, index_hash.attr_type),
            "range_key": (index_range.attr_name, index_range.attr_type) if index_range else None,
            "projection": index.Meta.projection.projection_type,
            "non_key_attributes": list(getattr(index.Meta.projection, "non_key_attributes", None) or []),
        })
    return {
        "hash_key": (hash_key.attr_name, hash_key.attr_type),
        "range_key": (range_key.attr_name, range_key.attr_type) if range_key else None,
        "ttl": ttl,
        "indexes": indexes,
        "stream": getattr(model.Meta, "stream_view_type", None),
    }


def table_env_var(logical: str) -> str:
    """The environment variable holding a table's name: 'unique_keys' -> 'UNIQUE_KEYS_TABLE'."""
    return f"{logical.upper()}_TABLE"
