"""Audit records: every authentication decision, every account or link state change and every PHI read
leaves one.

`audit_event` builds a plain `AuditEntry` that a repository writes in the same transaction as the
change it describes (no change without its record); `functions/shared/store/audit.py` `record` writes
one on its own for decisions that change nothing. Records never hold passwords, tokens, codes or PHI.

An entry's origin is an HTTP request (`functions/shared/core/http.py` RequestMeta: its id and the client's
address) or one of the portal's own processes (`SystemOrigin`: a job, a workflow task, an import).

A caller acting for a Provider ID through a delegation is audited as themselves, and every entry made
acting for it (detail `acting_for`) names the delegate's company (`delegate_company`): the access rule
notes the delegation for the request (`acting_through`), and each invocation starts with none noted.
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from functions.shared.core import clock, telemetry

RETENTION = timedelta(days=6 * 366)  # HIPAA: keep security records six years
ANONYMOUS = "anonymous"


class Origin(Protocol):
    """Where an audited decision came from."""

    @property
    def request_id(self) -> str: ...

    @property
    def source_ip(self) -> str: ...


@dataclass(frozen=True)
class SystemOrigin:
    """One of the portal's own processes, acting without a client: `run` names the run (an extract's file,
    a workflow execution), where there is one."""

    process: str  # lifecycle-job, authorization-clock, access-workflow, roster-import, portal-data-import
    run: str = ""

    @property
    def request_id(self) -> str:
        return self.run

    @property
    def source_ip(self) -> str:
        return ""


@dataclass(frozen=True)
class AuditEntry:
    """Who did what to which record, when, from where, with what outcome."""

    subject: str  # account id, or 'anonymous'
    at_id: str  # ISO time + '#' + random id: sorted and unique
    action: str
    outcome: str
    at: datetime
    request_id: str | None = None
    source_ip: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def expires_at(self) -> datetime:
        return self.at + RETENTION


# (account, Provider ID acted for, delegate's company) of the request in this context, if it acts through one.
_delegation: ContextVar[tuple[str, str, str] | None] = ContextVar("delegation", default=None)


def acting_through(account_id: str, acting_for: str, company: str | None) -> None:
    """Note whether this request acts for `acting_for` through a delegation (`company`; None: it does not)."""
    _delegation.set((account_id, acting_for, company) if company else None)


def audit_event(
    action: str, outcome: str, meta: Origin, *, subject: str = ANONYMOUS,
    detail: dict[str, Any] | None = None, now: datetime | None = None,
) -> AuditEntry:
    telemetry.count(f"{action}.{outcome}")
    at = now or clock.now()
    detail = dict(detail or {})
    noted = _delegation.get()
    if noted is not None and noted[:2] == (subject, detail.get("acting_for")):
        detail["delegate_company"] = noted[2]
    return AuditEntry(subject=subject, at_id=f"{at.isoformat()}#{secrets.token_hex(6)}", action=action,
                      outcome=outcome, at=at, request_id=meta.request_id or None,
                      source_ip=meta.source_ip or None, detail=detail)

