"""Self-service password reset: enumeration-safe request, single-use hashed link, the same password
policy, and afterwards every session and remembered device revoked and the owner told."""

from __future__ import annotations

from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from functions.password_reset import mails
from functions.password_reset.models import ResetCompletion, ResetRequest, reset_errors
from functions.shared.core import audit
from functions.shared.core.errors import WRONG_CREDENTIALS, Problem, invalid_fields
from functions.shared.core.forms import given_values
from functions.shared.core.http import RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.core.schemas import Message
from functions.shared.core.states import AccountState, TokenPurpose
from functions.shared.services import ratelimit
from functions.shared.services.notify.mail import send_decoy, send_mail
from functions.shared.services.security.passwords import context_words, hash_password
from functions.shared.services.security.secrets import hash_secret, new_token
from functions.shared.store import repositories
from functions.shared.store.accounts import NO_ACCOUNT, AccountView
from functions.shared.store.tokens import new_token_record
from functions.shared.store.transactions import StaleWrite

logger = Logger(child=True)
PURPOSE = TokenPurpose.PASSWORD_RESET
WINDOW = timedelta(hours=1)
REQUESTS_PER_HOUR = 3


def request_reset(req: ResetRequest, plan: PlanProfile, meta: RequestMeta, portal_url: str, now: datetime,
                  device_hash: str | None = None) -> Message:
    """Limits per address-and-source and per source; the limit per address (all sources), which a stranger
    could use up, does not apply to a browser the account remembers, so its owner can always get a link."""
    ratelimit.hit("password-reset-source", meta.source, plan.password_resets_per_source_per_hour, WINDOW, now)
    ratelimit.hit("password-reset", f"{req.email}\n{meta.source}", REQUESTS_PER_HOUR, WINDOW, now)
    answer = Message(message="If this address has an account, we sent it a link to choose a new password.")
    account = repositories().accounts.find_by_email(req.email)
    if not _remembered(account, device_hash, now):
        ratelimit.hit("password-reset-address", req.email, plan.password_resets_per_address_per_hour, WINDOW, now)
    if account is None or account.state == AccountState.DEACTIVATED:
        logger.info("password reset for no usable account", extra={"outcome": "no_account"})
        # The work of a real request, so timing does not tell who has an account: a token issued with its
        # record (for no account: never mailed, and useless), one queued message (a decoy).
        repositories().tokens.issue(
            new_token_record(hash_secret(new_token()), PURPOSE, NO_ACCOUNT, now, plan.password_reset_ttl, WINDOW),
            audit.audit_event("password.reset_requested", "no_account", meta,
                              subject=account.account_id if account else audit.ANONYMOUS, now=now))
        send_decoy()
        return answer
    token = new_token()
    repositories().tokens.issue(
        new_token_record(hash_secret(token), PURPOSE, account.account_id, now, plan.password_reset_ttl, WINDOW),
        audit.audit_event("password.reset_requested", "issued", meta, subject=account.account_id, now=now))
    link = f"{portal_url.rstrip('/')}/reset.html#token={token}"
    send_mail(account.email, mails.password_reset(plan, link, int(plan.password_reset_ttl.total_seconds() // 60)))
    return answer


def _remembered(account: AccountView | None, device_hash: str | None, now: datetime) -> bool:
    if account is None or device_hash is None:
        return False
    device = repositories().devices.get(device_hash)
    return device is not None and device.remembers(account.account_id, now)


def complete_reset(req: ResetCompletion, plan: PlanProfile, meta: RequestMeta, now: datetime) -> Message:
    token = repositories().tokens.get(hash_secret(req.token))
    if token is None or not token.usable(PURPOSE, now):
        raise Problem(WRONG_CREDENTIALS, "reset-link-invalid", "This reset link is not valid",
                      "It expired or was already used. Ask for a new one.", extra={"retry": "/forgot.html"})
    account = repositories().accounts.get(token.account_id)
    if account is None or account.state == AccountState.DEACTIVATED or _changed_since(account, token.created_at):
        raise Problem(WRONG_CREDENTIALS, "reset-link-invalid", "This reset link is not valid",
                      "It expired or was already used. Ask for a new one.", extra={"retry": "/forgot.html"})
    errors = reset_errors(given_values(dict(req)), plan.password_policy, email=account.email,
                          username=account.username,
                          context=context_words(plan, account.first_name, account.last_name, account.display_name))
    if errors:
        raise invalid_fields(errors)
    try:
        repositories().accounts.set_password(
            account.account_id, hash_password(req.password), now,
            audit.audit_event("password.reset", "changed", meta, subject=account.account_id, now=now),
            token_hash=token.token_hash, token_issued_at=token.created_at)
    except StaleWrite:
        raise Problem(WRONG_CREDENTIALS, "reset-link-invalid", "This reset link is not valid",
                      "It was already used. Ask for a new one.", extra={"retry": "/forgot.html"}) from None
    repositories().sessions.end_all(account.account_id)
    repositories().devices.forget_all(account.account_id)
    send_mail(account.email, mails.password_changed(plan))
    return Message(message="Your password was changed. Sign in with the new password.")


def _changed_since(account: AccountView, issued_at: datetime) -> bool:
    """Using any reset link (or another password change) spends every link issued before it."""
    return account.password_changed_at is not None and account.password_changed_at >= issued_at
