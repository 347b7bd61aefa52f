"""The mails only activation sends."""

from __future__ import annotations

from functions.shared.core.plans import PlanProfile
from functions.shared.services.notify.mail import Mail
from functions.shared.services.notify.templates import footer, html


def already_active(plan: PlanProfile, signin_url: str) -> Mail:
    lines = [
        f"A new activation email was requested for this address, but your {plan.portal_name} "
        "account is already active.",
        f"Sign in at {signin_url}.",
        footer(plan),
    ]
    return Mail(f"Your {plan.brand} account is already active", "\n\n".join(lines), html(lines),
                "already_active")
