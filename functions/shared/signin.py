"""Starting a session: shared by sign-in, MFA and factor enrolment, so every path issues the same
cookies, CSRF token and audit record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from aws_lambda_powertools.shared.cookies import Cookie
from pydantic import BaseModel, Field

from functions.shared import audit
from functions.shared.http import RequestMeta
from functions.shared.plans import PlanProfile
from functions.shared.security.secrets import hash_secret, new_token
from functions.shared.sessions import Stage, csrf_token, device_cookie, session_cookie
from functions.shared.store import sessions
from functions.shared.store.models import Account, Device, Session

NEXT_PAGE = {Stage.MFA_SETUP: "/mfa-setup.html", Stage.MFA: "/mfa.html", Stage.FULL: "/account.html"}


class FactorView(BaseModel):
    factor_id: str
    kind: str
    label: str
    confirmed: bool
    device_ready: bool | None = Field(default=None, description="Push: whether the device has enrolled")


class SessionView(BaseModel):
    """What the browser learns about its session; the CSRF token goes into the X-CSRF-Token header."""

    stage: str
    next: str = Field(description="The page to go to")
    csrf_token: str | None = None
    factors: list[FactorView] = []
    offered_factors: list[str] = []


@dataclass
class Started:
    view: SessionView
    cookies: list[Cookie] = field(default_factory=list)


def factor_views(account: Account) -> list[FactorView]:
    return [FactorView(factor_id=f.factor_id, kind=f.kind, label=f.label, confirmed=f.confirmed,
                       device_ready=bool(f.public_key) if f.kind == "push" else None)
            for f in account.factors]


def session_view(account: Account, stage: str, plan: PlanProfile, session_token: str) -> SessionView:
    return SessionView(stage=stage, next=NEXT_PAGE[stage], csrf_token=csrf_token(session_token),
                       factors=factor_views(account), offered_factors=list(plan.mfa_factors))


def start(account: Account, stage: str, plan: PlanProfile, meta: RequestMeta, now: datetime, *,
          action: str, account_update: list | None = None, account_condition: object | None = None,
          replaces: str | None = None, remember_device: bool = False) -> Started:
    """A new session (new token, new CSRF token) in one transaction with the account change."""
    token = new_token()
    session = Session(hash_secret(token), account_id=account.account_id, stage=stage, created_at=now,
                      idle_until=now + plan.session_idle,
                      absolute_until=now + plan.session_absolute, source_ip=meta.source_ip or None,
                      user_agent=meta.user_agent or None, expires_at=now + plan.session_absolute)
    cookies = [session_cookie(token)]
    device = None
    if remember_device and stage == Stage.FULL:
        device_token = new_token()
        valid_until = now + plan.remember_device
        device = Device(hash_secret(device_token), device_id=new_token()[:16], account_id=account.account_id,
                        label=_device_label(meta.user_agent), created_at=now, valid_until=valid_until,
                        expires_at=valid_until)
        cookies.append(device_cookie(device_token, valid_until))
    event = audit.audit_event(action, stage, meta, subject=account.account_id, now=now,
                              detail={"remembered_device": bool(device)})
    sessions.start_session(session, account_update, account.account_id, event, replaces=replaces,
                           device=device, account_condition=account_condition)
    view = session_view(account, stage, plan, token)
    return Started(view, cookies)


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
