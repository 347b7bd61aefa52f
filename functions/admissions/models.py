"""Request and response schemas of hospital admission notifications."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from functions.shared.core import paging
from functions.shared.core.forms import Form
from functions.shared.core.ids import ActingFor, AdmissionNumber, ProviderId
from functions.shared.core.schemas import ForMember, Icd10Cm
from functions.shared.store.admissions import AdmissionStatus, AdmissionType, DischargeDisposition

AdmissionId = AdmissionNumber

FIELD_MESSAGES = {
    "admitting_diagnosis": {"string_pattern_mismatch": "Enter an ICD-10-CM code, such as J18.9 or I21.4."},
    "admitted_at": {"missing": "Enter the admit date and time."},
    "discharged_at": {"missing": "Enter the discharge date and time."},
    "disposition": {"missing": "Choose where the member went."},
}


class AdmissionWarning(StrEnum):
    """What may be right but is worth a second look: the user confirms it, the plan is not refused."""

    OPEN_ADMISSION = "open-admission"  # the member has an admission without a discharge
    NOT_COVERED = "not-covered"  # the member is not covered by the plan on the admit date


class AdmissionRequest(ForMember):
    """A facility tells the plan a member was admitted (the member's exact identity, as on their card)."""

    facility_provider_id: ProviderId = Field(description="The admitting facility's Provider ID")
    attending_provider_id: ProviderId | None = Field(default=None, description="The attending practitioner")
    admitted_at: AwareDatetime = Field(description="Admit date and time, with its UTC offset")
    admission_type: AdmissionType
    admitting_diagnosis: Icd10Cm
    confirmed_warnings: list[AdmissionWarning] = Field(
        default_factory=list, max_length=len(AdmissionWarning),
        description="The warnings of a first answer (409 confirm-warnings) the user has seen and confirms, by code")

    @field_validator("admitted_at")
    @classmethod
    def _not_in_the_future(cls, value: datetime) -> datetime:
        return _not_in_the_future(value, "The admission cannot be in the future.")


class DischargeRequest(Form):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    acting_for: ActingFor
    discharged_at: AwareDatetime
    disposition: DischargeDisposition

    @field_validator("discharged_at")
    @classmethod
    def _not_in_the_future(cls, value: datetime) -> datetime:
        return _not_in_the_future(value, "The discharge cannot be in the future.")


def _not_in_the_future(value: datetime, message: str) -> datetime:
    from functions.shared.core import clock

    if value > clock.now():
        raise ValueError(message)
    return value


class AdmissionSearch(paging.PageRequest):
    acting_for: ActingFor
    facility_provider_id: ProviderId
    from_date: date = Field(description="First admit date")
    to_date: date = Field(description="Last admit date")


class WarningView(BaseModel):
    code: AdmissionWarning
    message: str
    admission_id: str | None = Field(default=None, description="The open admission, when you may open it")


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
