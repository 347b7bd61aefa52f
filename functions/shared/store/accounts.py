"""Account repository: every account write is one conditional transaction with its audit record."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from functions.shared.audit import AuditEntry
from functions.shared.store.audit import audit_item
from functions.shared.store.models import (
    Account,
    AccountState,
    Token,
    UniqueKey,
    bind_tables,
)
from functions.shared.store.transactions import UniqueKeyTaken, find, transact, transact_or_stale

EMAIL_KEY = "email#"
USERNAME_KEY = "username#"
CAPTCHA_KEY = "captcha#"
def create_account(account: Account, claims: list[UniqueKey], token: Token | None,
                   audit: AuditEntry) -> None:
    """Create an account and claim its unique keys at once; raises UniqueKeyTaken for the first clash."""
    items: list[UniqueKey] = list(claims)

    def build(tx: TransactWrite) -> None:
        for claim in items:
            tx.save(claim, condition=UniqueKey.key.does_not_exist())
        tx.save(account, condition=Account.account_id.does_not_exist())
        if token:
            tx.save(token, condition=Token.token_hash.does_not_exist())
        tx.save(audit_item(audit))

    try:
        transact(build)
    except TransactWriteError as exc:
        for claim, reason in zip(items, exc.cancellation_reasons, strict=False):
            if reason and reason.code == "ConditionalCheckFailed":
                raise UniqueKeyTaken(claim.key) from None
        raise


def account_id_for_email(email: str) -> str | None:
    claim = find(UniqueKey, EMAIL_KEY + email, consistent=False)
    return claim.account_id if claim else None


def get_account(account_id: str) -> Account | None:
    return find(Account, account_id)


def get_token(token_hash: str) -> Token | None:
    return find(Token, token_hash)


def activate(account_id: str, token: Token | None, secret_hash: str, now: datetime,
             audit: AuditEntry) -> None:
    """pending → active, only with the account's current activation secret; spends the token."""

    def build(tx: TransactWrite) -> None:
        tx.update(
            Account(account_id),
            actions=[
                Account.state.set(AccountState.ACTIVE),
                Account.activated_at.set(now),
                Account.activation_secret_hash.remove(),
                Account.activation_expires_at.remove(),
            ],
            condition=(Account.state == AccountState.PENDING_ACTIVATION)
            & (Account.activation_secret_hash == secret_hash),
        )
        if token:
            tx.update(token, actions=[Token.used_at.set(now)], condition=Token.used_at.does_not_exist())
        tx.save(audit_item(audit))

    transact_or_stale(build)


def replace_activation_secret(account: Account, secret_hash: str, valid_until: datetime,
                              token: Token | None, audit: AuditEntry) -> None:
    """Issue a new activation secret; the previous link or code stops working at the same moment."""

    def build(tx: TransactWrite) -> None:
        tx.update(
            account,
            actions=[Account.activation_secret_hash.set(secret_hash),
                     Account.activation_expires_at.set(valid_until)],
            condition=Account.state == AccountState.PENDING_ACTIVATION,
        )
        if token:
            tx.save(token, condition=Token.token_hash.does_not_exist())
        tx.save(audit_item(audit))

    transact_or_stale(build)


def find_by_login(login: str, by_email: bool, by_username: bool) -> Account | None:
    """The account a sign-in name points at: an email, or a user name (case-insensitive)."""
    bind_tables()
    key = EMAIL_KEY + login if by_email and "@" in login else USERNAME_KEY + login.casefold()
    if key.startswith(USERNAME_KEY) and not by_username:
        return None
    claim = find(UniqueKey, key, consistent=False)
    return get_account(claim.account_id) if claim and claim.account_id else None


def record_failure(account_id: str, actions: list, audit: AuditEntry) -> None:
    """Count a failed password or code (with its audit record) in one write."""

    def build(tx: TransactWrite) -> None:
        tx.update(Account(account_id), actions=actions, condition=Account.account_id.exists())
        tx.save(audit_item(audit))

    transact(build)


def update_account(account_id: str, actions: list, condition: object | None, audit: AuditEntry,
                   token: Token | None = None, now: datetime | None = None) -> None:
    """One guarded change to an account, with its audit record (and a spent token, if any)."""

    def build(tx: TransactWrite) -> None:
        guard = Account.account_id.exists()
        if condition is not None:
            guard = guard & condition
        tx.update(Account(account_id), actions=actions, condition=guard)
        if token is not None:
            tx.update(token, actions=[Token.used_at.set(now)], condition=Token.used_at.does_not_exist())
        tx.save(audit_item(audit))

    transact_or_stale(build)


def save_token(token: Token) -> None:
    bind_tables()
    token.save(condition=Token.token_hash.does_not_exist())
