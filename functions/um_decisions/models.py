"""The plan's utilization-management side of prior authorizations (IAM-signed staff and system calls)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.store.authorizations import AuthorizationUrgency

Outcome = Literal["approve", "partially_approve", "deny", "request_information"]


class UmDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    outcome: Outcome
    reason: str = Field(min_length=3, max_length=2000,
                        description="Shown to the provider: the specific reason, or what information is needed")
    approved_units: list[int] | None = Field(default=None, description="Per service line, for a partial approval")


class UmQueueItem(BaseModel):
    authorization_id: str
    urgency: AuthorizationUrgency
    due_at: str
    requesting_provider_id: str
    service_codes: list[str]
    appeal_of: str | None = Field(default=None, description="An appeal: the request whose decision it appeals")


class UmQueue(BaseModel):
    pending: list[UmQueueItem]
