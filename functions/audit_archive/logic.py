"""What the audit archive keeps: every record of the audit table's stream, one JSON line each, in one
object per batch, under a key that sorts by time and is the same when a batch is delivered again.

The archive bucket has S3 Object Lock in compliance mode (six years), so once written nobody - root
included - can change or delete an object before then. Inserts are the only expected events (records
are insert-only); DynamoDB's own TTL deletions after the retention are marked as such, and anything
else (an update or delete that should be impossible) is archived too, flagged, for whoever reviews it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

PREFIX = "audit/"
TTL_PRINCIPAL = "dynamodb.amazonaws.com"


@dataclass(frozen=True)
class Batch:
    key: str
    body: bytes
    records: int
    unexpected: int  # updates and deletes other than TTL expiry


def _plain(value: Mapping[str, Any]) -> Any:
    """A DynamoDB attribute value ({'S': ...}, {'N': ...}, {'M': ...}) as plain JSON."""
    (kind, inner), = value.items()
    if kind == "M":
        return {k: _plain(v) for k, v in inner.items()}
    if kind == "L":
        return [_plain(v) for v in inner]
    if kind == "N":
        number = Decimal(inner)
        return int(number) if number == number.to_integral_value() else str(number)
    if kind in ("SS", "NS", "BS"):
        return sorted(inner)
    if kind == "NULL":
        return None
    return inner  # S, BOOL, B (base64 text)


def _line(record: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    change = record["dynamodb"]
    event = record.get("eventName", "")
    by_ttl = (record.get("userIdentity") or {}).get("principalId") == TTL_PRINCIPAL
    image = change.get("NewImage")
    line = {
        "event": event,
        "event_id": record.get("eventID"),
        "sequence": change.get("SequenceNumber"),
        "at": datetime.fromtimestamp(float(change.get("ApproximateCreationDateTime", 0)), UTC).isoformat(),
        "keys": {k: _plain(v) for k, v in change.get("Keys", {}).items()},
        "record": {k: _plain(v) for k, v in image.items()} if image else None,
        **({"expired_by_ttl": True} if by_ttl else {}),
    }
    return line, event != "INSERT" and not (event == "REMOVE" and by_ttl)


def batch(records: Iterable[Mapping[str, Any]]) -> Batch | None:
    """The archive object of one stream batch (None for an empty one)."""
    lines, unexpected = [], 0
    for record in records:
        line, odd = _line(record)
        lines.append(line)
        unexpected += odd
    if not lines:
        return None
    body = "".join(json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n" for line in lines).encode()
    first = lines[0]
    day = first["at"][:10].replace("-", "/")
    # Same batch, same key (a redelivery adds a version, never a different object); sorted by time.
    digest = hashlib.sha256(body).hexdigest()[:16]
    key = f"{PREFIX}{day}/{first['at'][11:19].replace(':', '')}-{first['sequence']}-{digest}.jsonl"
    return Batch(key=key, body=body, records=len(lines), unexpected=unexpected)
