"""The event GuardDuty Malware Protection for S3 publishes for each scanned object (source `aws.guardduty`,
detail-type "GuardDuty Malware Protection Object Scan Result"), checked before anything is believed: the
source and type, this stage's bucket, an attachment's key, a known result.

Only AWS services publish `aws.*` sources on the default bus, and the rule matches only this source and
type; the checks here keep a mis-routed or malformed event from touching a record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions.shared.core.malware_scan import EVENT_DETAIL_TYPE, EVENT_SOURCE, ScanResult


class InvalidScanEvent(ValueError):
    """Not a scan result this function may act on; the reason names what is wrong (never the event)."""


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Threat(_Loose):
    name: str = Field(max_length=512)


class _ScanResultDetails(_Loose):
    scan_result_status: ScanResult = Field(alias="scanResultStatus")
    threats: list[_Threat] | None = None


class _S3ObjectDetails(_Loose):
    bucket_name: str = Field(alias="bucketName", min_length=3, max_length=63)
    object_key: str = Field(alias="objectKey", min_length=1, max_length=1024)
    version_id: str | None = Field(default=None, alias="versionId", max_length=1024)


class _Detail(_Loose):
    resource_type: Literal["S3_OBJECT"] = Field(alias="resourceType")
    s3_object_details: _S3ObjectDetails = Field(alias="s3ObjectDetails")
    scan_result_details: _ScanResultDetails = Field(alias="scanResultDetails")


class _Event(_Loose):
    source: Literal["aws.guardduty"]
    detail_type: Literal["GuardDuty Malware Protection Object Scan Result"] = Field(alias="detail-type")
    id: str = Field(min_length=1, max_length=128)
    time: datetime | None = None
    detail: _Detail


@dataclass(frozen=True)
class ScanReport:
    """One object's scan result, checked."""

    event_id: str
    bucket: str
    key: str
    version_id: str | None
    result: ScanResult
    threats: tuple[str, ...]
    time: datetime | None = None  # when GuardDuty published it


def scan_report(event: Any, bucket: str) -> ScanReport:
    """The checked report of `event`; InvalidScanEvent when it is not a scan result of `bucket`'s objects."""
    if not isinstance(event, dict):
        raise InvalidScanEvent("the event is not a JSON object")
    try:
        parsed = _Event.model_validate(event)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
        raise InvalidScanEvent(f"not a {EVENT_SOURCE} '{EVENT_DETAIL_TYPE}' event: {', '.join(fields)}") from None
    details = parsed.detail.s3_object_details
    if details.bucket_name != bucket:
        raise InvalidScanEvent("the scanned object is in another bucket")
    result = parsed.detail.scan_result_details
    return ScanReport(parsed.id, details.bucket_name, details.object_key, details.version_id,
                      result.scan_result_status, tuple(t.name for t in result.threats or ()), parsed.time)
