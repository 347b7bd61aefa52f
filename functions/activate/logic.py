"""Activation rules: spend a valid link once; re-issue on request without revealing who has an account."""

from __future__ import annotations

from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from functions.activate.mails import already_active
from functions.activate.models import ActivationRequest, ActivationResult, ResendAccepted, ResendRequest
from functions.shared.core import audit
from functions.shared.core.errors import Problem
from functions.shared.core.http import RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import AccountState
from functions.shared.services import ratelimit
from functions.shared.services.activation import ACTIVATION, issue_activation_secret
from functions.shared.services.notify.mail import send_decoy, send_mail
from functions.shared.services.security.secrets import hash_secret, is_expired
from functions.shared.store import audit as audit_log
from functions.shared.store import repositories
from functions.shared.store.accounts import NO_ACCOUNT
from functions.shared.store.transactions import StaleWrite

logger = Logger(child=True)

RESEND_WINDOW = timedelta(hours=1)
RESEND_PAGE = "/resend.html"


def _link_problem(status: int, slug: str, title: str, detail: str) -> Problem:
    return Problem(status, slug, title, detail, extra={"resend": RESEND_PAGE})


def _used_link(account_id: str, meta: RequestMeta, now: datetime) -> Problem:
    audit_log.record("account.activate", "reused_link", meta, subject=account_id, now=now)
    return _link_problem(409, "activation-link-used", "This activation link was already used",
                         "Each link works once. If your account is active, sign in; otherwise ask for "
                         "a new activation email.")


def activate(req: ActivationRequest, meta: RequestMeta, now: datetime) -> ActivationResult:
    token_hash = hash_secret(req.token)
    token = repositories().tokens.get(token_hash)
    if token is None or token.purpose != ACTIVATION:
        audit_log.record("account.activate", "unknown_link", meta, now=now)
        raise _link_problem(404, "activation-link-unknown", "This activation link is not valid",
                            "Open the link in your newest 'Activate Account' email, or ask for a new one.")
    if token.used_at is not None:
        raise _used_link(token.account_id, meta, now)
    if is_expired(token.valid_until, now):
        audit_log.record("account.activate", "expired_link", meta, subject=token.account_id, now=now)
        raise _link_problem(410, "activation-link-expired", "This activation link has expired",
                            "Ask for a new activation email and use its link.")
    event = audit.audit_event("account.activate", "activated", meta, subject=token.account_id, now=now)
    try:
        repositories().accounts.activate(token.account_id, token_hash, now, event, token_hash=token_hash)
    except StaleWrite:
        # Lost to a request that used this same link a moment ago, or the link was replaced meanwhile.
        again = repositories().tokens.get(token_hash)
        if again is not None and again.used_at is not None:
            raise _used_link(token.account_id, meta, now) from None
        raise _link_problem(409, "activation-link-replaced", "This activation link is no longer valid",
                            "A newer activation email was sent, or the account is already active. Use the "
                            "newest email, or sign in.") from None
    return ActivationResult(state=AccountState.ACTIVE, next="/signin.html",
                            message="Your account is active. Sign in to set up multi-factor authentication.")


def resend(req: ResendRequest, plan: PlanProfile, meta: RequestMeta, portal_url: str,
           now: datetime) -> ResendAccepted:
    """Always the same answer; the mail goes only to an address that has an account."""
    ratelimit.hit("activation-resend", req.email, plan.resend_limit_per_hour, RESEND_WINDOW, now)
    accepted = ResendAccepted(message="If this address has an account waiting for activation, a new "
                                      "activation email is on its way. Earlier links stop working.")
    account = repositories().accounts.find_by_email(req.email)
    # Every answer does the same work, so timing does not tell who has an account: a secret issued and
    # written with its audit record in one transaction, and one queued message. Where no new secret is due,
    # it is issued for no account (never mailed, and useless) and the message is a decoy.
    if account is None:
        logger.info("activation resend for an unknown email", extra={"outcome": "no_account"})
        unused = issue_activation_secret(plan, NO_ACCOUNT, portal_url, now)
        repositories().accounts.note(None, audit.audit_event("account.activation_resent", "no_account", meta,
                                                             now=now), token=unused.token)
        send_decoy()
        return accepted
    if account.state != AccountState.PENDING_ACTIVATION:
        unused = issue_activation_secret(plan, NO_ACCOUNT, portal_url, now)
        repositories().accounts.note(account.account_id, audit.audit_event(
            "account.activation_resent", "already_active", meta, subject=account.account_id, now=now),
            token=unused.token)
        send_mail(req.email, already_active(plan, f"{portal_url.rstrip('/')}/signin.html"))
        return accepted
    secret = issue_activation_secret(plan, account.account_id, portal_url, now)
    event = audit.audit_event("account.activation_resent", "issued", meta, subject=account.account_id,
                              now=now)
    try:
        repositories().accounts.replace_activation_secret(account.account_id, secret.secret_hash,
                                                          secret.valid_until, event, token=secret.token)
    except StaleWrite:
        return accepted  # activated meanwhile: nothing to resend
    send_mail(req.email, secret.mail)
    return accepted
