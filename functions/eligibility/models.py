"""Request and response schemas of the member eligibility and benefits check (X12 270/271 in spirit)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.core.errors import FieldError
from functions.shared.core.forms import Form
from functions.shared.core.schemas import ActingFor, MemberId, Name
from functions.shared.store.members import BenefitKind


class EligibilityRequest(Form):
    """An exact member identity: member ID + date of birth, or last name + first name + date of birth."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    acting_for: ActingFor
    member_id: MemberId | None = None
    last_name: Name | None = None
    first_name: Name | None = None
    birth_date: date
    service_date: date = Field(description="The date of service to check coverage on")

    @classmethod
    def form_errors(cls, given: Mapping[str, Any]) -> list[FieldError]:
        if "member_id" in given or ("last_name" in given and "first_name" in given):
            return []
        if "last_name" in given:
            return [FieldError("first_name", "Enter the member's first name too, or search by member ID.", "missing")]
        if "first_name" in given:
            return [FieldError("last_name", "Enter the member's last name too, or search by member ID.", "missing")]
        return [FieldError("member_id", "Enter the member ID, or the member's last and first name.", "missing")]


class BenefitView(BaseModel):
    kind: BenefitKind
    label: str
    amount: str = Field(description="Dollars, e.g. '25.00'")
    used: str | None = None
    remaining: str | None = None


class PrimaryCareProvider(BaseModel):
    provider_id: str
    name: str | None = None


class CoverageView(BaseModel):
    plan: str
    product: str
    group_id: str | None = None
    start: date
    end: date | None = None
    primary_care_provider: PrimaryCareProvider | None = None
    benefits: list[BenefitView] = []


class MemberSummary(BaseModel):
    member_id: str
    first_name: str
    last_name: str
    birth_date: date


class EligibilityResult(BaseModel):
    status: Literal["covered", "not_covered"]
    message: str
    service_date: date
    member: MemberSummary
    coverage: CoverageView | None = Field(default=None, description="The coverage in force on the date of service")
    other_periods: list[CoverageView] = Field(default=[], description="The member's other coverage periods")
