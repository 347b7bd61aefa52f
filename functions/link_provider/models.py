"""Request and response schemas of linking an account to a Provider ID."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.schemas import Name, PlainText
from functions.shared.states import LinkRole, LinkStatus, LinkType

# This step's wording for its fields' validation errors (functions/shared/http.py FieldMessages).
_TAX_ID = "Enter the 9-digit Tax ID."
_ZIP = "Enter a 5-digit ZIP code or ZIP+4."
FIELD_MESSAGES = {
    "tax_id": {"string_too_short": _TAX_ID, "string_too_long": _TAX_ID},
    "zip": {"string_too_short": _ZIP, "string_too_long": _ZIP},
}


class LinkRequest(BaseModel):
    """The guides' step 7. Practitioner: names, Tax ID, provider number, ZIP. Group: group name,
    Tax ID, Provider ID, ZIP. `provider_number` is labelled per plan ("CCA Provider Number", ...)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    provider_type: LinkType
    first_name: Name | None = None
    last_name: Name | None = None
    group_name: Annotated[str, Field(min_length=1, max_length=200), PlainText] | None = None
    tax_id: str = Field(min_length=9, max_length=11, description="9 digits, dashes allowed")
    provider_number: str = Field(min_length=3, max_length=20)
    zip: str = Field(min_length=5, max_length=10, description="ZIP or ZIP+4")


class LinkView(BaseModel):
    provider_id: str
    provider_name: str
    link_type: LinkType
    role: LinkRole
    status: LinkStatus
    next_step: str
    requested_at: datetime


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
