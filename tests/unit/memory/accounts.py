"""Accounts and their unique-key claims in memory, with the conditions of the DynamoDB repository."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime

from functions.shared.core.audit import AuditEntry
from functions.shared.core.lifecycle import active_key, pending_key
from functions.shared.core.states import AccountState, FailureKind
from functions.shared.store import repositories
from functions.shared.store.accounts import (
    CAPTCHA_KEY,
    EMAIL_KEY,
    USERNAME_KEY,
    AccountChange,
    AccountView,
    Factor,
    NewAccount,
)
from functions.shared.store.tokens import TokenView
from functions.shared.store.transactions import StaleWrite, UniqueKeyTaken


def _failures(kind: FailureKind) -> tuple[str, str]:
    if kind == FailureKind.PASSWORD:
        return "password_failures", "password_locked_until"
    return "code_failures", "code_locked_until"


class MemoryAccounts:
    def __init__(self) -> None:
        self.accounts: dict[str, AccountView] = {}
        self.claims: dict[str, str] = {}

    # --- reads -----------------------------------------------------------------------------------
    def get(self, account_id: str) -> AccountView | None:
        return self.accounts.get(account_id)

    def find_by_email(self, email: str) -> AccountView | None:
        return self._by_claim(EMAIL_KEY + email)

    def find_by_login(self, login: str, *, by_email: bool, by_username: bool) -> AccountView | None:
        if by_email and "@" in login:
            return self._by_claim(EMAIL_KEY + login)
        return self._by_claim(USERNAME_KEY + login.casefold()) if by_username else None

    def _by_claim(self, key: str) -> AccountView | None:
        account_id = self.claims.get(key)
        return self.accounts.get(account_id) if account_id else None

    # --- changes: every condition is checked before anything is written ----------------------------
    def create(self, account: NewAccount, audit: AuditEntry, *, token: TokenView | None = None) -> None:
        keys = [EMAIL_KEY + account.email]
        if account.username is not None:
            keys.append(USERNAME_KEY + account.username.casefold())
        for key in keys:
            if key in self.claims:
                raise UniqueKeyTaken(key)
        if account.account_id in self.accounts:
            raise StaleWrite
        if token:
            repositories().tokens.check_new(token)
        for key in keys:
            self.claims[key] = account.account_id
        self.accounts[account.account_id] = AccountView(state=AccountState.PENDING_ACTIVATION,
                                                        lifecycle_day=pending_key(account.activation_expires_at),
                                                        **asdict(account))
        if token:
            repositories().tokens.issue(token)
        repositories().audit.record(audit)

    def spend_captcha(self, captcha_id: str, until: datetime) -> bool:
        if CAPTCHA_KEY + captcha_id in self.claims:
            return False
        self.claims[CAPTCHA_KEY + captcha_id] = ""
        return True

    def activate(self, account_id: str, secret_hash: str, at: datetime, audit: AuditEntry, *,
                 token_hash: str | None = None) -> None:
        account = self._existing(account_id)
        if account.state != AccountState.PENDING_ACTIVATION or account.activation_secret_hash != secret_hash:
            raise StaleWrite
        if token_hash:
            repositories().tokens.check_unspent(token_hash)
            repositories().tokens.spend(token_hash, at)
        self._write(replace(account, state=AccountState.ACTIVE, activated_at=at, activation_secret_hash=None,
                            activation_expires_at=None, lifecycle_day=active_key(at)), audit)

    def replace_activation_secret(self, account_id: str, secret_hash: str, valid_until: datetime,
                                  audit: AuditEntry, *, token: TokenView | None = None) -> None:
        account = self._existing(account_id)
        if account.state != AccountState.PENDING_ACTIVATION:
            raise StaleWrite
        if token:
            repositories().tokens.check_new(token)
            repositories().tokens.issue(token)
        self._write(replace(account, activation_secret_hash=secret_hash, activation_expires_at=valid_until,
                            lifecycle_day=pending_key(valid_until)), audit)

    def record_failure(self, account_id: str, kind: FailureKind, pause_until: datetime | None,
                       audit: AuditEntry) -> None:
        account = self._existing(account_id)
        counter, until = _failures(kind)
        changes: dict = {counter: getattr(account, counter) + 1}
        if pause_until is not None:
            changes[until] = pause_until
        self._write(replace(account, **changes), audit)

    def clear_failures(self, account_id: str, kind: FailureKind, audit: AuditEntry) -> None:
        counter, until = _failures(kind)
        self._write(replace(self._existing(account_id), **{counter: 0, until: None}), audit)

    def add_factor(self, account: AccountView, factor: Factor, audit: AuditEntry) -> None:
        stored = self._unchanged_factors(account)
        self._write(replace(stored, factors=(*[f for f in stored.factors if f.confirmed], factor)), audit)

    def enrol_push_device(self, account: AccountView, factor_id: str, public_key: str, endpoint: str,
                          label: str, token_hash: str, at: datetime, audit: AuditEntry) -> None:
        stored = self._existing(account.account_id)
        factor = stored.factor(factor_id)
        if factor is None or factor.public_key is not None:
            raise StaleWrite
        repositories().tokens.check_unspent(token_hash)
        repositories().tokens.spend(token_hash, at)
        self._write(_with(stored, replace(factor, public_key=public_key, push_endpoint=endpoint, label=label)),
                    audit)

    def remove_factor(self, account: AccountView, factor_id: str, audit: AuditEntry, *,
                      clear_password_failures: bool = False) -> None:
        stored = self._unchanged_factors(account)
        changed = replace(stored, factors=tuple(f for f in stored.factors if f.factor_id != factor_id))
        if clear_password_failures:
            changed = replace(changed, password_failures=0, password_locked_until=None)
        self._write(changed, audit)

    def add_passkey(self, account: AccountView, factor: Factor, token_hash: str, at: datetime,
                    audit: AuditEntry) -> None:
        stored = self._unchanged_factors(account)
        repositories().tokens.check_unspent(token_hash)
        repositories().tokens.spend(token_hash, at)
        self._write(replace(stored, factors=(*[f for f in stored.factors if f.confirmed], factor)), audit)

    def rename_factor(self, account: AccountView, factor_id: str, label: str, audit: AuditEntry) -> None:
        stored = self._unchanged_factors(account)
        factor = stored.factor(factor_id)
        if factor is None:
            raise StaleWrite
        self._write(_with(stored, replace(factor, label=label)), audit)

    def set_password(self, account_id: str, password_hash: str, at: datetime, audit: AuditEntry, *,
                     token_hash: str | None = None, token_issued_at: datetime | None = None) -> None:
        account = self._existing(account_id)
        if token_issued_at is not None and account.password_changed_at is not None \
                and account.password_changed_at >= token_issued_at:
            raise StaleWrite
        if token_hash:
            repositories().tokens.check_unspent(token_hash)
            repositories().tokens.spend(token_hash, at)
        self._write(replace(account, password_hash=password_hash, password_changed_at=at, password_failures=0,
                            password_locked_until=None), audit)

    def mark_start_seen(self, account_id: str, at: datetime) -> datetime | None:
        account = self.accounts.get(account_id)
        if account is None:
            return None
        self.accounts[account_id] = replace(account, start_seen_at=at)
        return account.start_seen_at

    # --- a session start's account change (called by the in-memory sessions) -----------------------
    def changed(self, account_id: str, change: AccountChange) -> AccountView:
        """The account after `change`, or StaleWrite if its conditions fail; writes nothing."""
        account = self._existing(account_id)
        if account.state == AccountState.DEACTIVATED:
            raise StaleWrite
        if change.mark_active_at is not None:
            account = replace(account, last_active_at=change.mark_active_at)
            if change.activate_with_code is not None or account.state == AccountState.ACTIVE:
                account = replace(account, lifecycle_day=active_key(change.mark_active_at))
        if change.clear_password_failures:
            account = replace(account, password_failures=0, password_locked_until=None)
        if change.clear_code_failures:
            account = replace(account, code_failures=0, code_locked_until=None)
        if change.activate_with_code is not None:
            secret_hash, at = change.activate_with_code
            if account.state != AccountState.PENDING_ACTIVATION or account.activation_secret_hash != secret_hash:
                raise StaleWrite
            account = replace(account, state=AccountState.ACTIVE, activated_at=at, activation_secret_hash=None,
                              activation_expires_at=None, code_failures=0, code_locked_until=None)
        if change.spend_totp_step is not None:
            factor_id, step = change.spend_totp_step
            factor = account.factor(factor_id)
            if factor is None or (factor.totp_last_step is not None and factor.totp_last_step >= step):
                raise StaleWrite
            account = _with(account, replace(factor, totp_last_step=step))
        if change.confirm_factor is not None:
            factor_id, label, step = change.confirm_factor
            factor = account.factor(factor_id)
            if factor is None:
                raise StaleWrite
            confirmed = replace(factor, confirmed=True, label=label)
            account = _with(account, confirmed if step is None else replace(confirmed, totp_last_step=step))
        if change.passkey_used is not None:
            factor_id, counter_read, counter, at = change.passkey_used
            factor = account.factor(factor_id)
            if factor is None or factor.sign_count != counter_read:
                raise StaleWrite
            account = _with(account, replace(factor, sign_count=counter, last_used_at=at))
        if change.spend_token is not None:
            repositories().tokens.check_unspent(change.spend_token[0])
        return account

    def put(self, account: AccountView) -> None:
        self.accounts[account.account_id] = account

    # --- helpers ---------------------------------------------------------------------------------
    def _existing(self, account_id: str) -> AccountView:
        account = self.accounts.get(account_id)
        if account is None:
            raise StaleWrite
        return account

    def _unchanged_factors(self, account: AccountView) -> AccountView:
        stored = self._existing(account.account_id)
        if stored.factors != account.factors:
            raise StaleWrite
        return stored

    def note(self, account_id: str | None, audit: AuditEntry, *, token: TokenView | None = None) -> None:
        if account_id is not None:
            self._existing(account_id)
        if token is not None:
            repositories().tokens.issue(token)
        repositories().audit.record(audit)

    def _write(self, account: AccountView, audit: AuditEntry) -> None:
        self.accounts[account.account_id] = account
        repositories().audit.record(audit)


def _with(account: AccountView, factor: Factor) -> AccountView:
    return replace(account, factors=tuple(factor if f.factor_id == factor.factor_id else f for f in account.factors))


REPOSITORIES = {"accounts": MemoryAccounts}
