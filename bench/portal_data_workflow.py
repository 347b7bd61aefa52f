"""The portal-data import workflow at scale: a synthetic export of a million resources (mixed types, one
NDJSON file per type), written to disk, then each step of the workflow run as the workflow runs it, each
in a fresh process (its peak memory is that process's resident set, as a Lambda function's would be):

- the survey, once over every file (seconds, resources/s, peak memory, the survey's size, ranges, phases);
- one range of each type mapped (the second pass without its writes: resources/s of one function, its peak
  memory); the writes are measured on DynamoDB Local by the portal_data_import section, per resource;
- the workflow's duration, projected from those rates: the survey, then each phase's ranges 10 at a time
  (the ASL's MaxConcurrency), beside the baseline: the same export read by one function from start to end,
  as the import ran before it was a workflow, against Lambda's 15-minute limit.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.portal_data_import import export_lines
from bench.table import render

SIZE = int(os.environ.get("BENCH_WORKFLOW_RESOURCES", "1000000"))
PARALLEL_RANGES = 10  # MaxConcurrency of the inner Map of infra/workflows/portal_data_import.asl.json
LAMBDA_LIMIT_S = 900
ROOT = Path(__file__).resolve().parent.parent

# A file read by byte range, as the workflow reads an S3 object (a ranged GET), a megabyte at a time.
_READER = """
import json, resource, sys, time
def reader(path):
    def read(start, end):
        with open(path, "rb") as f:
            f.seek(start)
            left = None if end is None else end - start
            while left is None or left > 0:
                chunk = f.read(1 << 20 if left is None else min(1 << 20, left))
                if not chunk:
                    return
                left = None if left is None else left - len(chunk)
                yield chunk
    return read
"""

_SURVEY = _READER + """
from functions.portal_data_import.passes import Source, survey
paths = json.loads(sys.argv[1])
sources = [Source(p.rsplit("/", 1)[-1], reader(p)) for p in paths]
started = time.perf_counter()
found = survey(sources)
seconds = time.perf_counter() - started
data = found.to_json()
open(sys.argv[2], "wb").write(data)
print(json.dumps({"seconds": seconds, "lines": found.lines, "ranges": [[r.file, r.start, r.end, r.after]
                  for r in found.ranges], "phases": len(found.phases()), "kinds": found.kinds,
                  "survey_bytes": len(data), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_RANGE = _READER + """
from functions.portal_data_import.passes import Range, Source, Survey, map_range
path, survey_path, piece = sys.argv[1], sys.argv[2], Range(*json.loads(sys.argv[3]))
loaded = time.perf_counter()
found = Survey.from_json(open(survey_path, "rb").read())
loaded = time.perf_counter() - loaded
mapped = [0]
def drop(extract):
    mapped[0] += len(extract.profiles) + len(extract.coverages) + len(extract.claims)
    extract.profiles.clear(); extract.coverages.clear(); extract.claims.clear()
started = time.perf_counter()
extract = map_range(found, Source(path.rsplit("/", 1)[-1], reader(path)), piece, drop)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "load_seconds": loaded, "mapped": mapped[0], "problems": len(extract.problems),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@dataclass
class Step:
    name: str
    resources: int
    seconds: float
    rss_mb: float
    note: str = ""


@dataclass
class Measured:
    resources: int
    megabytes: float
    survey: Step
    ranges: list[Step]
    phases: list[tuple[str, int, int]]  # (type, ranges, lines)


def _child(script: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        raise RuntimeError(f"a workflow step failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(size: int = SIZE) -> Measured:
    with tempfile.TemporaryDirectory(prefix="bench-workflow-") as folder:
        files: dict[str, Path] = {}
        handles = {}
        try:
            for kind, line in export_lines(size):
                if kind not in handles:
                    files[kind] = Path(folder) / f"{kind}.ndjson"
                    handles[kind] = files[kind].open("w")
                handles[kind].write(line + "\n")
        finally:
            for handle in handles.values():
                handle.close()
        paths = [str(p) for p in files.values()]
        megabytes = sum(p.stat().st_size for p in files.values()) / 1e6
        survey_path = str(Path(folder) / "survey.json")
        surveyed = _child(_SURVEY, json.dumps(paths), survey_path)
        survey = Step("survey (every file once)", surveyed["lines"], surveyed["seconds"], surveyed["rss_mb"],
                      f"{len(surveyed['ranges'])} ranges in {surveyed['phases']} phases; survey "
                      f"{surveyed['survey_bytes'] / 1e6:.1f} MB")
        phases = []
        ranges: list[Step] = []
        for position, kinds in enumerate(surveyed["kinds"]):
            mine = [r for r in surveyed["ranges"] if r[0] == position]
            if not mine:  # reference data only: indexed by the survey, no range to map
                continue
            kind = "+".join(kinds)
            with open(paths[position], "rb") as counted:
                lines = sum(1 for _ in counted)
            phases.append((kind, len(mine), lines))
            first = mine[0]
            count = (mine[1][3] if len(mine) > 1 else lines) - first[3]
            mapped = _child(_RANGE, paths[position], survey_path, json.dumps(first))
            ranges.append(Step(f"one range of {kind}", count, mapped["seconds"] + mapped["load_seconds"],
                               mapped["rss_mb"], f"survey loaded in {mapped['load_seconds']:.1f} s"))
    return Measured(surveyed["lines"], megabytes, survey, ranges, phases)


def project(measured: Measured) -> tuple[float, float]:
    """(the workflow's seconds, one function's seconds) for the whole export, from the measured rates."""
    rates = {step.name.removeprefix("one range of "): step.resources / step.seconds for step in measured.ranges}
    workflow = measured.survey.seconds
    sequential = measured.survey.seconds
    for kind, count, lines in measured.phases:
        per_range = math.ceil(lines / count)
        workflow += math.ceil(count / PARALLEL_RANGES) * per_range / rates[kind]
        sequential += lines / rates[kind]
    return workflow, sequential


def report(measured: Measured) -> str:
    steps = [measured.survey, *measured.ranges]
    table = render(["step (one function invocation)", "resources", "seconds", "resources/s", "peak memory", "note"],
                   [[s.name, f"{s.resources:,}", f"{s.seconds:,.1f}", f"{s.resources / s.seconds:,.0f}",
                     f"{s.rss_mb:,.0f} MB", s.note] for s in steps], right=(1, 2, 3, 4))
    workflow, sequential = project(measured)
    phases = ", ".join(f"{kind} {count}" for kind, count, _ in measured.phases)
    fits = "yes" if sequential <= LAMBDA_LIMIT_S else "no"
    longest = max([measured.survey.seconds, *(s.seconds for s in measured.ranges)])
    return (f"Portal-data import workflow at scale: {measured.resources:,} resources ({measured.megabytes:,.0f} MB "
            "of NDJSON), each step in its own process, the second pass without its writes\n" + table +
            f"\nranges per type: {phases}"
            f"\nprojected (compute only, writes excluded): the workflow {workflow:,.0f} s with {PARALLEL_RANGES} "
            f"ranges at once; baseline, one function reading it all: {sequential:,.0f} s "
            f"(within Lambda's {LAMBDA_LIMIT_S} s: {fits})"
            f"\nlongest single step: {longest:,.0f} s (each must stay under {LAMBDA_LIMIT_S} s)")


if __name__ == "__main__":
    started = time.perf_counter()
    print(report(measure(int(sys.argv[1]) if len(sys.argv) > 1 else SIZE)))
    print(f"({time.perf_counter() - started:.0f} s)")
