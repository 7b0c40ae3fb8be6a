"""Propagate the whole real catalog over a day to Earth-fixed positions, against raw SGP4.

Run: ``.venv/bin/python benchmarks/bench_propagate.py`` (options: ``--hours``, ``--step-s``,
``--repeat``).  Measured in one run, on the embedded catalog (10,361 satellites) × 1,440 instants
(24 h at 60 s) = 14.9 M states:

- raw: one ``SatrecArray.sgp4(jd, fr)`` call over the whole catalog and grid, TEME only — the
  baseline, what a caller of the ``sgp4`` package writes;
- raw, tiled: the same SGP4 over the cache-sized tiles `propagate` uses, TEME only;
- ours: `leolink.orbits.propagate.propagate` to ITRF (GMST 1982 at UT1, error codes, NaN) on
  one core, then with ``workers=2``;
- whether ``SatrecArray.sgp4`` releases the GIL: two threads on two halves vs one thread.

Memory is the peak of traced Python/NumPy allocations per phase (``tracemalloc``; the shared
output of forked workers is an anonymous mmap, reported by its size), plus the process's
``ru_maxrss`` at the end (peak resident set over all phases).
"""

from __future__ import annotations

import argparse
import platform
import resource
import threading
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from sgp4.api import SatrecArray

from leolink.orbits.loading import load_catalog
from leolink.orbits.propagate import propagate
from leolink.time import datetime64_to_jd_fr, parse_instant

MB = 1024.0 * 1024.0
TILE_SATELLITES, TILE_TIMES = 64, 256  # the tiles propagate uses on a long time grid


def cpu_seconds() -> float:
    """CPU time of this process and its waited-for children (forked workers), user + system."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(function: Callable[[], Any], repeat: int) -> tuple[float, float, float]:
    """Best wall time of ``repeat`` calls, its CPU time, and the peak traced memory (MB)."""
    best = best_cpu = float("inf")
    peak = 0.0
    for _ in range(repeat):
        tracemalloc.reset_peak()
        start_bytes = tracemalloc.get_traced_memory()[0]
        start, start_cpu = time.perf_counter(), cpu_seconds()
        result = function()
        wall, cpu = time.perf_counter() - start, cpu_seconds() - start_cpu
        if wall < best:
            best, best_cpu = wall, cpu
        peak = max(peak, (tracemalloc.get_traced_memory()[1] - start_bytes) / MB)
        del result
    return best, best_cpu, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--step-s", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs per phase")
    args = parser.parse_args()
    console = Console(stderr=True)

    catalog = load_catalog()
    step = np.timedelta64(round(args.step_s * 1e9), "ns")
    n_times = round(args.hours * 3600 / args.step_s)
    times = parse_instant("2026-05-13T00:00:00Z") + np.arange(n_times) * step
    states = len(catalog) * len(times)
    jd, fr = datetime64_to_jd_fr(times)
    tracemalloc.start()

    with console.status("warming up (numba kernels, SatrecArrays)"):
        propagate(catalog.take(range(100)), times[:100], workers=1)
        _ = catalog.satrec_array
        chunks = [
            SatrecArray(list(catalog.satrecs[i : i + TILE_SATELLITES]))
            for i in range(0, len(catalog), TILE_SATELLITES)
        ]
    tiles = [
        (chunk, slice(t0, t0 + TILE_TIMES))
        for chunk in chunks
        for t0 in range(0, n_times, TILE_TIMES)
    ]

    def run(part: list[tuple[SatrecArray, slice]]) -> None:
        for chunk, window in part:
            chunk.sgp4(jd[window], fr[window])

    def raw() -> Any:
        return catalog.satrec_array.sgp4(jd, fr)

    results: dict[str, tuple[float, float, float]] = {}
    phases: list[tuple[str, Callable[[], Any]]] = [
        ("raw SatrecArray.sgp4, one call (TEME)", raw),
        ("raw SatrecArray.sgp4, tiled (TEME)", lambda: run(tiles)),
        ("propagate, 1 core (ITRF)", lambda: propagate(catalog, times)),
        ("propagate, workers=2 (ITRF)", lambda: propagate(catalog, times, workers=2)),
    ]
    for name, function in phases:
        with console.status(f"{name}: {states / 1e6:.1f} M states"):
            results[name] = measure(function, args.repeat)

    # Does SGP4 release the GIL?  Two threads over two halves of the tiles vs one thread.
    sample = tiles[: len(tiles) // 4]
    halves = [sample[0::2], sample[1::2]]
    with console.status("GIL: 1 thread vs 2 threads"):
        start = time.perf_counter()
        run(sample)
        one_thread = time.perf_counter() - start
        threads = [threading.Thread(target=run, args=(half,)) for half in halves]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        two_threads = time.perf_counter() - start

    tracemalloc.stop()
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux

    table = Table(
        title=f"{len(catalog):,} satellites × {len(times):,} instants = {states:,} states"
    )
    table.add_column("phase")
    table.add_column("time s", justify="right")
    table.add_column("CPU s", justify="right")
    table.add_column("M states/s", justify="right")
    table.add_column("peak traced MB", justify="right")
    for name, (seconds, cpu, peak_mb) in results.items():
        rate = f"{states / seconds / 1e6:.2f}"
        table.add_row(name, f"{seconds:.2f}", f"{cpu:.2f}", rate, f"{peak_mb:.0f}")
    out = Console(width=110)  # stable layout when piped to a file
    out.print(table)

    raw_s = results[phases[0][0]][0]
    tiled_s = results[phases[1][0]][0]
    ours_s = results[phases[2][0]][0]
    two_s = results[phases[3][0]][0]
    output_mb = states * (3 * 8 + 1) / MB
    out.print(f"ratio ours/raw (throughput, 1 core): {raw_s / ours_s:.2f}  (target >= 0.8)")
    out.print(f"ratio ours/raw tiled (throughput, 1 core): {tiled_s / ours_s:.2f}")
    out.print(f"speed-up with 2 workers: {ours_s / two_s:.2f}x")
    out.print(
        f"GIL released by SatrecArray.sgp4: {'yes' if two_threads < 0.75 * one_thread else 'no'} "
        f"(same work: 1 thread {one_thread:.2f} s, 2 threads {two_threads:.2f} s)"
    )
    out.print(
        f"memory: output r_itrs_km + error = {output_mb:.0f} MB (with workers=2 in a shared mmap, "
        f"not traced); ru_maxrss over the whole run = {max_rss_mb:.0f} MB"
    )
    out.print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )


if __name__ == "__main__":
    main()
