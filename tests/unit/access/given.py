"""The roster, people and requests the provider-access unit tests start from."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from functions.shared.core.http import Caller, RequestMeta
from functions.shared.core.states import LinkType
from functions.shared.store.claims import Claim, ClaimStatus, PaymentView
from functions.shared.store.roster import ProviderView

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday
META = RequestMeta("r1", "198.51.100.7", "unit")
TAX_ID = "123456789"
GROUP = ProviderView(provider_id="G1000001", roster_version=1, provider_type=LinkType.GROUP, tax_id=TAX_ID,
                     zips=frozenset({"43017", "43215"}), group_name="Riverside Family Practice")
IN_GROUP = ProviderView(provider_id="P2000001", roster_version=1, provider_type=LinkType.PRACTITIONER,
                        tax_id=TAX_ID, zips=frozenset({"43017"}), first_name="Ann", last_name="Lee")
PRACTITIONER = ProviderView(provider_id="P2000004", roster_version=1, provider_type=LinkType.PRACTITIONER,
                            tax_id="456789012", zips=frozenset({"02108"}), first_name="Robert", last_name="Chen")
GROUP_FORM = {"provider_type": "group", "group_name": "riverside family practice", "tax_id": "12-3456789",
              "provider_number": "g1000001", "zip": "43017-1234"}


def caller(account_id: str) -> Caller:
    return Caller(account_id, f"session-{account_id}", "full")

# A payment the plan made to the group's Tax ID three weeks ago: what its first administrator proves.
PAYMENT = {"number": "EFT-7731042", "amount": "130.00"}
PAID_CLAIM = Claim(
    claim_id="C1", member_id="M1", member_name="Jane Doe", billing_provider_id="G1000001", billing_tax_id=TAX_ID,
    rendering_provider_id="P2000001", service_from=date(2026, 1, 20), service_to=date(2026, 1, 20),
    received_on=date(2026, 1, 22), status=ClaimStatus.PAID, billed_cents=23500, allowed_cents=14000,
    paid_cents=13000, patient_cents=1000,
    payment=PaymentView("eft", "EFT-7731042", (NOW - timedelta(days=21)).date(), 13000))
