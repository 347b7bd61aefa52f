"""Signing in, in a real browser: MFA set-up with an authenticator app, a remembered device, a push
factor approved from the reference device, the password reset, and the cmo plan's first sign-in code."""

from __future__ import annotations

import http.client
import json
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from devserver.push_device import PushDevice, latest_challenge
from tests.e2e.conftest import Portal
from tests.e2e.helpers import STRONG, active_account, cmo_account, new_email, set_up_totp, shot, sign_in, solved_captcha

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Harbor-Quartz-77"


def test_sign_up_set_up_the_authenticator_app_and_be_remembered(portal: Portal, page: Any) -> None:
    email = new_email()
    # Sign up and activate through the pages and the outbox.
    page.goto(f"{portal.url}/register.html")
    page.fill("#first_name", "Ada")
    page.fill("#last_name", "Lovelace")
    page.fill("#email", email)
    page.fill("#password", STRONG)
    page.get_by_role("button", name="Create account").click()
    page.locator("#registration-done").get_by_role("link", name="outbox").click()
    page.locator("article.message", has_text=email).get_by_role("link", name="Activate Account").click()
    page.get_by_role("button", name="Activate my account").click()
    page.get_by_role("link", name="Continue to sign in").click()
    page.wait_for_url("**/signin.html")

    # A wrong password: the API's one message for every failure, as returned.
    sign_in(page, portal, email, "Wrong-Password-99")
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Sign-in failed")
    expect(summary).to_contain_text("The user name or password is not right.")
    assert page.get_by_label("Password", exact=True).input_value() == ""

    # The first sign-in goes to the MFA set-up; the session cookie is Secure, HttpOnly and host-only.
    sign_in(page, portal, email)
    page.wait_for_url("**/mfa-setup.html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set Up Multifactor Authentication")
    [cookie] = [c for c in page.context.cookies() if c["name"] == "__Host-session"]
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    for kind in ("Push notification", "Authenticator app", "Text message", "Email"):
        expect(page.get_by_role("radio", name=kind)).to_be_visible()
    set_up_totp(page, remember=True, screenshot="e2e-mfa-setup.png")

    # Signed in: the method and this browser are listed.
    expect(page.locator("#factor-list")).to_contain_text("Authenticator app")
    expect(page.locator("#device-list")).to_contain_text("Chrome on Linux")
    shot(page, "e2e-account.png")

    # Sign out, sign in again: the remembered browser goes straight to the account page.
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/signin.html")
    expect(page.locator("#signin-notice")).to_contain_text("You are signed out")
    assert not [c for c in page.context.cookies() if c["name"] == "__Host-session"]
    assert portal.request("GET", "/api/sessions/current")[0] == 401
    sign_in(page, portal, email)
    page.wait_for_url("**/account.html")

    # Forgetting the browser brings the extra check back at the next sign-in.
    page.get_by_role("button", name=re.compile("^Forget Chrome on Linux")).click()
    expect(page.locator("#account-notice")).to_contain_text("Device forgotten")
    expect(page.locator("#device-list")).to_contain_text("None.")
    page.get_by_role("button", name="Sign out everywhere").click()
    page.wait_for_url("**/signin.html")
    expect(page.locator("#signin-notice")).to_contain_text("signed out everywhere")
    sign_in(page, portal, email)
    page.wait_for_url("**/mfa.html")


