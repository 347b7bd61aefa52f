"""Request and response schemas of claim status (X12 276/277 in spirit)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from functions.shared.core import paging
from functions.shared.core.errors import FieldError
from functions.shared.core.ids import ActingFor, MemberId, ProviderId
from functions.shared.store.claims import ClaimStatus


class ClaimSearch(paging.PageRequest):
    """By member (member ID + date of birth) or by Provider ID, within a date-of-service range.
    To open one claim by its number, GET /claims/{claim_id}."""

    acting_for: ActingFor
    member_id: MemberId | None = None
    birth_date: date | None = Field(default=None, description="Required with member_id")
    provider_id: ProviderId | None = Field(default=None, description="A billing or rendering Provider ID you may see")
    from_date: date = Field(description="First date of service")
    to_date: date = Field(description="Last date of service")

    @classmethod
    def form_errors(cls, given: Mapping[str, Any]) -> list[FieldError]:
        by_member, by_provider = "member_id" in given, "provider_id" in given
        errors = []
        if by_member and by_provider:
            errors.append(FieldError("provider_id", "Search by member or by Provider ID, not both.", "one_of"))
        elif not by_member and not by_provider:
            errors.append(FieldError("member_id", "Enter the member ID and date of birth, or choose a Provider ID.",
                                     "missing"))
        if by_member and "birth_date" not in given:
            errors.append(FieldError("birth_date", "Enter the member's date of birth with the member ID.", "missing"))
        return errors


class ReasonCodeView(BaseModel):
    kind: Literal["CARC", "RARC"] = Field(
        description="CARC (claim adjustment reason) or RARC (remittance advice remark)")
    code: str
    meaning: str


class ClaimSummaryView(BaseModel):
    claim_id: str
    member_id: str
    member_name: str
    billing_provider_id: str
    rendering_provider_id: str | None = None
    service_from: date
    service_to: date
    status: ClaimStatus
    billed: str
    paid: str


class ClaimPageView(BaseModel):
    claims: list[ClaimSummaryView]
    next_cursor: str | None = Field(default=None, description="Send it back as `cursor` for the next page")


class ClaimLineDetail(BaseModel):
    sequence: int
    procedure_code: str
    modifiers: list[str] = []
    service_date: date
    units: int
    billed: str
    allowed: str
    paid: str
    patient_responsibility: str
    reasons: list[ReasonCodeView] = []


class PaymentDetail(BaseModel):
    method: str = Field(description="check or eft")
    number: str = Field(description="Check number or EFT trace number")
    date: date
    amount: str


class ClaimDetail(BaseModel):
    claim_id: str
    status: ClaimStatus
    status_text: str
    member_id: str
    member_name: str
    billing_provider_id: str
    rendering_provider_id: str | None = None
    service_from: date
    service_to: date
    received_on: date
    billed: str
    allowed: str
    paid: str
    patient_responsibility: str
    reasons: list[ReasonCodeView] = []
    lines: list[ClaimLineDetail]
    payment: PaymentDetail | None = None
    customer_service_phone: str = Field(description="Call Customer Services for issues with processed claims")
