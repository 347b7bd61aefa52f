"""Portal-data import: a FHIR NDJSON extract from the plan's core systems becomes members, coverage
periods, claims and prior-authorization requests.

The whole file is validated first; a file with any bad line is rejected with every problem (line,
field, reason) and changes nothing. A good file is written record by record, each record whole (a
claim with its summaries in one transaction), and only where its content changed: importing the same
file again writes nothing, and re-running a file that stopped part-way completes it.

A prior authorization already on file changes only by its status, along the request's transition
table, and only when it came from an extract: requests submitted in the portal are decided through the
utilization-management API, which mails the provider. A row that cannot apply (a conflict) is reported
with its line and changes nothing; the other rows apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from functions.portal_data_import.fhir import parse
from functions.shared.core import audit, clock
from functions.shared.core.audit import SystemOrigin
from functions.shared.store import repositories
from functions.shared.store.authorizations import IMPORTED, Authorization, AuthorizationStatus, Change, may_move
from functions.shared.store.transactions import StaleWrite

MAX_PROBLEMS_REPORTED = 200


class LineProblem(BaseModel):
    line: int
    field: str
    reason: str


class ImportReport(BaseModel):
    source: str
    status: str  # applied | unchanged | rejected
    lines: int
    members: int = 0
    coverages: int = 0
    claims: int = 0
    authorizations: int = 0
    written: int = 0
    unchanged: int = 0
    problems: list[LineProblem] = []
    conflicts: list[LineProblem] = []  # rows of a good file that could not apply to the records on file


def import_extract(text: str, source: str) -> ImportReport:
    extract = parse(text)
    report = ImportReport(source=source, status="rejected", lines=extract.lines, members=len(extract.profiles),
                          coverages=len(extract.coverages), claims=len(extract.claims),
                          authorizations=len(extract.authorizations))
    if extract.problems or extract.lines == 0:
        problems = extract.problems or []
        report.problems = [LineProblem(line=p.line, field=p.field, reason=p.reason)
                           for p in problems[:MAX_PROBLEMS_REPORTED]] or [
            LineProblem(line=1, field="(file)", reason="the file has no resources")]
        return report
    repos = repositories()
    outcomes = [repos.members.put_profile(profile, content_hash, source_ref)
                for profile, content_hash, source_ref in extract.profiles]
    outcomes += [repos.members.put_coverage(member_id, coverage, content_hash, source_ref)
                 for member_id, coverage, content_hash, source_ref in extract.coverages]
    outcomes += [repos.claims.put(claim, content_hash, source_ref)
                 for claim, content_hash, source_ref in extract.claims]
    meta = SystemOrigin("portal-data-import", source)
    for authorization, line, source_ref in extract.authorizations:
        step = reconcile(repos.authorizations.get(authorization.authorization_id), authorization)
        if step.kind in ("create", "move"):
            try:
                outcomes.append(_apply(step, authorization, source_ref, meta))
                continue
            except StaleWrite:
                step = Step("conflict", "the request changed while the file was imported: import the file again")
        if step.kind == "conflict":
            report.conflicts.append(LineProblem(line=line, field="status", reason=step.reason))
        outcomes.append(False)
    report.written = sum(outcomes)
    report.unchanged = len(outcomes) - report.written
    report.status = "applied" if report.written else "unchanged"
    return report


@dataclass(frozen=True)
class Step:
    kind: str  # create | move | unchanged | conflict
    reason: str = ""


def reconcile(stored: Authorization | None, incoming: Authorization) -> Step:
    """What an extract's request does to the record on file (pure: the rule, not the write)."""
    if stored is None:
        return Step("create")
    if stored.status == incoming.status:
        return Step("unchanged")
    said = f"on file as {stored.status.value.replace('_', ' ')}"
    if stored.submitted_by != IMPORTED:
        return Step("conflict", f"requested in the portal and {said}: its decisions are recorded through the "
                                "utilization-management API")
    if not may_move(stored.status, incoming.status):
        return Step("conflict", f"{said}, it cannot become {incoming.status.value.replace('_', ' ')}")
    if len(stored.service_lines) != len(incoming.service_lines):
        return Step("conflict", f"{said} with {len(stored.service_lines)} service lines, not "
                                f"{len(incoming.service_lines)}")
    if stored.history and incoming.history[-1].at < stored.history[-1].at:
        return Step("conflict", f"{said} since a later change than this file's")
    return Step("move")


def _apply(step: Step, incoming: Authorization, source: str, meta: SystemOrigin) -> bool:
    repos = repositories()
    entry = audit.audit_event("authorization.import", step.kind, meta, subject=IMPORTED, now=clock.now(),
                              detail={"authorization_id": incoming.authorization_id, "source": source,
                                      "status": incoming.status.value})
    if step.kind == "create":
        return repos.authorizations.put_new(incoming, entry)
    stored = repos.authorizations.get(incoming.authorization_id)
    assert stored is not None, "a move follows a stored request"
    decided = incoming.status in (AuthorizationStatus.APPROVED, AuthorizationStatus.PARTIALLY_APPROVED,
                                  AuthorizationStatus.DENIED)
    units = tuple(line.approved_units for line in incoming.service_lines) if decided else None
    repos.authorizations.move(incoming.authorization_id, stored.status, Change(
        incoming.status, incoming.history[-1], reason=incoming.decision_reason if decided else None,
        decided_by=IMPORTED if decided else None, approved_units=units), entry)
    return True
