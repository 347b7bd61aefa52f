"""Steps the browser journeys share: accounts made over HTTP, signing in and setting up the
authenticator app in the page, screenshots, and axe's accessibility check of a page."""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import pyotp
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, REPO, Portal

STRONG = "Lantern-Orbit-42"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WIDTHS = (("desktop", DESKTOP), ("phone", PHONE))
# axe-core, pinned in package.json (npm ci installs it with DynamoDB Local and the CDK CLI).
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


def new_email() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}@clinic.example"


def screenshot_folder() -> Path | None:
    """Where `make screenshots` (SCREENSHOTS=1) wants a desktop and a phone PNG of every page and state the
    browser tests show (test-artifacts/screenshots/); None in a normal run, which takes none of them."""
    if os.environ.get("SCREENSHOTS", "") in ("", "0"):
        return None
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page: Any, name: str, width: str) -> None:
    """`name`-`width`.png (width: desktop or phone) of the page as it is now, when screenshots are asked for."""
    folder = screenshot_folder()
    if folder:
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)


def at_both_widths(page: Any, name: str) -> None:
    """When screenshots are asked for: the page as it is now at the desktop and at the phone width (then
    back at the size it had)."""
    if not screenshot_folder():
        return
    size = page.viewport_size
    try:
        for width, viewport in WIDTHS:
            page.set_viewport_size(viewport)
            screenshot(page, name, width)
    finally:
        page.set_viewport_size(size)


def shot(page: Any, name: str) -> None:
    """A full-page PNG of a state a journey reaches (test-artifacts/`name`), and with SCREENSHOTS=1 its
    desktop and phone PNGs in test-artifacts/screenshots/."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    at_both_widths(page, Path(name).stem)


def axe_violations(page: Any) -> list[str]:
    """What axe finds on the page as it is now (every rule, every impact), one line per rule broken."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())  # evaluated by the browser itself: the page's CSP does not apply
    result = page.evaluate("axe.run(document, { resultTypes: ['violations'] })")
    return [f"{v['id']} ({v['impact']}): {v['help']}, at {[node['target'] for node in v['nodes']][:5]}"
            for v in result["violations"]]


def active_account(portal: Portal, email: str, password: str = STRONG, first_name: str = "Ada",
                   last_name: str = "Lovelace") -> None:
    """Register and activate over HTTP (the browser journey of both is covered in test_browser)."""
    status, _, body = portal.request("POST", "/api/registrations", {
        "email": email, "password": password, "first_name": first_name, "last_name": last_name})
    assert status == 202, body
    mail = next(m for m in portal.mails_to(email) if m["subject"] == "Activate Account")
    token = mail["links"][0]["href"].split("#token=", 1)[1]
    assert portal.request("POST", "/api/activations", {"token": token})[0] == 200


def solved_captcha(portal: Portal, challenge: dict[str, Any] | None = None) -> str:
    """What the CAPTCHA widget sends once it has solved the server's proof-of-work challenge (a new one,
    or `challenge`)."""
    from altcha import solve_challenge_v1

    challenge = challenge or portal.request("GET", "/api/captcha")[2]
    solution = solve_challenge_v1(challenge["challenge"], challenge["salt"], challenge["algorithm"],
                                  challenge["maxnumber"])
    payload = {"algorithm": challenge["algorithm"], "challenge": challenge["challenge"],
               "number": solution.number, "salt": challenge["salt"], "signature": challenge["signature"]}
    return base64.b64encode(json.dumps(payload).encode()).decode()


def cmo_account(portal: Portal, email: str, username: str, first_name: str = "Grace",
                last_name: str = "Hopper") -> str:
    """Register on the cmo plan over HTTP; returns the verification code mailed for the first sign-in."""
    status, _, body = portal.request("POST", "/api/registrations", {
        "email": email, "password": STRONG, "confirm_password": STRONG, "first_name": first_name,
        "last_name": last_name, "username": username, "display_name": "Front Desk",
        "group_name": "Riverside Family Practice", "telephone": "555-123-4567", "fax": "555-123-4568",
        "captcha": solved_captcha(portal)})
    assert status == 202, body
    [mail] = portal.mails_to(email)
    match = re.search(r"verification code is (\d{6})", mail["text"])
    assert match, mail["text"]
    return match.group(1)


def sign_in(page: Any, portal: Portal, login: str, password: str = STRONG) -> None:
    page.goto(f"{portal.url}/signin.html")
    page.get_by_label(re.compile("^User name")).fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def set_up_totp(page: Any, remember: bool = False, screenshot: str | None = None) -> str:
    """On mfa-setup.html: choose the authenticator app, read the key shown, confirm with its code."""
    page.get_by_role("radio", name="Authenticator app").check()
    page.get_by_role("button", name="Continue").click()
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert page.evaluate("document.getElementById('totp-qr').naturalWidth") > 0  # the SVG rendered
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    if remember:
        page.get_by_label(re.compile("Do not challenge me on this device for the next 30 days")).check()
    if screenshot:
        shot(page, screenshot)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/account.html")
    return secret


def signed_in_user(page: Any, portal: Portal, first_name: str, last_name: str) -> str:
    """A new account, activated, signed in in `page` with the authenticator app set up; its email."""
    email = new_email()
    active_account(portal, email, first_name=first_name, last_name=last_name)
    sign_in(page, portal, email)
    page.wait_for_url("**/mfa-setup.html")
    set_up_totp(page)
    return email


RIVERSIDE = "Riverside Family Practice"


def fill_payment(page: Any, number: str = "EFT-7731042", amount: str = "130.00") -> None:
    """The demo payment to Riverside's Tax ID (README, claim C26000101): what its first administrator proves."""
    page.get_by_label("Check or EFT trace number").fill(number)
    page.get_by_label("Payment total in dollars").fill(amount)


def riverside_admin_state(browser: Any, portal: Portal) -> dict[str, Any]:
    """The cookies of a new user who links G1000001 (see `link_riverside`): on a devserver where no one has
    linked it yet, its administrator, with access."""
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    signed_in_user(page, portal, "Rosa", "Parks")
    link_riverside(page, portal)
    state = context.storage_state()
    context.close()
    return dict(state)


def link_riverside(page: Any, portal: Portal) -> None:
    """Link the demo roster's group G1000001, proving the demo payment, and accept the Provider Agreement.
    The first to link a Provider ID becomes its administrator, so access is granted at once only on a
    devserver where no one has linked G1000001 yet."""
    page.goto(f"{portal.url}/link.html")
    page.get_by_role("radio", name="Group").check()
    page.get_by_label("Group name").fill(RIVERSIDE)
    page.get_by_label("Tax ID").fill("12-3456789")
    page.get_by_label("Provider ID", exact=True).fill("G1000001")
    page.get_by_label("ZIP", exact=True).fill("43215")
    fill_payment(page)
    page.get_by_role("button", name="Link this Provider ID").click()
    page.wait_for_url("**/access.html")
    item = page.locator("#link-list > li", has_text=RIVERSIDE)
    item.get_by_role("link", name="Read and accept the Provider Agreement").click()
    page.wait_for_url("**/agreement.html")
    page.get_by_label("I have read and agree to the Provider Agreement").check()
    page.get_by_role("button", name="Accept").click()
    expect(page.locator("#agreement-notice")).to_contain_text("Agreement accepted")
    page.get_by_role("link", name="Go to provider access").click()
    page.wait_for_url("**/access.html")
    expect(item.locator(".status")).to_have_text("Access granted", timeout=15_000)
