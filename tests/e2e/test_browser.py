"""Journeys in a real browser: sign up, read the mail in the outbox, activate; policy errors; the cmo form."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Portal
from tests.e2e.helpers import shot

pytestmark = pytest.mark.e2e

STRONG = "Lantern-Orbit-42"


def new_email() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}@clinic.example"


def fill_standard(page: Any, email: str, password: str) -> None:
    page.fill("#first_name", "Ada")
    page.fill("#last_name", "Lovelace")
    page.fill("#email", email)
    page.fill("#password", password)


def test_sign_up_then_activate_from_the_outbox(portal: Portal, page: Any) -> None:
    email = new_email()
    page.goto(f"{portal.url}/")
    page.get_by_role("link", name="Create an account").click()
    page.wait_for_url("**/register.html")
    expect(page).to_have_title(re.compile("CareSource Provider Portal"))

    fill_standard(page, email, STRONG)
    page.get_by_role("button", name="Create account").click()
    done = page.locator("#registration-done")
    done.wait_for()
    assert "Check your email" in done.inner_text()
    assert email in done.inner_text()

    done.get_by_role("link", name="outbox").click()
    page.wait_for_url("**/outbox.html")
    mail = page.locator("article.message", has_text=email)
    assert "Activate Account" in mail.locator("h3").inner_text()
    mail.get_by_role("link", name="Activate Account").click()

    page.wait_for_url(re.compile(r".*/activate\.html$"))  # the token left the address bar
    assert "#token=" not in page.url
    page.get_by_role("button", name="Activate my account").click()
    result = page.locator("#activate-result")
    result.wait_for()
    assert "Your account is active" in result.inner_text()  # the API's message
    shot(page, "e2e-activation.png")

    # The same link a second time: the problem's title, detail and a way to a new email.
    [link] = next(m for m in portal.mails_to(email) if m["subject"] == "Activate Account")["links"]
    page.goto(link["href"])
    page.get_by_role("button", name="Activate my account").click()
    result.get_by_role("link", name="Send me a new activation email").wait_for()
    assert "already used" in result.inner_text()


def test_activation_page_does_nothing_until_asked(portal: Portal, page: Any) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{portal.url}/activate.html#token={'x' * 43}")
    page.get_by_role("button", name="Activate my account").wait_for()

    assert not [url for url in requests if "/api/" in url]


def test_password_policy_errors_show_next_to_the_field(portal: Portal, page: Any) -> None:
    page.goto(f"{portal.url}/register.html")
    fill_standard(page, new_email(), "password")
    page.get_by_role("button", name="Create account").click()

    error = page.locator("#password-error")
    error.wait_for()
    text = error.inner_text()
    assert "Use at least 12 characters." in text
    assert "Add at least one capital letter." in text
    assert "too common" in text
    assert page.get_attribute("#password", "aria-invalid") == "true"
    summary = page.locator("#error-summary")
    assert "Correct the fields" in summary.inner_text()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    shot(page, "e2e-password-policy.png")

    # Fixing the password clears the old errors on the next submission.
    page.fill("#password", STRONG)
    page.get_by_role("button", name="Create account").click()
    page.locator("#registration-done").wait_for()
    assert page.locator("#password-error").is_hidden()


def test_cmo_sign_up_solves_the_captcha_and_mails_a_code(cmo_portal: Portal, page: Any) -> None:
    email = new_email()
    page.goto(f"{cmo_portal.url}/register.html")
    expect(page).to_have_title(re.compile("Post-N-Track"))
    page.fill("#first_name", "Grace")
    page.fill("#last_name", "Hopper")
    page.fill("#email", email)
    page.fill("#username", f"ghopper{uuid.uuid4().hex[:6]}")
    page.fill("#display_name", "Dr. Hopper")
    page.fill("#password", STRONG)
    page.fill("#confirm_password", STRONG)
    page.fill("#group_name", "Harbor Pediatrics")
    page.fill("#telephone", "555-123-4567")
    page.fill("#fax", "(555) 123-4568")
    page.get_by_label("I am not a robot").check()
    page.locator("#captcha-status", has_text="Verified").wait_for(timeout=30_000)
    assert page.input_value("#captcha")

    page.get_by_role("button", name="Create account").click()
    page.locator("#registration-done").wait_for()

    page.goto(f"{cmo_portal.url}/outbox.html")
    mail = page.locator("article.message", has_text=email)
    assert "Post-N-Track verification code" in mail.locator("h3").inner_text()
    assert re.search(r"Your verification code is \d{6}\.", mail.inner_text())
    shot(page, "e2e-cmo-outbox.png")
