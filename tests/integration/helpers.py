"""What integration tests read back: the mail that was sent and the records that were stored."""

from __future__ import annotations

import re

from tests.integration.conftest import outbox

STRONG = "Lantern-Orbit-42"


def mails_to(email: str) -> list:
    return [m for m in outbox() if email in m.destinations["ToAddresses"]]


def activation_token(email: str) -> str:
    mail = [m for m in mails_to(email) if m.subject == "Activate Account"][-1]
    match = re.search(r"activate\.html#token=([A-Za-z0-9_-]+)", mail.body)
    assert match, "the activation mail has a link"
    return match.group(1)


def registration(email: str = "jane.doe@clinic.example", **extra: object) -> dict:
    return {"email": email, "password": STRONG, "first_name": "Jane", "last_name": "Doe", **extra}


def last_code(email: str) -> str:
    """The newest 6-digit code mailed to `email`."""
    mail = [m for m in mails_to(email) if re.search(r"\b\d{6}\b", m.body)][-1]
    return re.search(r"\b(\d{6})\b", mail.body).group(1)


def active_account(browser, email: str = "jane.doe@clinic.example", password: str = STRONG) -> None:
    """Register and activate through the API, as a user would."""
    assert browser.post("/registrations", registration(email=email, password=password)).status == 202
    assert browser.post("/activations", {"token": activation_token(email)}).status == 200


def sign_in(browser, login: str = "jane.doe@clinic.example", password: str = STRONG, **extra: object):
    return browser.post("/sessions", {"login": login, "password": password, **extra})


def signed_in_user(gateway, email: str, first_name: str = "Jane"):
    """A user who registered, activated, signed in and enrolled an email factor: fully signed in."""
    from tests.integration.browser import Browser

    browser = Browser(gateway)
    assert browser.post("/registrations", registration(email=email, first_name=first_name)).status == 202
    assert browser.post("/activations", {"token": activation_token(email)}).status == 200
    assert sign_in(browser, login=email).status == 200
    factor = browser.post("/mfa/factors", {"kind": "email"}).body["factor_id"]
    assert browser.post(f"/mfa/factors/{factor}/confirm", {"code": last_code(email)}).status == 200
    return browser


GROUP = {"provider_type": "group", "group_name": "Riverside Family Practice", "tax_id": "12-3456789",
         "provider_number": "G1000001", "zip": "43017-1234"}
PRACTITIONER = {"provider_type": "practitioner", "first_name": "james", "last_name": "O'NEIL",
                "tax_id": "123456789", "provider_number": "p2000002", "zip": "43017"}
# A payment the plan made to Riverside's Tax ID (as in the demo data): what its first administrator proves.
PAYMENT = {"number": "EFT-7731042", "amount": "130.00"}
PROVEN_GROUP = {**GROUP, "payment": PAYMENT}


def paid_riverside() -> None:
    """Store the claim that PAYMENT paid, through the claims repository (as the portal-data loader does)."""
    from datetime import timedelta

    from functions.shared.core.clock import now
    from functions.shared.store import repositories
    from functions.shared.store.claims import Claim, ClaimStatus, PaymentView

    today = now().date()
    assert repositories().claims.put(Claim(
        claim_id="C26000101", member_id="M100001", member_name="Jane Doe", billing_provider_id="G1000001",
        billing_tax_id="123456789", rendering_provider_id="P2000001", service_from=today - timedelta(days=40),
        service_to=today - timedelta(days=40), received_on=today - timedelta(days=38), status=ClaimStatus.PAID,
        billed_cents=23500, allowed_cents=14000, paid_cents=13000, patient_cents=1000,
        payment=PaymentView("eft", "EFT-7731042", today - timedelta(days=24), 13000)), "demo", "test")


def staff_client(gateway, user: str = "pr.staff"):
    """Provider-relations staff: signed requests (locally the devserver's stand-in header)."""
    from tests.integration.browser import Browser

    class StaffClient(Browser):
        def request(self, method, path, body=None, headers=None):
            return super().request(method, path, body, {**(headers or {}), "X-Staff-User": user})

    return StaffClient(gateway, ip="127.0.0.1")  # the stand-in header counts from loopback only


def verified_by_staff(gateway, provider_id: str, email: str) -> None:
    """Provider relations approve the would-be first administrator `email` of `provider_id`, once the
    access workflow waits for them."""
    from tests.integration.conftest import wait_for

    staff = staff_client(gateway)

    def waiting() -> str | None:
        from functions.shared.store.models import Link

        links = staff.get(f"/staff/providers/{provider_id}/links").body["links"]
        mine = next((x for x in links if x["email"] == email and x["status"] == "pending_verification"), None)
        return mine["account_id"] if mine and Link.get(mine["account_id"], provider_id).waiting_token else None

    account_id = wait_for(waiting)
    assert account_id, "the request waits for provider relations"
    decided = staff.post(f"/staff/providers/{provider_id}/verifications/{account_id}/decision",
                         {"approve": True, "reason": "Called the practice's number on file"})
    assert decided.status == 200, decided.body
