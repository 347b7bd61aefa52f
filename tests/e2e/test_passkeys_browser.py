"""Passkeys in Chromium with its virtual authenticator (a platform passkey that verifies the user): added
from the account page, used after the password where the plan keeps passkeys a second factor (cmo) and
alone where it allows passwordless sign-in (caresource), then removed.

WebAuthn refuses an IP address as relying party, so these pages are opened on http://localhost:PORT: the
devserver listens on 127.0.0.1, which localhost reaches, and answers to the name localhost.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Portal
from tests.e2e.helpers import STRONG, active_account, cmo_account, new_email, set_up_totp, sign_in

VIRTUAL_PASSKEY = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                   "hasUserVerification": True, "isUserVerified": True}


def on_localhost(portal: Portal) -> Portal:
    return replace(portal, url=portal.url.replace("://127.0.0.1:", "://localhost:"))


@pytest.fixture
def passkey_page(browser: Any) -> Any:
    """A page whose browser has a passkey authenticator built in; uncaught page errors fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_PASSKEY})
    page.passkeys = lambda: cdp.send("WebAuthn.getCredentials",  # type: ignore[attr-defined]
                                     {"authenticatorId": authenticator["authenticatorId"]})["credentials"]
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def add_passkey(page: Any, name: str) -> None:
    """On account.html: the password again, then the browser makes the passkey."""
    section = page.locator("#passkeys-section")
    expect(section).to_contain_text("never leaves it")  # what a passkey is, for someone new to them
    expect(page.locator("#passkey-list")).to_contain_text("No passkeys yet.")  # the page is ready
    section.get_by_role("button", name="Add a passkey").click()
    section.get_by_label("Name (optional)").fill(name)
    section.get_by_label("Your password").fill(STRONG)
    section.get_by_role("button", name="Create the passkey").click()
    expect(page.locator("#account-notice")).to_contain_text("Passkey added")
    expect(page.locator("#passkey-list")).to_contain_text(name)
    assert len(page.passkeys()) == 1 and page.passkeys()[0]["isResidentCredential"]


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/signin.html")


def remove_passkey(page: Any, name: str) -> None:
    page.get_by_role("button", name=f"Remove {name}").click()
    page.locator("#passkey-list").get_by_label("Your password").fill(STRONG)
    page.locator("#passkey-list").get_by_role("button", name="Remove", exact=True).click()
    expect(page.locator("#account-notice")).to_contain_text("Sign-in method removed")
    expect(page.locator("#passkey-list")).to_contain_text("No passkeys yet.")


def test_a_passkey_signs_in_alone_where_the_plan_allows_it(portal: Portal, passkey_page: Any) -> None:
    local, page = on_localhost(portal), passkey_page
    email = new_email()
    active_account(local, email)
    sign_in(page, local, email)
    page.wait_for_url("**/mfa-setup.html")
    set_up_totp(page)
    expect(page.locator("#passkeys-passwordless")).to_be_visible()
    add_passkey(page, "Office computer")
    assert any(m["subject"] == "Your CareSource sign-in methods changed" and "Office computer" in m["text"]
               for m in local.mails_to(email))

    # The sign-in page offers the passkey in the user-name field's autofill; the virtual authenticator picks
    # it as a person would from the list, and it signs in: no password, no code.
    sign_out(page)
    page.wait_for_url("**/account.html")
    expect(page.locator("#passkey-list")).to_contain_text("Office computer")

    # A browser without that autofill: the button.
    page.add_init_script("PublicKeyCredential.isConditionalMediationAvailable = async () => false;")
    sign_out(page)
    expect(page.get_by_text("A passkey is a sign-in kept on your phone, computer or password manager")).to_be_visible()
    assert page.get_by_label(re.compile("^User name")).get_attribute("autocomplete") == "username webauthn"
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url("**/account.html")

    page.get_by_role("button", name="Rename Office computer").click()
    page.get_by_label("New name for Office computer").fill("Front desk PC")
    page.get_by_role("button", name="Save the name").click()
    expect(page.locator("#passkey-list")).to_contain_text("Front desk PC")
    remove_passkey(page, "Front desk PC")

    sign_out(page)  # the device still holds it, but the portal no longer accepts it
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.locator("#error-summary")).to_contain_text("Sign-in with a passkey failed")


def test_a_passkey_is_the_second_step_after_the_password_elsewhere(cmo_portal: Portal, passkey_page: Any) -> None:
    local, page = on_localhost(cmo_portal), passkey_page
    email, username = new_email(), f"pk{new_email()[4:14]}"
    code = cmo_account(local, email, username)
    assert local.request("POST", "/api/sessions", {"login": username, "password": STRONG,
                                                   "verification_code": code})[0] == 200
    sign_in(page, local, username)
    page.wait_for_url("**/mfa-setup.html")
    set_up_totp(page)
    expect(page.locator("#passkeys-passwordless")).to_be_hidden()
    add_passkey(page, "Laptop")

    sign_out(page)
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()  # not on this plan
    assert local.request("POST", "/api/passkeys/signin-options")[0] == 403
    sign_in(page, local, username)
    page.wait_for_url("**/mfa.html")
    page.get_by_role("radio", name="Laptop").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/account.html")
    remove_passkey(page, "Laptop")
