"""The published prior-authorization metrics of a calendar year (what the public route serves and the page
shows), and the list of published years. Percentages and hours have one decimal; null where nothing counts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from functions.shared.store.authorizations import Door

# A calendar year the metrics can be asked for (CMS-0057-F's first reporting year is 2025).
Year = Annotated[int, Field(ge=2000, le=2999, description="A calendar year, e.g. 2025")]
Percent = Annotated[float | None, Field(description="Percent of the denominator, one decimal; null when it is 0")]
Hours = Annotated[float | None, Field(description="Hours, one decimal; null when no request counts")]


class UrgencyMetrics(BaseModel):
    """The figures of one kind of request (standard or expedited) in the year."""

    model_config = ConfigDict(frozen=True)

    determinations: int = Field(description="Initial determinations of the year: the denominator of every "
                                            "percentage below but approved_after_appeal_percent")
    approved: int = Field(description="Approved, in full or in part")
    partially_approved: int = Field(description="Of `approved`: approved in part")
    denied: int = Field(description="Denied in full")
    approved_percent: Percent
    partially_approved_percent: Percent
    denied_percent: Percent
    appealable: int = Field(description="Denied or partially approved: the denominator of "
                                        "approved_after_appeal_percent")
    appealed: int = Field(description="Of `appealable`: those with an appeal on file")
    approved_after_appeal: int = Field(description="Of `appealable`: those whose appeal was approved, in full or "
                                                   "in part, by the time the figures were computed")
    approved_after_appeal_percent: Percent
    extended: int = Field(description="Determinations whose review was extended: the plan asked for more "
                                      "information first")
    extended_approved: int = Field(description="Of `extended`: approved, in full or in part")
    extended_approved_percent: Percent
    average_hours: Hours = Field(description="Mean time from the request to its initial determination")
    median_hours: Hours = Field(description="Median time from the request to its initial determination "
                                            "(an even count: the mean of the two middle times)")


class ExcludedCounts(BaseModel):
    """Requests decided in the year that the figures leave out, and why."""

    model_config = ConfigDict(frozen=True)

    appeals: int = Field(description="Appeals: counted through the request they appeal, not as new requests")
    drugs: int = Field(description="Every service code an HCPCS J code (drugs): outside the reporting rule")
    withdrawn: int = Field(description="Withdrawn after a decision time was recorded: not a determination")


class YearMetrics(BaseModel):
    """A calendar year's prior-authorization metrics, as published."""

    model_config = ConfigDict(frozen=True)

    year: Year
    time_zone: str = Field(description="The time zone of the calendar year")
    period_start: datetime = Field(description="First moment of the year (UTC)")
    period_end: datetime = Field(description="First moment of the next year (UTC): not included")
    computed_at: datetime
    standard: UrgencyMetrics
    expedited: UrgencyMetrics
    by_door: dict[Door, int] = Field(description="Determinations counted, by how the request reached the plan: "
                                                 "the portal's pages, providers' systems (api), the plan's data")
    excluded: ExcludedCounts
    method: str = Field(description="How the figures are counted")


class PublishedYears(BaseModel):
    years: list[Year] = Field(description="Every published year, newest first")
    latest: Year | None = Field(description="The newest published year; null before the first publication")
