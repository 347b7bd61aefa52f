"""The mails only sign-in sends."""

from __future__ import annotations

from functions.shared.core.plans import PlanProfile
from functions.shared.services.notify.mail import Mail
from functions.shared.services.notify.templates import footer, simple
from functions.shared.services.security.lockout import MAX_CONSECUTIVE_FAILURES


def reset_required(plan: PlanProfile, reset_url: str) -> Mail:
    return simple(
        "signin_reset_required", f"Reset your {plan.brand} password to sign in again",
        f"There were {MAX_CONSECUTIVE_FAILURES} failed sign-ins in a row with your {plan.portal_name} account, "
        "so it no longer accepts its password.",
        f"To sign in again, choose a new password at {reset_url}. If these attempts were not yours, someone may "
        "be guessing your password: choose one you use nowhere else.",
        footer(plan),
    )
