"""Hospital admissions in a real browser, on the demo admissions the devserver loads for G1000001: a user
with access notifies Jane Doe's admission (warned first that her earlier stay is still open, and notifying
anyway) and sees it listed with its number and its code dotted, meets the duplicate message on the same
notification again and the field error of a bad diagnosis code (with a missing admit time, said at the
time), and records the discharge, which updates the row in place.

This module runs its own devserver: its user must be the first to link G1000001 (and so get access
at once as its administrator), whatever the other modules did with that group on the shared one."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Portal
from tests.e2e.helpers import shot

pytestmark = pytest.mark.e2e


def fill_jane(page: Any, diagnosis: str) -> None:
    """Jane Doe admitted as an inpatient at midnight today (in the past, whenever the test runs)."""
    page.get_by_label("Member ID", exact=True).fill("M100001")
    page.get_by_label("Date of birth").fill("1984-03-12")
    page.get_by_label("Admit date").fill(date.today().isoformat())
    page.get_by_label("Admit time").fill("00:00")
    page.get_by_label("Type", exact=True).select_option("inpatient")
    page.get_by_label("Admitting diagnosis").fill(diagnosis)


def test_notify_duplicate_bad_code_and_discharge(own_portal: Portal, riverside: Any) -> None:
    page = riverside
    page.get_by_role("link", name="Hospital admissions").click()
    page.wait_for_url("**/admissions.html")
    expect(page.get_by_role("navigation", name="Account").get_by_role("link", name="Admissions")).to_have_attribute(
        "aria-current", "page")
    expect(page.get_by_label("Provider ID you act for")).to_be_hidden()  # one active link: nothing to choose
    expect(page.get_by_label("Facility Provider ID")).to_have_value("G1000001")

    # The demo admissions of the last 30 days: Jane's, still in hospital (the others are older).
    rows = page.locator("#admission-rows tr.admission")
    expect(rows.locator("th")).to_have_text(["ADM-DEMO000001"])
    expect(rows.first).to_contain_text("Jane Doe")
    expect(rows.first.locator(".status")).to_have_text(["Admitted"])
    # A wider range shows the late one, tagged.
    page.get_by_label("Admitted from").fill((date.today() - timedelta(days=120)).isoformat())
    page.get_by_role("button", name="Show admissions").click()
    late = rows.filter(has_text="Carlos Rivera")
    expect(late.locator(".status")).to_have_text(["Discharged", "Late notification"])
    expect(late).to_contain_text("Home or self-care")

    # A new admission while her stay of two days ago is still open: a warning first, nothing notified yet.
    fill_jane(page, "j189")
    page.get_by_role("button", name="Notify the admission").click()
    result = page.locator("#notify-result")
    expect(result).to_contain_text("Check before notifying")
    expect(result).to_contain_text("Jane Doe has an admission still open at G1000001: ADM-DEMO000001")
    expect(result).to_be_focused()
    expect(rows).to_have_count(3)  # the demo admissions of the wider range, and nothing new
    shot(page, "e2e-admissions-warning.png")
    # Notified anyway: its number, first in the list, the code as the plan writes it.
    result.get_by_role("button", name="Notify anyway").click()
    expect(result).to_contain_text(re.compile(r"Admission notified: ADM-[0-9A-Z]{10}"))
    expect(result).to_be_focused()
    expect(result).not_to_contain_text("later than the plan's window")
    number = re.search(r"ADM-[0-9A-Z]{10}", result.inner_text()).group(0)  # type: ignore[union-attr]
    row = rows.filter(has=page.get_by_role("rowheader", name=number))
    expect(rows.first.locator("th")).to_have_text(number)
    expect(row).to_contain_text(re.compile(rf"{date.today():%m/%d/%Y} 12:00 AM"))
    expect(row).to_contain_text("Inpatient")
    expect(row).to_contain_text("J18.9")
    expect(row.locator(".status")).to_have_text(["Admitted"])
    expect(page.get_by_label("Member ID", exact=True)).to_have_value("")  # the form is ready for the next one

    # The same stay again: the one on file is named.
    fill_jane(page, "J18.9")
    page.get_by_role("button", name="Notify the admission").click()
    expect(result).to_contain_text(f"This admission was already notified: {number}")
    expect(rows.filter(has=page.get_by_role("rowheader", name=number))).to_have_count(1)

    # A diagnosis that is not an ICD-10-CM code, and no admit time: both at once, each at its own field.
    page.get_by_label("Admitting diagnosis").fill("18.9J")
    page.get_by_label("Admit time").fill("")
    page.get_by_role("button", name="Notify the admission").click()
    expect(page.locator("#admitting_diagnosis-error")).to_contain_text("Enter an ICD-10-CM code")
    expect(page.get_by_label("Admitting diagnosis")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#admit_time-error")).to_contain_text("Enter the admit time.")
    expect(page.get_by_label("Admit time")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#admitted_at-error")).to_be_hidden()  # not under the admit date
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary li")).to_have_text(["Admit time: Enter the admit time.",
                                                            "Admitting diagnosis: Enter an ICD-10-CM code, such as "
                                                            "J18.9 or I21.4."])

    # The discharge, in a form under the row; the row is updated in place.
    row.get_by_role("button", name=re.compile("Record discharge")).click()
    expect(page.get_by_label("Discharge date")).to_be_focused()
    expect(page.get_by_label("Discharge date")).to_have_value(date.today().isoformat())
    page.get_by_label("Discharge disposition").select_option("home")
    # Before the admission: the API's error next to the date, which gets the focus.
    page.get_by_label("Discharge date").fill((date.today() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Save discharge").click()
    expect(page.locator(f"#discharge-{number}-discharged_at-error")).to_contain_text(
        "The discharge cannot be before the admission.")
    expect(page.get_by_label("Discharge date")).to_be_focused()
    shot(page, "e2e-admissions-discharge-form.png")
    page.get_by_label("Discharge date").fill(date.today().isoformat())
    page.get_by_role("button", name="Save discharge").click()
    expect(row.locator(".status")).to_have_text(["Discharged"])
    expect(row).to_contain_text("Home or self-care")
    expect(row).to_contain_text(f"{date.today():%m/%d/%Y}")
    expect(row.get_by_role("button", name=re.compile("Record discharge"))).to_have_count(0)
    expect(page.get_by_label("Discharge date")).to_have_count(0)
    expect(row.locator("th")).to_be_focused()
    expect(page.locator("#admissions-status")).to_contain_text(f"Discharge recorded for {number}")
    shot(page, "e2e-admissions.png")

    # Ten days after the admission: notified, and told it is late; the new row is tagged. Carlos's coverage
    # ended last month: when the admit day falls after that, a warning is confirmed first.
    admitted = date.today() - timedelta(days=10)
    page.get_by_label("Member ID", exact=True).fill("M100002")
    page.get_by_label("Date of birth").fill("1975-07-04")
    page.get_by_label("Admit date").fill(admitted.isoformat())
    page.get_by_label("Admit time").fill("14:30")
    page.get_by_label("Type", exact=True).select_option("observation")
    page.get_by_label("Admitting diagnosis").fill("I21.4")
    page.get_by_role("button", name="Notify the admission").click()
    if admitted >= date.today().replace(day=1):
        expect(result).to_contain_text(f"Carlos Rivera is not covered by the plan on {admitted:%m/%d/%Y}")
        result.get_by_role("button", name="Notify anyway").click()
    expect(result).to_contain_text(re.compile(r"Admission notified: ADM-[0-9A-Z]{10}"))
    expect(result).to_contain_text("This notification is later than the plan's window of one business day")
    expect(page.locator("#error-summary")).to_be_hidden()
    expect(rows.first).to_contain_text("Carlos Rivera")
    expect(rows.first).to_contain_text(f"{date.today() - timedelta(days=10):%m/%d/%Y} 2:30 PM")
    expect(rows.first.locator(".status")).to_have_text(["Admitted", "Late notification"])
    shot(page, "e2e-admissions-late.png")
