"""Schemas of the provider-relations staff API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PendingOrgAgreement(BaseModel):
    tax_id: str
    group_name: str
    signer_name: str | None
    signer_title: str | None
    signed_at: datetime | None
    waiting_requests: int


class PendingList(BaseModel):
    agreements: list[PendingOrgAgreement]


class OrgDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    approve: bool
    reason: str = Field(min_length=3, max_length=500, description="Recorded with the decision")