def test_push_added_on_the_account_approves_a_sign_in(portal: Portal, page: Any) -> None:
    email = new_email()
    active_account(portal, email)
    sign_in(page, portal, email)
    page.wait_for_url("**/mfa-setup.html")
    secret = set_up_totp(page)

    # Add push from the account page: the enrol code and the reference device's command are shown.
    page.get_by_role("link", name="Add a sign-in method").click()
    page.wait_for_url("**/mfa-setup.html")
    expect(page.get_by_text("Add another sign-in method")).to_be_visible()
    expect(page.locator("label[for=kind-totp]")).to_contain_text("Already set up")
    page.get_by_role("radio", name="Push notification").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#push-code")).to_have_text(re.compile(r"^[\w-]{16,}$"))
    code = page.locator("#push-code").inner_text()
    expect(page.locator("#push-command")).to_have_text(
        f"python -m devserver.push_device enrol --code {code} --portal {portal.url}")
    page.get_by_role("button", name="Confirm").click()  # too early: the API says why
    expect(page.locator("#error-summary")).to_contain_text("The device has not enrolled yet")

    device = PushDevice.new()
    status, _, enrolled = portal.request("POST", "/api/push/devices", device.enrol_request(code, "Pixel"))
    assert status == 200, enrolled
    expect(page.locator("#push-status")).to_contain_text("Your device is connected (Push to Pixel)")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/account.html")
    expect(page.locator("#factor-list")).to_contain_text("Push to Pixel")

    # The next sign-in: choose push, read the number, answer on the device; the page polls.
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/signin.html")
    sign_in(page, portal, email)
    page.wait_for_url("**/mfa.html")
    page.get_by_role("radio", name="Push to Pixel").check()
    page.get_by_role("button", name="Continue").click()
    number = page.locator("#push-number")
    expect(number).to_have_text(re.compile(r"^\d{2}$"))
    expect(page.get_by_text("Choose this number on your device")).to_be_visible()
    shot(page, "e2e-push-number.png")
    ref = latest_challenge(portal.outbox()["pushes"], device.push_token)
    assert ref is not None
    status, _, answer = portal.request("POST", "/api/push/responses",
                                       device.answer_request(ref, number.inner_text()))
    assert status == 200, answer
    page.wait_for_url("**/account.html")

    # Removing a method asks for the password.
    totp_item = page.locator("#factor-list li", has_text="Authenticator app")
    totp_item.get_by_role("button", name="Remove Authenticator app").click()
    totp_item.get_by_label("Your password").fill("Wrong-Password-99")
    totp_item.get_by_role("button", name="Remove", exact=True).click()
    expect(totp_item.locator(".field-error")).to_contain_text("This password is not right.")
    totp_item.get_by_label("Your password").fill(STRONG)
    totp_item.get_by_role("button", name="Remove", exact=True).click()
    expect(page.locator("#account-notice")).to_contain_text("Sign-in method removed")
    expect(page.locator("#factor-list")).not_to_contain_text("Authenticator app")
    expect(page.get_by_role("button", name="Remove Push to Pixel")).to_be_disabled()  # the last one
    assert secret


def test_forgotten_password_is_reset_from_the_mailed_link(portal: Portal, page: Any) -> None:
    email = new_email()
    active_account(portal, email)
    page.goto(f"{portal.url}/signin.html")
    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_url("**/forgot.html")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a reset link").click()
    expect(page.locator("#forgot-result")).to_contain_text("If this address has an account")

    page.locator("#forgot-result").get_by_role("link", name="outbox").click()
    mail = page.locator("article.message", has_text=email).filter(has_text="Reset your CareSource password")
    mail.get_by_role("link", name="Reset password").click()
    page.wait_for_url(re.compile(r".*/reset\.html$"))  # the token left the address bar
    assert "#token=" not in page.url

    # A weak password, typed differently the second time: the API says both at once, each at its field.
    page.get_by_label("New password", exact=True).fill("password")
    page.get_by_label("Confirm new password").fill("password1")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-error")).to_contain_text("Use at least 12 characters.")
    expect(page.locator("#confirm_password-error")).to_contain_text("The two passwords do not match.")
    assert page.get_attribute("#password", "aria-invalid") == "true"
    assert page.get_attribute("#confirm_password", "aria-invalid") == "true"

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#reset-result")).to_contain_text("Your password was changed.")
    page.locator("#reset-result").get_by_role("link", name="Sign in").click()
    page.wait_for_url("**/signin.html")

    sign_in(page, portal, email, STRONG)
    expect(page.locator("#error-summary")).to_contain_text("Sign-in failed")
    sign_in(page, portal, email, NEW_PASSWORD)
    page.wait_for_url("**/mfa-setup.html")
    assert "Reset your CareSource password" in [m["subject"] for m in portal.mails_to(email)]


