"""Prior authorizations in a real browser: a user with access to G1000001 meets the field error of a
bad procedure code, submits an expedited request for Jane Doe and sees its number and a decision due
72 hours later; plan staff ask for more information (the staff tool, as in AWS the plan's signed
API), the user sends it, staff approve, and the user sees the approval and its reason in the history.
A denied request is appealed on its page: the appeal opens as a new request linked both ways.

This module runs its own devserver: its user must be the first to link G1000001 (and so get access
at once as its administrator), whatever the other modules did with that group on the shared one."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import REPO, Portal
from tests.e2e.helpers import riverside_admin_state, shot

pytestmark = pytest.mark.e2e

NUMBER = re.compile(r"PA-[0-9A-Z]{10}")
REFERRAL = b"%PDF-1.7\n% referral letter\n%%EOF\n"
MRI_ORDER = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def staff_decide(portal: Portal, number: str, outcome: str, reason: str) -> None:
    decided = subprocess.run(
        [sys.executable, "-m", "devserver.staff", "authorization", number, "--outcome", outcome, "--reason", reason,
         "--portal", portal.url], cwd=REPO, capture_output=True, text=True, timeout=30, check=False)
    assert decided.returncode == 0, decided.stdout + decided.stderr


@pytest.fixture(scope="module")
def riverside_state(own_portal: Portal, browser: Any) -> dict[str, Any]:
    """The cookies of the module's one user with access to G1000001 (its first, so its administrator)."""
    return riverside_admin_state(browser, own_portal)


