"""Self-service password reset: enumeration-safe request, single-use hashed link, the same password
policy, and afterwards every session and remembered device revoked and the owner told."""

from __future__ import annotations

from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from functions.password_reset.models import ResetCompletion, ResetRequest
from functions.shared import audit, ratelimit
from functions.shared.errors import Problem, invalid_fields
from functions.shared.http import RequestMeta
from functions.shared.notify import templates
from functions.shared.notify.mail import send_mail
from functions.shared.plans import PlanProfile
from functions.shared.schemas import Message
from functions.shared.security.passwords import hash_password, policy_errors
from functions.shared.security.secrets import hash_secret, is_expired, new_token
from functions.shared.store import accounts, sessions
from functions.shared.store.models import Account, AccountState, Token
from functions.shared.store.transactions import StaleWrite

logger = Logger(child=True)
PURPOSE = "password_reset"
WINDOW = timedelta(hours=1)
REQUESTS_PER_HOUR = 3


def request_reset(req: ResetRequest, plan: PlanProfile, meta: RequestMeta, portal_url: str,
                  now: datetime) -> Message:
    ratelimit.hit("password-reset", req.email, REQUESTS_PER_HOUR, WINDOW, now)
    answer = Message(message="If this address has an account, we sent it a link to choose a new password.")
    account_id = accounts.account_id_for_email(req.email)
    account = accounts.get_account(account_id) if account_id else None
    if account is None or account.state == AccountState.DEACTIVATED:
        logger.info("password reset for no usable account", extra={"outcome": "no_account"})
        return answer
    token = new_token()
    valid_until = now + plan.password_reset_ttl
    accounts.save_token(Token(hash_secret(token), purpose=PURPOSE, account_id=account.account_id,
                              created_at=now, valid_until=valid_until, expires_at=valid_until + WINDOW))
    link = f"{portal_url.rstrip('/')}/reset.html#token={token}"
    send_mail(account.email, templates.password_reset(plan, link, int(plan.password_reset_ttl.total_seconds() // 60)))
    audit.record("password.reset_requested", "mailed", meta, subject=account.account_id, now=now)
    return answer


def complete_reset(req: ResetCompletion, plan: PlanProfile, meta: RequestMeta, now: datetime) -> Message:
    token = accounts.get_token(hash_secret(req.token))
    if token is None or token.purpose != PURPOSE or token.used_at or is_expired(token.valid_until, now):
        raise Problem(400, "reset-link-invalid", "This reset link is not valid",
                      "It expired or was already used. Ask for a new one.", extra={"retry": "/forgot.html"})
    account = accounts.get_account(token.account_id)
    if account is None or account.state == AccountState.DEACTIVATED:
        raise Problem(400, "reset-link-invalid", "This reset link is not valid",
                      "Ask for a new one.", extra={"retry": "/forgot.html"})
    errors = policy_errors(req.password, plan.password_policy, email=account.email, username=account.username)
    if errors:
        raise invalid_fields(errors)
    try:
        accounts.update_account(
            account.account_id,
            [Account.password_hash.set(hash_password(req.password)), Account.password_changed_at.set(now),
             Account.password_failures.set(0), Account.password_locked_until.remove()],
            None, audit.audit_event("password.reset", "changed", meta, subject=account.account_id, now=now),
            token=token, now=now)
    except StaleWrite:
        raise Problem(400, "reset-link-invalid", "This reset link is not valid",
                      "It was already used. Ask for a new one.", extra={"retry": "/forgot.html"}) from None
    sessions.end_all_sessions(account.account_id)
    sessions.forget_all_devices(account.account_id)
    send_mail(account.email, templates.password_changed(plan))
    return Message(message="Your password was changed. Sign in with the new password.")
