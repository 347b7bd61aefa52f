"""python -m bench [--runs N]: cold start, AWS calls per request and argon2id time, as plain tables."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable

from bench import aws_calls, coldstart, cost, enumeration, hashing, layer_size, lifecycle_job, portal_paging

SECTIONS = ("coldstart", "aws_calls", "cost", "hashing", "layer_size", "portal_paging", "lifecycle_job",
            "enumeration")


def _load() -> str:
    try:
        return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per handler module (default 7)")
    parser.add_argument("--only", choices=sorted(SECTIONS), help="run one section")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {_load()} (timings are only comparable on an otherwise idle machine)\n", flush=True)
    measured: list[aws_calls.Result] = []

    def calls() -> str:
        measured.extend(aws_calls.measure())
        return aws_calls.report(measured)

    named: dict[str, Callable[[], str]] = {
        "coldstart": lambda: coldstart.report(coldstart.measure(args.runs), args.runs),
        "aws_calls": calls,
        "cost": lambda: cost.report(measured or aws_calls.measure()),  # from the calls just measured
        "hashing": lambda: hashing.report(hashing.measure()),
        "layer_size": lambda: layer_size.report(layer_size.measure()),
        "portal_paging": lambda: portal_paging.report(portal_paging.measure()),
        "lifecycle_job": lambda: lifecycle_job.report(lifecycle_job.measure()),
        "enumeration": lambda: enumeration.report(enumeration.measure()),
    }
    sections = [named[args.only]] if args.only else list(named.values())
    failed = False
    for section in sections:
        try:
            text = section()
        except Exception as exc:  # print what failed and still run the other sections
            failed = True
            text = f"FAILED: {type(exc).__name__}: {exc}"
        failed = failed or "ERROR" in text
        print(text, end="\n\n", flush=True)
    print(f"bench finished in {time.perf_counter() - started:.1f} s, load average {_load()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
