"""Every page as people meet it on a desktop (1280 px) and on a phone (390 px): signed out, signing up and
in, and signed in with access, with an error state of each page where one is easy to reach. At both widths
axe finds nothing (any rule, any impact) and no page scrolls sideways. Then what the walk through the
pages fixed: the header in one row on a desktop and behind a "Menu" button on a phone, tables read as
stacked rows on a phone, every provider of the user's scope offered where a provider is chosen, the list
of authorization requests before its form, one primary button that is the next step, and the cmo plan's
first sign-in code and wording. With SCREENSHOTS=1 (`make screenshots`) every state is also saved as a
desktop and a phone PNG in test-artifacts/screenshots/.

This module runs its own devserver: its first user must be the first to link G1000001 (and so get access
at once as its administrator), whatever the other modules did with that group on the shared one."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import REPO, Portal
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    STRONG,
    WIDTHS,
    active_account,
    axe_violations,
    cmo_account,
    fill_payment,
    new_email,
    riverside_admin_state,
    screenshot,
    set_up_totp,
    sign_in,
)

pytestmark = pytest.mark.e2e
DASH = "\u2013"  # between a Provider ID and its name


class Walk:
    """Looks at a page in the state it is in at both widths: axe's findings and a page wider than the
    screen are noted (the test fails at its end with all of them), and screenshots are taken when asked."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: list[str] = []
        self.seen: list[str] = []

    def look(self, name: str, *, settle: Callable[[], None] | None = None) -> None:
        page = self.page
        page.wait_for_load_state("networkidle")
        for width, viewport in WIDTHS:
            page.set_viewport_size(viewport)
            if settle:
                settle()
            page.wait_for_timeout(150)  # the layout of the new width
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > viewport["width"]:
                self.problems.append(f"{name} at {width}: the page is {wide} px wide, wider than the screen")
            self.problems.extend(f"{name} at {width}: {v}" for v in axe_violations(page))
            screenshot(page, f"page-{name}", width)
        page.set_viewport_size(DESKTOP)
        self.seen.append(name)

    def done(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def context_page(browser: Any, errors: list[str], **options: Any) -> Any:
    context = browser.new_context(viewport=DESKTOP, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


@pytest.fixture(scope="module")
def admin_state(own_portal: Portal, browser: Any) -> dict[str, Any]:
    """The cookies of the module's first user: G1000001's administrator, with access."""
    return riverside_admin_state(browser, own_portal)


@pytest.fixture
def admin(browser: Any, admin_state: dict[str, Any]) -> Iterator[Any]:
    """A page of that administrator at the desktop width; JavaScript errors fail the test."""
    errors: list[str] = []
    page = context_page(browser, errors, storage_state=admin_state)
    yield page
    page.context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def fresh(browser: Any) -> Iterator[Any]:
    """A page of a new visitor at the desktop width; JavaScript errors fail the test."""
    errors: list[str] = []
    page = context_page(browser, errors)
    yield page
    page.context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def primary_buttons(page: Any) -> list[str]:
    """The texts of the visible primary buttons in the page's main part (a .button not .secondary)."""
    return page.evaluate("""[...document.querySelectorAll('#main .button:not(.secondary)')]
        .filter((b) => b.offsetParent !== null).map((b) => b.textContent.trim())""")


# ---- The tour: axe and the width of every page, at both widths ----

def test_signed_out_pages(own_portal: Portal, fresh: Any) -> None:
    page, walk, url = fresh, Walk(fresh), own_portal.url
    page.goto(f"{url}/")
    walk.look("home")
    page.goto(f"{url}/signin.html")
    walk.look("signin")
    page.get_by_label(re.compile("^User name")).fill(new_email())
    page.get_by_label("Password", exact=True).fill("Not-The-Password-1")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#error-summary")).to_be_visible()
    walk.look("signin-error")
    page.goto(f"{url}/register.html")
    walk.look("register")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#error-summary")).to_be_visible()
    walk.look("register-error")
    page.goto(f"{url}/activate.html")
    walk.look("activate-no-link")
    page.goto(f"{url}/resend.html")
    walk.look("resend")
    page.get_by_role("button", name="Send a new email").click()
    expect(page.locator("#error-summary")).to_be_visible()
    walk.look("resend-error")
    page.goto(f"{url}/forgot.html")
    walk.look("forgot")
    page.get_by_role("button", name="Email me a reset link").click()
    expect(page.locator("#error-summary")).to_be_visible()
    walk.look("forgot-error")
    page.goto(f"{url}/reset.html")
    walk.look("reset-no-link")
    page.goto(f"{url}/outbox.html")
    walk.look("outbox")
    page.goto(f"{url}/prior-authorization-metrics.html")
    walk.look("prior-authorization-metrics")
    walk.done()


def test_signing_up_and_in_pages(own_portal: Portal, fresh: Any) -> None:
    """A new account: the MFA set-up, the MFA check at the next sign-in (a wrong code first), and the
    pages of an account without access yet (the link form refusing an empty submission)."""
    page, walk, url = fresh, Walk(fresh), own_portal.url
    email = new_email()
    active_account(own_portal, email, first_name="Nia", last_name="Long")
    sign_in(page, own_portal, email)
    page.wait_for_url("**/mfa-setup.html")
    walk.look("mfa-setup")
    secret = set_up_totp(page, remember=False)
    set_up_with = pyotp.TOTP(secret).now()  # a code is taken once: the next sign-in needs the next window's
    walk.look("account-no-access")
    page.goto(f"{url}/access.html")
    expect(page.locator("#link-list")).to_contain_text("No Provider IDs yet")
    walk.look("access-no-links")
    page.goto(f"{url}/eligibility.html")
    expect(page.locator("#eligibility-notice")).to_contain_text("No provider access yet")
    walk.look("eligibility-no-access")
    page.goto(f"{url}/link.html")
    walk.look("link")
    page.get_by_role("button", name="Link this Provider ID").click()
    expect(page.locator("#provider_type-error")).to_be_visible()
    walk.look("link-error")

    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/signin.html")
    walk.look("signin-signed-out")
    sign_in(page, own_portal, email)
    page.wait_for_url("**/mfa.html")
    expect(page.get_by_role("radio").first).to_be_checked()  # the one method there is
    walk.look("mfa-choose")
    page.get_by_role("button", name="Continue").click()
    code = page.get_by_label("Code", exact=True)
    expect(code).to_be_visible()
    walk.look("mfa")
    code.fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#error-summary")).to_be_visible()
    walk.look("mfa-error")
    while pyotp.TOTP(secret).now() == set_up_with:
        time.sleep(1)
    code.fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/account.html")
    walk.done()


def test_signed_in_pages(own_portal: Portal, admin: Any) -> None:
    """The administrator of G1000001: every portal page, its results, a record, and an error of each."""
    page, walk, url = admin, Walk(admin), own_portal.url
    page.goto(f"{url}/access.html")
    expect(page.locator("#provider-rows tr")).to_have_count(3)
    walk.look("access")

    # The header's menu on a phone, open.
    def open_menu() -> None:
        menu = page.get_by_role("button", name="Menu")
        if menu.is_visible() and menu.get_attribute("aria-expanded") == "false":
            menu.click()
    walk.look("access-menu-open", settle=open_menu)
    page.reload()

    page.goto(f"{url}/account.html")
    walk.look("account")
    page.goto(f"{url}/agreement.html")
    walk.look("agreement-accepted")
    page.goto(f"{url}/org-agreement.html?provider=G1000001")
    walk.look("org-agreement")
    page.goto(f"{url}/members.html?provider=G1000001")
    expect(page.locator("#member-list")).to_contain_text("Rosa Parks")
    walk.look("members")

    page.goto(f"{url}/eligibility.html")
    page.get_by_label("Member ID", exact=True).fill("M100001")
    page.get_by_role("button", name="Check eligibility").click()
    expect(page.locator("#birth_date-error")).to_be_visible()
    walk.look("eligibility-error")
    page.get_by_label("Date of birth").fill("1984-03-12")
    page.get_by_role("button", name="Check eligibility").click()
    expect(page.locator("#result")).to_contain_text("Jane Doe")
    walk.look("eligibility-covered")

    page.goto(f"{url}/claims.html")
    walk.look("claims")
    page.get_by_label("Claim number", exact=True).fill("C99999999")
    page.get_by_role("button", name="Open claim").click()
    expect(page.locator("#claims-notice")).to_be_visible()
    walk.look("claims-not-found")
    page.get_by_label("Claim number", exact=True).fill("C26000102")
    page.get_by_role("button", name="Open claim").click()
    expect(page.locator("#claim-heading")).to_contain_text("C26000102")
    walk.look("claim")
    page.get_by_role("link", name="Back to claim search").click()
    page.get_by_role("radio", name="By member").check()
    page.get_by_label("Member ID", exact=True).fill("M100001")
    page.get_by_label("Date of birth").fill("1984-03-12")
    page.get_by_role("button", name="Find claims").click()
    expect(page.locator("#claim-rows tr")).to_have_count(4)
    walk.look("claims-results")

    page.goto(f"{url}/authorizations.html")
    expect(page.locator("#authorization-rows tr").first).to_be_visible()
    walk.look("authorizations")
    page.get_by_role("button", name="New request").click()
    page.get_by_role("button", name="Submit the request").click()
    expect(page.locator("#error-summary")).to_be_visible()
    walk.look("authorizations-request-error")
    page.get_by_role("button", name="Cancel").click()
    page.locator("#authorization-rows tr").first.get_by_role("link").first.click()
    expect(page.locator("#detail-heading")).to_be_visible()
    walk.look("authorization")

    page.goto(f"{url}/admissions.html")
    expect(page.locator("#admission-rows tr").first).to_be_visible()
    walk.look("admissions")
    page.get_by_role("button", name="Notify the admission").click()
    expect(page.locator("#error-summary")).to_be_visible()
    walk.look("admissions-notify-error")
    page.get_by_role("button", name=re.compile("^Record discharge")).first.click()
    expect(page.locator(".discharge-form")).to_be_visible()
    walk.look("admissions-discharge-form")
    walk.done()


# The pages the tests above walk through, each in its states; any other page is looked at as it opens.
TOURED = {"index", "signin", "register", "activate", "resend", "forgot", "reset", "outbox",
          "prior-authorization-metrics", "mfa-setup", "mfa", "account", "access", "link", "agreement",
          "org-agreement", "members", "eligibility", "claims", "authorizations", "admissions"}


def test_every_other_page(own_portal: Portal, admin: Any) -> None:
    """Pages not toured above (a page added later included), as the administrator opens them."""
    page, walk = admin, Walk(admin)
    for name in sorted({path.stem for path in (REPO / "web").glob("*.html")} - TOURED):
        page.goto(f"{own_portal.url}/{name}.html")
        walk.look(name)
    walk.done()


# ---- What the walk through the pages fixed ----

def test_header_is_one_row_on_a_desktop_and_a_menu_on_a_phone(own_portal: Portal, admin: Any) -> None:
    page = admin
    for path in ("/account.html", "/claims.html"):  # a narrow page and a wide one
        page.goto(own_portal.url + path)
        nav = page.get_by_role("navigation", name="Account")
        expect(nav.get_by_role("link", name="Your account")).to_be_visible()
        header = page.locator(".site-header").bounding_box()
        assert header and header["height"] < 90, f"{path}: the header is {header} high, more than one row"
        tops = page.evaluate("""[...document.querySelectorAll('.header-nav > *, .brand')]
            .filter((e) => e.getClientRects().length)
            .map((e) => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2))""")
        assert max(tops) - min(tops) <= 4, f"{path}: the brand and the links are not in one row: {tops}"
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()

    # A phone: the brand and a "Menu" button; the navigation opens under them, by mouse or keyboard.
    page.set_viewport_size(PHONE)
    page.goto(f"{own_portal.url}/claims.html")
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Account")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_have_attribute("aria-controls", "site-nav")
    expect(nav).to_be_hidden()
    header = page.locator(".site-header").bounding_box()
    assert header and header["height"] < 90, f"the phone's header is {header} high"
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link")).to_have_text(["Start", "Eligibility", "Claims", "Authorizations", "Admissions",
                                                  "Provider access", "Your account"])
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    nav.get_by_role("link", name="Eligibility").focus()
    page.keyboard.press("Escape")  # closes, and the focus goes back to the button
    expect(nav).to_be_hidden()
    expect(menu).to_be_focused()
    expect(menu).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")  # into the navigation, right after the button
    expect(nav.get_by_role("link").first).to_be_focused()
    expect(nav.get_by_role("link", name="Claims")).to_have_attribute("aria-current", "page")

    # Signed out, the one link stays in the header: no menu.
    page.goto(f"{own_portal.url}/register.html")
    expect(page.get_by_role("button", name="Menu")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign in")).to_be_visible()


def test_tables_are_stacked_rows_on_a_phone(own_portal: Portal, admin: Any) -> None:
    page = admin
    page.set_viewport_size(PHONE)
    page.goto(f"{own_portal.url}/admissions.html")
    row = page.locator("#admission-rows tr.admission").first
    status = row.locator("td", has=page.locator(".status"))
    expect(status).to_have_attribute("data-label", "Status")
    status.scroll_into_view_if_needed()
    expect(status).to_be_in_viewport(ratio=1)
    box = status.bounding_box()
    assert box and box["x"] + box["width"] <= PHONE["width"], f"the status is off the screen: {box}"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The label is drawn before the value, not read out: screen readers keep the table's own headers.
    assert page.evaluate("""getComputedStyle(document.querySelector('#admission-rows td[data-label="Status"]'),
        '::before').content""") == '"Status" / ""'
    expect(page.get_by_role("columnheader", name="Status")).to_have_count(1)

    page.goto(f"{own_portal.url}/claims.html")
    page.get_by_role("radio", name="By member").check()
    page.get_by_label("Member ID", exact=True).fill("M100001")
    page.get_by_label("Date of birth").fill("1984-03-12")
    page.get_by_role("button", name="Find claims").click()
    paid = page.locator("#claim-rows tr").last
    for label in ("Status", "Billed", "Paid"):
        cell = paid.locator(f'td[data-label="{label}"]')
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box and box["x"] + box["width"] <= PHONE["width"], f"{label} is off the screen: {box}"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # On a desktop the same table is a table again.
    page.set_viewport_size(DESKTOP)
    assert page.evaluate("getComputedStyle(document.querySelector('#claims-table')).display") == "table"


def test_every_provider_of_the_scope_is_offered(own_portal: Portal, admin: Any) -> None:
    """Acting for the group: the group and each of its practitioners, as on the access page."""
    page = admin
    providers = ["G1000001", "P2000001", "P2000002"]
    page.goto(f"{own_portal.url}/claims.html")
    page.get_by_role("radio", name="By Provider ID").check()
    choice = page.get_by_label("Provider ID", exact=True)
    expect(choice.locator("option")).to_have_text(
        [f"G1000001 {DASH} Riverside Family Practice", f"P2000001 {DASH} Maria Lopez", f"P2000002 {DASH} James O'Neil"])
    expect(choice).to_have_value("G1000001")
    # The README's example: P2000001's claims of the last 12 months, a page of them with "More claims".
    choice.select_option("P2000001")
    page.get_by_label("Service from").fill((date.today() - timedelta(days=365)).isoformat())
    page.get_by_role("button", name="Find claims").click()
    expect(page.locator("#claim-rows tr").first).to_be_visible()
    expect(page.locator("#error-summary")).to_be_hidden()
    expect(page.locator("#claims-notice")).to_be_hidden()

    # Where a provider is typed (authorizations, admissions), the same providers are suggested.
    for path, field in (("/authorizations.html", "requesting_provider_id"),
                        ("/admissions.html", "attending_provider_id")):
        page.goto(own_portal.url + path)
        expect(page.locator(f"#{field}")).to_have_attribute("list", "providers-in-scope")
        expect(page.locator("#providers-in-scope option")).to_have_count(3)
        assert page.eval_on_selector_all("#providers-in-scope option", "os => os.map((o) => o.value)") == providers


def test_authorization_requests_come_before_the_new_request_form(own_portal: Portal, admin: Any) -> None:
    page = admin
    page.goto(f"{own_portal.url}/authorizations.html")
    form = page.locator("#request-card")
    expect(page.locator("#authorization-rows tr").first).to_be_visible()
    expect(form).to_be_hidden()
    new = page.get_by_role("button", name="New request")
    assert primary_buttons(page) == ["New request"]
    list_top = page.locator("#list-card").bounding_box()
    assert list_top and list_top["y"] < 500, f"the list starts {list_top} down the page"

    new.click()
    expect(form).to_be_visible()
    expect(page.get_by_role("heading", name="Request an authorization")).to_be_focused()
    expect(new).to_be_hidden()
    assert primary_buttons(page) == ["Submit the request"]
    hint = page.locator("#requesting_provider_id-hint")
    expect(hint).not_to_contain_text("above")
    expect(hint).to_have_text("Who asks for the service: the Provider ID you act for, or one of its providers.")
    expect(page.get_by_label("Requesting Provider ID")).to_have_value("G1000001")

    page.get_by_label("Member ID", exact=True).fill("M100001")
    page.get_by_role("button", name="Cancel").click()  # closes, cleared, back on the button
    expect(form).to_be_hidden()
    expect(new).to_be_focused()
    new.click()
    expect(page.get_by_label("Member ID", exact=True)).to_have_value("")


def test_one_primary_button_the_next_step(own_portal: Portal, admin: Any, fresh: Any) -> None:
    # With access: the portal's first page; linking another Provider ID is secondary.
    admin.goto(f"{own_portal.url}/access.html")
    expect(admin.locator("#provider-rows tr")).to_have_count(3)
    assert primary_buttons(admin) == ["Check eligibility and benefits"]
    expect(admin.get_by_role("link", name="Link another Provider ID")).to_have_class(re.compile(r"\bsecondary\b"))
    # G1000001's only administrator is not offered to step down, and is told why.
    admin.goto(f"{own_portal.url}/members.html?provider=G1000001")
    expect(admin.locator("#member-list")).to_contain_text("Rosa Parks")
    expect(admin.locator("#stepdown-only")).to_be_visible()
    expect(admin.get_by_role("button", name="Step down as administrator")).to_be_hidden()

    # A new practitioner's first administrator: the agreement is the next step, the one big button.
    page, url = fresh, own_portal.url
    email = new_email()
    active_account(own_portal, email, first_name="Maria", last_name="Lopez")
    sign_in(page, own_portal, email)
    page.wait_for_url("**/mfa-setup.html")
    set_up_totp(page)
    page.goto(f"{url}/access.html")
    assert primary_buttons(page) == ["Link a Provider ID"]
    page.goto(f"{url}/link.html")
    page.get_by_role("radio", name="Practitioner").check()
    page.get_by_label("First name").fill("Maria")
    page.get_by_label("Last name").fill("Lopez")
    page.get_by_label("Tax ID").fill("12-3456789")
    page.get_by_label("Provider ID", exact=True).fill("P2000001")
    page.get_by_label("ZIP", exact=True).fill("43215")
    fill_payment(page)
    page.get_by_role("button", name="Link this Provider ID").click()
    page.wait_for_url("**/access.html")
    agreement = page.get_by_role("link", name="Read and accept the Provider Agreement")
    expect(agreement).to_be_visible()
    assert primary_buttons(page) == ["Read and accept the Provider Agreement"]
    expect(page.get_by_role("link", name="Link another Provider ID")).to_have_class(re.compile(r"\bsecondary\b"))
    walk = Walk(page)
    walk.look("access-agreement-needed")
    agreement.click()
    page.wait_for_url("**/agreement.html")
    page.get_by_role("button", name="Accept").click()
    expect(page.locator("#agree-error")).to_be_visible()
    walk.look("agreement-error")
    walk.done()


def test_cmo_first_sign_in_code_is_a_notice_and_the_link_page_speaks_the_plans_words(
        cmo_portal: Portal, fresh: Any) -> None:
    page, walk, url = fresh, Walk(fresh), cmo_portal.url
    page.goto(f"{url}/register.html")
    walk.look("cmo-register")
    email, username = new_email(), f"desk{new_email()[4:10]}"
    code = cmo_account(cmo_portal, email, username)
    page.goto(f"{url}/signin.html")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(STRONG)
    page.get_by_role("button", name="Sign in", exact=True).click()
    said = page.locator("#signin-notice")
    expect(said).to_contain_text("Enter your verification code")
    expect(said).not_to_have_class(re.compile(r"\berror\b"))
    expect(page.locator("#error-summary")).to_be_hidden()
    expect(page.get_by_label("Verification code")).to_be_focused()
    walk.look("cmo-signin-code")
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/mfa-setup.html")
    set_up_totp(page)

    page.goto(f"{url}/link.html")
    main = page.locator("#main")
    expect(page.get_by_role("heading", level=1)).to_have_text("Link your account to a Provider Number")
    page.get_by_role("radio", name="Group").check()
    expect(page.get_by_label("Provider Number", exact=True)).to_be_visible()
    expect(main).not_to_contain_text("Provider ID", use_inner_text=True)
    expect(main).not_to_contain_text("payment", use_inner_text=True)
    expect(page.get_by_role("button", name="Link this Provider Number")).to_be_visible()
    assert "Provider ID" not in page.title()
    walk.look("cmo-link")
    page.get_by_role("button", name="Link this Provider Number").click()
    expect(page.locator("#error-summary")).to_be_visible()
    walk.look("cmo-link-error")
    walk.done()
