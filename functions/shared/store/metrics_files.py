"""The published prior-authorization metrics: objects in the portal-data bucket (KMS-encrypted, TLS-only,
versioned), one pair per calendar year:

- `pa-metrics/published/<year>.json`: the year's figures as the public route serves them (aggregates, no PHI);
- `pa-metrics/basis/<year>.csv`: one line per request they count or leave out, for staff only.

Written by the pa_metrics function alone (its staff route and its yearly schedule). A new computation of a
year replaces both objects; the bucket's versioning keeps the earlier ones for its noncurrent-version days.
The published years are the keys under `published/` (a List of that prefix, never the bucket's other data).
"""

from __future__ import annotations

import re
from typing import Protocol

from functions.shared.core.aws import client
from functions.shared.core.config import settings

PREFIX = "pa-metrics/"
PUBLISHED_PREFIX = f"{PREFIX}published/"
BASIS_PREFIX = f"{PREFIX}basis/"
JSON = "application/json"
CSV = "text/csv; charset=utf-8"
_PUBLISHED_KEY = re.compile(rf"^{re.escape(PUBLISHED_PREFIX)}(\d{{4}})\.json$")


def published_key(year: int) -> str:
    return f"{PUBLISHED_PREFIX}{year}.json"


def basis_key(year: int) -> str:
    return f"{BASIS_PREFIX}{year}.csv"


def year_of(key: str) -> int | None:
    """The year a published object is for; None for any other key."""
    found = _PUBLISHED_KEY.match(key)
    return int(found.group(1)) if found else None


class MetricsFiles(Protocol):
    def publish(self, year: int, metrics: bytes, basis: bytes) -> None:
        """Store a year's basis, then its metrics: a year that is listed always has its basis."""
        ...

    def published(self, year: int) -> bytes | None:
        """The year's metrics (JSON), or None when the year was never published."""
        ...

    def years(self) -> list[int]:
        """Every published year, newest first."""
        ...

    def basis(self, year: int) -> bytes | None:
        """The year's per-request basis (CSV), or None."""
        ...


class S3MetricsFiles:
    def publish(self, year: int, metrics: bytes, basis: bytes) -> None:
        bucket = settings().portal_data_bucket
        client("s3").put_object(Bucket=bucket, Key=basis_key(year), Body=basis, ContentType=CSV)
        client("s3").put_object(Bucket=bucket, Key=published_key(year), Body=metrics, ContentType=JSON)

    def published(self, year: int) -> bytes | None:
        return self._get(published_key(year))

    def years(self) -> list[int]:
        found: list[int] = []
        pages = client("s3").get_paginator("list_objects_v2").paginate(Bucket=settings().portal_data_bucket,
                                                                        Prefix=PUBLISHED_PREFIX)
        for page in pages:
            found += [y for item in page.get("Contents", []) if (y := year_of(item["Key"])) is not None]
        return sorted(found, reverse=True)

    def basis(self, year: int) -> bytes | None:
        return self._get(basis_key(year))

    @staticmethod
    def _get(key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            answer = client("s3").get_object(Bucket=settings().portal_data_bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise
        body: bytes = answer["Body"].read()
        return body
