"""Who may pass: a live session, fully signed in (or still in MFA, for the MFA routes only), and a
CSRF token on every state-changing request. Everything else is refused.

A refusal of a live session names its problem in the authorizer context (`subtype`, `detail`): API
Gateway's ACCESS_DENIED response (infra/constructs/api.py) and the devserver answer 403 with type
`/problems/forbidden<subtype>`, so a client can tell "finish MFA" (`/problems/forbidden/mfa-required`)
from "CSRF token missing" (`.../csrf-missing`) and "CSRF token wrong" (`.../csrf-invalid`). Gateway
response templates only substitute variables (no VTL), hence a suffix: an IAM denial, which has no
authorizer context, reads plain `/problems/forbidden`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from functions.shared.core.lifecycle import active_key
from functions.shared.core.plans import PlanProfile
from functions.shared.core.states import SessionStage
from functions.shared.services.security.secrets import hash_secret
from functions.shared.services.sessions import SESSION_COOKIE, csrf_ok, read_cookie
from functions.shared.store import repositories

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# reason -> (type suffix, title, detail) of the 403 a live session gets when it is refused.
REFUSALS: dict[str, tuple[str, str, str]] = {
    "mfa_incomplete": ("/mfa-required", "Finish signing in",
                       "Verify your identity with one of your sign-in methods first (POST /mfa/verify)."),
    "csrf_missing": ("/csrf-missing", "CSRF token missing",
                     "Send the X-CSRF-Token header (the csrf_token of GET /sessions/current) with every "
                     "request that changes something."),
    "csrf_invalid": ("/csrf-invalid", "CSRF token wrong",
                     "The X-CSRF-Token header does not belong to this session. Fetch the current token "
                     "from GET /sessions/current and send the request again."),
}


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
        return _refused("mfa_incomplete", context)
    if method not in SAFE_METHODS:
        if not csrf_header:
            return _refused("csrf_missing", context)
        if not csrf_ok(token, csrf_header):
            return _refused("csrf_invalid", context)
    if session.active_day != active_key(now):
        # An authenticated request is activity: recorded once a day per session, not on every request.
        repositories().lifecycle.record_activity(session.account_id, session.session_hash, now)
    return Decision(True, "ok", context)


def _refused(reason: str, context: dict[str, str]) -> Decision:
    subtype, title, detail = REFUSALS[reason]
    return Decision(False, reason, {**context, "subtype": subtype, "title": title, "detail": detail})
