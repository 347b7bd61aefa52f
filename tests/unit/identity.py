"""Helpers for the identity rules' unit tests: accounts put straight into the in-memory store, fast
password hashing, captured messages, a fake KMS. Nothing here reaches AWS."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.shared.core.http import Caller, RequestMeta
from functions.shared.core.states import AccountState, SessionStage
from functions.shared.store import Repositories
from functions.shared.store.accounts import EMAIL_KEY, AccountView, Factor
from functions.shared.store.sessions import SessionRecord

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
META = RequestMeta("r1", "198.51.100.7", "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0")
PASSWORD = "Lantern-Orbit-42"
WRONG = "Wrong-Password-99"
EMAIL = "jane.doe@clinic.example"


def fake_hash(password: str) -> str:
    return "fake$" + password


@dataclass
class Sent:
    """What the rules handed to mail, SMS and push adapters."""

    mails: list[tuple[str, Any]] = field(default_factory=list)
    sms: list[tuple[str, str]] = field(default_factory=list)
    pushes: list[tuple[str, dict]] = field(default_factory=list)
    decoys: list[bool] = field(default_factory=list)  # messages queued where no mail is due

    def subjects(self, to: str = EMAIL) -> list[str]:
        return [mail.subject for address, mail in self.mails if address == to]


def install_fakes(monkeypatch: pytest.MonkeyPatch) -> Sent:
    """Argon2 replaced by a transparent fake (rules, not hashing, are under test), adapters captured."""
    import functions.activate.logic as activate
    import functions.mfa.logic as mfa
    import functions.mfa.push as push
    import functions.password_reset.logic as reset
    import functions.register.logic as register
    import functions.signin.logic as signin
    from functions.shared.services import signin as signin_service
    from functions.shared.services.security import totp

    sent = Sent()
    for module in (signin, mfa):
        monkeypatch.setattr(module, "verify_password", lambda stored, given: stored == fake_hash(given))
        monkeypatch.setattr(module, "dummy_verify", lambda given: None)
    for module in (register, reset):
        monkeypatch.setattr(module, "hash_password", fake_hash)
    for module in (register, activate, mfa, reset, signin, signin_service):
        monkeypatch.setattr(module, "send_mail", lambda to, mail: sent.mails.append((to, mail)))
    for module in (activate, reset):
        monkeypatch.setattr(module, "send_decoy", lambda: sent.decoys.append(True))
    monkeypatch.setattr(mfa, "send_sms", lambda phone, text: sent.sms.append((phone, text)))
    monkeypatch.setattr(mfa, "send_push", lambda endpoint, payload: sent.pushes.append((endpoint, payload)))
    monkeypatch.setattr(push, "register_push_endpoint", lambda platform, token: "arn:aws:sns:endpoint/" + token)
    monkeypatch.setattr(totp, "encrypt_seed", lambda seed, account_id: f"kms:{account_id}:{seed}")
    monkeypatch.setattr(totp, "decrypt_seed", lambda blob, account_id: blob.removeprefix(f"kms:{account_id}:"))
    return sent


def active_account(repos: Repositories, *factors: Factor, account_id: str = "acct-1", email: str = EMAIL,
                   **fields: Any) -> AccountView:
    """An active account with `factors`, stored in the in-memory store."""
    values: dict[str, Any] = {"account_id": account_id, "plan": "caresource", "email": email,
                              "state": AccountState.ACTIVE, "password_hash": fake_hash(PASSWORD),
                              "first_name": "Jane", "last_name": "Doe", "created_at": NOW, "factors": factors}
    account = AccountView(**(values | fields))
    repos.accounts.put(account)
    repos.accounts.claims[EMAIL_KEY + email] = account_id
    return account


def half_signed_in(repos: Repositories, account: AccountView, stage: SessionStage = SessionStage.MFA,
                   session_hash: str = "session-1") -> Caller:
    """A session that passed the password and now owes `stage`."""
    repos.sessions.sessions[session_hash] = SessionRecord(
        session_hash=session_hash, account_id=account.account_id, stage=stage, created_at=NOW, idle_until=NOW,
        absolute_until=NOW)
    return Caller(account.account_id, session_hash, stage)
