"""argon2id cost with the project's parameters: hashing (registration, reset) and verifying (every
sign-in, and the dummy check that makes unknown users take as long)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from bench.table import ms, render


def _timed(runs: int, operation: Callable[[int], object]) -> list[float]:
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        operation(i)
        times.append(time.perf_counter() - t0)
    return times


def measure(runs: int = 9) -> dict[str, list[float]]:
    from functions.shared.services.security.passwords import hash_password, verify_password

    stored = hash_password("warm-up: imports argon2 and builds the hasher")
    return {
        "hash_password": _timed(runs, lambda i: hash_password(f"Lantern-Orbit-{i:02d}")),
        "verify_password (sign-in)": _timed(runs, lambda i: verify_password(stored, f"Wrong-Guess-{i:02d}")),
    }


def report(times: dict[str, list[float]]) -> str:
    from functions.shared.services.security import passwords as p

    params = f"t={p.ARGON2_TIME_COST}, m={p.ARGON2_MEMORY_KIB // 1024} MiB, p={p.ARGON2_PARALLELISM}"
    rows = [[f"argon2id {name}", params, ms(statistics.median(t)), ms(min(t)), ms(max(t))]
            for name, t in times.items()]
    runs = len(next(iter(times.values())))
    return (f"Password hashing, {runs} runs\n"
            + render(["operation", "parameters", "median", "min", "max"], rows, right=(2, 3, 4)))
