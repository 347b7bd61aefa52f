"""Portal-data import: a FHIR NDJSON extract from the plan's core systems becomes members, coverage
periods, claims and prior-authorization requests.

Resource by resource: each line is read and validated on its own; a bad one is quarantined (reported
with its line, field and reason) and the good ones apply; types the portal does not read are counted and
skipped; one id with two contents is a conflict and neither applies. A plan whose profile says
`portal_data_strict` has any bad line reject the whole file instead. Records are written each whole (a
claim with its summaries in one transaction) and only where their content changed: importing the same
file again writes nothing, and re-running a file that stopped part-way completes it.

A prior authorization already on file changes only by its status, along the request's transition
table, and only when it came from an extract: requests submitted in the portal are decided through the
utilization-management API, which mails the provider. A row that cannot apply (a conflict) is reported
with its line and changes nothing; the other rows apply.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from pydantic import BaseModel

from functions.portal_data_import.fhir import DEPENDENCY_ORDER, Extract, Invalid, Problem, decided_on_file
from functions.portal_data_import.passes import Range, Source, Survey, map_range, survey
from functions.shared.core import audit, clock
from functions.shared.core.audit import SystemOrigin
from functions.shared.core.plans import current_plan
from functions.shared.store import audit as audit_log
from functions.shared.store import repositories
from functions.shared.store.authorizations import IMPORTED, Authorization, AuthorizationStatus, Change, may_move
from functions.shared.store.transactions import StaleWrite

MAX_PROBLEMS_REPORTED = 200
_ORDER = {kind: position for position, kind in enumerate(DEPENDENCY_ORDER)}
_COUNTS = ("members", "coverages", "claims", "opt_outs", "authorizations", "written", "unchanged")


class LineProblem(BaseModel):
    file: str | None = None  # the export's file (None for a single file)
    line: int
    field: str
    reason: str


class FileReport(BaseModel):
    """One file's account: its lines, and how many of them were quarantined or in an id conflict (all of
    them, even past the problems listed). A request whose record on file cannot take a change is listed
    in the report's conflicts, by line, without a file: requests are paired across the export's files."""

    file: str  # '' for a single file
    lines: int
    quarantined: int
    conflicts: int


class ImportReport(BaseModel):
    source: str
    status: str  # applied | unchanged | partial (some lines quarantined or in conflict) | rejected (none usable)
    # | failed (the import stopped: upload the file again to complete it)
    lines: int
    members: int = 0
    coverages: int = 0
    claims: int = 0
    opt_outs: int = 0  # Provider Access choices (PDex provider-sharing Consents)
    authorizations: int = 0
    written: int = 0
    unchanged: int = 0
    skipped: dict[str, int] = {}  # resource types the portal does not read, and how many of each
    problems: list[LineProblem] = []  # quarantined: lines that could not be read, none of them applied
    conflicts: list[LineProblem] = []  # lines that could not apply: one id with two contents, or a request
    # whose record on file cannot take this change
    files: list[FileReport] = []  # each file of an export, in the order read


class Part(BaseModel):
    """One range's account, for the report: counts, and its first problems and conflicts (all counted)."""

    file: str
    members: int = 0
    coverages: int = 0
    claims: int = 0
    opt_outs: int = 0
    authorizations: int = 0
    written: int = 0
    unchanged: int = 0
    skipped: dict[str, int] = {}
    problems: list[LineProblem] = []
    conflicts: list[LineProblem] = []
    problem_count: int = 0
    conflict_count: int = 0
    file_conflicts: int = 0  # of conflict_count, those with the file's line (not a request on file)


def import_extract(data: bytes | str, source: str, *, strict: bool | None = None) -> ImportReport:
    """One NDJSON file."""
    raw = data.encode() if isinstance(data, str) else data
    return import_files([Source.whole("", lambda: [raw])], source, strict=strict)


