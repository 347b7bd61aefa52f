"""Forms say everything that is wrong at once, in the API's words, each next to its field: the portal's
eligibility and claim searches, and the extended sign-up of the cmo plan (the plan's own fields, the two
passwords and the password policy, with the fields' own errors).

This module runs its own devserver for the portal pages (its user must be the first to link G1000001)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Portal
from tests.e2e.helpers import new_email

pytestmark = pytest.mark.e2e


def errors_of(page: Any) -> list[str]:
    """The summary's list: one line per error, in the order of the form."""
    return page.locator("#error-summary li").all_inner_texts()


def test_eligibility_and_claims_say_every_missing_field_at_once(own_portal: Portal, riverside: Any) -> None:
    page = riverside
    page.goto(f"{own_portal.url}/eligibility.html")
    page.get_by_label("Date of service").fill("")
    page.get_by_role("button", name="Check eligibility").click()
    expect(page.locator("#member_id-error")).to_contain_text("Enter the member ID, or the member's last and first")
    expect(page.locator("#birth_date-error")).to_contain_text("This field is required.")
    expect(page.locator("#service_date-error")).to_contain_text("This field is required.")
    assert errors_of(page) == ["Member ID: Enter the member ID, or the member's last and first name.",
                               "Date of birth: This field is required.", "Date of service: This field is required."]

    # By name, a last name alone: the first name is what is missing, said with the date of birth
    page.get_by_role("radio", name="By name").check()
    page.get_by_label("Last name").fill("Doe")
    page.get_by_label("Date of service").fill("2026-03-02")
    page.get_by_role("button", name="Check eligibility").click()
    expect(page.locator("#first_name-error")).to_contain_text("Enter the member's first name too")
    expect(page.locator("#birth_date-error")).to_contain_text("This field is required.")
    expect(page.locator("#error-summary")).to_be_focused()

    # Claims of a member: the member ID and the date of birth together
    page.goto(f"{own_portal.url}/claims.html")
    page.get_by_role("radio", name="By member").check()
    page.get_by_role("button", name="Find claims").click()
    expect(page.locator("#member_id-error")).to_contain_text("Enter the member ID and date of birth")
    page.get_by_label("Member ID", exact=True).fill("M100001")
    page.get_by_role("button", name="Find claims").click()
    expect(page.locator("#birth_date-error")).to_contain_text("Enter the member's date of birth with the member ID.")
    expect(page.locator("#member_id-error")).to_be_hidden()


def test_the_cmo_sign_up_says_the_mismatch_with_everything_else(cmo_portal: Portal, page: Any) -> None:
    page.goto(f"{cmo_portal.url}/register.html")
    page.fill("#first_name", "Grace")
    page.fill("#email", new_email())
    page.fill("#password", "short")
    page.fill("#confirm_password", "shorter")
    page.get_by_role("button", name="Create account").click()
    # One answer: the missing fields, the plan's own, the password's rules and the mismatch
    expect(page.locator("#confirm_password-error")).to_contain_text("The two passwords do not match.")
    expect(page.locator("#password-error")).to_contain_text("Use at least 12 characters.")
    expect(page.locator("#last_name-error")).to_contain_text("This field is required.")
    expect(page.locator("#username-error")).to_contain_text("Choose a user name.")
    expect(page.locator("#telephone-error")).to_contain_text("Enter the office telephone number.")
    expect(page.locator("#error-summary")).to_be_focused()

    # Corrected in one go, it goes through (a new security code is solved for the new attempt)
    page.fill("#last_name", "Hopper")
    page.fill("#username", f"ghopper{uuid.uuid4().hex[:6]}")
    page.fill("#display_name", "Dr. Hopper")
    page.fill("#password", "Lantern-Orbit-42")
    page.fill("#confirm_password", "Lantern-Orbit-42")
    page.fill("#group_name", "Harbor Pediatrics")
    page.fill("#telephone", "555-123-4567")
    page.fill("#fax", "(555) 123-4568")
    page.get_by_role("button", name="Create account").click()
    page.locator("#registration-done").wait_for(timeout=30_000)
