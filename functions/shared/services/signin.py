"""Starting a session: shared by sign-in, MFA and factor enrolment, so every path issues the same
cookies, CSRF token and audit record. Which page comes next is the calling step's to say."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger
from aws_lambda_powertools.shared.cookies import Cookie
from pydantic import BaseModel, Field

from functions.shared.core import audit
from functions.shared.core.errors import Problem
from functions.shared.core.http import RequestMeta
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import FactorKind, SessionStage
from functions.shared.services.notify import lifecycle as lifecycle_mails
from functions.shared.services.notify.mail import send_mail
from functions.shared.services.security.secrets import hash_secret, new_token
from functions.shared.services.sessions import csrf_token, device_cookie, session_cookie
from functions.shared.store import repositories
from functions.shared.store.accounts import AccountChange, AccountView
from functions.shared.store.devices import DeviceRecord
from functions.shared.store.sessions import SessionRecord

logger = Logger(child=True)

PARTIAL_SESSION_LIFE = timedelta(minutes=10)


def tell_how_to_reactivate(account: AccountView, plan: PlanProfile, now: datetime) -> None:
    """A deactivated account that tries to sign in (by password or passkey) is told by mail, at most once a
    day, how to get reactivated; the answer on the page stays the wrong-credentials one. A mail that
    cannot be sent is logged, never answered differently."""
    if not repositories().lifecycle.claim_notice(account.account_id, now.date()):
        return
    try:
        send_mail(account.email, lifecycle_mails.how_to_reactivate(plan))
    except Problem:
        logger.error("reactivation notice not sent", extra={"account_id": account.account_id})


class FactorView(BaseModel):
    factor_id: str
    kind: FactorKind
    label: str
    confirmed: bool
    device_ready: bool | None = Field(default=None, description="Push: whether the device has enrolled")


class SessionView(BaseModel):
    """What the browser learns about its session; the CSRF token goes into the X-CSRF-Token header."""

    stage: SessionStage
    next: str = Field(description="The page to go to")
    csrf_token: str | None = None
    factors: list[FactorView] = []
    offered_factors: list[str] = []


@dataclass
class Started:
    view: SessionView
    cookies: list[Cookie] = field(default_factory=list)
    session_hash: str = ""  # the new session's key, for a step that must keep it while ending others


def factor_views(account: AccountView) -> list[FactorView]:
    return [FactorView(factor_id=f.factor_id, kind=f.kind, label=f.label, confirmed=f.confirmed,
                       device_ready=bool(f.public_key) if f.kind == FactorKind.PUSH else None)
            for f in account.factors]


def session_view(account: AccountView, stage: SessionStage, plan: PlanProfile, session_token: str,
                 next_page: str) -> SessionView:
    return SessionView(stage=stage, next=next_page, csrf_token=csrf_token(session_token),
                       factors=factor_views(account), offered_factors=list(plan.mfa_factors))


def start(account: AccountView, stage: SessionStage, plan: PlanProfile, meta: RequestMeta, now: datetime, *,
          action: str, next_page: str, change: AccountChange | None = None, replaces: str | None = None,
          remember_device: bool = False) -> Started:
    """A new session (new token, new CSRF token) in one transaction with the account change.
    `account` is the account as the session will see it (the change applied). StaleWrite if the
    change's conditions fail."""
    token = new_token()
    # A session that has not finished MFA is only a few steps of a sign-in: it lives minutes, not hours.
    idle, absolute = plan.session_idle, plan.session_absolute
    if stage != SessionStage.FULL:
        idle, absolute = min(idle, PARTIAL_SESSION_LIFE), min(absolute, PARTIAL_SESSION_LIFE)
    session = SessionRecord(hash_secret(token), account_id=account.account_id, stage=stage, created_at=now,
                            idle_until=now + idle, absolute_until=now + absolute,
                            source_ip=meta.source_ip or None, user_agent=meta.user_agent or None)
    cookies = [session_cookie(token)]
    device = None
    if remember_device and stage == SessionStage.FULL:
        device_token = new_token()
        valid_until = now + plan.remember_device
        device = DeviceRecord(hash_secret(device_token), device_id=new_token()[:16], account_id=account.account_id,
                              label=_device_label(meta.user_agent), created_at=now, valid_until=valid_until)
        cookies.append(device_cookie(device_token, valid_until))
    event = audit.audit_event(action, stage, meta, subject=account.account_id, now=now,
                              detail={"remembered_device": bool(device)})
    repositories().sessions.start(session, account, event, change=change, replaces=replaces, device=device)
    return Started(session_view(account, stage, plan, token, next_page), cookies, session.session_hash)


def _device_label(user_agent: str) -> str:
    for browser in ("Edg", "Firefox", "Chrome", "Safari"):
        if browser in user_agent:
            name = "Edge" if browser == "Edg" else browser
            break
    else:
        name = "Browser"
    for system in ("Windows", "Mac OS", "iPhone", "Android", "Linux"):
        if system in user_agent:
            return f"{name} on {system}"
    return name
