"""Request and response schemas of prior authorizations (X12 278 / Da Vinci PAS in spirit)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from functions.shared.core import paging
from functions.shared.core.file_types import FILE_NAME_PATTERN, clean_file_name
from functions.shared.core.ids import ActingFor, AuthorizationNumber, ProviderId
from functions.shared.core.malware_scan import FileState
from functions.shared.core.schemas import ForMember, Icd10Cm, ProcedureCode
from functions.shared.store.authorizations import AuthorizationStatus, AuthorizationUrgency

AuthorizationId = AuthorizationNumber
IdempotencyKey = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$",
                                      description="Any unique value per submission; a retry sends the same")]
MAX_RANGE_DAYS = paging.MAX_RANGE_DAYS
AttachmentNumber = Annotated[int, Field(ge=1, le=99, description="The file's number on the request (1, 2, ...)")]

FIELD_MESSAGES = {
    "diagnosis_codes": {"string_pattern_mismatch": "Enter ICD-10-CM codes, such as M17.11."},
    "attachments.name": {"string_pattern_mismatch": "Give the file a name without folders, quotes, control, "
                                                    "invisible or direction-changing characters."},
    "service_lines.code": {"string_pattern_mismatch": "Enter a CPT code (5 digits) or a HCPCS code (a letter and "
                                                      "4 digits)."},
    "reason": {"string_too_short": "Say why the decision should change, in a few words at least."},
}


class AttachmentUpload(BaseModel):
    """A file, base64-encoded: PDF, PNG, JPEG or TIFF, at most 3 MB (4 MB for all files of a request)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120, pattern=FILE_NAME_PATTERN,
                      description="The file name, without folders, quotes, control or invisible characters")

    @field_validator("name")
    @classmethod
    def _clean_name(cls, value: str) -> str:
        # Kept as it reads once decoded: `..%2fsetup.exe` is `setup.exe` (what decoding brings that no
        # name may hold is dropped; nothing left: "attachment").
        return clean_file_name(value)
    content_type: str = Field(min_length=3, max_length=100, description="application/pdf, image/png, "
                                                                         "image/jpeg or image/tiff")
    # Bounded well above what fits in a request (Lambda takes 6 MB); the real caps give 413.
    content: str = Field(min_length=1, max_length=8_000_000, description="The file's bytes, base64-encoded")


Attachments = Annotated[list[AttachmentUpload], Field(default_factory=list, max_length=5,
                                                      description="Files to send (at most 5)")]


class ServiceLineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: ProcedureCode
    units: int = Field(ge=1, le=999)


class AuthorizationRequest(ForMember):
    requesting_provider_id: ProviderId = Field(description="A Provider ID you act for")
    servicing_provider_id: ProviderId = Field(description="Who will perform the service")
    service_lines: list[ServiceLineRequest] = Field(min_length=1, max_length=20)
    diagnosis_codes: list[Icd10Cm] = Field(min_length=1, max_length=12)
    service_from: date
    service_to: date
    urgency: AuthorizationUrgency
    clinical_notes: str | None = Field(default=None, max_length=4000)
    attachments: Attachments

    @field_validator("service_to")
    @classmethod
    def _range(cls, value: date, info: ValidationInfo) -> date:
        return paging.check_range(info.data.get("service_from"), value, MAX_RANGE_DAYS)


class InformationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    acting_for: ActingFor
    note: str = Field(min_length=1, max_length=4000, description="The information the plan asked for")
    attachments: Attachments


class AppealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    acting_for: ActingFor
    reason: str = Field(min_length=3, max_length=4000, description="Why the decision should change")
    urgency: AuthorizationUrgency = Field(description="expedited when waiting could seriously harm the member")
    attachments: Attachments


class WithdrawRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    acting_for: ActingFor


class AuthorizationSearch(paging.PageRequest):
    acting_for: ActingFor
    provider_id: ProviderId = Field(description="The requesting Provider ID")
    from_date: date = Field(description="First submission date")
    to_date: date = Field(description="Last submission date")


class ServiceLineView(BaseModel):
    code: str
    units: int
    approved_units: int | None = None


class HistoryView(BaseModel):
    at: datetime
    event: str
    by: str
    note: str | None = None
    attachments: list[int] = Field(default_factory=list, description="Numbers of the files sent with it")


class AttachmentView(BaseModel):
    number: int = Field(description="GET /authorizations/{authorization_id}/attachments/{number} downloads it")
    name: str
    content_type: str
    size: int = Field(description="Bytes")
    sha256: str
    added_at: datetime
    scan: FileState = Field(description="The malware scan's verdict: pending_scan (not downloadable yet), clean "
                                        "(downloadable), quarantined (malware found: removed), not_scanned (the "
                                        "scan could not check it: send it again)")


class AuthorizationView(BaseModel):
    authorization_id: str
    status: AuthorizationStatus
    status_text: str
    member_id: str
    member_name: str
    requesting_provider_id: str
    servicing_provider_id: str
    service_lines: list[ServiceLineView]
    diagnosis_codes: list[str]
    clinical_notes: str | None = Field(default=None, description="What the practice wrote with the request (an "
                                                                 "appeal: why the decision should change)")
    service_from: date
    service_to: date
    urgency: AuthorizationUrgency
    submitted_at: datetime
    due_at: datetime = Field(description="When the plan's decision is due (72 h expedited, 7 days standard)")
    overdue: bool = Field(description="The decision is past due (requests the portal decides)")
    decided_in: Literal["portal", "core"] = Field(
        default="portal", description="Where the plan decides it: `portal` (its review desk, on the portal's "
                                      "clock) or `core` (its own system; the decision arrives with its data)")
    decision_reason: str | None = None
    decided_at: datetime | None = None
    payer_number: str | None = Field(default=None, description="The plan's own number for the request or its "
                                                               "decision, where its systems gave one")
    history: list[HistoryView]
    attachments: list[AttachmentView] = Field(default_factory=list)
    door: Literal["portal", "api", "import"] = Field(
        description="How the request reached the plan: `portal` (these pages), `api` (the provider's own system, "
                    "Da Vinci PAS Claim/$submit) or `import` (the plan's own data)")
    trace_number: str | None = Field(default=None, description="The submitting system's own number for it (PAS)")
    appeal_of: str | None = Field(default=None, description="An appeal: the number of the request it appeals")
    appeal_id: str | None = Field(default=None, description="The appeal filed against this decision, if any")


class AuthorizationPageView(BaseModel):
    authorizations: list[AuthorizationView]
    next_cursor: str | None = None
