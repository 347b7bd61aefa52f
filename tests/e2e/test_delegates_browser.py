"""A delegate's whole life in Chromium: the administrator of G1000001 invites a billing service on the
Members page; its person (another browser) registers, signs in, accepts the emailed invitation, accepts the
Provider Agreement, sees the Provider ID marked "Delegate for Acme Billing, until <day>" and checks a claim.
The devserver's clock then passes the last day: access is gone before any job runs; the daily job ends the
delegation and both sides are mailed.

The clock moves (POST /dev/clock), so this module has its own devserver."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from functions.shared.services.delegations import ends_at
from tests.e2e.conftest import Portal
from tests.e2e.helpers import RIVERSIDE, active_account, link_riverside, new_email, set_up_totp, shot, sign_in

pytestmark = pytest.mark.e2e

COMPANY = "Acme Billing"


def mail(portal: Portal, to: str, subject: str) -> dict[str, Any]:
    """The newest mail to `to` with `subject`, once the mail queue has delivered it."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = [m for m in portal.mails_to(to) if m["subject"] == subject]
        if found:
            return found[0]
        time.sleep(0.3)
    raise AssertionError(f"no mail {subject!r} to {to}: {[m['subject'] for m in portal.mails_to(to)]}")


def remembered_user(page: Any, portal: Portal, first_name: str, last_name: str, email: str | None = None) -> str:
    """An account signed in with the authenticator app, this browser remembered: after the clock has moved
    (its session long gone) it signs in again with the password alone."""
    email = email or new_email()
    active_account(portal, email, first_name=first_name, last_name=last_name)
    sign_in(page, portal, email)
    page.wait_for_url("**/mfa-setup.html")
    set_up_totp(page, remember=True)
    return email


def signed_in_again(page: Any, portal: Portal, email: str) -> None:
    sign_in(page, portal, email)  # a remembered browser: no second step
    page.wait_for_url(lambda url: "signin.html" not in url)


