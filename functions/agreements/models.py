"""Schemas of the Provider Agreement and the organizational agreement."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.core.schemas import PersonName
from functions.shared.core.states import OrgAgreementState as Status

# This step's wording for its fields' validation errors (functions/shared/core/http.py FieldMessages).
FIELD_MESSAGES = {"attest": {"literal_error": "Tick the box to confirm you may sign for this organization."}}


class ProviderAgreement(BaseModel):
    version: str
    text: str = Field(description="Markdown")
    accepted: bool


class AcceptAgreement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(max_length=32, description="The version the user read")


class OrgAgreementStatus(BaseModel):
    version: str
    text: str = Field(description="Markdown: what the signer agrees to")
    tax_id_last4: str
    group_name: str
    status: Status | Literal["none"] = Field(description="'none' until a request of the group waits for it")
    signer_name: str | None = None
    signer_title: str | None = None
    signed_at: datetime | None = None
    promise: str


class SignOrgAgreement(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    provider_id: str = Field(min_length=3, max_length=20, description="The group's linked Provider ID")
    signer_name: Annotated[str, Field(min_length=2, max_length=200), PersonName]
    signer_title: Literal["supervisor", "manager", "owner"]
    attest: Literal[True] = Field(description="I am authorised to sign for this organization")
