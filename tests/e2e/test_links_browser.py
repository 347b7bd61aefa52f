"""Provider access in a real browser: link a group (a wrong detail, then a wrong payment first), become its
administrator by proving the group's payment,
accept the Provider Agreement and see its providers; a colleague asks, the administrator approves on
the members page, the colleague accepts and gets access; administrators hand over and remove. On the
cmo plan: the organizational agreement signed in the page and approved by provider-relations staff.

The access-approval workflow runs asynchronously (Step Functions in the devserver); the pages poll,
and the tests wait for what the user would see, with timeouts."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import REPO, Portal
from tests.e2e.helpers import cmo_account, fill_payment, new_email, set_up_totp, shot, sign_in, signed_in_user

pytestmark = pytest.mark.e2e

WORKFLOW_MS = 15_000  # a poll or two of the page, plus the workflow's next step
RIVERSIDE = "Riverside Family Practice"


def fill_group(page: Any, zip_code: str = "43215", number_label: str = "Provider ID") -> None:
    """The demo roster's group G1000001 (devserver/data/demo-roster.csv); `number_label` is the plan's word."""
    page.get_by_role("radio", name="Group").check()
    page.get_by_label("Group name").fill(RIVERSIDE)
    page.get_by_label("Tax ID").fill("12-3456789")
    page.get_by_label(number_label, exact=True).fill("G1000001")
    page.get_by_label("ZIP", exact=True).fill(zip_code)


def link_item(page: Any, name: str = RIVERSIDE) -> Any:
    return page.locator("#link-list > li", has_text=name)


def accept_agreement(page: Any) -> None:
    """From the access page: open the agreement, accept it, and come back."""
    link_item(page).get_by_role("link", name="Read and accept the Provider Agreement").click()
    page.wait_for_url("**/agreement.html")
    page.get_by_label("I have read and agree to the Provider Agreement").check()
    page.get_by_role("button", name="Accept").click()
    expect(page.locator("#agreement-notice")).to_contain_text("Agreement accepted")
    page.get_by_role("link", name="Go to provider access").click()
    page.wait_for_url("**/access.html")


def expect_riverside_providers(page: Any) -> None:
    rows = page.locator("#provider-rows tr")
    expect(rows).to_have_count(3, timeout=WORKFLOW_MS)
    expect(rows.locator("td:first-child")).to_have_text(["G1000001", "P2000001", "P2000002"])
    expect(page.locator("#provider-table")).to_contain_text("Maria Lopez")


def test_administrator_links_a_group_and_approves_a_colleague(portal: Portal,
                                                              new_page: Callable[[], Any]) -> None:
    admin = new_page()
    admin_email = signed_in_user(admin, portal, "Ada", "Lovelace")
    expect(admin.locator("#access-summary")).to_contain_text("You have not linked a Provider ID yet")
    admin.locator("#main").get_by_role("link", name="Link a Provider ID").click()
    admin.wait_for_url("**/link.html")
    expect(admin.locator("#type-tip")).to_contain_text(
        "Choose Group if you work for a practice that bills under its own Tax ID and you need access for all "
        "its providers.")

    # Nothing chosen: said next to the choice, nothing sent. Then a wrong ZIP: the API's one message.
    admin.get_by_role("button", name="Link this Provider ID").click()
    expect(admin.locator("#provider_type-error")).to_contain_text("Choose Practitioner or Group.")
    fill_group(admin, zip_code="43016")
    admin.get_by_role("button", name="Link this Provider ID").click()
    summary = admin.locator("#error-summary")
    expect(summary).to_contain_text("We could not match these details")
    expect(summary).to_contain_text("Check every field against your records with the plan")
    shot(admin, "e2e-link.png")

    # The right details with a payment that is not the group's: refused, whichever half was wrong.
    admin.get_by_label("ZIP", exact=True).fill("43215")
    admin.get_by_label("Check or EFT trace number").fill("EFT-7731042")
    admin.get_by_role("button", name="Link this Provider ID").click()
    expect(admin.locator("#payment_amount-error")).to_contain_text("or leave both empty")
    fill_payment(admin, amount="131.00")
    admin.get_by_role("button", name="Link this Provider ID").click()
    expect(summary).to_contain_text("We could not verify this payment")
    expect(summary).to_contain_text(re.compile(r"You have \d+ tr(y|ies) left today\."))  # the network's count too
    for field in ("payment_number", "payment_amount"):  # both marked alike: never which half was wrong
        expect(admin.locator(f"#{field}-error")).to_contain_text("Check the number and the total")
        expect(admin.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")

    # The group's payment: the first linker becomes the administrator and is asked for the agreement.
    fill_payment(admin)
    admin.get_by_role("button", name="Link this Provider ID").click()
    admin.wait_for_url("**/access.html")
    expect(admin.locator("#access-notice")).to_contain_text("Provider ID G1000001 linked")
    item = link_item(admin)
    expect(item).to_contain_text("Administrator")
    expect(item).to_contain_text("Accept the Provider Agreement to continue.")
    expect(admin.locator("#providers-card")).to_be_hidden()

    # The agreement's Markdown arrives as headings and a numbered list; accepting needs the box.
    item.get_by_role("link", name="Read and accept the Provider Agreement").click()
    admin.wait_for_url("**/agreement.html")
    text = admin.locator("#agreement-text")
    expect(text.get_by_role("heading", level=2)).to_have_text("CareSource Provider Portal Agreement (version 2026-01)")
    expect(text.locator("ol > li")).to_have_count(5)
    expect(text).not_to_contain_text("# ")
    admin.get_by_role("button", name="Accept").click()
    expect(admin.locator("#agree-error")).to_contain_text("Tick the box")
    shot(admin, "e2e-agreement.png")
    admin.get_by_label("I have read and agree to the Provider Agreement").check()
    admin.get_by_role("button", name="Accept").click()
    expect(admin.locator("#agreement-notice")).to_contain_text("Thank you. The Provider Agreement is accepted.")
    admin.get_by_role("link", name="Go to provider access").click()
    admin.wait_for_url("**/access.html")
    expect(link_item(admin).locator(".status")).to_have_text("Access granted", timeout=WORKFLOW_MS)
    expect_riverside_providers(admin)
    header = admin.get_by_role("navigation", name="Account")  # plans without a portal tab: the pages' links
    expect(header.get_by_role("link")).to_have_text(["Start", "Eligibility", "Claims", "Authorizations", "Admissions",
                                                     "Provider access", "Your account"])
    expect(header.get_by_role("button", name="CMO")).to_have_count(0)

    # A colleague asks for the same group: the administrator decides.
    member = new_page()
    member_email = signed_in_user(member, portal, "Bea", "Baker")
    member.goto(f"{portal.url}/link.html")
    fill_group(member, zip_code="43017-1234")
    member.get_by_role("button", name="Link this Provider ID").click()
    member.wait_for_url("**/access.html")
    expect(member.locator("#access-notice")).to_contain_text("Request sent")
    expect(link_item(member).locator(".status")).to_have_text("Waiting for the administrator")
    expect(link_item(member)).to_contain_text("Waiting for the administrator of this Provider ID to approve")
    shot(member, "e2e-access-waiting.png")
    expect(member.locator("#providers-card")).to_be_hidden()

    # The administrator follows the mailed link (the outbox refreshes itself) and approves.
    admin.goto(f"{portal.url}/outbox.html")
    mail = admin.locator("article.message").filter(has_text=admin_email).filter(
        has_text=f"a request to join {RIVERSIDE}")
    expect(mail).to_be_visible(timeout=WORKFLOW_MS)
    mail.get_by_role("link", name=re.compile(r"members\.html\?provider=G1000001$")).click()
    admin.wait_for_url(re.compile(r".*/members\.html\?provider=G1000001$"))
    request = admin.locator("#request-list > li", has_text=member_email)
    expect(request).to_contain_text("Bea Baker")
    expect(admin.locator("#member-list")).to_contain_text(admin_email)
    shot(admin, "e2e-members.png")
    admin.get_by_role("button", name="Approve Bea Baker").click()
    expect(admin.locator("#members-notice")).to_contain_text("Bea Baker approved")
    expect(admin.locator("#member-list > li", has_text=member_email)).to_contain_text(
        "Has not accepted the agreement yet", timeout=WORKFLOW_MS)
    expect(admin.locator("#request-list")).to_contain_text("No requests are waiting.")

    # The only administrator is not offered to step down (the API would refuse): the page says why.
    expect(admin.get_by_role("button", name="Step down as administrator")).to_have_count(0)
    expect(admin.locator("#stepdown-only")).to_contain_text("You are the only administrator of this Provider ID")
    expect(admin.locator("#stepdown-only")).to_contain_text("Make another member an administrator first")

    # The colleague's page polls: the agreement is asked for, then access arrives.
    expect(link_item(member).locator(".status")).to_have_text("Your agreement needed", timeout=WORKFLOW_MS)
    accept_agreement(member)
    expect(link_item(member).locator(".status")).to_have_text("Access granted", timeout=WORKFLOW_MS)
    expect(link_item(member)).to_contain_text("Member")
    expect_riverside_providers(member)
    expect(link_item(member).get_by_role("link", name=re.compile("Manage members"))).to_have_count(0)
    shot(member, "e2e-access.png")

    # The administrator hands over and steps down; the new administrator removes the old one.
    admin.reload()
    admin.get_by_role("button", name="Make Bea Baker an administrator").click()
    admin.get_by_role("button", name="Yes, make administrator").click()
    expect(admin.locator("#members-notice")).to_contain_text("Bea Baker is an administrator")
    admin.get_by_role("button", name="Step down as administrator").click()
    admin.get_by_role("button", name="Yes, step down").click()
    expect(admin.locator("#members-notice")).to_contain_text("You are no longer an administrator")

    member.reload()
    link_item(member).get_by_role("link", name=f"Manage members of {RIVERSIDE}").click()
    member.wait_for_url("**/members.html?provider=G1000001")
    member.get_by_role("button", name="Remove Ada Lovelace").click()
    member.get_by_role("button", name="Yes, remove").click()
    expect(member.locator("#members-notice")).to_contain_text("Ada Lovelace removed")
    expect(member.locator("#member-list")).not_to_contain_text(admin_email)

    admin.goto(f"{portal.url}/access.html")
    expect(link_item(admin).locator(".status")).to_have_text("Removed")
    expect(link_item(admin).get_by_role("link", name=f"Ask again for {RIVERSIDE}")).to_be_visible()
    expect(admin.locator("#providers-card")).to_be_hidden()


def test_cmo_group_signs_the_organizational_agreement_and_staff_approve(cmo_portal: Portal, page: Any) -> None:
    email, username = new_email(), f"owner{uuid.uuid4().hex[:6]}"
    code = cmo_account(cmo_portal, email, username, "Olivia", "Owner")
    sign_in(page, cmo_portal, username)
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/mfa-setup.html")
    set_up_totp(page)

    # The plan's wording, throughout the page: its "Provider Number", for a practitioner and a group; no
    # payment to show (the plan's first administrator signs the organizational agreement instead).
    page.goto(f"{cmo_portal.url}/link.html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Link your account to a Provider Number")
    expect(page.locator("#main")).not_to_contain_text("Provider ID", use_inner_text=True)
    expect(page.locator("#main")).not_to_contain_text("payment", use_inner_text=True)
    expect(page.locator(".lead")).to_contain_text("signs its organizational agreement")
    page.get_by_role("radio", name="Practitioner").check()
    expect(page.get_by_label("Provider Number", exact=True)).to_be_visible()
    fill_group(page, number_label="Provider Number")
    expect(page.locator("#main")).not_to_contain_text("Provider ID", use_inner_text=True)
    expect(page.locator("#main")).not_to_contain_text("payment", use_inner_text=True)
    page.get_by_role("button", name="Link this Provider Number").click()
    page.wait_for_url("**/access.html")
    accept_agreement(page)
    item = link_item(page)
    expect(item.locator(".status")).to_have_text("Waiting for the organizational agreement", timeout=WORKFLOW_MS)
    # The guide's wording: "HOME" shows the access status; the "CMO" tab comes only with access.
    header = page.get_by_role("navigation", name="Account")
    expect(header.get_by_role("link")).to_have_text(["HOME", "Your account"])
    expect(header.get_by_role("link", name="HOME")).to_have_attribute("aria-current", "page")
    expect(header.get_by_role("button", name="CMO")).to_have_count(0)

    item.get_by_role("link", name=f"Organizational agreement of {RIVERSIDE}").click()
    page.wait_for_url("**/org-agreement.html?provider=G1000001")
    expect(page.locator("#group-status")).to_have_text("Not signed yet")
    expect(page.locator("#group-tax")).to_have_text("ending in 6789")
    expect(page.locator("#promise")).to_contain_text("24-48 hours")
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page.locator("#signer_title-error")).to_contain_text("Choose your title")
    expect(page.locator("#attest-error")).to_contain_text("Confirm that you are authorised")
    page.get_by_label("Your full name").fill("Olivia Owner")
    page.get_by_label("Your title").select_option(label="Owner")
    page.get_by_label(re.compile(f"I am a supervisor, manager or owner of {RIVERSIDE}")).check()
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page.locator("#org-notice")).to_contain_text("Agreement signed")
    expect(page.locator("#org-notice")).to_contain_text("24-48 hours")
    expect(page.locator("#group-status")).to_have_text("Signed, waiting for provider relations")
    expect(page.get_by_role("button", name="Sign the agreement")).to_be_hidden()
    shot(page, "e2e-org-agreement.png")

    # Provider relations approves with the staff tool; the page polls and shows the outcome.
    decided = subprocess.run(
        [sys.executable, "-m", "devserver.staff", "approve", "123456789", "--reason", "Signer verified by phone",
         "--portal", cmo_portal.url], cwd=REPO, capture_output=True, text=True, timeout=30, check=False)
    assert decided.returncode == 0, decided.stderr
    assert "1 waiting request(s) resumed" in decided.stdout
    expect(page.locator("#group-status")).to_have_text("Approved", timeout=WORKFLOW_MS)
    expect(page.locator("#org-notice")).to_contain_text("The agreement is approved")
    page.get_by_role("link", name="Back to provider access").click()
    page.wait_for_url("**/access.html")
    expect(link_item(page).locator(".status")).to_have_text("Access granted", timeout=WORKFLOW_MS)
    expect_riverside_providers(page)

    # Access granted: the "CMO" tab next to "HOME" opens the four portal pages.
    header = page.get_by_role("navigation", name="Account")
    tab = header.get_by_role("button", name="CMO")
    expect(tab).to_be_visible()
    expect(header.get_by_role("link")).to_have_text(["HOME", "Your account"])  # the pages wait in the tab
    tab.click()
    expect(tab).to_have_attribute("aria-expanded", "true")
    expect(header.locator("#portal-tab-menu").get_by_role("link")).to_have_text(
        ["Eligibility", "Claims", "Authorizations", "Admissions"])
    shot(page, "e2e-cmo-tab.png")
    page.keyboard.press("Escape")
    expect(header.locator("#portal-tab-menu")).to_be_hidden()
    tab.click()
    header.get_by_role("link", name="Claims").click()
    page.wait_for_url("**/claims.html")
    header = page.get_by_role("navigation", name="Account")
    expect(header.get_by_role("button", name="CMO")).to_have_class(re.compile("current"))
    header.get_by_role("button", name="CMO").click()
    expect(header.get_by_role("link", name="Claims")).to_have_attribute("aria-current", "page")


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"status": status, "content_type": "application/problem+json", "json": {
        "type": f"/problems/{slug}", "title": title, "status": status, "detail": detail, **extra}}


def staff_tool(portal: Portal, *args: str) -> subprocess.CompletedProcess[str]:
    """Provider relations' tool (python -m devserver.staff) against this devserver."""
    return subprocess.run([sys.executable, "-m", "devserver.staff", *args, "--portal", portal.url], cwd=REPO,
                          capture_output=True, text=True, timeout=30, check=False)


