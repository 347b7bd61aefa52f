"""Systems that use the FHIR API, in a real browser: the administrator of G1000001 registers an EHR's
SMART Backend Services client on the members page by pasting its public key set, reads the client ID
with the token URL and FHIR base URL to give the vendor, sees the system listed as active, revokes it
and sees it revoked. Text that is not JSON, a private key (never sent) and a key the API refuses are
shown next to the field.

This module runs its own devserver: its user must be the first to link G1000001 (and so become its
administrator with access at once), whatever the other modules did with that group on the shared one."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import expect

from tests.e2e.conftest import Portal
from tests.e2e.helpers import shot

pytestmark = pytest.mark.e2e


def b64url(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def rsa_jwks(kid: str, private: bool = False) -> str:
    """A JWK Set of one new 2048-bit RSA key (with its private exponent `d` when `private`)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {"kty": "RSA", "kid": kid, "n": b64url(key.public_key().public_numbers().n), "e": "AQAB"}
    if private:
        jwk["d"] = b64url(key.private_numbers().d)
    return json.dumps({"keys": [jwk]}, indent=2)


def test_register_list_and_revoke_a_system(own_portal: Portal, riverside: Any) -> None:
    page = riverside
    page.goto(f"{own_portal.url}/members.html?provider=G1000001")
    section = page.get_by_role("region", name="Systems that use the FHIR API")
    expect(section).to_be_visible()
    expect(section.locator("#fhir-token-url")).to_have_text(re.compile(r"^http.*/fhir/auth/token$"))
    expect(section.locator("#fhir-base")).to_have_text(re.compile(r"^http.*/fhir$"))
    expect(section.locator("#fhir-client-list")).to_have_text("No systems are registered yet.")
    for scope in ("List of attributed members", "Members' names, birth dates and contact details",
                  "Coverage (plan and eligibility)", "Claims and encounters"):
        expect(section.get_by_label(scope)).to_be_checked()

    # The key set pasted: first text that is not JSON, then a private key: refused at the field.
    section.get_by_label("Name of the system").fill("Front desk EHR")
    section.get_by_role("radio", name="Paste the public key set (JWKS JSON)").check()
    expect(section.get_by_label("JWKS URL", exact=True)).to_be_hidden()
    keys = section.get_by_label("Public key set (JWKS JSON)", exact=True)
    keys.fill("ehr-1 n=abc e=AQAB")
    section.get_by_role("button", name="Register the system").click()
    error = page.locator("#fhir-jwks-error")
    expect(error).to_contain_text("This is not JSON")
    expect(keys).to_have_attribute("aria-invalid", "true")
    expect(keys).to_be_focused()

    keys.fill(rsa_jwks("ehr-1", private=True))
    section.get_by_role("button", name="Register the system").click()
    expect(error).to_contain_text("This is a private key")
    expect(keys).to_be_focused()
    expect(section.locator("#fhir-client-list")).to_have_text("No systems are registered yet.")
    shot(page, "e2e-fhir-private-key.png")

    # A key the API refuses (an RSA key without its exponent): nothing is registered.
    keys.fill(json.dumps({"keys": [{"kty": "RSA", "kid": "ehr-1", "n": "AQAB"}]}))
    section.get_by_role("button", name="Register the system").click()
    expect(section.locator("#fhir-client-list")).to_have_text("No systems are registered yet.")

    # The public key set: registered, its client ID shown with the two URLs to give the vendor.
    keys.fill(rsa_jwks("ehr-1"))
    section.get_by_role("button", name="Register the system").click()
    result = page.locator("#fhir-notice")
    expect(result).to_contain_text("Front desk EHR is registered")
    expect(result).to_be_focused()
    expect(error).to_be_hidden()
    client_id = result.locator(".client-id").inner_text().strip()
    assert client_id
    expect(result).to_contain_text(page.locator("#fhir-token-url").inner_text())
    expect(result).to_contain_text(page.locator("#fhir-base").inner_text())
    expect(section.get_by_label("Name of the system")).to_have_value("")  # ready for the next one

    item = section.locator("#fhir-client-list > li", has_text="Front desk EHR")
    expect(item).to_contain_text(f"Client ID {client_id}")
    expect(item).to_contain_text("ehr-1")
    expect(item).to_contain_text("attributed members, member details, coverage, claims and encounters")
    expect(item.locator(".status")).to_have_text("Active")
    shot(page, "e2e-fhir-registered.png")

    # Revoke, asked once more: the system is listed as revoked, with nothing more to do.
    item.get_by_role("button", name="Revoke Front desk EHR").click()
    item.get_by_role("button", name="Yes, revoke").click()
    expect(result).to_contain_text("Front desk EHR revoked")
    expect(item.locator(".status")).to_have_text("Revoked")
    expect(item).to_contain_text(re.compile(r"Registered .+; revoked .+"))
    expect(item.get_by_role("button", name="Revoke Front desk EHR")).to_have_count(0)

    # As the API has it.
    answer = page.evaluate("""async () => {
        const response = await fetch('/api/providers/G1000001/fhir-clients', {credentials: 'same-origin'});
        return response.json();
    }""")
    [client] = [c for c in answer["clients"] if c["client_id"] == client_id]
    assert client["status"] == "revoked"
    assert client["key_ids"] == ["ehr-1"]
