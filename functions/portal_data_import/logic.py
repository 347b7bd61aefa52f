"""Portal-data import: a FHIR NDJSON extract from the plan's core systems becomes members, coverage
periods and claims.

The whole file is validated first; a file with any bad line is rejected with every problem (line,
field, reason) and changes nothing. A good file is written record by record, each record whole (a
claim with its summaries in one transaction), and only where its content changed: importing the same
file again writes nothing, and re-running a file that stopped part-way completes it.
"""

from __future__ import annotations

from pydantic import BaseModel

from functions.portal_data_import.fhir import parse
from functions.shared.store import repositories

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
    written: int = 0
    unchanged: int = 0
    problems: list[LineProblem] = []


def import_extract(text: str, source: str) -> ImportReport:
    extract = parse(text)
    report = ImportReport(source=source, status="rejected", lines=extract.lines, members=len(extract.profiles),
                          coverages=len(extract.coverages), claims=len(extract.claims))
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
    report.written = sum(outcomes)
    report.unchanged = len(outcomes) - report.written
    report.status = "applied" if report.written else "unchanged"
    return report
