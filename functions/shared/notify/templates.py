"""The words of messages several steps send, per plan profile, and the parts every mail shares
(a step's own mails live in its folder, e.g. functions/mfa/mails.py). No PHI; the only secret is the
link or code itself."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from functions.shared.notify.mail import Mail
from functions.shared.plans import PlanProfile

ACTIVATE_SUBJECT = "Activate Account"


def html(paragraphs: list[str], link: tuple[str, str] | None = None) -> str:
    """The HTML body of a mail: one paragraph per line, and an optional (href, label) link."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    if link:
        href, label = link
        body += f'<p><a href="{escape(href, quote=True)}">{escape(label)}</a></p>'
    return f"<!doctype html><html><body>{body}</body></html>"


def footer(plan: PlanProfile) -> str:
    """The last line of every mail: what to do if you did not ask for it."""
    return (f"If you did not ask for this, ignore this email or call {plan.brand} provider services "
            f"at {plan.support_phone}.")


_html = html  # the names the templates below use
_footer = footer


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


def _simple(kind: str, subject: str, *lines: str) -> Mail:
    return Mail(subject, "\n\n".join(lines), _html(list(lines)), kind)


def access_requested(plan: PlanProfile, requester: str, provider: str, provider_id: str, portal_url: str,
                     days: int) -> Mail:
    return _simple("access_requested", f"{plan.brand}: a request to join {provider}",
                   f"{requester} asked for access to {provider} in the {plan.portal_name}.",
                   f"As its administrator, approve or deny the request within {days} business days at "
                   f"{portal_url}/members.html?provider={quote(provider_id)} . Without a decision it expires.",
                   _footer(plan))


def access_granted(plan: PlanProfile, provider: str, portal_url: str) -> Mail:
    return _simple("access_granted", f"{plan.brand}: you have access to {provider}",
                   f"Your access to {provider} in the {plan.portal_name} is ready.",
                   f"Sign in at {portal_url}/signin.html.", _footer(plan))


def access_not_granted(plan: PlanProfile, provider: str, reason: str) -> Mail:
    return _simple("access_not_granted", f"{plan.brand}: your request for {provider}",
                   f"Your request for access to {provider} was not granted: {reason}",
                   f"You may ask again from your account page, or call {plan.support_phone}.", _footer(plan))


def agreement_needed(plan: PlanProfile, provider: str, portal_url: str) -> Mail:
    return _simple("agreement_needed", f"{plan.brand}: accept the Provider Agreement",
                   f"To finish linking {provider}, read and accept the Provider Agreement at "
                   f"{portal_url}/agreement.html.", _footer(plan))


def org_agreement_needed(plan: PlanProfile, provider: str, provider_id: str, portal_url: str) -> Mail:
    return _simple("org_agreement_needed", f"{plan.brand}: organizational agreement for {provider}",
                   f"{provider} needs an organizational agreement, signed once per group by a supervisor, "
                   f"manager or owner, at {portal_url}/org-agreement.html?provider={quote(provider_id)} .",
                   plan.org_agreement_promise, _footer(plan))


def org_agreement_to_review(plan: PlanProfile, group: str, reminder: bool) -> Mail:
    prefix = "Reminder: " if reminder else ""
    return _simple("org_agreement_review", f"{prefix}organizational agreement to review: {group}",
                   f"{prefix}The organizational agreement of {group} waits for a provider-relations decision.",
                   plan.org_agreement_promise, "Review it with the staff tool.")
