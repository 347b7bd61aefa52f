"""The public prior-authorization metrics page in a real browser, no sign-in: staff publish two past years over
the (locally stand-in) signed staff route, a visitor follows the footer link, reads the newest year's tables and
method, chooses the other year, and an address naming a year never published falls back to the newest."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Portal
from tests.e2e.helpers import shot

pytestmark = pytest.mark.e2e

YEAR = datetime.now(UTC).year - 2  # a year before the demo data's decisions: nothing to count, all shown empty


def test_a_visitor_reads_the_published_years(portal: Portal, page: Any) -> None:
    for year in (YEAR - 1, YEAR):
        status, _, body = portal.request("POST", f"/api/staff/prior-authorization-metrics/{year}",
                                         headers={"X-Staff-User": "quality.analyst"})
        assert status == 200, body
    latest = portal.request("GET", "/api/public/prior-authorization-metrics")[2]["latest"]
    assert latest >= YEAR  # the devserver publishes last year by itself on 15 January
    page.goto(portal.url + "/")
    page.get_by_role("contentinfo").get_by_role("link", name="Prior authorization metrics").click()
    page.wait_for_url("**/prior-authorization-metrics.html")
    expect(page.get_by_role("heading", name="Prior authorization metrics", level=1)).to_be_visible()
    year = page.get_by_label("Year", exact=True)
    expect(year).to_have_value(str(latest))  # the newest published year
    expect(page.get_by_role("heading", name=f"Decisions in {latest}")).to_be_visible()
    year.select_option(str(YEAR))
    expect(page.get_by_role("heading", name=f"Decisions in {YEAR}")).to_be_visible()
    outcomes = page.get_by_role("table", name=f"Outcomes of the requests decided in {YEAR}")
    expect(outcomes.get_by_role("row", name=re.compile("^Requests decided"))).to_contain_text("0")
    expect(outcomes.get_by_role("row", name=re.compile("^Denied"))).to_contain_text("none to count")
    expect(page.get_by_role("table", name="Time from the request to the decision")).to_be_visible()
    expect(page.locator("#metrics-method")).to_contain_text("year of its decision")
    expect(page.get_by_role("link", name="These figures as data (JSON)")).to_have_attribute(
        "href", f"/api/public/prior-authorization-metrics/{YEAR}")
    shot(page, "pa-metrics.png")

    year.select_option(str(YEAR - 1))
    expect(page.get_by_role("heading", name=f"Decisions in {YEAR - 1}")).to_be_visible()
    assert page.url.endswith(f"?year={YEAR - 1}")

    page.goto(portal.url + "/prior-authorization-metrics.html?year=1999")
    expect(page.get_by_label("Year", exact=True)).to_have_value(str(latest))
