"""The mails only registration sends."""

from __future__ import annotations

from functions.shared.core.plans import PlanProfile
from functions.shared.services.notify.mail import Mail
from functions.shared.services.notify.templates import footer, html


def already_registered(plan: PlanProfile, signin_url: str, reset_url: str) -> Mail:
    lines = [
        f"Someone tried to register for the {plan.portal_name} with this email address, "
        "which already has an account.",
        f"You are already registered: sign in at {signin_url}. If you forgot your password, "
        f"reset it at {reset_url}. Each person needs their own account and email address.",
        footer(plan),
    ]
    return Mail(f"You already have a {plan.brand} account", "\n\n".join(lines), html(lines),
                "already_registered")
