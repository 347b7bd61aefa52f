"""PynamoDB models: the one definition of every table's keys, read by CDK and the devserver too.

Table names are bound from the environment on first use (`bind_tables`), never at import time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from pynamodb.attributes import (
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model


class AccountState:
    """The account lifecycle. Later steps add mfa_enrolled, linked, deactivated and locked."""

    PENDING_ACTIVATION = "pending_activation"
    ACTIVE = "active"


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


class UniqueKey(Model):
    """Claims a value that must be unique (email, user name, used CAPTCHA) with a conditional put."""

    class Meta:
        table_name = "unique-keys"

    key = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class Token(Model):
    """A single-use secret sent to a user, stored only as its SHA-256 hash."""

    class Meta:
        table_name = "tokens"

    token_hash = UnicodeAttribute(hash_key=True)
    purpose = UnicodeAttribute()
    account_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    valid_until = UTCDateTimeAttribute()
    used_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute()  # housekeeping only: DynamoDB deletes late, so code checks valid_until


class RateCounter(Model):
    """A fixed-window counter: key = '<action>#<subject>#<window start>'."""

    class Meta:
        table_name = "rate-limits"

    key = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    expires_at = TTLAttribute()


class AuditEvent(Model):
    """An append-only audit record: who did what to which account, when, from where, with what outcome."""

    class Meta:
        table_name = "audit"

    subject = UnicodeAttribute(hash_key=True)  # account id, or 'anonymous'
    at_id = UnicodeAttribute(range_key=True)  # ISO time + '#' + random id: sorted and unique
    action = UnicodeAttribute()
    outcome = UnicodeAttribute()
    request_id = UnicodeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    detail = MapAttribute(null=True)  # never PHI, passwords, tokens or codes
    expires_at = TTLAttribute()


MODELS: dict[str, type[Model]] = {
    "accounts": Account,
    "unique_keys": UniqueKey,
    "tokens": Token,
    "rate_limits": RateCounter,
    "audit": AuditEvent,
}


@cache
def bind_tables() -> None:
    """Point every model at this deployment's table names and region (once per container)."""
    from functions.shared.config import settings

    cfg = settings()
    names = {
        "accounts": cfg.accounts_table,
        "unique_keys": cfg.unique_keys_table,
        "tokens": cfg.tokens_table,
        "rate_limits": cfg.rate_limits_table,
        "audit": cfg.audit_table,
    }
    for logical, model in MODELS.items():
        model.Meta.table_name = names[logical]
        model.Meta.region = cfg.region
        model._connection = None


def utcnow() -> datetime:
    return datetime.now(UTC)


def key_schema(model: type[Model]) -> dict[str, Any]:
    """Keys of a model as plain data, so infrastructure and local tables follow the models."""
    hash_key = model._hash_key_attribute()
    range_key = model._range_key_attribute()
    ttl = next((a.attr_name for a in model.get_attributes().values() if isinstance(a, TTLAttribute)), None)
    return {
        "hash_key": (hash_key.attr_name, hash_key.attr_type),
        "range_key": (range_key.attr_name, range_key.attr_type) if range_key else None,
        "ttl": ttl,
    }