def export_files(manifest: bytes) -> list[tuple[str, str]] | LineProblem:
    """A Bulk Data manifest's files, (type, name) in dependency order, or what is wrong with it."""
    try:
        outputs = json.loads(manifest)["output"]
        return sorted(((str(o["type"]), str(o["url"]).rstrip("/").rsplit("/", 1)[-1]) for o in outputs),
                      key=lambda typed: (_ORDER.get(typed[0], len(_ORDER)), typed[1]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return LineProblem(line=1, field="output", reason="not a Bulk Data manifest: a JSON object whose output "
                                                          "lists {type, url}")


def import_export(manifest: bytes, open_file: Callable[[str], Iterable[bytes]], source: str, *,
                  strict: bool | None = None) -> ImportReport:
    """A Bulk Data export: its manifest (`output[]` of `{type, url}`) names one NDJSON file per type, read
    in dependency order; `open_file` streams a file by the name the manifest gives it (the last part of
    its url, beside the manifest)."""
    files = export_files(manifest)
    if isinstance(files, LineProblem):
        return rejected_manifest(source, files)
    return import_files([Source.whole(name, lambda name=name: open_file(name)) for _, name in files], source,
                        strict=strict)


def rejected_manifest(source: str, problem: LineProblem) -> ImportReport:
    return ImportReport(source=source, status="rejected", lines=0, problems=[problem])


def import_files(sources: Sequence[Source], source: str, *, strict: bool | None = None) -> ImportReport:
    """The whole import in this process, in the order the workflow runs it: the survey, then (a strict
    plan: every range checked first, nothing applied unless all is good) every range, phase by phase."""
    found = survey(sources)
    if is_strict(strict):
        checked = [run_range(found, sources[piece.file], piece, apply=False, source=source)
                   for phase in found.phases() for piece in phase]
        if not clean(found, checked):
            return finish(found, checked, source)
    parts = [run_range(found, sources[piece.file], piece, apply=True, source=source)
             for phase in found.phases() for piece in phase]
    return finish(found, parts, source)


def is_strict(strict: bool | None = None) -> bool:
    return current_plan().portal_data_strict if strict is None else strict


def clean(found: Survey, checked: Sequence[Part]) -> bool:
    """Whether a strict plan may apply: no line quarantined or in conflict anywhere."""
    return not (found.problems or found.conflicts or any(p.problem_count or p.conflict_count for p in checked))


def run_range(found: Survey, file: Source, piece: Range, *, apply: bool, source: str) -> Part:
    """The second pass over one range; with `apply`, its records written (each whole, only where changed)
    and its prior authorizations created or moved; without, only checked."""
    repos = repositories()
    part = Part(file=file.name)
    outcomes: list[bool] = []

    def write(extract: Extract) -> None:  # a batch, so memory stays flat on a large range
        part.members += len(extract.profiles)
        part.coverages += len(extract.coverages)
        part.claims += len(extract.claims)
        part.opt_outs += len(extract.opt_outs)
        if apply:
            outcomes.extend(repos.members.put_profile(profile, content_hash, source_ref)
                            for profile, content_hash, source_ref in extract.profiles)
            outcomes.extend(repos.members.put_coverage(member_id, coverage, content_hash, source_ref)
                            for member_id, coverage, content_hash, source_ref in extract.coverages)
            outcomes.extend(repos.claims.put(claim, content_hash, source_ref)
                            for claim, content_hash, source_ref in extract.claims)
            outcomes.extend(repos.provider_access.put_opt_out(member_id, opted_out, content_hash, source_ref)
                            for member_id, opted_out, content_hash, source_ref in extract.opt_outs)
        extract.profiles.clear()
        extract.coverages.clear()
        extract.claims.clear()
        extract.opt_outs.clear()

    extract = map_range(found, file, piece, write)
    problems, conflicts = list(extract.problems), list(extract.conflicts)
    part.skipped = extract.skipped
    if apply:
        conflicts.extend(_apply_authorizations(found, extract, problems, outcomes, source, file.name))
    part.authorizations = len(extract.authorizations)
    part.problem_count, part.conflict_count = len(problems), len(conflicts)
    part.file_conflicts = len(extract.conflicts)
    part.problems, part.conflicts = _listed(problems), _listed(conflicts)
    part.written = sum(outcomes)
    part.unchanged = len(outcomes) - part.written
    return part


def _apply_authorizations(found: Survey, extract: Extract, problems: list[Problem], outcomes: list[bool],
                          source: str, file: str) -> list[Problem]:
    """Create or move the range's prior authorizations; decide those on file that its responses answer.
    A request on file whose response comes in a later file of the export waits for it (the response
    decides it there, as if they had been read together). Returns the requests that could not take their
    change."""
    plan = current_plan()
    repos = repositories()
    conflicts: list[Problem] = []
    meta = SystemOrigin("portal-data-import", source)
    for number, line, response in extract.later_responses:  # a decision for a request of an earlier range
        stored = repos.authorizations.get(number)
        if stored is None:
            conflicts.append(Problem(line, "request", f"no request {number} in this file or on file", file))
            continue
        try:
            extract.authorizations.append((decided_on_file(stored, response), line, f"ClaimResponse/{number}"))
        except Invalid as problem:
            problems.append(Problem(line, problem.field, problem.reason, file))
    for authorization, line, source_ref in extract.authorizations:
        if authorization.submitted_by == IMPORTED:  # new or on file from an extract: decided where the plan says
            authorization = replace(authorization, decided_in=plan.imported_requests_decided_in)
        stored = repos.authorizations.get(authorization.authorization_id)
        answered_later = (authorization.authorization_id in found.answered
                          and authorization.authorization_id not in extract.responses_read)
        step = Step("unchanged") if stored is not None and answered_later else reconcile(stored, authorization)
        if step.kind in ("create", "move"):
            try:
                outcomes.append(_apply(step, authorization, source_ref, meta))
                continue
            except StaleWrite:
                step = Step("conflict", "the request changed while the file was imported: import the file again")
        if step.kind == "conflict":
            conflicts.append(Problem(line, "status", step.reason, file))
        outcomes.append(False)
    return conflicts


def finish(found: Survey, parts: Sequence[Part], source: str) -> ImportReport:
    """The report of the whole import from the survey and every range's part; an import that left lines
    out is audited (and counted for its alarm)."""
    report = ImportReport(source=source, status="rejected", lines=found.lines, skipped=dict(found.skipped))
    for part in parts:
        for name in _COUNTS:
            setattr(report, name, getattr(report, name) + getattr(part, name))
        for kind, count in part.skipped.items():
            report.skipped[kind] = report.skipped.get(kind, 0) + count
    problems = _listed(found.problems) + [p for part in parts for p in part.problems]
    conflicts = _listed(found.conflicts) + [p for part in parts for p in part.conflicts]
    report.problems = sorted(problems, key=_place)[:MAX_PROBLEMS_REPORTED]
    report.conflicts = sorted(conflicts, key=_place)[:MAX_PROBLEMS_REPORTED]
    report.files = [FileReport(
        file=name, lines=found.file_lines.get(name, 0),
        quarantined=sum(p.file == name for p in found.problems) + sum(
            part.problem_count for part in parts if part.file == name),
        conflicts=sum(p.file == name for p in found.conflicts) + sum(
            part.file_conflicts for part in parts if part.file == name))
        for name in dict.fromkeys(found.files)]
    if found.lines == 0:
        report.problems = [LineProblem(line=1, field="(file)", reason="the file has no resources")]
        return report
    refused = (found.problems or found.conflicts or any(p.problem_count or p.conflict_count for p in parts))
    attempted = report.written + report.unchanged
    report.status = ("rejected" if refused and not attempted else "partial" if refused else
                     "applied" if report.written else "unchanged")
    if refused:
        _record_quarantine(report, SystemOrigin("portal-data-import", source))
    return report


def failed(source: str, cause: str) -> ImportReport:
    """The report of an import that stopped (a range failed after its retries): what applied stays, and
    importing the same export again completes it without writing anything twice."""
    report = ImportReport(source=source, status="failed", lines=0, problems=[LineProblem(
        line=0, field="(import)", reason=f"the import stopped ({cause}): upload the file or manifest again "
                                          "to complete it")])
    _record_quarantine(report, SystemOrigin("portal-data-import", source))
    return report


def _place(problem: LineProblem) -> tuple[str, int]:
    return problem.file or "", problem.line


def _record_quarantine(report: ImportReport, meta: SystemOrigin) -> None:
    """An audit record (and the metric its alarm watches) of an import that left lines out."""
    audit_log.record("portal_data.import", "quarantined", meta, subject=IMPORTED, now=clock.now(),
                     detail={"source": report.source, "status": report.status, "quarantined": len(report.problems),
                             "conflicts": len(report.conflicts)})


def _listed(problems: Sequence[Problem]) -> list[LineProblem]:
    return [LineProblem(file=p.file or None, line=p.line, field=p.field, reason=p.reason)
            for p in problems[:MAX_PROBLEMS_REPORTED]]


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
        decided_by=IMPORTED if decided else None, approved_units=units, payer_number=incoming.payer_number), entry)
    return True
