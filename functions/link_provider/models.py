"""Request and response schemas of linking an account to a Provider ID."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from functions.shared.core.errors import FieldError
from functions.shared.core.forms import Form
from functions.shared.core.ids import normal_id
from functions.shared.core.schemas import Name, PlainText
from functions.shared.core.states import Feature, LinkRole, LinkStatus, LinkType

# This step's wording for its fields' validation errors (functions/shared/core/http.py FieldMessages).
_TAX_ID = "Enter the 9 digits of the Tax ID, such as 12-3456789."
_ZIP = "Enter a 5-digit ZIP code, or ZIP+4 such as 43017-1234."
_NUMBER = "Enter the check number or EFT trace number (letters, digits and dashes)."
_AMOUNT = "Enter the payment's total in dollars and cents, e.g. 130.00."
_BOTH = "Enter both the payment's number and its total, or leave both empty."
_SHAPE = ("string_too_short", "string_too_long", "string_pattern_mismatch")
FIELD_MESSAGES = {
    "provider_type": {"missing": "Choose Practitioner or Group."},
    "payment.number": {"missing": _BOTH, **dict.fromkeys(_SHAPE, _NUMBER)},
    "payment.amount": {"missing": _BOTH, **dict.fromkeys(("decimal_parsing", "greater_than", "decimal_max_places",
                                                          "decimal_max_digits", "decimal_type",
                                                          "decimal_whole_digits"), _AMOUNT)},
    "tax_id": {"missing": "Enter the Tax ID.", **dict.fromkeys(_SHAPE, _TAX_ID)},
    "provider_number": {"missing": "Enter the Provider ID or provider number, as on your letters from the plan."},
    "zip": {"missing": "Enter the ZIP code of one of the practice's addresses.", **dict.fromkeys(_SHAPE, _ZIP)},
}
# What each kind of provider is matched by, besides Tax ID, number and ZIP (said as what to enter).
NAMES_OF = {
    LinkType.PRACTITIONER: {"first_name": "Enter the practitioner's first name.",
                            "last_name": "Enter the practitioner's last name."},
    LinkType.GROUP: {"group_name": "Enter the group's name."},
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


class LinkRequest(Form):
    """The guides' step 7. Practitioner: names, Tax ID, provider number, ZIP. Group: group name,
    Tax ID, Provider ID, ZIP. `provider_number` is labelled per plan ("CCA Provider Number", ...)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    provider_type: LinkType
    first_name: Name | None = None
    last_name: Name | None = None
    group_name: Annotated[str, Field(min_length=1, max_length=200), PlainText] | None = None
    tax_id: str = Field(min_length=9, max_length=11, pattern=r"^[0-9]{2}[ -]?[0-9]{7}$",
                        description="9 digits, a dash or space after the second allowed")
    provider_number: Annotated[str, AfterValidator(normal_id)] = Field(min_length=3, max_length=20)
    zip: str = Field(min_length=5, max_length=10, pattern=r"^[0-9]{5}(?:[ -]?[0-9]{4})?$", description="ZIP or ZIP+4")
    payment: PaymentProof | None = Field(
        default=None, description="Proves the first administrator of a Provider ID at once; without it (or on "
                                  "plans whose staff verify), provider relations verify them first")

    @classmethod
    def form_errors(cls, given: Mapping[str, Any]) -> list[FieldError]:
        kind = given.get("provider_type")  # as sent when some field failed: any JSON value
        names = NAMES_OF.get(LinkType(kind), {}) if isinstance(kind, str) and kind in set(LinkType) else {}
        return [FieldError(name, message, "missing") for name, message in names.items() if name not in given]


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
    company: str | None = Field(default=None, description="A delegation's company (role delegate)")
    ends_on: date | None = Field(default=None, description="A delegation's last day (role delegate)")


class LinkList(BaseModel):
    links: list[LinkView]


class ProviderView(BaseModel):
    provider_id: str
    provider_type: LinkType
    name: str
    zips: list[str]
    via_link: str = Field(description="The linked Provider ID that gives access to this one")
    via_links: list[str] = Field(default_factory=list, description=(
        "Every linked Provider ID that gives access to this one: acting for any of them (acting_for), "
        "this provider's records are open"))


class AccessibleProviders(BaseModel):
    providers: list[ProviderView]
