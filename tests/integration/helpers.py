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


def signed_in_user(gateway, email: str, first_name: str = "Jane"):
    """A user who registered, activated, signed in and enrolled an email factor: fully signed in."""
    from tests.integration.browser import Browser

    browser = Browser(gateway)
    assert browser.post("/registrations", registration(email=email, first_name=first_name)).status == 202
    assert browser.post("/activations", {"token": activation_token(email)}).status == 200
    assert sign_in(browser, login=email).status == 200
    factor = browser.post("/mfa/factors", {"kind": "email"}).body["factor_id"]
    assert browser.post(f"/mfa/factors/{factor}/confirm", {"code": last_code(email)}).status == 200
    return browser


GROUP = {"provider_type": "group", "group_name": "Riverside Family Practice", "tax_id": "12-3456789",
         "provider_number": "G1000001", "zip": "43017-1234"}
PRACTITIONER = {"provider_type": "practitioner", "first_name": "james", "last_name": "O'NEIL",
                "tax_id": "123456789", "provider_number": "p2000002", "zip": "43017"}
