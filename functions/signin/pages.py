"""The pages a sign-in leads to, per session stage."""

from __future__ import annotations

from functions.shared.core.states import SessionStage

NEXT_PAGE = {SessionStage.MFA_SETUP: "/mfa-setup.html", SessionStage.MFA: "/mfa.html",
             SessionStage.FULL: "/account.html"}
RESEND_PAGE = "/resend.html"
