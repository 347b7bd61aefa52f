"""The start page and features per person in a real browser: G1000001's administrator signs in again and
lands on the start page, which lists a colleague's access request, a request the plan asks information
for, the demo data's decisions and its stay without a discharge; the administrator approves the colleague
from there, then makes them a billing user on the members page. In another browser the colleague no
longer has Authorizations in the navigation, and the authorizations page says who can grant it; granted
seeing only, they see the list without "New request"; granted sending (which ticks seeing too), they
get the form at once.

This module runs its own devserver: its first user must be the first to link G1000001 (and so get access
at once as its administrator), whatever the other modules did with that group on the shared one."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import REPO, Portal
from tests.e2e.helpers import (
    DESKTOP,
    active_account,
    axe_violations,
    link_riverside,
    new_email,
    set_up_totp,
    shot,
    sign_in,
    signed_in_user,
)
from tests.e2e.test_links_browser import accept_agreement, fill_group, link_item

pytestmark = pytest.mark.e2e

WORKFLOW_MS = 15_000  # the access workflow's next step, and a poll of the page
SUBMIT = """async (body) => {
  const response = await fetch("/api/authorizations", { method: "POST", credentials: "same-origin", headers: {
    "Content-Type": "application/json", "Idempotency-Key": "e2e-start-0001",
    "X-CSRF-Token": sessionStorage.getItem("portal.csrf_token") }, body: JSON.stringify(body) });
  return (await response.json()).authorization_id;
}"""


def asked_for_information(page: Any, portal: Portal) -> str:
    """A request of G1000001 sent over the API from the signed-in page, on which the plan's staff ask for
    more information (the staff tool, as in AWS the plan's signed API)."""
    today = date.today()
    number = page.evaluate(SUBMIT, {
        "acting_for": "G1000001", "member_id": "M100001", "birth_date": "1984-03-12",
        "requesting_provider_id": "G1000001", "servicing_provider_id": "P2000001",
        "service_lines": [{"code": "E0601", "units": 1}], "diagnosis_codes": ["G47.33"],
        "service_from": (today + timedelta(days=3)).isoformat(), "service_to": (today + timedelta(days=30)).isoformat(),
        "urgency": "standard"})
    assert re.fullmatch(r"PA-[0-9A-Z]{10}", number or ""), number
    decided = subprocess.run(
        [sys.executable, "-m", "devserver.staff", "authorization", number, "--outcome", "request_information",
         "--reason", "Send the sleep study report.", "--portal", portal.url],
        cwd=REPO, capture_output=True, text=True, timeout=30, check=False)
    assert decided.returncode == 0, decided.stdout + decided.stderr
    return number


def features_of(admin: Any, email: str) -> Any:
    """The colleague's row on the members page, with its form to change what they may use opened."""
    admin.reload()
    row = admin.locator("#member-list > li", has_text=email)
    row.get_by_role("button", name="Change what Bea Baker may use").click()
    return row


def saved(admin: Any, text: str) -> None:
    admin.get_by_role("button", name="Save").click()
    expect(admin.locator("#members-notice")).to_contain_text(f"Saved: Bea Baker may now use {text}")


def test_the_start_page_and_what_each_person_may_use(own_portal: Portal, new_page: Callable[[], Any]) -> None:
    url = own_portal.url
    admin = new_page()
    admin.set_viewport_size(DESKTOP)  # the whole navigation in the header, not behind "Menu"
    admin_email = new_email()
    active_account(own_portal, admin_email, first_name="Rosa", last_name="Parks")
    sign_in(admin, own_portal, admin_email)
    admin.wait_for_url("**/mfa-setup.html")
    set_up_totp(admin, remember=True)  # this browser is remembered: the next sign-in needs no code
    link_riverside(admin, own_portal)
    number = asked_for_information(admin, own_portal)

    member = new_page()
    member.set_viewport_size(DESKTOP)
    member_email = signed_in_user(member, own_portal, "Bea", "Baker")  # no access yet: the account page
    member.goto(f"{url}/link.html")
    fill_group(member)
    member.get_by_role("button", name="Link this Provider ID").click()
    member.wait_for_url("**/access.html")
    expect(link_item(member).locator(".status")).to_have_text("Waiting for the administrator")

    # Signing in again, the administrator lands on what needs them.
    admin.get_by_role("button", name="Sign out", exact=True).click()
    admin.wait_for_url("**/signin.html")
    sign_in(admin, own_portal, admin_email)
    admin.wait_for_url("**/start.html")
    nav = admin.get_by_role("navigation", name="Account")
    expect(nav.get_by_role("link", name="Start")).to_have_attribute("aria-current", "page")
    expect(admin.locator("#start-access-request")).to_contain_text(
        "Bea Baker asks for access to Riverside Family Practice")
    asked = admin.locator("#start-information-requested")
    expect(asked).to_contain_text(f"{number}: the plan asks for more information")
    expect(asked).to_contain_text("The plan's note: Send the sleep study report.")
    decided = admin.locator("#start-authorization-decided")
    expect(decided.get_by_role("heading")).to_have_text("Prior authorizations decided in the last two weeks")
    expect(decided).to_contain_text("PA-DEMO000004 approved")
    expect(decided).to_contain_text("PA-DEMO000005 denied")
    expect(admin.locator("#start-admission-open")).to_contain_text("ADM-DEMO000001: no discharge recorded")
    expect(admin.locator("#start-empty")).to_be_hidden()
    assert axe_violations(admin) == []
    shot(admin, "e2e-start.png")

    # An item opens its page: the request, acting for the group.
    asked.get_by_role("link", name=f"{number}: the plan asks for more information").click()
    admin.wait_for_url(re.compile(rf".*/authorizations\.html\?provider=G1000001&authorization={number}$"))
    expect(admin.locator("#decision")).to_contain_text("Send the sleep study report.")
    admin.go_back()
    admin.wait_for_url("**/start.html")
    # Decisions were new on the first look only.
    expect(admin.locator("#start-information-requested")).to_be_visible()
    expect(admin.locator("#start-authorization-decided")).to_have_count(0)

    admin.locator("#start-access-request").get_by_role("link").first.click()
    admin.wait_for_url("**/members.html?provider=G1000001")
    admin.get_by_role("button", name="Approve Bea Baker").click()
    expect(admin.locator("#members-notice")).to_contain_text("Bea Baker approved")
    member.reload()
    expect(link_item(member).locator(".status")).to_have_text("Your agreement needed", timeout=WORKFLOW_MS)
    accept_agreement(member)
    expect(link_item(member).locator(".status")).to_have_text("Access granted", timeout=WORKFLOW_MS)

    # The administrator makes the colleague a billing user.
    row = features_of(admin, member_email)
    expect(row.get_by_role("radio", name="Standard user")).to_be_checked()
    row.get_by_role("radio", name="Billing").check()
    expect(row.get_by_role("checkbox", name="See prior authorizations")).not_to_be_checked()
    shot(admin, "e2e-member-features.png")
    saved(admin, "eligibility and claims")
    expect(admin.locator("#member-list > li", has_text=member_email)).to_contain_text(
        "Billing: eligibility and claims")
    assert any("your access to G1000001 changed" in m["subject"] for m in own_portal.mails_to(member_email))

    # The colleague: no Authorizations or Admissions in the navigation, and the page says who can grant it.
    member.goto(f"{url}/start.html")
    expect(member.get_by_role("navigation", name="Account").get_by_role("link")).to_have_text(
        ["Start", "Eligibility", "Claims", "Provider access", "Your account"])
    expect(member.locator("#start-empty")).to_contain_text("Nothing needs you now")
    expect(member.locator("#start-pages").get_by_role("link")).to_have_text(
        ["Check eligibility and benefits", "Check claim status"])
    member.goto(f"{url}/authorizations.html")
    refused = member.locator("#auth-notice")
    expect(refused).to_contain_text("Your access does not include viewing prior authorizations")
    expect(refused).to_contain_text("An administrator of G1000001 can give it to you on the Access page.")
    expect(member.locator("#auth-view")).to_be_hidden()
    shot(member, "e2e-feature-not-granted.png")

    # Seeing only: the list, and a line instead of "New request".
    row = features_of(admin, member_email)
    row.get_by_role("checkbox", name="See prior authorizations").check()
    expect(row.get_by_role("radio", name="Custom")).to_be_checked()
    saved(admin, "eligibility, claims and viewing prior authorizations")
    member.reload()
    expect(member.locator("#auth-view")).to_be_visible()
    expect(member.locator("#authorizations-submit-not-granted")).to_contain_text(
        "Your access to G1000001 does not include sending prior authorizations. An administrator of G1000001 "
        "can give it to you on the Access page.")
    expect(member.get_by_role("button", name="New request")).to_be_hidden()
    expect(member.locator("#auth-view")).to_contain_text("PA-DEMO000004")
    expect(member.get_by_role("navigation", name="Account").get_by_role("link", name="Authorizations")).to_be_visible()

    # Sending, which needs seeing: ticked together, and it works at once.
    row = features_of(admin, member_email)
    row.get_by_role("checkbox", name="See prior authorizations").uncheck()
    row.get_by_role("checkbox", name="Send prior authorizations and answer the plan").check()
    expect(row.get_by_role("checkbox", name="See prior authorizations")).to_be_checked()
    expect(row.get_by_role("status")).to_contain_text("needs see prior authorizations: ticked too")
    saved(admin, "eligibility, claims, viewing prior authorizations and sending prior authorizations")
    member.reload()
    expect(member.get_by_role("button", name="New request")).to_be_visible()
    expect(member.locator("#authorizations-submit-not-granted")).to_be_hidden()
