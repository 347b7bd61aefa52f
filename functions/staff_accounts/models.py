"""Schemas of the provider-relations account API (reactivate, deactivate)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AccountDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    account: str = Field(min_length=3, max_length=254, description="The user's email or user name")
    reason: str = Field(min_length=3, max_length=500, description="Recorded with the change (e.g. the caller "
                        "verified by phone, left the practice)")
