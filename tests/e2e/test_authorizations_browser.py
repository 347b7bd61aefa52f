"""Prior authorizations in a real browser: a user with access to G1000001 meets the field error of a
bad procedure code, submits an expedited request for Jane Doe and sees its number and a decision due
72 hours later; plan staff ask for more information (the staff tool, as in AWS the plan's signed
API), the user sends it, staff approve, and the user sees the approval and its reason in the history.

This module runs its own devserver: its user must be the first to link G1000001 (and so get access
at once as its administrator), whatever the other modules did with that group on the shared one."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import REPO, Portal
from tests.e2e.helpers import shot

pytestmark = pytest.mark.e2e

NUMBER = re.compile(r"PA-[0-9A-Z]{10}")
REFERRAL = b"%PDF-1.7\n% referral letter\n%%EOF\n"
MRI_ORDER = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def staff_decide(portal: Portal, number: str, outcome: str, reason: str) -> None:
    decided = subprocess.run(
        [sys.executable, "-m", "devserver.staff", "authorization", number, "--outcome", outcome, "--reason", reason,
         "--portal", portal.url], cwd=REPO, capture_output=True, text=True, timeout=30, check=False)
    assert decided.returncode == 0, decided.stdout + decided.stderr


def test_request_more_information_and_approval(own_portal: Portal, riverside: Any) -> None:
    page = riverside
    page.get_by_role("link", name="Prior authorizations").click()
    page.wait_for_url("**/authorizations.html")
    expect(page.get_by_role("navigation", name="Account").get_by_role("link", name="Authorizations")).to_have_attribute(
        "aria-current", "page")
    expect(page.get_by_label("Provider ID you act for")).to_be_hidden()  # one active link: nothing to choose
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
    page.get_by_role("button", name="Submit the request").click()
    expect(page.locator("#line-0-code-error")).to_contain_text("Enter a CPT code")
    expect(page.get_by_label("Procedure code on line 1")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-summary")).to_be_focused()
    shot(page, "e2e-authorizations-bad-code.png")

    # Corrected, with a file that is not one the plan takes (said at the field, nothing sent), then a PDF:
    # the request's number and a decision due 72 hours after it was submitted.
    page.get_by_label("Procedure code on line 1").fill("73721")
    files = page.get_by_label("Attachments (optional)")
    files.set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"knee"})
    page.get_by_role("button", name="Submit the request").click()
    expect(page.locator("#attachments-error")).to_contain_text("notes.txt: attach PDF, PNG, JPEG or TIFF files only")
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
    expect(page.get_by_label("Member ID", exact=True)).to_have_value("")  # ready for the next one
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
