"""Who may pass: a live session, fully signed in (or still in MFA, for the MFA routes only), and a
CSRF token on every state-changing request. Everything else is refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from functions.shared.lifecycle import active_key
from functions.shared.plans import PlanProfile
from functions.shared.security.secrets import hash_secret
from functions.shared.sessions import SESSION_COOKIE, csrf_ok, read_cookie
from functions.shared.states import SessionStage
from functions.shared.store import repositories

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Decision:
    allow: bool
    reason: str
    context: dict[str, str] = field(default_factory=dict)

    @property
    def authenticated(self) -> bool:
        """False: no live session at all (401). True with allow=False: signed in, not allowed (403)."""
        return bool(self.context)


def partial_routes(setting: str) -> frozenset[str]:
    return frozenset(r.strip() for r in setting.split(",") if r.strip())


def authorize(cookie_header: str | None, csrf_header: str | None, method: str, resource: str,
              partial: frozenset[str], plan: PlanProfile, now: datetime) -> Decision:
    token = read_cookie(cookie_header, SESSION_COOKIE)
    if not token:
        return Decision(False, "no_session")
    session = repositories().sessions.touch(hash_secret(token), now, plan.session_idle)
    if session is None:
        return Decision(False, "session_ended")
    context = {"account_id": session.account_id, "session_hash": session.session_hash, "stage": str(session.stage)}
    if session.stage != SessionStage.FULL and f"{method} {resource}" not in partial:
        return Decision(False, "mfa_incomplete", context)
    if method not in SAFE_METHODS and not csrf_ok(token, csrf_header):
        return Decision(False, "csrf", context)
    if session.active_day != active_key(now):
        # An authenticated request is activity: recorded once a day per session, not on every request.
        repositories().lifecycle.record_activity(session.account_id, session.session_hash, now)
    return Decision(True, "ok", context)
