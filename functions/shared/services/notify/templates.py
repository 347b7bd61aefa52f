"""The words of messages several steps send, per plan profile, and the parts every mail shares
(a step's own mails live in its folder, e.g. functions/mfa/mails.py). No PHI; the only secret is the
link or code itself."""

from __future__ import annotations

import re
import unicodedata
from html import escape

from functions.shared.core.plans import PlanProfile
from functions.shared.services.notify.mail import Mail

ACTIVATE_SUBJECT = "Activate Account"


def html(paragraphs: list[str], link: tuple[str, str] | None = None) -> str:
    """The HTML body of a mail: one paragraph per line, and an optional (href, label) link."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    if link:
        href, label = link
        body += f'<p><a href="{escape(href, quote=True)}">{escape(label)}</a></p>'
    return f"<!doctype html><html><body>{body}</body></html>"


def quoted(text: str, limit: int = 100) -> str:
    """Text someone typed, for a mail to someone else: in quotes, invisible characters and line breaks
    dropped, and anything a mail program would turn into a link (a URL, an address, a domain) broken
    with brackets, so no sender can put a clickable link in another person's mail."""
    visible = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    flat = " ".join(visible.split())[:limit]
    defanged = _LINKISH.sub(lambda m: m.group(0).replace(".", "[.]").replace(":", "[:]").replace("@", "[@]"),
                            flat)
    return f"\u201c{defanged}\u201d"


_LINKISH = re.compile(r"[^\s]*(?:://|www\.|@)[^\s]*|[^\s]*[^\W\d_]{2,}\.[^\W\d_]{2,}[^\s]*", re.IGNORECASE)


def footer(plan: PlanProfile) -> str:
    """The last line of every mail: what to do if you did not ask for it."""
    return (f"If you did not ask for this, ignore this email or call {plan.brand} provider services "
            f"at {plan.support_phone}.")


def simple(kind: str, subject: str, *lines: str) -> Mail:
    """A mail of plain paragraphs (text and HTML); steps build their own mails with it."""
    return Mail(subject, "\n\n".join(lines), html(list(lines)), kind)


def activation_link(plan: PlanProfile, link: str, valid_days: int) -> Mail:
    lines = [
        f"Welcome to the {plan.portal_name}.",
        f"Activate your account within {valid_days} days with the link below.",
        footer(plan),
    ]
    text = "\n\n".join([*lines[:2], link, lines[2]])
    return Mail(ACTIVATE_SUBJECT, text, html(lines, (link, "Activate Account")), "activation_link")


def activation_code(plan: PlanProfile, code: str, valid_days: int) -> Mail:
    lines = [
        f"Welcome to the {plan.portal_name}.",
        f"Your verification code is {code}. Enter it when you sign in for the first time, "
        f"within {valid_days} days.",
        footer(plan),
    ]
    return Mail(f"{plan.brand} verification code", "\n\n".join(lines), html(lines), "activation_code")


def org_agreement_to_review(plan: PlanProfile, group: str, reminder: bool) -> Mail:
    prefix = "Reminder: " if reminder else ""
    return simple("org_agreement_review", f"{prefix}organizational agreement to review: {group}",
                  f"{prefix}The organizational agreement of {group} waits for a provider-relations decision.",
                  plan.org_agreement_promise, "Review it with the staff tool.")
