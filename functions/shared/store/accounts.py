"""Accounts: the only code that writes an account or its unique-key claims.

Rules read `AccountView`s and change an account through the verbs of `Accounts`; every change is one
conditional transaction with its audit record (and, where it spends or issues a token, that token).
A session start that changes the account describes the change as an `AccountChange`; the sessions
repository asks `change_item` here to turn it into the update.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from functions.shared.core.audit import AuditEntry
from functions.shared.core.lifecycle import active_key, pending_key
from functions.shared.core.states import AccountState, FactorKind, FailureKind
from functions.shared.store import tokens
from functions.shared.store.audit import audit_item
from functions.shared.store.models import Account, UniqueKey, bind_tables
from functions.shared.store.models import Factor as FactorItem
from functions.shared.store.tokens import TokenView
from functions.shared.store.transactions import UniqueKeyTaken, find, transact, transact_or_stale
from functions.shared.store.unique_keys import CAPTCHA, EMAIL, USERNAME

EMAIL_KEY = EMAIL.prefix
USERNAME_KEY = USERNAME.prefix
CAPTCHA_KEY = CAPTCHA.prefix
# An account id no account has: unknown names read it, so they cost the reads a known name costs.
NO_ACCOUNT = "no-account"


@dataclass(frozen=True)
class Factor:
    """One multi-factor method of an account. Secrets are never stored in clear."""

    factor_id: str
    kind: FactorKind
    label: str
    created_at: datetime
    confirmed: bool = False
    phone: str | None = None  # sms: E.164
    totp_secret_encrypted: str | None = None  # totp: KMS ciphertext, base64
    totp_last_step: int | None = None  # totp: newest time step used (replay guard)
    public_key: str | None = None  # push: the device's Ed25519 public key, base64
    push_endpoint: str | None = None  # push: SNS platform endpoint ARN
    credential_id: str | None = None  # passkey: the WebAuthn credential id, base64url
    credential_public_key: str | None = None  # passkey: its COSE public key, base64url
    sign_count: int | None = None  # passkey: the authenticator's last signature counter
    last_used_at: datetime | None = None  # passkey: the last sign-in with it


@dataclass(frozen=True)
class NewAccount:
    """What registration stores; the account starts pending activation."""

    account_id: str
    plan: str
    email: str
    password_hash: str
    first_name: str
    last_name: str
    created_at: datetime
    activation_secret_hash: str
    activation_expires_at: datetime
    username: str | None = None
    display_name: str | None = None
    group_name: str | None = None
    phone: str | None = None
    fax: str | None = None


@dataclass(frozen=True)
class AccountView:
    account_id: str
    plan: str
    email: str
    state: AccountState
    password_hash: str
    first_name: str
    last_name: str
    created_at: datetime
    username: str | None = None
    display_name: str | None = None
    group_name: str | None = None
    phone: str | None = None
    fax: str | None = None
    activated_at: datetime | None = None
    activation_secret_hash: str | None = None
    activation_expires_at: datetime | None = None
    password_failures: int = 0
    password_locked_until: datetime | None = None
    code_failures: int = 0
    code_locked_until: datetime | None = None
    password_changed_at: datetime | None = None
    last_active_at: datetime | None = None
    factors: tuple[Factor, ...] = field(default_factory=tuple)
    lifecycle_day: str | None = None  # the lifecycle index key (functions/shared/core/lifecycle.py)
    warned_day: str | None = None
    notice_day: str | None = None
    deactivated_at: datetime | None = None
    start_seen_at: datetime | None = None  # the last look at the start page: what is new since

    def factor(self, factor_id: str) -> Factor | None:
        return next((f for f in self.factors if f.factor_id == factor_id), None)

    def passkey(self, credential_id: str) -> Factor | None:
        return next((f for f in self.factors if f.kind == FactorKind.PASSKEY and f.confirmed
                     and f.credential_id == credential_id), None)

    @property
    def confirmed_factors(self) -> list[Factor]:
        return [f for f in self.factors if f.confirmed]

    def failures(self, kind: FailureKind) -> int:
        return self.password_failures if kind == FailureKind.PASSWORD else self.code_failures

    def paused_until(self, kind: FailureKind) -> datetime | None:
        return self.password_locked_until if kind == FailureKind.PASSWORD else self.code_locked_until


@dataclass(frozen=True)
class AccountChange:
    """What a session start changes on its account, in the same transaction (named, not expressions)."""

    mark_active_at: datetime | None = None
    clear_password_failures: bool = False
    clear_code_failures: bool = False
    activate_with_code: tuple[str, datetime] | None = None  # (the current secret's hash, activated at)
    confirm_factor: tuple[str, str, int | None] | None = None  # (factor id, its final label, TOTP step)
    spend_totp_step: tuple[str, int] | None = None  # (factor id, step): refused unless newer than the last
    spend_token: tuple[str, datetime] | None = None  # (token hash, at): a single-use challenge, refused if spent
    # (factor id, the counter read, the new counter, at): refused if the passkey's counter moved meanwhile
    passkey_used: tuple[str, int, int, datetime] | None = None


class Accounts(Protocol):
    def create(self, account: NewAccount, audit: AuditEntry, *, token: TokenView | None = None) -> None:
        """Create a pending account, claim its email (and user name) and store its activation token, at
        once; UniqueKeyTaken names the first claim that was already taken."""
        ...

    def spend_captcha(self, captcha_id: str, until: datetime) -> bool:
        """Claim a solved CAPTCHA once, in its own conditional write; False if it was already used."""
        ...

    def get(self, account_id: str) -> AccountView | None: ...

    def find_by_email(self, email: str) -> AccountView | None: ...

    def find_by_login(self, login: str, *, by_email: bool, by_username: bool) -> AccountView | None:
        """The account a sign-in name points at: an email, or a user name (case-insensitive)."""
        ...

    def activate(self, account_id: str, secret_hash: str, at: datetime, audit: AuditEntry, *,
                 token_hash: str | None = None) -> None:
        """pending -> active, only with the current activation secret; spends the link's token.
        StaleWrite if the account is not pending, the secret was replaced or the token spent."""
        ...

    def replace_activation_secret(self, account_id: str, secret_hash: str, valid_until: datetime,
                                  audit: AuditEntry, *, token: TokenView | None = None) -> None:
        """A new activation secret (and its token); the previous one stops working. StaleWrite if not
        pending any more."""
        ...

    def note(self, account_id: str | None, audit: AuditEntry, *, token: TokenView | None = None) -> None:
        """Record a decision about an account, or about a name no account has (None), in a transaction of
        the same shape and cost as the change the other answer makes (a check, the record, and `token` where
        that change issues one): whether an account exists must not show in timing."""
        ...

    def record_failure(self, account_id: str, kind: FailureKind, pause_until: datetime | None,
                       audit: AuditEntry) -> None:
        """Count one failure of `kind` and, if given, pause that kind until `pause_until`."""
        ...

    def clear_failures(self, account_id: str, kind: FailureKind, audit: AuditEntry) -> None: ...

    def add_factor(self, account: AccountView, factor: Factor, audit: AuditEntry) -> None:
        """Add an unconfirmed factor, dropping unconfirmed leftovers; StaleWrite if the factors changed
        since `account` was read."""
        ...

    def enrol_push_device(self, account: AccountView, factor_id: str, public_key: str, endpoint: str,
                          label: str, token_hash: str, at: datetime, audit: AuditEntry) -> None:
        """Give a push factor its device key, once, spending the enrol token; StaleWrite otherwise."""
        ...

    def remove_factor(self, account: AccountView, factor_id: str, audit: AuditEntry, *,
                      clear_password_failures: bool = False) -> None:
        """StaleWrite if the factors changed since `account` was read."""
        ...

    def add_passkey(self, account: AccountView, factor: Factor, token_hash: str, at: datetime,
                    audit: AuditEntry) -> None:
        """Add a confirmed passkey, spending its registration challenge (dropping unconfirmed leftovers);
        StaleWrite if the factors changed since `account` was read or the challenge was spent."""
        ...

    def rename_factor(self, account: AccountView, factor_id: str, label: str, audit: AuditEntry) -> None:
        """StaleWrite if the factors changed since `account` was read."""
        ...

    def set_password(self, account_id: str, password_hash: str, at: datetime, audit: AuditEntry, *,
                     token_hash: str | None = None, token_issued_at: datetime | None = None) -> None:
        """A new password; clears password failures; spends the reset token. StaleWrite if the token was
        spent, or the password changed since the token was issued (one change spends every older link)."""
        ...

    def mark_start_seen(self, account_id: str, at: datetime) -> datetime | None:
        """The person looked at the start page at `at`: returns the look before (None: the first one, or
        no such account). A reading mark, not a change of the account: one UpdateItem, not audited, like
        the authorizer's activity day."""
        ...


