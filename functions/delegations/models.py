"""Schemas of delegations: an administrator's invitation, the invitee's acceptance, the list and revocation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.core.schemas import Email, PlainText
from functions.shared.core.states import Feature, LinkStatus

# This step's wording for its fields' validation errors (functions/shared/core/http.py FieldMessages).
_COMPANY = "Enter the company's name (up to 100 characters)."
_FEATURES = "Tick at least one thing the delegate may use."
_ENDS_ON = "Enter the last day the delegate may act, such as 2027-06-30."
FIELD_MESSAGES = {
    "company": {"missing": _COMPANY, "string_too_short": _COMPANY, "string_too_long": _COMPANY},
    "features": {"missing": _FEATURES, "too_short": _FEATURES},
    "ends_on": {"missing": _ENDS_ON, "date_from_datetime_parsing": _ENDS_ON, "date_parsing": _ENDS_ON,
                "date_type": _ENDS_ON},
}


class Invite(BaseModel):
    """Who to invite (their own portal account, with this address, accepts), for which company, with what,
    until when."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    company: Annotated[str, Field(min_length=1, max_length=100), PlainText]
    features: list[Feature] = Field(min_length=1, max_length=len(Feature),
                                    description="What the delegate may use (sending implies viewing: it is added)")
    ends_on: date = Field(description="The last day the delegate may act (US Eastern time): today at the "
                                      "earliest, a year from today at the latest")


class Invited(BaseModel):
    message: str
    valid_until: datetime = Field(description="The invitation link works until then, once")


class Delegation(BaseModel):
    account_id: str
    name: str
    email: str
    company: str
    features: list[Feature]
    ends_on: date = Field(description="The last day the delegate may act")
    status: LinkStatus = Field(description="As it counts now: active, expired (past its end date) or removed "
                                           "(revoked)")
    accepted_at: datetime
    ended_at: datetime | None = None


class Delegations(BaseModel):
    provider_id: str
    provider_name: str
    delegations: list[Delegation]


class StaffRevocation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=500, description="Recorded with the revocation")


class Accept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")


class Accepted(BaseModel):
    provider_id: str
    provider_name: str
    company: str
    features: list[Feature]
    ends_on: date
    message: str
    next: str = Field(description="The page to go to: the Provider Agreement when it is not accepted yet, "
                                  "else provider access")
