"""argon2id hash time with the project's parameters (the cost every registration pays once)."""

from __future__ import annotations

import statistics
import time

from bench.table import ms, render


def measure(runs: int = 9) -> list[float]:
    from functions.shared.security.passwords import hash_password

    hash_password("warm-up: imports argon2 and builds the hasher")
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        hash_password(f"Lantern-Orbit-{i:02d}")
        times.append(time.perf_counter() - t0)
    return times


def report(times: list[float]) -> str:
    from functions.shared.security import passwords as p

    params = f"t={p.ARGON2_TIME_COST}, m={p.ARGON2_MEMORY_KIB // 1024} MiB, p={p.ARGON2_PARALLELISM}"
    row = ["argon2id hash_password", params, ms(statistics.median(times)), ms(min(times)), ms(max(times))]
    return (f"Password hashing, {len(times)} runs\n"
            + render(["operation", "parameters", "median", "min", "max"], [row], right=(2, 3, 4)))