# --- conversions -------------------------------------------------------------------------------

_FACTOR_FIELDS = ("factor_id", "label", "confirmed", "created_at", "phone", "totp_secret_encrypted",
                  "totp_last_step", "public_key", "push_endpoint", "credential_id", "credential_public_key",
                  "sign_count", "last_used_at")


def _factor_view(item: FactorItem) -> Factor:
    values: dict[str, Any] = {name: getattr(item, name) for name in _FACTOR_FIELDS}
    for number in ("totp_last_step", "sign_count"):
        if values[number] is not None:
            values[number] = int(values[number])
    return Factor(kind=FactorKind(item.kind), **values)


def _factor_item(factor: Factor) -> FactorItem:
    values = {name: getattr(factor, name) for name in _FACTOR_FIELDS}
    return FactorItem(kind=str(factor.kind), **{k: v for k, v in values.items() if v is not None})


_ACCOUNT_FIELDS = ("account_id", "plan", "email", "password_hash", "first_name", "last_name", "created_at",
                   "username", "display_name", "group_name", "phone", "fax", "activated_at",
                   "activation_secret_hash", "activation_expires_at", "password_locked_until",
                   "code_locked_until", "password_changed_at", "last_active_at", "lifecycle_day",
                   "warned_day", "notice_day", "deactivated_at", "start_seen_at")


