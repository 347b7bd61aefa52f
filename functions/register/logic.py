"""Registration rules: validate per plan, hash, create the account race-free, mail the next step.

An email that already has an account gets the same answer as a new one; its owner is mailed
instead (at most once an hour), or, while the account still waits for activation, sent a new
activation link or code. A CAPTCHA solution is spent before anything else is looked at, and the
limits per address and per source count before any lookup, so neither tells who has an account.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from functions.register.mails import already_registered
from functions.register.models import (
    CaptchaChallenge,
    RegistrationAccepted,
    RegistrationRequest,
    registration_errors,
)
from functions.shared.core import audit
from functions.shared.core.errors import FieldError, Problem, invalid_fields
from functions.shared.core.forms import given_values
from functions.shared.core.http import RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import AccountState
from functions.shared.services import ratelimit
from functions.shared.services.activation import issue_activation_secret
from functions.shared.services.notify.mail import send_mail
from functions.shared.services.security import captcha
from functions.shared.services.security.passwords import hash_password
from functions.shared.store import repositories
from functions.shared.store.accounts import NewAccount, taken_value
from functions.shared.store.transactions import StaleWrite, UniqueKeyTaken

logger = Logger(child=True)

WINDOW = timedelta(hours=1)
EXISTING_ADDRESS_MAILS_PER_HOUR = 1

def captcha_challenge(plan: PlanProfile) -> CaptchaChallenge:
    if not plan.requires_captcha:
        raise Problem(404, "not-found", "Not found", "This portal's sign-up form has no security code.")
    return CaptchaChallenge.model_validate(captcha.new_challenge())


def register(form: RegistrationRequest, plan: PlanProfile, meta: RequestMeta, portal_url: str,
             now: datetime) -> RegistrationAccepted:
    if plan.requires_captcha and form.captcha is not None:
        captcha.spend(form.captcha, now)  # first, whatever the outcome: a solution answers one attempt
    errors = registration_errors(given_values(dict(form)), plan)
    if errors:
        raise invalid_fields(errors)
    ratelimit.hit("register-source", meta.source, plan.registrations_per_source_per_hour, WINDOW, now)
    ratelimit.hit("register-address", form.email, plan.registrations_per_address_per_hour, WINDOW, now)

    account_id = str(uuid.uuid4())
    secret = issue_activation_secret(plan, account_id, portal_url, now)
    account = _new_account(account_id, form, plan, secret.secret_hash, secret.valid_until, now)
    event = audit.audit_event("account.register", "created", meta, subject=account_id, now=now)
    try:
        repositories().accounts.create(account, event, token=secret.token)
    except UniqueKeyTaken as taken:
        _answer_taken(taken_value(taken), form, plan, meta, portal_url, now)
    else:
        send_mail(form.email, secret.mail)
    return RegistrationAccepted(
        email=form.email,
        message="Check your email. We sent a message to this address with the next step to activate "
                "your account.",
    )


def _new_account(account_id: str, form: RegistrationRequest, plan: PlanProfile, secret_hash: str,
                 secret_valid_until: datetime, now: datetime) -> NewAccount:
    extended = plan.registration_form == "cmo"
    return NewAccount(
        account_id=account_id,
        plan=plan.key,
        email=form.email,
        password_hash=hash_password(form.password),
        first_name=form.first_name,
        last_name=form.last_name,
        username=form.username if extended else None,
        display_name=form.display_name if extended else None,
        group_name=form.group_name if extended else None,
        phone=form.telephone if extended else None,
        fax=form.fax if extended else None,
        created_at=now,
        activation_secret_hash=secret_hash,
        activation_expires_at=secret_valid_until,
    )


def _answer_taken(value: str, form: RegistrationRequest, plan: PlanProfile, meta: RequestMeta, portal_url: str,
                  now: datetime) -> None:
    if value == "username":
        raise invalid_fields([FieldError("username", "This user name is taken. Choose another.", "taken")])
    # Same answer as a new account; only the mailbox owner learns the address is registered, and at
    # most once an hour, so sign-up cannot be used to flood someone's mailbox.
    if not ratelimit.allow("register-existing-mail", form.email, EXISTING_ADDRESS_MAILS_PER_HOUR, WINDOW, now):
        logger.info("registration for an existing email", extra={"outcome": "mail_skipped"})
        return
    existing = repositories().accounts.find_by_email(form.email)
    if existing is not None and existing.state == AccountState.PENDING_ACTIVATION \
            and _resend_activation(existing.account_id, form.email, plan, meta, portal_url, now):
        logger.info("registration for an email waiting for activation", extra={"outcome": "activation_resent"})
        return
    logger.info("registration for an existing email", extra={"outcome": "already_registered"})
    base = portal_url.rstrip("/")
    send_mail(form.email, already_registered(plan, f"{base}/signin.html", f"{base}/forgot.html"))


def _resend_activation(account_id: str, email: str, plan: PlanProfile, meta: RequestMeta, portal_url: str,
                       now: datetime) -> bool:
    """The registrant never activated: what they need is a fresh activation link (or code), not
    'sign in'. False if the account was activated meanwhile."""
    secret = issue_activation_secret(plan, account_id, portal_url, now)
    event = audit.audit_event("account.activation_resent", "issued", meta, subject=account_id, now=now,
                              detail={"by": "registration"})
    try:
        repositories().accounts.replace_activation_secret(account_id, secret.secret_hash, secret.valid_until,
                                                          event, token=secret.token)
    except StaleWrite:
        return False
    send_mail(email, secret.mail)
    return True
