"""The two passes over an export, cut so that a workflow can run the second in parallel pieces.

1. **Survey** (one run over every file, streamed): counts the lines, reports what is not a JSON object,
   finds one id with two contents (a conflict: neither applies) and repeats of one content (read once),
   keeps the reference data other resources name (Patient, Organization, Practitioner: identifiers and
   names only), and cuts each file into ranges of whole lines at known byte offsets.
2. **Map** one range: read its bytes alone (an S3 ranged GET in AWS), validate and map each resource,
   hand the mapped records to `apply` every BATCH resources.

A file that holds one resource type is cut every RANGE_LINES lines; its ranges run side by side. A file
that mixes types is one range, because its prior-authorization requests and responses pair within it. A
file of Organizations or Practitioners has no range: the survey has indexed all a reference reads of them.
The files' types give the phases: each phase (Organization … ClaimResponse, in DEPENDENCY_ORDER) ends
before the next begins, so a ClaimResponse finds its Claim on file even when they came in separate files.

The survey is plain data (`to_json`/`from_json`): the workflow stores it once and every range reads it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from functions.portal_data_import.fhir import (
    DEPENDENCY_ORDER,
    REFERENCE_DATA,
    Extract,
    Invalid,
    NotRead,
    Problem,
    answered_request,
    canonical,
    content_hash,
    json_object,
    numbered_lines,
    pair_authorizations,
    readers,
    reference_data,
)

BATCH = 500  # mapped records handed to `apply` at a time, so memory stays flat on a large file
# Lines per range: at the ~2 ms a resource takes to validate, map and write (a transaction a claim), a
# range of 50,000 ends well inside the 15 minutes a Lambda function may run.
RANGE_LINES = 50_000
_RANK = {kind: rank for rank, kind in enumerate(DEPENDENCY_ORDER)}


@dataclass(frozen=True)
class Source:
    """One NDJSON file: its name in the report, and its bytes from a start to an end offset (None: to its
    end), streamed. `whole` makes one from something that streams the whole file."""

    name: str
    read: Callable[[int, int | None], Iterable[bytes]]

    @classmethod
    def whole(cls, name: str, chunks: Callable[[], Iterable[bytes]]) -> Source:
        return cls(name, lambda start, end: _sliced(chunks(), start, end))

    def chunks(self) -> Iterable[bytes]:
        return self.read(0, None)


def _sliced(chunks: Iterable[bytes], start: int, end: int | None) -> Iterator[bytes]:
    """The bytes [start, end) of a stream (for sources that cannot seek: a test's bytes, a local file)."""
    at = 0
    for chunk in chunks:
        lo, hi = max(start - at, 0), len(chunk) if end is None else min(end - at, len(chunk))
        at += len(chunk)
        if lo < hi:
            yield chunk[lo:hi]
        if end is not None and at >= end:
            return


@dataclass(frozen=True)
class Range:
    """Whole lines of one file: from byte `start` to `end` (None: the file's end); its first line is line
    `after + 1` of the file."""

    file: int  # the file's position in the export
    start: int
    end: int | None
    after: int


@dataclass
class Survey:
    """What the first pass learned, and how the second is cut (plain data: see `to_json`)."""

    files: list[str]
    kinds: list[list[str]] = field(default_factory=list)  # per file, the types the portal maps in it
    ranges: list[Range] = field(default_factory=list)
    lines: int = 0
    file_lines: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # lines that are not resources
    conflicts: list[Problem] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    conflicting: set[str] = field(default_factory=set)  # 'Type/id' with two contents: neither maps
    repeats: set[tuple[int, int]] = field(default_factory=set)  # (file, line) of a later copy of one content
    index: dict[str, dict[str, Any]] = field(default_factory=dict)  # 'Type/id' → what references read
    answered: set[str] = field(default_factory=set)  # the request numbers a ClaimResponse of the export answers

    def phases(self) -> list[list[Range]]:
        """The ranges grouped in phases: files of one type in DEPENDENCY_ORDER; a mixed file on its own, in
        the place of the first type it holds (its requests and responses pair within it)."""
        def rank(position: int) -> tuple[int, int]:
            kinds = self.kinds[position]
            first = min(_RANK.get(kind, len(_RANK)) for kind in kinds)
            return (first, -1) if len(kinds) == 1 else (first, position)
        groups: dict[tuple[int, int], list[Range]] = {}
        for piece in self.ranges:
            groups.setdefault(rank(piece.file), []).append(piece)
        return [groups[key] for key in sorted(groups)]

    def to_json(self) -> bytes:
        return json.dumps({
            "files": self.files, "kinds": self.kinds, "lines": self.lines, "file_lines": self.file_lines,
            "ranges": [[r.file, r.start, r.end, r.after] for r in self.ranges],
            "problems": [_problem_json(p) for p in self.problems],
            "conflicts": [_problem_json(p) for p in self.conflicts], "skipped": self.skipped,
            "conflicting": sorted(self.conflicting), "repeats": sorted(self.repeats), "index": self.index,
            "answered": sorted(self.answered),
        }, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Survey:
        raw = json.loads(data)
        return cls(files=raw["files"], kinds=raw["kinds"], lines=raw["lines"], file_lines=raw["file_lines"],
                   ranges=[Range(*r) for r in raw["ranges"]], problems=[Problem(*p) for p in raw["problems"]],
                   conflicts=[Problem(*p) for p in raw["conflicts"]], skipped=raw["skipped"],
                   conflicting=set(raw["conflicting"]), repeats={(f, n) for f, n in raw["repeats"]},
                   index=raw["index"], answered=set(raw["answered"]))


def _problem_json(problem: Problem) -> list[Any]:
    return [problem.line, problem.field, problem.reason, problem.file]


def survey(sources: Sequence[Source], range_lines: int | None = None) -> Survey:
    """The first pass: every line counted and checked, every id's content digested (16 bytes, about 200
    bytes an id in all), what references name indexed, each file cut into ranges of `range_lines` lines
    (RANGE_LINES unless given)."""
    range_lines = range_lines or RANGE_LINES
    result = Survey(files=[s.name for s in sources])
    seen: dict[str, list[Any]] = {}  # 'Type/id' → [digest, file, line, every copy once it has a second]
    read = readers()
    for position, source in enumerate(sources):
        kinds: set[str] = set()
        cuts: list[tuple[int, int]] = []  # (start offset, lines before it)
        for number, offset, line in numbered_lines(source.chunks()):
            if not cuts or number - 1 - cuts[-1][1] >= range_lines:
                cuts.append((offset if cuts else 0, number - 1 if cuts else 0))
            result.lines += 1
            result.file_lines[source.name] = result.file_lines.get(source.name, 0) + 1
            try:
                resource = json_object(line)
            except Invalid as problem:
                result.problems.append(Problem(number, problem.field, problem.reason, source.name))
                continue
            kind = resource.get("resourceType")
            if not isinstance(kind, str) or not kind:
                result.problems.append(Problem(number, "resourceType", "is missing", source.name))
                continue
            if kind not in read and kind not in REFERENCE_DATA:
                result.skipped[kind] = result.skipped.get(kind, 0) + 1
                continue
            if kind in read:
                kinds.add(kind)
            if kind == "ClaimResponse" and (number_answered := answered_request(resource)):
                result.answered.add(number_answered)
            if isinstance(resource.get("id"), str):
                key, digest = f"{kind}/{resource['id']}", hashlib.sha256(canonical(resource)).digest()[:16]
                entry = seen.get(key)
                if entry is None:
                    seen[key] = [digest, position, number, None]
                else:
                    entry[3] = (entry[3] or [(entry[1], entry[2], entry[0])]) + [(position, number, digest)]
                if kind in REFERENCE_DATA or kind == "Patient":
                    result.index.setdefault(key, reference_data(resource))
        result.kinds.append(sorted(kinds))
        if not kinds:  # only what references read (already indexed), or nothing usable
            cuts = []
        elif len(kinds) > 1:  # a mixed file pairs requests with responses within it: one range
            cuts = cuts[:1]
        result.ranges.extend(Range(position, start, cuts[i + 1][0] if i + 1 < len(cuts) else None, after)
                             for i, (start, after) in enumerate(cuts))
    for key, (_, _, _, copies) in seen.items():
        if copies is None:
            continue
        if len({digest for _, _, digest in copies}) < 2:
            result.repeats.update((p, at) for p, at, _ in copies[1:])  # one content: the first copy maps
            continue
        result.conflicting.add(key)
        for position, number, _ in copies:
            others = ", ".join(f"{sources[p].name} line {at}" if sources[p].name else f"line {at}"
                               for p, at, _ in copies if (p, at) != (position, number))
            result.conflicts.append(Problem(number, "id", f"{key} is also on {others} with other content: "
                                                          "neither is applied", sources[position].name))
    return result


def map_range(found: Survey, source: Source, piece: Range, apply: Callable[[Extract], None] | None = None
              ) -> Extract:
    """The second pass over one range: each resource validated and mapped on its own (a bad one is a
    problem of its line); `apply` is handed the mapped members, coverages and claims every BATCH resources
    and empties those lists; prior authorizations are paired at the end (a response whose request is not
    in this range is left in `later_responses`, for the request on file)."""
    read = readers()
    extract = Extract(index=found.index)
    mapped = 0
    lines = numbered_lines(source.read(piece.start, piece.end), after=piece.after, bom=piece.start == 0)
    for number, _, line in lines:
        try:
            resource = json_object(line)
        except Invalid:
            continue  # reported by the survey
        kind = resource.get("resourceType")
        if kind not in read:
            continue  # reported, counted or only referenced: the survey has it
        key = f"{kind}/{resource.get('id')}"
        if key in found.conflicting or (piece.file, number) in found.repeats:
            continue
        model, mapper = read[str(kind)]
        try:
            try:
                validated = model.model_validate(resource)
            except ValidationError as exc:
                first = exc.errors()[0]
                raise Invalid(".".join(str(p) for p in first["loc"]) or "(resource)", first["msg"]) from None
            extract.at_line = number
            mapper(validated, content_hash(resource), f"{kind}/{resource.get('id') or number}", extract)
        except NotRead as skipped:
            extract.skipped[skipped.kind] = extract.skipped.get(skipped.kind, 0) + 1
        except Invalid as problem:
            extract.problems.append(Problem(number, problem.field, problem.reason, source.name))
        mapped += 1
        if apply is not None and mapped % BATCH == 0:
            apply(extract)
    if apply is not None:
        apply(extract)
    pair_authorizations(extract, source.name)
    return extract


def parse_files(sources: Sequence[Source], apply: Callable[[Extract], None] | None = None) -> Extract:
    """Both passes in this process, every range in turn: everything the files hold, in one Extract."""
    found = survey(sources)
    extract = Extract(index=found.index, problems=list(found.problems), conflicts=list(found.conflicts),
                      skipped=dict(found.skipped), lines=found.lines, file_lines=dict(found.file_lines))
    for phase in found.phases():
        for piece in phase:
            part = map_range(found, sources[piece.file], piece, apply)
            extract.merge(part)
    extract.problems.sort(key=lambda p: (p.file, p.line))
    extract.conflicts.sort(key=lambda p: (p.file, p.line))
    return extract


def parse(data: bytes | str) -> Extract:
    """Validate and map every line of one NDJSON extract held in memory."""
    raw = data.encode() if isinstance(data, str) else data
    return parse_files([Source.whole("", lambda: [raw])])
