"""Adding a sign-in method once the sign-in is some minutes old: the page asks for the password first.

The devserver's clock is moved forward (POST /dev/clock), so this module has its own devserver: the
other browser tests compare codes of authenticator apps with the real time."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Portal
from tests.e2e.helpers import STRONG, shot, signed_in_user

pytestmark = pytest.mark.e2e


def _mailed_code(portal: Portal, email: str) -> str:
    """The code of the sign-in-method mail, once the mail queue has delivered it."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        codes = [m.group(1) for mail in portal.mails_to(email) if (m := re.search(r"\b(\d{6})\b", mail["text"]))]
        if codes:
            return codes[-1]
        time.sleep(0.3)
    raise AssertionError(f"no code mailed to {email}")


def test_adding_a_method_after_a_while_asks_for_the_password(own_portal: Portal, page: Any) -> None:
    email = signed_in_user(page, own_portal, "Ada", "Lovelace")  # signed in, the authenticator app set up
    status, _, moved = own_portal.request("POST", "/dev/clock?advance_minutes=6")
    assert status == 200, moved

    page.get_by_role("link", name="Add a sign-in method").click()
    page.wait_for_url("**/mfa-setup.html")
    page.get_by_role("radio", name="Email").check()
    page.get_by_role("button", name="Continue").click()

    # Asked inline, with why; nothing was sent yet.
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(page.locator("#reauth-form")).to_contain_text(
        "You signed in a while ago. Enter your current password to add a sign-in method.")
    password = page.get_by_label("Your current password")
    expect(password).to_be_focused()
    assert not [m for m in own_portal.mails_to(email) if re.search(r"\b\d{6}\b", m["text"])]
    shot(page, "e2e-mfa-reauth.png")

    password.fill("Wrong-Password-99")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#reauth-password-error")).to_contain_text("This password is not right.")
    expect(page.locator("#error-summary")).to_contain_text("The password is not right")

    password.fill(STRONG)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#sent-to")).to_contain_text("We sent a code to")
    page.get_by_label("Code from the email").fill(_mailed_code(own_portal, email))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/account.html")
    expect(page.locator("#factor-list")).to_contain_text("Email")
