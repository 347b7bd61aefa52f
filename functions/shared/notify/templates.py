"""The words of every message, per plan profile. No PHI; the only secret is the link or code itself."""

from __future__ import annotations

from html import escape

from functions.shared.notify.mail import Mail
from functions.shared.plans import PlanProfile

ACTIVATE_SUBJECT = "Activate Account"


def _html(paragraphs: list[str], link: tuple[str, str] | None = None) -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    if link:
        href, label = link
        body += f'<p><a href="{escape(href, quote=True)}">{escape(label)}</a></p>'
    return f"<!doctype html><html><body>{body}</body></html>"


def _footer(plan: PlanProfile) -> str:
    return (f"If you did not ask for this, ignore this email or call {plan.brand} provider services "
            f"at {plan.support_phone}.")


def activation_link(plan: PlanProfile, link: str, valid_days: int) -> Mail:
    lines = [
        f"Welcome to the {plan.portal_name}.",
        f"Activate your account within {valid_days} days with the link below.",
        _footer(plan),
    ]
    text = "\n\n".join([*lines[:2], link, lines[2]])
    return Mail(ACTIVATE_SUBJECT, text, _html(lines, (link, "Activate Account")), "activation_link")


def activation_code(plan: PlanProfile, code: str, valid_days: int) -> Mail:
    lines = [
        f"Welcome to the {plan.portal_name}.",
        f"Your verification code is {code}. Enter it when you sign in for the first time, "
        f"within {valid_days} days.",
        _footer(plan),
    ]
    return Mail(f"{plan.brand} verification code", "\n\n".join(lines), _html(lines), "activation_code")


def already_registered(plan: PlanProfile, signin_url: str, reset_url: str) -> Mail:
    lines = [
        f"Someone tried to register for the {plan.portal_name} with this email address, "
        "which already has an account.",
        f"You are already registered: sign in at {signin_url}. If you forgot your password, "
        f"reset it at {reset_url}. Each person needs their own account and email address.",
        _footer(plan),
    ]
    return Mail(f"You already have a {plan.brand} account", "\n\n".join(lines), _html(lines),
                "already_registered")


def already_active(plan: PlanProfile, signin_url: str) -> Mail:
    lines = [
        f"A new activation email was requested for this address, but your {plan.portal_name} "
        "account is already active.",
        f"Sign in at {signin_url}.",
        _footer(plan),
    ]
    return Mail(f"Your {plan.brand} account is already active", "\n\n".join(lines), _html(lines),
                "already_active")


def mfa_code(plan: PlanProfile, code: str, minutes: int) -> Mail:
    lines = [
        f"Your {plan.brand} sign-in code is {code}. It expires in {minutes} minutes.",
        "Never share this code. We will never call or write to ask for it.",
        _footer(plan),
    ]
    return Mail(f"{plan.brand} sign-in code", "\n\n".join(lines), _html(lines), "mfa_code")


def factor_changed(plan: PlanProfile, *, added: str | None = None, removed: str | None = None) -> Mail:
    change = f"A sign-in method was added: {added}." if added else f"A sign-in method was removed: {removed}."
    lines = [
        change,
        "For your safety, devices that skipped the extra check must pass it again at the next sign-in.",
        f"If this was not you, reset your password now and call {plan.brand} provider services at "
        f"{plan.support_phone}.",
    ]
    return Mail(f"Your {plan.brand} sign-in methods changed", "\n\n".join(lines), _html(lines),
                "factor_changed")


def password_reset(plan: PlanProfile, link: str, minutes: int) -> Mail:
    lines = [
        f"Someone asked to reset the password of your {plan.portal_name} account.",
        f"Choose a new password with the link below within {minutes} minutes. The link works once.",
        _footer(plan),
    ]
    text = "\n\n".join([*lines[:2], link, lines[2]])
    return Mail(f"Reset your {plan.brand} password", text, _html(lines, (link, "Reset password")),
                "password_reset")


def password_changed(plan: PlanProfile) -> Mail:
    lines = [
        f"The password of your {plan.portal_name} account was changed.",
        "You were signed out everywhere, and every device must pass the extra sign-in check again.",
        f"If this was not you, call {plan.brand} provider services at {plan.support_phone} now.",
    ]
    return Mail(f"Your {plan.brand} password was changed", "\n\n".join(lines), _html(lines),
                "password_changed")


def footer(plan: PlanProfile) -> str:
    """The closing line of every mail: what to do if you did not ask for it."""
    return _footer(plan)


def simple(kind: str, subject: str, *lines: str) -> Mail:
    """A mail of plain paragraphs (text and HTML); steps build their own mails with it."""
    return Mail(subject, "\n\n".join(lines), _html(list(lines)), kind)


def org_agreement_to_review(plan: PlanProfile, group: str, reminder: bool) -> Mail:
    prefix = "Reminder: " if reminder else ""
    return simple("org_agreement_review", f"{prefix}organizational agreement to review: {group}",
                  f"{prefix}The organizational agreement of {group} waits for a provider-relations decision.",
                  plan.org_agreement_promise, "Review it with the staff tool.")
