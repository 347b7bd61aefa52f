"""The mails only password reset sends."""

from __future__ import annotations

from functions.shared.core.plans import PlanProfile
from functions.shared.services.notify.mail import Mail
from functions.shared.services.notify.templates import footer, html


def password_reset(plan: PlanProfile, link: str, minutes: int) -> Mail:
    lines = [
        f"Someone asked to reset the password of your {plan.portal_name} account.",
        f"Choose a new password with the link below within {minutes} minutes. The link works once.",
        footer(plan),
    ]
    text = "\n\n".join([*lines[:2], link, lines[2]])
    return Mail(f"Reset your {plan.brand} password", text, html(lines, (link, "Reset password")),
                "password_reset")


def password_changed(plan: PlanProfile) -> Mail:
    lines = [
        f"The password of your {plan.portal_name} account was changed.",
        "You were signed out everywhere, and every device must pass the extra sign-in check again.",
        f"If this was not you, call {plan.brand} provider services at {plan.support_phone} now.",
    ]
    return Mail(f"Your {plan.brand} password was changed", "\n\n".join(lines), html(lines),
                "password_changed")
