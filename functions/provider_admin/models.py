"""Schemas of a Provider ID administrator's member and request management."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.core.states import Feature, LinkRole, LinkStatus


class Member(BaseModel):
    account_id: str
    name: str
    email: str
    role: LinkRole
    status: LinkStatus
    requested_at: datetime
    decision_due: datetime | None = None
    features: list[Feature] = Field(description="What the person may use (administrators: everything)")
    features_set: bool = Field(description="false: the standard user's defaults, never changed")


class Members(BaseModel):
    provider_id: str
    provider_name: str
    members: list[Member]


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool


class Promote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: str = Field(min_length=8, max_length=64)