def _view(item: Account) -> AccountView:
    return AccountView(state=AccountState(item.state), password_failures=int(item.password_failures or 0),
                       code_failures=int(item.code_failures or 0),
                       factors=tuple(_factor_view(f) for f in item.factors or []),
                       **{name: getattr(item, name) for name in _ACCOUNT_FIELDS})


def _stored_factors(factors: tuple[Factor, ...] | list[Factor]) -> list[FactorItem]:
    return [_factor_item(f) for f in factors]


def _counter(kind: FailureKind) -> tuple[Any, Any]:
    if kind == FailureKind.PASSWORD:
        return Account.password_failures, Account.password_locked_until
    return Account.code_failures, Account.code_locked_until


def _factors_unchanged(account: AccountView) -> Any:
    return Account.factors == _stored_factors(account.factors)


def change_item(tx: TransactWrite, account: AccountView, change: AccountChange) -> bool:
    """Put the update `change` describes into another repository's transaction (a session start).
    False if it changes nothing (no update put)."""
    bind_tables()
    updates: list[Any] = []
    # A deactivated account starts no session, even one whose sign-in raced the deactivation.
    guard = Account.account_id.exists() & (Account.state != AccountState.DEACTIVATED)
    if change.mark_active_at is not None:
        updates.append(Account.last_active_at.set(change.mark_active_at))
        if change.activate_with_code is not None or account.state == AccountState.ACTIVE:
            updates.append(Account.lifecycle_day.set(active_key(change.mark_active_at)))
    if change.clear_password_failures:
        updates += [Account.password_failures.set(0), Account.password_locked_until.remove()]
    if change.clear_code_failures and not change.activate_with_code:
        updates += [Account.code_failures.set(0), Account.code_locked_until.remove()]
    if change.activate_with_code is not None:
        secret_hash, at = change.activate_with_code
        updates += [Account.state.set(AccountState.ACTIVE), Account.activated_at.set(at),
                    Account.activation_secret_hash.remove(), Account.activation_expires_at.remove(),
                    Account.code_failures.set(0), Account.code_locked_until.remove()]
        guard &= (Account.state == AccountState.PENDING_ACTIVATION) & (Account.activation_secret_hash == secret_hash)
    if change.spend_totp_step is not None:
        factor_id, step = change.spend_totp_step
        index = _index(account, factor_id)
        last = Account.factors[index].totp_last_step
        updates.append(last.set(step))
        guard &= (Account.factors[index].factor_id == factor_id) & (last.does_not_exist() | (last < step))
    if change.confirm_factor is not None:
        factor_id, label, confirm_step = change.confirm_factor
        index = _index(account, factor_id)
        target = Account.factors[index]
        updates += [target.confirmed.set(True), target.label.set(label)]
        if confirm_step is not None:
            updates.append(target.totp_last_step.set(confirm_step))
        guard &= target.factor_id == factor_id
    if change.passkey_used is not None:
        factor_id, counter_read, counter, at = change.passkey_used
        target = Account.factors[_index(account, factor_id)]
        updates += [target.sign_count.set(counter), target.last_used_at.set(at)]
        guard &= (target.factor_id == factor_id) & (target.sign_count == counter_read)
    if change.spend_token is not None:
        tokens.spend_item(tx, *change.spend_token)
    if updates:
        tx.update(Account(account.account_id), actions=updates, condition=guard)
    return bool(updates)