def test_a_delegate_is_invited_acts_and_loses_access_after_the_last_day(own_portal: Portal, new_page: Any) -> None:
    url = own_portal.url
    admin = new_page()
    admin_email = remembered_user(admin, own_portal, "Rosa", "Parks")
    link_riverside(admin, own_portal)

    # The administrator invites a billing service: eligibility and claims are ticked at first.
    admin.goto(f"{url}/members.html?provider=G1000001")
    section = admin.locator("#delegates-card")
    expect(section.get_by_role("heading", name="Billing services and other delegates")).to_be_visible()
    expect(section.locator("#delegate-list")).to_contain_text("No delegates yet.")
    delegate_email = new_email()
    last_day = admin.evaluate("new Date().toLocaleDateString('en-CA')")  # today where the browser is
    section.get_by_label("Their email address").fill(delegate_email)
    section.get_by_label("Company").fill(COMPANY)
    expect(section.get_by_label("Eligibility and benefits")).to_be_checked()
    expect(section.get_by_label("Claim status")).to_be_checked()
    expect(section.get_by_label("See prior authorizations")).not_to_be_checked()
    section.get_by_label("Last day").fill(last_day)
    section.get_by_role("button", name="Send the invitation").click()
    expect(section.locator("#delegates-notice")).to_contain_text("Invitation sent")
    shot(admin, "e2e-delegates-invited.png")

    invitation = mail(own_portal, delegate_email, f"CareSource: invitation to act for {RIVERSIDE}")
    assert COMPANY in invitation["text"] and "M100001" not in invitation["text"]
    link = next(x["href"] for x in invitation["links"] if "/delegation.html#token=" in x["href"])

    # The invitee opens it signed out: sign in (or register) first. Then back on the page in the same tab.
    delegate = new_page()
    active_account(own_portal, delegate_email, first_name="Ann", last_name="Biller")
    delegate.goto(link)
    expect(delegate.get_by_role("heading", name="Sign in first")).to_be_visible()
    assert "#token=" not in delegate.url
    sign_in(delegate, own_portal, delegate_email)
    delegate.wait_for_url("**/mfa-setup.html")
    set_up_totp(delegate, remember=True)
    delegate.goto(f"{url}/delegation.html")  # the invitation was kept for this tab
    delegate.get_by_role("button", name="Accept the invitation").click()
    result = delegate.locator("#delegation-result")
    expect(result).to_contain_text(f"You act for {RIVERSIDE}")
    expect(result).to_contain_text("eligibility and claims")
    shot(delegate, "e2e-delegation-accepted.png")
    result.get_by_role("link", name="Read and accept the Provider Agreement").click()
    delegate.wait_for_url("**/agreement.html")
    delegate.get_by_label("I have read and agree to the Provider Agreement").check()
    delegate.get_by_role("button", name="Accept").click()
    expect(delegate.locator("#agreement-notice")).to_contain_text("Agreement accepted")
    mail(own_portal, admin_email, f"CareSource: Ann Biller now acts for {RIVERSIDE}")

    # The delegate's access list says whose delegate and until when.
    delegate.goto(f"{url}/access.html")
    item = delegate.locator("#link-list > li", has_text=RIVERSIDE)
    expect(item).to_contain_text(re.compile(rf"Delegate for {COMPANY}, until \w+ \d+, \d{{4}}"))
    expect(item.locator(".status")).to_have_text("Access granted")
    shot(delegate, "e2e-delegate-access.png")

    # It checks a claim; prior authorizations are not among its features.
    delegate.goto(f"{url}/claims.html")
    delegate.get_by_label("Claim number", exact=True).fill("C26000101")
    delegate.get_by_role("button", name="Open claim").click()
    expect(delegate.locator("#payment")).to_contain_text("EFT-7731042")
    refused = delegate.context.request.get(f"{url}/api/authorizations/PA-DEMO000001?acting_for=G1000001")
    assert refused.status == 403 and refused.json()["type"] == "/problems/feature-not-granted"

    # The administrator sees the delegate, with the company, features and last day.
    admin.reload()
    listed = admin.locator("#delegate-list > li", has_text=COMPANY)
    expect(listed).to_contain_text("Ann Biller")
    expect(listed).to_contain_text("May use: eligibility and claims")
    expect(listed).to_contain_text("Until ")
    expect(listed.locator(".status")).to_have_text("Active")
    expect(admin.locator("#member-list")).not_to_contain_text("Ann Biller")
    shot(admin, "e2e-delegates-list.png")

    # The clock passes the last day: access ends by the time alone, before the job runs.
    end = ends_at(date.fromisoformat(last_day))
    minutes = (end - datetime.now(UTC)).total_seconds() / 60 + 5
    status, _, moved = own_portal.request("POST", f"/dev/clock?advance_minutes={minutes:.0f}")
    assert status == 200, moved
    signed_in_again(delegate, own_portal, delegate_email)
    delegate.goto(f"{url}/access.html")
    expect(item.locator(".status")).to_have_text("Expired")
    expect(item).to_contain_text("reached its end date")
    delegate.goto(f"{url}/claims.html")
    expect(delegate.locator(".notice").first).to_contain_text("No provider access yet")

    # The daily job ends it and mails both sides.
    status, _, report = own_portal.request("POST", "/dev/jobs?name=end-delegations")
    assert status == 200 and report["failed"] == [] and report["phases"][0]["changed"] == 1, report
    ended = mail(own_portal, delegate_email, f"CareSource: your access to {RIVERSIDE} ended")
    assert COMPANY in ended["text"]
    told = mail(own_portal, admin_email, f"CareSource: a delegate's access to {RIVERSIDE} ended")
    assert "Ann Biller" in told["text"]
    signed_in_again(admin, own_portal, admin_email)
    admin.goto(f"{url}/members.html?provider=G1000001")
    expect(admin.locator("#delegate-list > li", has_text=COMPANY).locator(".status")).to_have_text("Ended")