def staff_verify(portal: Portal, provider_id: str, email: str) -> None:
    """Provider relations find `email`'s request and verify it, once its workflow step waits for them."""
    import time

    deadline = time.monotonic() + WORKFLOW_MS / 1000
    while True:
        listed = staff_tool(portal, "links", provider_id).stdout
        line = next((x for x in listed.splitlines() if email in x and "pending_verification" in x), None)
        verified = line and staff_tool(portal, "verify", provider_id, line.split()[0], "--reason", "Called the office")
        if verified and verified.returncode == 0:
            return
        assert time.monotonic() < deadline, (listed, verified and verified.stderr)
        time.sleep(0.5)  # not listed yet, or "still being set up"


def test_practitioner_link_and_what_the_pages_do_with_problems(portal: Portal, page: Any) -> None:
    email = signed_in_user(page, portal, "Pat", "Quinn")
    page.goto(f"{portal.url}/link.html")
    page.get_by_role("radio", name="Practitioner").check()
    expect(page.get_by_label("Group name")).to_be_hidden()
    page.get_by_label("Tax ID").fill("45-678")
    page.get_by_role("button", name="Link this Provider ID").click()  # the API's words, every field at once
    expect(page.locator("#first_name-error")).to_contain_text("Enter the practitioner's first name.")
    expect(page.locator("#last_name-error")).to_contain_text("Enter the practitioner's last name.")
    expect(page.locator("#tax_id-error")).to_contain_text("Enter the 9 digits of the Tax ID")
    expect(page.locator("#zip-error")).to_contain_text("Enter the ZIP code of one of the practice's addresses.")
    assert page.get_attribute("#tax_id", "aria-invalid") == "true"
    page.get_by_label("First name").fill("robert")
    page.get_by_label("Last name").fill("CHEN")
    page.get_by_label("Tax ID").fill("456789012")
    page.get_by_label("Provider ID", exact=True).fill("p2000004")
    page.get_by_label("ZIP", exact=True).fill("02108")
    page.get_by_role("button", name="Link this Provider ID").click()  # no payment: provider relations verify
    page.wait_for_url("**/access.html")
    item = link_item(page, "Robert Chen")
    expect(item.locator(".status")).to_have_text("Waiting for provider relations to verify you")
    expect(page.locator("#providers-card")).to_be_hidden()
    staff_verify(portal, "P2000004", email)
    expect(item).to_contain_text("Practitioner · Provider ID P2000004 · Administrator", timeout=WORKFLOW_MS)
    expect(item.locator(".status")).to_have_text("Your agreement needed", timeout=WORKFLOW_MS)

    # The agreement changed while it was read: the page loads the new text (markup stays text).
    item.get_by_role("link", name="Read and accept the Provider Agreement").click()
    page.wait_for_url("**/agreement.html")
    expect(page.locator("#agreement-version")).to_have_text("Version 2026-01")
    newer = {"version": "2027-01", "accepted": False,
             "text": "# New terms\n\nRead <img src=x onerror=alert(1)> **this** first.\n\n- one\n- two\n"}

    def changed(route: Any) -> None:
        if route.request.method == "POST":
            route.fulfill(**problem(409, "agreement-outdated", "A newer agreement exists",
                                    "Reload the page, read the current Provider Agreement, and accept that one."))
        else:
            route.fulfill(status=200, json=newer)

    page.route("**/api/agreements/provider", changed)
    page.get_by_label("I have read and agree to the Provider Agreement").check()
    page.get_by_role("button", name="Accept").click()
    expect(page.locator("#agreement-notice")).to_contain_text("A newer agreement exists")
    expect(page.locator("#agreement-version")).to_have_text("Version 2027-01")
    text = page.locator("#agreement-text")
    expect(text).to_contain_text("Read <img src=x onerror=alert(1)> this first.")
    expect(text.locator("img")).to_have_count(0)
    expect(text.locator("strong")).to_have_text("this")
    expect(text.locator("ul > li")).to_have_text(["one", "two"])
    expect(page.get_by_label("I have read and agree to the Provider Agreement")).not_to_be_checked()
    page.unroute("**/api/agreements/provider")
    page.reload()
    page.get_by_label("I have read and agree to the Provider Agreement").check()
    page.get_by_role("button", name="Accept").click()
    expect(page.locator("#agreement-notice")).to_contain_text("Agreement accepted")
    page.reload()
    expect(page.locator("#agreement-notice")).to_contain_text("You accepted version 2026-01")

    # Access, and the practitioner's own record; a refusal of the portal shows its detail and way on.
    page.goto(f"{portal.url}/access.html")
    expect(link_item(page, "Robert Chen").locator(".status")).to_have_text("Access granted", timeout=WORKFLOW_MS)
    expect(page.locator("#provider-rows tr")).to_have_text([re.compile("P2000004.*Robert Chen")])
    page.route("**/api/portal/providers", lambda route: route.fulfill(**problem(
        403, "agreement-required", "Accept the new Provider Agreement",
        "The Provider Agreement changed. Read and accept it to continue.", agreement="/agreement.html")))
    page.reload()
    refused = page.locator("#providers-problem")
    expect(refused).to_contain_text("Accept the new Provider Agreement")
    expect(refused).to_contain_text("The Provider Agreement changed. Read and accept it to continue.")
    expect(refused.get_by_role("link", name="Read the Provider Agreement")).to_have_attribute("href", "/agreement.html")
    expect(page.locator("#provider-table")).to_be_hidden()

    # Not this Provider ID's administrator: the members page says so.
    page.goto(f"{portal.url}/members.html?provider=G1000002")
    expect(page.locator("#members-notice")).to_contain_text("Only this Provider ID's administrators can do this")
    expect(page.locator("#requests-card")).to_be_hidden()
