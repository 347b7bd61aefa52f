"""Schemas of the start page: what needs the person now, across every Provider ID they act for."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from functions.shared.core.states import Feature


class ItemKind(StrEnum):
    """What an item asks of the person; the page groups items by kind, in this order."""

    AGREEMENT = "agreement"  # accept the Provider Agreement (a link waits for it, or a new version)
    ACCESS_REQUEST = "access_request"  # someone asks for access to a Provider ID the person administers
    DELEGATION_ENDING = "delegation_ending"  # a delegation (the person's own, or one they administer) ends soon
    INFORMATION_REQUESTED = "information_requested"  # the plan asks for information on a prior authorization
    AUTHORIZATION_DECIDED = "authorization_decided"  # decided since the person's last look at the start page
    ADMISSION_OPEN = "admission_open"  # a stay past the plan's review days with no discharge recorded


class StartItem(BaseModel):
    kind: ItemKind
    provider_id: str | None = Field(description="The Provider ID it is about (none: the whole portal)")
    title: str
    detail: str
    link: str = Field(description="The page that does it, with the Provider ID (and the record) in its query")
    due: datetime | None = Field(default=None, description="By when (an access request's decision, a delegation's end)")
    at: datetime | None = Field(default=None, description="When it happened (asked, decided, admitted)")


class MoreItems(BaseModel):
    """Items of one kind and Provider ID beyond those listed: how many, and the list that has them all."""

    kind: ItemKind
    provider_id: str
    count: int
    link: str


class StartPage(BaseModel):
    items: list[StartItem]
    more: list[MoreItems]
    features: list[Feature] = Field(description="What the person may use for at least one Provider ID")
    has_access: bool = Field(description="At least one active link: the portal pages are open")
    last_visit: datetime | None = Field(description="The look at this page before this one (what is new since)")
