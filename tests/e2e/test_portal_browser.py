"""Eligibility and claim status in a real browser, on the demo members and claims the devserver loads
(devserver/demo_portal_data.py): a user with access to group G1000001 checks Jane Doe's coverage,
meets "No member found" on a near miss, opens a denied claim and its reasons, and lists Jane's claims;
a user without access is told how to get it.

This module runs its own devserver: its user must be the first to link G1000001 (and so get access
at once as its administrator), whatever the other modules did with that group on the shared one."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Portal
from tests.e2e.helpers import link_riverside, shot, signed_in_user

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def riverside_state(own_portal: Portal, browser: Any) -> dict[str, Any]:
    """The cookies of a signed-in user with access to G1000001 (the Provider Agreement accepted)."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    signed_in_user(page, own_portal, "Rosa", "Parks")
    link_riverside(page, own_portal)
    expect(page.get_by_role("link", name="Check eligibility and benefits")).to_be_visible()
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def riverside(browser: Any, riverside_state: dict[str, Any]) -> Iterator[Any]:
    """A page of the user with access; uncaught JavaScript errors fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, storage_state=riverside_state)
    context.set_default_timeout(10_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def us(day: date) -> str:
    return day.strftime("%m/%d/%Y")


def test_eligibility_covered_not_covered_and_no_member(own_portal: Portal, riverside: Any) -> None:
    page = riverside
    page.goto(f"{own_portal.url}/eligibility.html")
    expect(page.get_by_role("navigation", name="Account").get_by_role("link", name="Eligibility")).to_have_attribute(
        "aria-current", "page")
    expect(page.get_by_label("Provider ID you act for")).to_be_hidden()  # one active link: nothing to choose
    expect(page.get_by_label("Date of service")).to_have_value(date.today().isoformat())

    # Nothing but a member ID: the API's field error, next to the field.
    page.get_by_label("Member ID", exact=True).fill("M100001")
    page.get_by_role("button", name="Check eligibility").click()
    expect(page.locator("#birth_date-error")).to_contain_text("This field is required.")
    expect(page.locator("#error-summary")).to_contain_text("Some fields need attention")

    page.get_by_label("Date of birth").fill("1984-03-12")
    page.get_by_role("button", name="Check eligibility").click()
    result = page.locator("#result")
    expect(result.get_by_role("heading", level=2)).to_have_text(re.compile(r"Jane Doe\s+Covered"))
    expect(result).to_contain_text(f"Covered on {us(date.today())}")
    expect(result).to_contain_text("Maria Lopez (Provider ID P2000001)")
    expect(page.locator("#result-heading")).to_be_focused()
    deductible = page.locator("#benefits tr", has=page.get_by_role("rowheader", name="Deductible"))
    expect(deductible.locator("td")).to_have_text(["$500.00", "$320.00", "$180.00"])
    expect(page.locator("#error-summary")).to_be_hidden()
    shot(page, "e2e-eligibility.png")

    # A near miss of the date of birth is no member at all, said as a notice.
    page.get_by_label("Date of birth").fill("1984-03-13")
    page.get_by_role("button", name="Check eligibility").click()
    found = page.locator("#eligibility-notice")
    expect(found).to_contain_text("No member found")
    expect(found).to_be_focused()
    expect(result).to_be_hidden()

    # By name: coverage that ended last month is "not covered", with the period it had.
    page.get_by_role("radio", name="By name").check()
    expect(page.get_by_label("Member ID", exact=True)).to_be_hidden()
    page.get_by_label("Last name").fill("Rivera")
    page.get_by_label("First name").fill("Carlos")
    page.get_by_label("Date of birth").fill("1975-07-04")
    page.get_by_role("button", name="Check eligibility").click()
    expect(result.get_by_role("heading", level=2)).to_have_text(re.compile(r"Carlos Rivera\s+Not covered"))
    expect(result).to_contain_text("coverage ended")
    expect(page.locator("#other-periods tbody tr")).to_have_count(1)
    expect(found).to_be_hidden()


def test_claim_detail_and_member_and_provider_searches(own_portal: Portal, riverside: Any) -> None:
    page = riverside
    page.goto(f"{own_portal.url}/claims.html")
    page.get_by_label("Claim number", exact=True).fill("c26000102")
    page.get_by_role("button", name="Open claim").click()
    page.wait_for_url(re.compile(r".*/claims\.html\?claim=C26000102&provider=G1000001$"))
    detail = page.locator("#claim-detail")
    expect(page.locator("#claim-heading")).to_have_text(re.compile(r"Claim C26000102\s+Denied"))
    expect(detail).to_contain_text("Denied: see the reasons below.")
    expect(detail.locator(".reason-list").first.locator("li")).to_have_text(
        ["CARC 197 Precertification, authorization or notification was absent."])
    expect(page.locator("#claim-lines")).to_contain_text("RARC N54")
    expect(page.locator("#payment")).to_have_text("No payment has been issued for this claim.")
    expect(page.locator("#claim-phone")).to_have_text(
        "Questions about a processed claim? Call Customer Services at 1-800-488-0134.")
    shot(page, "e2e-claim.png")

    # Back to the search: Jane's claims of the last 90 days, each with its status.
    page.get_by_role("link", name="Back to claim search").click()
    page.get_by_role("radio", name="By member").check()
    page.get_by_label("Member ID", exact=True).fill("M100001")
    page.get_by_label("Date of birth").fill("1984-03-12")
    page.get_by_role("button", name="Find claims").click()
    rows = page.locator("#claim-rows tr")
    expect(rows).to_have_count(4)
    expect(rows.locator("th")).to_have_text(["C26000104", "C26000103", "C26000102", "C26000101"])
    expect(rows.locator(".status")).to_have_text(["Received", "Pended", "Denied", "Paid"])
    expect(page.locator("#results-heading")).to_be_focused()
    shot(page, "e2e-claims.png")

    # A row opens its claim: the payment.
    page.get_by_role("link", name="C26000101").click()
    expect(page.locator("#payment")).to_contain_text("Electronic funds transfer (EFT)")
    expect(page.locator("#payment")).to_contain_text("EFT-7731042")
    page.go_back()
    expect(rows).to_have_count(4)

    # The group's claims page on with "More claims".
    page.get_by_role("radio", name="By Provider ID").check()
    page.get_by_role("button", name="Find claims").click()
    expect(rows).to_have_count(20)
    page.get_by_role("button", name="More claims").click()
    expect(rows).not_to_have_count(20)
    assert rows.count() > 20

    # An unknown claim number: the search again, with the number to correct.
    page.get_by_role("radio", name="By claim number").check()
    page.get_by_label("Claim number", exact=True).fill("C99999999")
    page.get_by_role("button", name="Open claim").click()
    expect(page.locator("#claims-notice")).to_contain_text("No claim found")
    expect(page.get_by_label("Claim number", exact=True)).to_have_value("C99999999")


def test_without_access_the_pages_say_how_to_get_it(own_portal: Portal, new_page: Callable[[], Any]) -> None:
    page = new_page()
    signed_in_user(page, own_portal, "Nora", "Nolink")
    for path in ("/eligibility.html", "/claims.html"):
        page.goto(f"{own_portal.url}{path}")
        box = page.locator(".notice").first
        expect(box).to_contain_text("No provider access yet")
        expect(box.get_by_role("link", name="Go to provider access")).to_have_attribute("href", "/access.html")
        expect(page.locator("form")).to_be_hidden()
