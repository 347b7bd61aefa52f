"""Request and response schemas of hospital admission notifications."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from functions.shared.core import paging
from functions.shared.core.ids import ActingFor, AdmissionNumber, ProviderId
from functions.shared.core.schemas import ForMember, Icd10Cm
from functions.shared.store.admissions import AdmissionStatus, AdmissionType, DischargeDisposition

AdmissionId = AdmissionNumber

FIELD_MESSAGES = {
    "admitting_diagnosis": {"string_pattern_mismatch": "Enter an ICD-10-CM code, such as J18.9 or I21.4."},
}


class AdmissionRequest(ForMember):
    """A facility tells the plan a member was admitted (the member's exact identity, as on their card)."""

    facility_provider_id: ProviderId = Field(description="The admitting facility's Provider ID")
    attending_provider_id: ProviderId | None = Field(default=None, description="The attending practitioner")
    admitted_at: AwareDatetime = Field(description="Admit date and time, with its UTC offset")
    admission_type: AdmissionType
    admitting_diagnosis: Icd10Cm

    @field_validator("admitted_at")
    @classmethod
    def _not_in_the_future(cls, value: datetime) -> datetime:
        from functions.shared.core import clock

        if value > clock.now():
            raise ValueError("The admission cannot be in the future.")
        return value


class DischargeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    acting_for: ActingFor
    discharged_at: AwareDatetime
    disposition: DischargeDisposition


class AdmissionSearch(paging.PageRequest):
    acting_for: ActingFor
    facility_provider_id: ProviderId
    from_date: date = Field(description="First admit date")
    to_date: date = Field(description="Last admit date")


class AdmissionView(BaseModel):
    admission_id: str
    status: AdmissionStatus
    member_id: str
    member_name: str
    facility_provider_id: str
    attending_provider_id: str | None = None
    admitted_at: datetime
    admission_type: AdmissionType
    admitting_diagnosis: str
    notified_at: datetime
    late: bool = Field(description="Notified after the plan's notification window")
    notice_due: datetime = Field(description="When the plan expected the notification")
    discharged_at: datetime | None = None
    disposition: DischargeDisposition | None = None


class AdmissionPage(BaseModel):
    admissions: list[AdmissionView]
    next_cursor: str | None = None
