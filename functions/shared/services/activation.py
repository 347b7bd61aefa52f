"""Issuing an activation secret: a mailed link (most plans) or a mailed code (plans that verify at
first sign-in). Shared by registration and by "send me a new activation email"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import TokenPurpose
from functions.shared.services.notify.mail import Mail
from functions.shared.services.notify.templates import activation_code, activation_link
from functions.shared.services.security.secrets import hash_secret, new_code, new_token
from functions.shared.store.tokens import TokenView, new_token_record

ACTIVATION = TokenPurpose.ACTIVATION
USED_TOKEN_MEMORY = timedelta(days=30)  # how long a spent link still explains itself ("already used")


@dataclass(frozen=True)
class IssuedSecret:
    secret_hash: str
    valid_until: datetime
    token: TokenView | None  # a link has a token record to look up; a code is checked on the account
    mail: Mail


def activation_page(portal_url: str, token: str) -> str:
    # The token rides in the fragment: browsers never send it to a server or in a Referer header.
    return f"{portal_url.rstrip('/')}/activate.html#token={token}"


def issue_activation_secret(plan: PlanProfile, account_id: str, portal_url: str,
                            now: datetime) -> IssuedSecret:
    valid_until = now + plan.activation_ttl
    days = plan.activation_ttl.days
    if plan.verification == "code":
        code = new_code()
        return IssuedSecret(hash_secret(code, scope=account_id), valid_until, None,
                            activation_code(plan, code, days))
    token = new_token()
    token_hash = hash_secret(token)
    record = new_token_record(token_hash, ACTIVATION, account_id, now, plan.activation_ttl, USED_TOKEN_MEMORY)
    return IssuedSecret(token_hash, valid_until, record,
                        activation_link(plan, activation_page(portal_url, token), days))
