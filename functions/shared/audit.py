"""Audit records: every authentication decision and every account state change leaves one.

`audit_event` builds the record so a repository can write it in the same transaction as the change
it describes (no change without its record); `record` writes one on its own for decisions that
change nothing. Records never hold passwords, tokens, codes or PHI.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from functions.shared import clock, telemetry
from functions.shared.http import RequestMeta
from functions.shared.store.models import AuditEvent, bind_tables

RETENTION = timedelta(days=6 * 366)  # HIPAA: keep security records six years
ANONYMOUS = "anonymous"


def audit_event(
    action: str, outcome: str, meta: RequestMeta, *, subject: str = ANONYMOUS,
    detail: dict[str, Any] | None = None, now: datetime | None = None,
) -> AuditEvent:
    bind_tables()
    telemetry.count(f"{action}.{outcome}")
    at = now or clock.now()
    return AuditEvent(
        subject=subject,
        at_id=f"{at.isoformat()}#{secrets.token_hex(6)}",
        action=action,
        outcome=outcome,
        request_id=meta.request_id or None,
        source_ip=meta.source_ip or None,
        detail=detail or None,
        expires_at=at + RETENTION,
    )


def record(action: str, outcome: str, meta: RequestMeta, **kwargs: Any) -> None:
    audit_event(action, outcome, meta, **kwargs).save()
