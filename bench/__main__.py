"""python -m bench [--runs N] [--only SECTION] [--quick]: cold start, AWS calls per request, cost per user,
argon2id time, layer sizes, paging, the lifecycle job, timing enumeration, the portal-data import (and its
workflow at a million resources) and the Provider Access export, as plain tables.

--quick runs every section once at small sizes (a check that each still runs, e.g. in `make test`);
its figures are not comparable with a full run's. The exit status is 1 when any section failed.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from bench import (
    aws_calls,
    coldstart,
    cost,
    enumeration,
    hashing,
    layer_size,
    lifecycle_job,
    portal_data_import,
    portal_data_workflow,
    portal_paging,
    provider_export,
)

SECTIONS = ("coldstart", "aws_calls", "cost", "hashing", "layer_size", "portal_paging", "lifecycle_job",
            "enumeration", "portal_data_import", "portal_data_workflow", "provider_export")


@dataclass(frozen=True)
class Sizes:
    """How much each section measures."""

    runs: int  # fresh processes per handler module (coldstart)
    request_runs: int  # of those, the ones that also time a first and second request
    hashing_runs: int
    layer_baseline: bool  # also install runtime.txt with pip alone (a second full pip run)
    claims: tuple[int, ...]
    accounts: tuple[int, ...]
    due: int  # accounts due for deactivation, and as many for the warning, at each size
    enumeration_samples: int  # per endpoint, class and variant
    enumeration_warm_ups: int
    imports: tuple[int, ...] = portal_data_import.SIZES  # resources of an export imported (and again)
    import_reads: tuple[int, ...] = portal_data_import.READ_SIZES  # resources read without writes (memory)
    workflow: int = portal_data_workflow.SIZE  # resources of the export the import workflow's steps read
    exports: tuple[tuple[int, int], ...] = provider_export.SIZES  # (members, claims) of a Provider Access export


FULL = Sizes(runs=7, request_runs=3, hashing_runs=9, layer_baseline=True, claims=portal_paging.SIZES,
             accounts=lifecycle_job.SIZES, due=lifecycle_job.DUE, enumeration_samples=enumeration.SAMPLES,
             enumeration_warm_ups=3)
QUICK = Sizes(runs=1, request_runs=1, hashing_runs=2, layer_baseline=False, claims=(400,), accounts=(200,),
              due=20, enumeration_samples=3, enumeration_warm_ups=1, imports=(300,), import_reads=(300, 1500),
              exports=((200, 2000),), workflow=3000)


def _load() -> str:
    try:
        return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        return "unknown"


def sections(sizes: Sizes) -> dict[str, Callable[[], str]]:
    """Each section's measurement and report, by name, in the order they run."""
    measured: list[aws_calls.Result] = []

    def calls() -> str:
        measured.extend(aws_calls.measure())
        return aws_calls.report(measured)

    return {
        "coldstart": lambda: coldstart.report(coldstart.measure(sizes.runs, min(sizes.request_runs, sizes.runs)),
                                              sizes.runs),
        "aws_calls": calls,
        "cost": lambda: cost.report(measured or aws_calls.measure()),  # from the calls just measured
        "hashing": lambda: hashing.report(hashing.measure(sizes.hashing_runs)),
        "layer_size": lambda: layer_size.report(layer_size.measure(baseline=sizes.layer_baseline)),
        "portal_paging": lambda: portal_paging.report(portal_paging.measure(sizes.claims)),
        "lifecycle_job": lambda: lifecycle_job.report(lifecycle_job.measure(sizes.accounts, sizes.due)),
        "enumeration": lambda: enumeration.report(enumeration.measure(sizes.enumeration_samples,
                                                                      sizes.enumeration_warm_ups)),
        "portal_data_import": lambda: portal_data_import.report(portal_data_import.measure(sizes.imports,
                                                                                          sizes.import_reads)),
        "portal_data_workflow": lambda: portal_data_workflow.report(portal_data_workflow.measure(sizes.workflow)),
        "provider_export": lambda: provider_export.report(provider_export.measure(sizes.exports)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, help="fresh processes per handler module (default 7, --quick 1)")
    parser.add_argument("--only", choices=SECTIONS, help="run one section")
    parser.add_argument("--quick", action="store_true",
                        help="every section once at small sizes: checks that it runs, figures not comparable")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.runs is not None:
        if args.runs < 1:
            parser.error("--runs must be at least 1")
        sizes = Sizes(**{**sizes.__dict__, "runs": args.runs})

    started = time.perf_counter()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {_load()} (timings are only comparable on an otherwise idle machine)", flush=True)
    if args.quick:
        print("Quick mode: one run of each section at small sizes; the figures are not comparable with a full run.",
              flush=True)
    print(flush=True)
    named = sections(sizes)
    chosen = [args.only] if args.only else list(named)
    failed: list[str] = []
    for name in chosen:
        began = time.perf_counter()
        try:
            text = named[name]()
        except Exception as exc:  # print what failed and still run the other sections
            traceback.print_exc()
            text = f"FAILED: {type(exc).__name__}: {exc}"
        if text.startswith("FAILED") or "ERROR" in text:
            failed.append(name)
        print(f"{text}\n({name} took {time.perf_counter() - began:.1f} s)\n", flush=True)
    print(f"bench finished in {time.perf_counter() - started:.1f} s, load average {_load()}"
          + (f"; failed sections: {', '.join(failed)}" if failed else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
