"""Single-use secrets sent to users (activation and reset links, push enrol codes, push challenges,
delegation invitations with their terms).

Stored only as SHA-256 hashes. This module is the only code that writes a token: alone (`issue`), or
as part of another repository's transaction (`put_item`, `spend_item`: a token is created or spent in
the same write as the change it allows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from pynamodb.transactions import TransactWrite

from functions.shared.core.audit import AuditEntry
from functions.shared.core.states import Feature, TokenPurpose
from functions.shared.store.audit import audit_item
from functions.shared.store.models import Invitation, Token, bind_tables
from functions.shared.store.transactions import StaleWrite, UniqueKeyTaken, find, transact_or_stale


@dataclass(frozen=True)
class InvitationTerms:
    """What a delegation invitation offers, fixed when it is sent."""

    email: str  # lower-cased
    company: str
    features: tuple[Feature, ...]
    ends_at: datetime


@dataclass(frozen=True)
class TokenView:
    """A token as the rules see it; `keep_until` is when housekeeping may delete the record."""

    token_hash: str
    purpose: TokenPurpose
    account_id: str
    created_at: datetime
    valid_until: datetime
    keep_until: datetime
    subject_ref: str | None = None  # what the token acts on: a factor, a session, a Provider ID
    used_at: datetime | None = None
    invitation: InvitationTerms | None = None  # delegation invitations only

    def usable(self, purpose: TokenPurpose, now: datetime) -> bool:
        return self.purpose == purpose and self.used_at is None and now < self.valid_until


def new_token_record(token_hash: str, purpose: TokenPurpose, account_id: str, now: datetime, valid_for: timedelta,
                     keep_for: timedelta, subject_ref: str | None = None,
                     invitation: InvitationTerms | None = None) -> TokenView:
    valid_until = now + valid_for
    return TokenView(token_hash=token_hash, purpose=purpose, account_id=account_id, created_at=now,
                     valid_until=valid_until, keep_until=valid_until + keep_for, subject_ref=subject_ref,
                     invitation=invitation)


class Tokens(Protocol):
    def issue(self, token: TokenView, audit: AuditEntry | None = None) -> None:
        """Store a new token (with the audit record of issuing it, in one transaction); UniqueKeyTaken
        if its hash exists (never: 256 random bits)."""
        ...

    def get(self, token_hash: str) -> TokenView | None: ...


def _to_view(item: Token) -> TokenView:
    offered = item.invitation
    terms = InvitationTerms(offered.email, offered.company, tuple(Feature(f) for f in offered.features),
                            offered.ends_at) if offered is not None else None
    return TokenView(token_hash=item.token_hash, purpose=TokenPurpose(item.purpose), account_id=item.account_id,
                     created_at=item.created_at, valid_until=item.valid_until, keep_until=item.expires_at,
                     subject_ref=item.subject_ref, used_at=item.used_at, invitation=terms)


def _to_item(token: TokenView) -> Token:
    bind_tables()
    terms = token.invitation
    offered = Invitation(email=terms.email, company=terms.company, features=[f.value for f in terms.features],
                         ends_at=terms.ends_at) if terms is not None else None
    return Token(token.token_hash, purpose=str(token.purpose), account_id=token.account_id,
                 subject_ref=token.subject_ref, created_at=token.created_at, valid_until=token.valid_until,
                 used_at=token.used_at, expires_at=token.keep_until, invitation=offered)


def put_item(tx: TransactWrite, token: TokenView) -> None:
    """Create `token` inside another repository's transaction."""
    tx.save(_to_item(token), condition=Token.token_hash.does_not_exist())


def spend_item(tx: TransactWrite, token_hash: str, at: datetime) -> None:
    """Spend a token inside the transaction of the change it allows; fails the transaction if spent."""
    bind_tables()
    tx.update(Token(token_hash), actions=[Token.used_at.set(at)],
              condition=Token.token_hash.exists() & Token.used_at.does_not_exist())


class DynamoTokens:
    def issue(self, token: TokenView, audit: AuditEntry | None = None) -> None:
        def build(tx: TransactWrite) -> None:
            put_item(tx, token)
            if audit is not None:
                tx.save(audit_item(audit))

        try:
            transact_or_stale(build)
        except StaleWrite:
            raise UniqueKeyTaken("token#" + token.token_hash) from None

    def get(self, token_hash: str) -> TokenView | None:
        item = find(Token, token_hash)
        return _to_view(item) if item else None