def _index(account: AccountView, factor_id: str) -> int:
    for index, factor in enumerate(account.factors):
        if factor.factor_id == factor_id:
            return index
    raise ValueError("no such factor")


def taken_value(taken: UniqueKeyTaken) -> str:
    """Which of a new account's unique values was claimed already: 'email' or 'username'."""
    return "username" if taken.key.startswith(USERNAME_KEY) else "email"


# --- the repository ----------------------------------------------------------------------------

class DynamoAccounts:
    def create(self, account: NewAccount, audit: AuditEntry, *, token: TokenView | None = None) -> None:
        bind_tables()
        claims = [UniqueKey(EMAIL_KEY + account.email, account_id=account.account_id)]
        if account.username is not None:
            claims.append(UniqueKey(USERNAME_KEY + account.username.casefold(), account_id=account.account_id))
        item = Account(account.account_id, state=AccountState.PENDING_ACTIVATION,
                       lifecycle_day=pending_key(account.activation_expires_at),
                       **{name: getattr(account, name) for name in (
                           "plan", "email", "password_hash", "first_name", "last_name", "created_at",
                           "activation_secret_hash", "activation_expires_at", "username", "display_name",
                           "group_name", "phone", "fax")})

        def build(tx: TransactWrite) -> None:
            for claim in claims:
                tx.save(claim, condition=UniqueKey.key.does_not_exist())
            tx.save(item, condition=Account.account_id.does_not_exist())
            if token:
                tokens.put_item(tx, token)
            tx.save(audit_item(audit))

        try:
            transact(build)
        except TransactWriteError as exc:
            for claim, reason in zip(claims, exc.cancellation_reasons, strict=False):
                if reason and reason.code == "ConditionalCheckFailed":
                    raise UniqueKeyTaken(claim.key) from None
            raise

    def spend_captcha(self, captcha_id: str, until: datetime) -> bool:
        bind_tables()
        try:
            UniqueKey(CAPTCHA_KEY + captcha_id, expires_at=until).save(condition=UniqueKey.key.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def get(self, account_id: str) -> AccountView | None:
        item = find(Account, account_id)
        return _view(item) if item else None

    def find_by_email(self, email: str) -> AccountView | None:
        return self._by_claim(EMAIL_KEY + email)

    def find_by_login(self, login: str, *, by_email: bool, by_username: bool) -> AccountView | None:
        if by_email and "@" in login:
            return self._by_claim(EMAIL_KEY + login)
        return self._by_claim(USERNAME_KEY + login.casefold()) if by_username else None

    def _by_claim(self, key: str) -> AccountView | None:
        claim = find(UniqueKey, key, consistent=False)
        # A name nobody has reads an account too (one that never exists): both answers cost two reads.
        return self.get(claim.account_id if claim and claim.account_id else NO_ACCOUNT)

    def note(self, account_id: str | None, audit: AuditEntry, *, token: TokenView | None = None) -> None:
        bind_tables()

        def build(tx: TransactWrite) -> None:
            if account_id is None:
                tx.condition_check(Account, NO_ACCOUNT, condition=Account.account_id.does_not_exist())
            else:
                tx.condition_check(Account, account_id, condition=Account.account_id.exists())
            if token is not None:
                tokens.put_item(tx, token)
            tx.save(audit_item(audit))

        transact_or_stale(build)

    def activate(self, account_id: str, secret_hash: str, at: datetime, audit: AuditEntry, *,
                 token_hash: str | None = None) -> None:
        def build(tx: TransactWrite) -> None:
            tx.update(Account(account_id),
                      actions=[Account.state.set(AccountState.ACTIVE), Account.activated_at.set(at),
                               Account.activation_secret_hash.remove(), Account.activation_expires_at.remove(),
                               Account.lifecycle_day.set(active_key(at))],  # never signed in: counts from here
                      condition=(Account.state == AccountState.PENDING_ACTIVATION)
                      & (Account.activation_secret_hash == secret_hash))
            if token_hash:
                tokens.spend_item(tx, token_hash, at)
            tx.save(audit_item(audit))

        bind_tables()
        transact_or_stale(build)

    def replace_activation_secret(self, account_id: str, secret_hash: str, valid_until: datetime,
                                  audit: AuditEntry, *, token: TokenView | None = None) -> None:
        def build(tx: TransactWrite) -> None:
            tx.update(Account(account_id),
                      actions=[Account.activation_secret_hash.set(secret_hash),
                               Account.activation_expires_at.set(valid_until),
                               Account.lifecycle_day.set(pending_key(valid_until))],
                      condition=Account.state == AccountState.PENDING_ACTIVATION)
            if token:
                tokens.put_item(tx, token)
            tx.save(audit_item(audit))

        bind_tables()
        transact_or_stale(build)

    def record_failure(self, account_id: str, kind: FailureKind, pause_until: datetime | None,
                       audit: AuditEntry) -> None:
        counter, until = _counter(kind)
        actions = [counter.add(1)]
        if pause_until is not None:
            actions.append(until.set(pause_until))
        self._update(account_id, actions, None, audit)

    def clear_failures(self, account_id: str, kind: FailureKind, audit: AuditEntry) -> None:
        counter, until = _counter(kind)
        self._update(account_id, [counter.set(0), until.remove()], None, audit)

    def add_factor(self, account: AccountView, factor: Factor, audit: AuditEntry) -> None:
        kept = [f for f in account.factors if f.confirmed]
        self._update(account.account_id, [Account.factors.set(_stored_factors([*kept, factor]))],
                     _factors_unchanged(account), audit)

    def enrol_push_device(self, account: AccountView, factor_id: str, public_key: str, endpoint: str,
                          label: str, token_hash: str, at: datetime, audit: AuditEntry) -> None:
        target = Account.factors[_index(account, factor_id)]
        self._update(account.account_id, [target.public_key.set(public_key), target.push_endpoint.set(endpoint),
                                  target.label.set(label)],
                     (target.factor_id == factor_id) & target.public_key.does_not_exist(), audit,
                     spend=(token_hash, at))

    def remove_factor(self, account: AccountView, factor_id: str, audit: AuditEntry, *,
                      clear_password_failures: bool = False) -> None:
        remaining = [f for f in account.factors if f.factor_id != factor_id]
        actions = [Account.factors.set(_stored_factors(remaining))]
        if clear_password_failures:
            actions += [Account.password_failures.set(0), Account.password_locked_until.remove()]
        self._update(account.account_id, actions, _factors_unchanged(account), audit)

    def add_passkey(self, account: AccountView, factor: Factor, token_hash: str, at: datetime,
                    audit: AuditEntry) -> None:
        kept = [f for f in account.factors if f.confirmed]
        self._update(account.account_id, [Account.factors.set(_stored_factors([*kept, factor]))],
                     _factors_unchanged(account), audit, spend=(token_hash, at))

    def rename_factor(self, account: AccountView, factor_id: str, label: str, audit: AuditEntry) -> None:
        self._update(account.account_id, [Account.factors[_index(account, factor_id)].label.set(label)],
                     _factors_unchanged(account), audit)

    def set_password(self, account_id: str, password_hash: str, at: datetime, audit: AuditEntry, *,
                     token_hash: str | None = None, token_issued_at: datetime | None = None) -> None:
        unchanged_since = None
        if token_issued_at is not None:
            unchanged_since = Account.password_changed_at.does_not_exist() \
                | (Account.password_changed_at < token_issued_at)
        self._update(account_id, [Account.password_hash.set(password_hash), Account.password_changed_at.set(at),
                                  Account.password_failures.set(0), Account.password_locked_until.remove()],
                     unchanged_since, audit, spend=(token_hash, at) if token_hash else None)

    def mark_start_seen(self, account_id: str, at: datetime) -> datetime | None:
        bind_tables()
        try:  # UPDATED_OLD: the previous look comes back with the write, in one call
            answer = Account._get_connection().update_item(
                account_id, actions=[Account.start_seen_at.set(at)], condition=Account.account_id.exists(),
                return_values="UPDATED_OLD")
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        before = answer.get("Attributes", {}).get(Account.start_seen_at.attr_name)
        return Account.start_seen_at.deserialize(before["S"]) if before else None

    def _update(self, account_id: str, updates: list[Any], condition: Any, audit: AuditEntry,
                spend: tuple[str, datetime] | None = None) -> None:
        """One guarded change to an account with its audit record (and a spent token); StaleWrite."""
        bind_tables()

        def build(tx: TransactWrite) -> None:
            guard = Account.account_id.exists() if condition is None else Account.account_id.exists() & condition
            tx.update(Account(account_id), actions=updates, condition=guard)
            if spend is not None:
                tokens.spend_item(tx, *spend)
            tx.save(audit_item(audit))

        transact_or_stale(build)


def with_factor(account: AccountView, factor: Factor) -> AccountView:
    """`account` with `factor` replacing the factor of the same id (what a change leaves behind)."""
    return replace(account, factors=tuple(factor if f.factor_id == factor.factor_id else f for f in account.factors))
