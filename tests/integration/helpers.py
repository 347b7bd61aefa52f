"""What integration tests read back: the mail that was sent and the records that were stored."""

from __future__ import annotations

import re

from tests.integration.conftest import outbox

STRONG = "Lantern-Orbit-42"


def mails_to(email: str) -> list:
    return [m for m in outbox() if email in m.destinations["ToAddresses"]]


def activation_token(email: str) -> str:
    mail = [m for m in mails_to(email) if m.subject == "Activate Account"][-1]
    match = re.search(r"activate\.html#token=([A-Za-z0-9_-]+)", mail.body)
    assert match, "the activation mail has a link"
    return match.group(1)


def registration(email: str = "jane.doe@clinic.example", **extra: object) -> dict:
    return {"email": email, "password": STRONG, "first_name": "Jane", "last_name": "Doe", **extra}


def last_code(email: str) -> str:
    """The newest 6-digit code mailed to `email`."""
    mail = [m for m in mails_to(email) if re.search(r"\b\d{6}\b", m.body)][-1]
    return re.search(r"\b(\d{6})\b", mail.body).group(1)


def active_account(browser, email: str = "jane.doe@clinic.example", password: str = STRONG) -> None:
    """Register and activate through the API, as a user would."""
    assert browser.post("/registrations", registration(email=email, password=password)).status == 202
    assert browser.post("/activations", {"token": activation_token(email)}).status == 200


def sign_in(browser, login: str = "jane.doe@clinic.example", password: str = STRONG, **extra: object):
    return browser.post("/sessions", {"login": login, "password": password, **extra})