def test_cmo_first_sign_in_asks_for_the_mailed_code(cmo_portal: Portal, page: Any) -> None:
    email, username = new_email(), f"desk{uuid.uuid4().hex[:6]}"
    status, _, body = cmo_portal.request("POST", "/api/registrations", {
        "email": email, "password": STRONG, "confirm_password": STRONG, "first_name": "Grace",
        "last_name": "Hopper", "username": username, "display_name": "Front Desk",
        "group_name": "Harbor Pediatrics", "telephone": "555-123-4567", "fax": "555-123-4568",
        "captcha": solved_captcha(cmo_portal)})
    assert status == 202, body
    [mail] = cmo_portal.mails_to(email)
    code = re.search(r"verification code is (\d{6})", mail["text"]).group(1)

    page.goto(f"{cmo_portal.url}/signin.html")
    expect(page.locator("#login-label")).to_have_text("User name")
    verification = page.get_by_label("Verification code")
    expect(verification).to_be_hidden()
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(STRONG)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(verification).to_be_visible()
    # Expected at the first sign-in, so not an error: a neutral notice says what to do, the field waits.
    said = page.locator("#signin-notice")
    expect(said).to_contain_text("Enter your verification code")
    expect(said).to_contain_text("This is your first sign-in")
    expect(said).to_have_class("notice")
    expect(page.locator("#error-summary")).to_be_hidden()
    expect(page.locator("#verification_code-error")).to_be_hidden()
    expect(verification).to_be_focused()

    verification.fill(code)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/mfa-setup.html")
    expect(page.get_by_role("radio", name="Push notification")).to_be_hidden()  # not offered on this plan
    expect(page.get_by_role("radio", name="Authenticator app")).to_be_visible()


def _sign_in_from(network: str, portal: Portal, login: str, password: str, **more: str) -> int:
    """A sign-in from another source address (the devserver sees the socket's peer as the caller's IP):
    127.0.0.0/8 is all loopback, so 127.0.0.2 stands for another network."""
    url = urlsplit(portal.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=15, source_address=(network, 0))
    try:
        connection.request("POST", "/api/sessions", json.dumps({"login": login, "password": password, **more}),
                           {"Content-Type": "application/json"})
        return connection.getresponse().status
    finally:
        connection.close()


def test_cmo_sign_in_solves_a_security_code_after_failed_sign_ins(cmo_portal: Portal, page: Any) -> None:
    email, username = new_email(), f"desk{uuid.uuid4().hex[:6]}"
    code = cmo_account(cmo_portal, email, username)
    first = cmo_portal.request("POST", "/api/sessions", {"login": username, "password": STRONG,
                                                        "verification_code": code})
    assert first[0] == 200, first  # the first sign-in's mailed code is covered above

    # Five wrong passwords for the user name: three in this browser, two from other networks (one source
    # alone waits after five, before any CAPTCHA: that pause is per login and source).
    for _ in range(3):
        sign_in(page, cmo_portal, username, "Wrong-Password-99")
        expect(page.locator("#error-summary")).to_contain_text("Sign-in failed")
    assert [_sign_in_from(ip, cmo_portal, username, "Wrong-Password-99") for ip in ("127.0.0.2", "127.0.0.3")] \
        == [403, 403]

    sent: list[dict[str, Any]] = []
    answers: list[int] = []
    page.on("request", lambda r: sent.append(r.post_data_json)
            if r.method == "POST" and r.url.endswith("/api/sessions") else None)
    page.on("response", lambda r: answers.append(r.status)
            if r.request.method == "POST" and r.url.endswith("/api/sessions") else None)

    # The next sign-in is asked for a security code: the box appears, the page solves it and sends the
    # sign-in again with it; this password is wrong too, so the box stays for the next try.
    captcha = page.locator("#captcha-field")
    expect(captcha).to_be_hidden()
    sign_in(page, cmo_portal, username, "Wrong-Password-99")
    expect(page.locator("#error-summary")).to_contain_text("Sign-in failed")
    expect(captcha).to_be_visible()
    expect(captcha.get_by_label("I am not a robot")).to_be_enabled()
    assert answers == [403, 403]  # captcha-required, then the wrong password with a solved code
    assert "captcha" not in sent[0] and sent[1]["captcha"]
    shot(page, "e2e-signin-captcha.png")

    # The right password: a new challenge is solved before sending (a solution is good once). The first
    # challenge the page gets is one already spent elsewhere: the API refuses it (422 on `captcha`), and
    # the page solves a fresh one and sends again, without the person doing anything.
    challenge = cmo_portal.request("GET", "/api/captcha")[2]
    assert _sign_in_from("127.0.0.4", cmo_portal, username, "Wrong-Password-99",
                         captcha=solved_captcha(cmo_portal, challenge)) == 403  # spent
    page.route("**/api/captcha", lambda route: route.fulfill(json=challenge), times=1)
    page.get_by_label("Password", exact=True).fill(STRONG)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/mfa-setup.html")
    assert answers[2:] == [422, 200]
    assert len({s["captcha"] for s in sent[1:]}) == 3  # a new solution each time