@pytest.fixture
def riverside(own_portal: Portal, browser: Any, riverside_state: dict[str, Any]) -> Iterator[Any]:
    """A page of that user on the access page; uncaught JavaScript errors fail the test."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, storage_state=riverside_state)
    context.set_default_timeout(10_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{own_portal.url}/access.html")
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_request_more_information_and_approval(own_portal: Portal, riverside: Any) -> None:
    page = riverside
    page.get_by_role("link", name="Prior authorizations").click()
    page.wait_for_url("**/authorizations.html")
    expect(page.get_by_role("navigation", name="Account").get_by_role("link", name="Authorizations")).to_have_attribute(
        "aria-current", "page")
    expect(page.get_by_label("Provider ID you act for")).to_be_hidden()  # one active link: nothing to choose
    expect(page.locator("#request-card")).to_be_hidden()  # the list first; "New request" opens the form
    page.get_by_role("button", name="New request").click()
    expect(page.get_by_label("Requesting Provider ID")).to_have_value("G1000001")
    expect(page.get_by_label("Service from")).to_have_value(date.today().isoformat())
    expect(page.locator("#list-summary")).to_contain_text("submitted")

    # The request, with a procedure code that is neither CPT nor HCPCS.
    page.get_by_label("Member ID", exact=True).fill("M100001")
    page.get_by_label("Date of birth").fill("1984-03-12")
    page.get_by_label("Servicing Provider ID").fill("P2000001")
    page.get_by_label("Procedure code on line 1").fill("7372")
    page.get_by_label("Units on line 1").fill("1")
    page.get_by_label("Diagnosis code (primary)").fill("m25.561")
    # A second diagnosis row, left empty, is not sent; a second service line is added and removed again.
    page.get_by_role("button", name="Add a diagnosis code").click()
    expect(page.get_by_label("Diagnosis code 2")).to_be_focused()
    page.get_by_role("button", name="Add a service line").click()
    expect(page.get_by_label("Procedure code on line 2")).to_be_focused()
    page.get_by_role("button", name="Remove service line 2").click()
    expect(page.get_by_label("Procedure code on line 2")).to_have_count(0)
    expect(page.get_by_label("Procedure code on line 1")).to_be_focused()
    page.get_by_role("radio", name="Expedited").check()
    expect(page.locator("#urgency-hint")).to_contain_text(
        "Expedited: decision within 72 hours; standard: within 7 calendar days")
    page.get_by_label("Clinical notes (optional)").fill("Knee pain for 8 weeks after a fall; locking; failed PT.")
    # with a file that is not one the plan takes: said at its field with the API's errors, in one answer
    files = page.get_by_label("Attachments (optional)")
    files.set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"knee"})
    page.get_by_role("button", name="Submit the request").click()
    expect(page.locator("#line-0-code-error")).to_contain_text("Enter a CPT code")
    expect(page.get_by_label("Procedure code on line 1")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#attachments-error")).to_contain_text("notes.txt: attach PDF, PNG, JPEG or TIFF files only")
    expect(page.locator("#error-summary")).to_be_focused()
    shot(page, "e2e-authorizations-bad-code.png")

    # Corrected, with a PDF: the request's number and a decision due 72 hours after it was submitted.
    page.get_by_label("Procedure code on line 1").fill("73721")
    files.set_input_files({"name": "referral.pdf", "mimeType": "application/pdf", "buffer": REFERRAL})
    page.get_by_role("button", name="Submit the request").click()
    sent_at = datetime.now()
    result = page.locator("#request-result")
    expect(result).to_contain_text(re.compile(r"Request submitted: PA-[0-9A-Z]{10}"))
    expect(result).to_be_focused()
    number = NUMBER.search(result.inner_text()).group(0)  # type: ignore[union-attr]
    due_text = result.locator(".due").inner_text()
    due = datetime.strptime(re.search(r"Decision due (.+ [AP]M)", due_text).group(1),  # type: ignore[union-attr]
                            "%m/%d/%Y %I:%M %p")
    assert abs(due - (sent_at + timedelta(hours=72))) < timedelta(minutes=3), due_text
    expect(page.locator("#error-summary")).to_be_hidden()
    expect(page.locator("#request-card")).to_be_hidden()  # sent: the form closes, cleared for the next one
    expect(page.get_by_role("button", name="New request")).to_be_visible()
    expect(page.get_by_label("Member ID", exact=True)).to_have_value("")
    expect(page.get_by_label("Procedure code on line 1")).to_have_value("")

    row = page.locator("#authorization-rows tr.authorization").filter(has=page.get_by_role("link", name=number))
    expect(row).to_contain_text("Jane Doe")
    expect(row).to_contain_text("73721 \u00d7 1")  # the code times its units
    expect(row).to_contain_text("Expedited")
    expect(row.locator(".status")).to_have_text(["Pending"])
    expect(row).to_contain_text(f"Decision due {due:%m/%d/%Y}")

    # Its page: open, with its history, and withdrawable.
    row.get_by_role("link", name=number).click()
    expect(page).to_have_url(re.compile(rf"authorization={number}"))
    heading = page.get_by_role("heading", name=f"Prior authorization {number}")
    expect(heading).to_be_focused()
    expect(page.locator("#detail-status .status")).to_have_text(["Pending"])
    expect(page.locator("#decision")).to_contain_text("Waiting for the plan's decision")
    expect(page.locator("#history")).to_contain_text("Request submitted")
    expect(page.get_by_role("button", name="Withdraw the request")).to_be_visible()
    expect(page.locator("#lines-table")).to_contain_text("Not decided yet")
    expect(page.locator("#history")).to_contain_text("Files: referral.pdf")
    # Each file shows its malware scan's state; it is downloadable once found clean.
    expect(page.locator("#attachments li .file-scan")).to_have_text([re.compile("Pending scan|Clean")])
    status, _, scans = own_portal.request("POST", "/dev/scans")
    assert status == 200, scans
    page.reload()
    expect(page.locator("#attachments li .file-scan")).to_have_text(["Clean"])
    with page.expect_download() as downloading:  # through the API, with the request's access check
        page.locator("#attachments").get_by_role("button", name="referral.pdf").click()
    assert downloading.value.suggested_filename == "referral.pdf"
    with open(downloading.value.path(), "rb") as saved:
        assert saved.read() == REFERRAL

    # The plan asks for more information; the user answers.
    staff_decide(own_portal, number, "request_information", "Send the MRI order")
    page.reload()
    expect(page.locator("#detail-status .status")).to_have_text(["More information requested"])
    expect(page.locator("#decision")).to_contain_text("The plan asks for more information")
    expect(page.locator("#decision")).to_contain_text("Send the MRI order")
    page.get_by_label("Information for the plan").fill("MRI order attached: right knee without contrast, Dr. Lopez.")
    page.get_by_label("Files for the plan (optional)").set_input_files(
        {"name": "mri-order.png", "mimeType": "image/png", "buffer": MRI_ORDER})
    shot(page, "e2e-authorizations-information.png")
    page.get_by_role("button", name="Send information").click()
    expect(page.locator("#detail-message")).to_contain_text("Information sent")
    expect(page.locator("#detail-status .status")).to_have_text(["Pending"])
    expect(page.locator("#history")).to_contain_text("Information sent")
    expect(page.locator("#history")).to_contain_text("MRI order attached")
    expect(page.locator("#history")).to_contain_text("Files: mri-order.png")
    expect(page.locator("#attachments li")).to_have_text([re.compile("referral.pdf PDF"),
                                                          re.compile("mri-order.png PNG")])
    expect(page.get_by_label("Information for the plan")).to_have_count(0)

    # The plan approves: the decision, its reason in the history, the units approved.
    staff_decide(own_portal, number, "approve", "Meets criteria for knee MRI")
    page.reload()
    expect(page.locator("#detail-status .status")).to_have_text(["Approved"])
    expect(page.locator("#decision")).to_contain_text("Approved")
    expect(page.locator("#decision")).to_contain_text("Reason: Meets criteria for knee MRI")
    entry = page.locator("#history li").filter(has_text="Meets criteria for knee MRI")
    expect(entry).to_contain_text("Approved")
    expect(entry).to_contain_text("Plan")
    expect(page.locator("#lines-table tbody tr")).to_have_text([re.compile(r"73721\s*1\s*1")])
    expect(page.get_by_role("button", name="Withdraw the request")).to_have_count(0)
    shot(page, "e2e-authorizations-approved.png")

    page.get_by_role("link", name="Back to authorization requests").click()
    expect(row.locator(".status")).to_have_text(["Approved"])
    expect(row).to_contain_text("Decided")
    shot(page, "e2e-authorizations.png")


def submit_request(page: Any, notes: str) -> str:
    """Open the request form, fill it for Jane Doe's knee MRI and submit it; the request's number."""
    page.get_by_role("button", name="New request").click()
    page.get_by_label("Member ID", exact=True).fill("M100001")
    page.get_by_label("Date of birth").fill("1984-03-12")
    page.get_by_label("Servicing Provider ID").fill("P2000001")
    page.get_by_label("Procedure code on line 1").fill("73721")
    page.get_by_label("Units on line 1").fill("1")
    page.get_by_label("Diagnosis code (primary)").fill("M25.561")
    page.get_by_label("Clinical notes (optional)").fill(notes)
    page.get_by_role("button", name="Submit the request").click()
    result = page.locator("#request-result")
    expect(result).to_contain_text(re.compile(r"Request submitted: PA-[0-9A-Z]{10}"))
    return NUMBER.search(result.inner_text()).group(0)  # type: ignore[union-attr]


def test_appeal_a_denial_and_follow_the_links(own_portal: Portal, riverside: Any) -> None:
    page = riverside
    page.goto(f"{own_portal.url}/authorizations.html")
    number = submit_request(page, "Knee pain after a fall; MRI to rule out a meniscal tear.")
    staff_decide(own_portal, number, "deny", "Conservative treatment not tried for 6 weeks")

    # The denial's page: how it came in, the reason, and the form to appeal it
    page.goto(f"{own_portal.url}/authorizations.html?authorization={number}")
    expect(page.locator("#detail-status .status")).to_have_text(["Denied"])
    expect(page.locator("#decision")).to_contain_text("Reason: Conservative treatment not tried for 6 weeks")
    facts = page.locator("#authorization-detail .facts")
    expect(facts).to_contain_text("How it came in")
    expect(facts).to_contain_text("Sent from these pages")
    form = page.locator("#appeal-form")
    expect(form.get_by_role("heading", name="Appeal this decision")).to_be_visible()
    expect(page.locator("#appeal_urgency-hint")).to_contain_text("Expedited (decision within 72 hours) only when")
    expect(form.get_by_role("radio", name="Standard")).to_be_checked()

    # Sent without a reason: the field says so and the error summary takes the focus
    form.get_by_role("button", name="Send the appeal").click()
    expect(page.locator("#appeal_reason-error")).to_contain_text("This field is required.")
    expect(page.get_by_label("Why the decision should change")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-summary")).to_be_focused()

    # With the reason, expedited, and the therapy notes: the appeal opens, a new request linked back
    page.get_by_label("Why the decision should change").fill("Six weeks of physical therapy are documented.")
    form.get_by_role("radio", name="Expedited").check()
    page.get_by_label("Files for the appeal (optional)").set_input_files(
        {"name": "pt-notes.pdf", "mimeType": "application/pdf", "buffer": REFERRAL})
    shot(page, "e2e-authorizations-appeal-form.png")
    sent_at = datetime.now()
    form.get_by_role("button", name="Send the appeal").click()
    message = page.locator("#detail-message")
    expect(message).to_contain_text(re.compile(r"Appeal sent: PA-[0-9A-Z]{10}"))
    appeal = NUMBER.search(message.inner_text()).group(0)  # type: ignore[union-attr]
    assert appeal != number
    expect(page).to_have_url(re.compile(rf"authorization={appeal}"))
    expect(page.get_by_role("heading", name=f"Prior authorization {appeal}")).to_be_focused()
    expect(page.locator("#detail-status .status")).to_have_text(["Pending"])
    expect(page.locator("#appeal-of")).to_have_text(f"Appeal of {number}")
    expect(page.locator("#history")).to_contain_text("Appeal submitted")
    expect(page.locator("#history")).to_contain_text("Files: pt-notes.pdf")
    expect(page.locator("#lines-table tbody tr")).to_have_text([re.compile(r"73721\s*1\s*Not decided yet")])
    due_text = page.locator("#decision").inner_text()
    due = datetime.strptime(re.search(r"Decision due (\S+ \S+ [AP]M)", due_text).group(1),  # type: ignore[union-attr]
                            "%m/%d/%Y %I:%M %p")
    assert abs(due - (sent_at + timedelta(hours=72))) < timedelta(minutes=3), due_text
    expect(page.locator("#appeal-form")).to_have_count(0)
    shot(page, "e2e-authorizations-appeal.png")

    # The link back opens the denial, which now names its appeal and offers no second one
    page.locator("#appeal-of").get_by_role("link", name=number).click()
    expect(page).to_have_url(re.compile(rf"authorization={number}"))
    expect(page.get_by_role("heading", name=f"Prior authorization {number}")).to_be_focused()
    expect(page.locator("#appealed-by")).to_have_text(f"Appealed: {appeal}")
    expect(page.locator("#appeal-form")).to_have_count(0)
    page.locator("#appealed-by").get_by_role("link", name=appeal).click()
    expect(page.get_by_role("heading", name=f"Prior authorization {appeal}")).to_be_focused()

    # In the list, the appeal says it is one; the plan decides it like any request
    page.goto(f"{own_portal.url}/authorizations.html")
    row = page.locator("#authorization-rows tr.authorization").filter(has=page.get_by_role("link", name=appeal))
    expect(row.locator("th")).to_contain_text("Appeal")
    expect(row.locator(".status")).to_have_text(["Pending"])
    # A denial that came in the plan's data (the demo extract) says so, in the list and on its page
    imported = page.locator("#authorization-rows tr.authorization").filter(
        has=page.get_by_role("link", name="PA-DEMO000005"))
    expect(imported.locator("th")).to_contain_text("Plan's records")
    expect(page.locator("#authorization-rows tr.authorization").filter(
        has=page.get_by_role("link", name=number)).locator("th")).to_have_text(number)  # these pages: no hint
    shot(page, "e2e-authorizations-appeal-list.png")
    imported.get_by_role("link", name="PA-DEMO000005").click()
    expect(page.locator("#detail-status .status")).to_have_text(["Denied"])
    expect(page.locator("#authorization-detail .facts")).to_contain_text("From the plan's records")
    expect(page.get_by_role("heading", name="Appeal this decision")).to_be_visible()

    staff_decide(own_portal, appeal, "approve", "Therapy notes meet the criteria")
    page.goto(f"{own_portal.url}/authorizations.html?authorization={appeal}")
    expect(page.locator("#detail-status .status")).to_have_text(["Approved"])
    expect(page.locator("#appeal-of")).to_have_text(f"Appeal of {number}")
