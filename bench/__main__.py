"""python -m bench [--runs N]: cold start, AWS calls per request and argon2id time, as plain tables."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable

from bench import aws_calls, coldstart, cost, hashing, portal_paging


def _load() -> str:
    try:
        return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per handler module (default 7)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {_load()} (timings are only comparable on an otherwise idle machine)\n", flush=True)
    measured: list[aws_calls.Result] = []

    def calls() -> str:
        measured.extend(aws_calls.measure())
        return aws_calls.report(measured)

    sections: list[Callable[[], str]] = [
        lambda: coldstart.report(coldstart.measure(args.runs), args.runs),
        calls,
        lambda: cost.report(measured),  # from the calls just measured
        lambda: hashing.report(hashing.measure()),
        lambda: portal_paging.report(portal_paging.measure()),
    ]
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
