"""Request and response schemas of linking an account to a Provider ID."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from functions.shared.core.ids import normal_id
from functions.shared.core.schemas import Name, PlainText
from functions.shared.core.states import Feature, LinkRole, LinkStatus, LinkType

# This step's wording for its fields' validation errors (functions/shared/core/http.py FieldMessages).
_TAX_ID = "Enter the 9-digit Tax ID."
_ZIP = "Enter a 5-digit ZIP code or ZIP+4."
_NUMBER = "Enter the check number or EFT trace number (letters, digits and dashes)."
_AMOUNT = "Enter the payment's total in dollars and cents, e.g. 130.00."
FIELD_MESSAGES = {
    "payment.number": {"string_too_short": _NUMBER, "string_too_long": _NUMBER, "string_pattern_mismatch": _NUMBER},
    "payment.amount": {"decimal_parsing": _AMOUNT, "greater_than": _AMOUNT, "decimal_max_places": _AMOUNT,
               "decimal_max_digits": _AMOUNT, "decimal_type": _AMOUNT, "decimal_whole_digits": _AMOUNT},
    "tax_id": {"string_too_short": _TAX_ID, "string_too_long": _TAX_ID},
    "zip": {"string_too_short": _ZIP, "string_too_long": _ZIP},
}


class PaymentProof(BaseModel):
    """A recent payment the plan made to the practice: what proves a Provider ID's first administrator
    (as on the practice's remittance advice or bank statement)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    number: str = Field(min_length=3, max_length=30, pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]*$",
                        description="The check number or EFT trace number")
    amount: Decimal = Field(gt=0, max_digits=11, decimal_places=2, description="The payment's total, in dollars")

    @property
    def cents(self) -> int:
        return int(self.amount * 100)


class LinkRequest(BaseModel):
    """The guides' step 7. Practitioner: names, Tax ID, provider number, ZIP. Group: group name,
    Tax ID, Provider ID, ZIP. `provider_number` is labelled per plan ("CCA Provider Number", ...)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    provider_type: LinkType
    first_name: Name | None = None
    last_name: Name | None = None
    group_name: Annotated[str, Field(min_length=1, max_length=200), PlainText] | None = None
    tax_id: str = Field(min_length=9, max_length=11, description="9 digits, dashes allowed")
    provider_number: Annotated[str, AfterValidator(normal_id)] = Field(min_length=3, max_length=20)
    zip: str = Field(min_length=5, max_length=10, description="ZIP or ZIP+4")
    payment: PaymentProof | None = Field(
        default=None, description="Proves the first administrator of a Provider ID at once; without it (or on "
                                  "plans whose staff verify), provider relations verify them first")


class LinkView(BaseModel):
    provider_id: str
    provider_name: str
    link_type: LinkType
    role: LinkRole
    status: LinkStatus
    next_step: str
    requested_at: datetime
    features: list[Feature] = Field(default_factory=list, description="What this account may use for the Provider "
                                                                      "ID now (empty until the link is active)")


class LinkList(BaseModel):
    links: list[LinkView]


class ProviderView(BaseModel):
    provider_id: str
    provider_type: LinkType
    name: str
    zips: list[str]
    via_link: str = Field(description="The linked Provider ID that gives access to this one")


class AccessibleProviders(BaseModel):
    providers: list[ProviderView]
