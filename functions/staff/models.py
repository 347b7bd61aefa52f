"""Schemas of the provider-relations staff API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.core.states import Feature, LinkRole, LinkStatus


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


class ProviderLink(BaseModel):
    """One account's link to a Provider ID, as provider relations see it."""

    account_id: str
    name: str
    email: str
    role: LinkRole
    status: LinkStatus
    requested_at: datetime
    decision_due: datetime | None
    decided_by: str | None
    features: list[Feature] = Field(default_factory=list, description="What the person may use (administrators: "
                                                                      "everything; a delegate: what was granted)")
    features_set: bool = Field(default=False, description="false: a member with the standard user's defaults")
    company: str | None = Field(default=None, description="A delegate's company")


class ProviderLinks(BaseModel):
    provider_id: str
    has_administrator: bool
    links: list[ProviderLink]


class VerificationDecision(BaseModel):
    """Provider relations' decision on a would-be first administrator, after checking with the practice."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    approve: bool
    reason: str = Field(min_length=3, max_length=500, description="How they were verified, or why not")


class AssignAdministrator(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    account_id: str = Field(min_length=1, max_length=64, description="An active member of the Provider ID")
    replaces: str | None = Field(default=None, min_length=1, max_length=64,
                                 description="The administrator who becomes a member instead (none: one more)")
    reason: str = Field(min_length=3, max_length=500)


class RemoveAdministrator(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=3, max_length=500)
