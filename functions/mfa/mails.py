"""The mails only multi-factor authentication sends."""

from __future__ import annotations

from functions.shared.core.plans import PlanProfile
from functions.shared.services.notify.mail import Mail
from functions.shared.services.notify.templates import footer, html


def mfa_code(plan: PlanProfile, code: str, minutes: int) -> Mail:
    lines = [
        f"Your {plan.brand} sign-in code is {code}. It expires in {minutes} minutes.",
        "Never share this code. We will never call or write to ask for it.",
        footer(plan),
    ]
    return Mail(f"{plan.brand} sign-in code", "\n\n".join(lines), html(lines), "mfa_code")


def factor_changed(plan: PlanProfile, *, added: str | None = None, removed: str | None = None) -> Mail:
    change = f"A sign-in method was added: {added}." if added else f"A sign-in method was removed: {removed}."
    lines = [
        change,
        "For your safety, devices that skipped the extra check must pass it again at the next sign-in.",
        f"If this was not you, reset your password now and call {plan.brand} provider services at "
        f"{plan.support_phone}.",
    ]
    return Mail(f"Your {plan.brand} sign-in methods changed", "\n\n".join(lines), html(lines),
                "factor_changed")


def passkey_renamed(plan: PlanProfile, before: str, after: str) -> Mail:
    lines = [
        f"One of your passkeys was renamed from “{before}” to “{after}”.",
        f"If this was not you, reset your password now and call {plan.brand} provider services at "
        f"{plan.support_phone}.",
    ]
    return Mail(f"Your {plan.brand} sign-in methods changed", "\n\n".join(lines), html(lines), "factor_changed")
