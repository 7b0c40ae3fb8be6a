"""A day of whole-world coverage: the sweep against its own single-step kernel.

Run: ``.venv/bin/python benchmarks/bench_coverage_day.py`` (options: ``--hours`` for a shorter
slice, ``--step-s``, ``--resolution``, ``--mask-deg``, ``--workers N`` for a local Dask cluster
of N single-threaded worker processes or ``--workers 0`` for in process on numba's threads,
``--chunk-steps``).  Defaults: 24 h from 2026-05-13T00:00Z every 60 s (1,440 instants), every
H3 resolution-5 cell of the world (2,016,842), the embedded catalog (10,361 satellites), a 25°
mask, two Dask workers.

Printed, from one run:

- baseline: one instant of the visibility kernel (`leolink.coverage.visibility`, count and
  highest elevation) over every cell, on one core and on numba's threads, best of three after a
  warm-up; and propagating the catalog to one instant;
- the sweep (`leolink.coverage.sweep.sweep`): wall time for the whole window, per instant, and
  per instant over the kernel's single-step time;
- memory: the peak over the run of the summed resident memory (RSS) of this process and every
  process it started (Dask workers and their nannies), sampled every 0.25 s with psutil, and the
  same sum of proportional set sizes (PSS: shared pages divided among the processes sharing
  them, so not counted twice); ``ru_maxrss`` of this process and of its largest child for
  comparison.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import threading
import time
from collections.abc import Callable

import numba
import numpy as np
import psutil

from leolink.coverage import GroundPoints, visibility
from leolink.coverage.aggregate import summarize
from leolink.coverage.sweep import SweepPlan, plan_sweep, sweep
from leolink.geo.grid import world_cells
from leolink.jobs import DaskExecutor, InProcessExecutor
from leolink.orbits.loading import load_catalog
from leolink.orbits.propagate import propagate
from leolink.time import format_instant, parse_instant

GIB = 2.0**30


class MemorySampler:
    """Peak summed RSS and PSS of this process and all its descendants, sampled in a thread."""

    def __init__(self, interval_s: float = 0.25) -> None:
        self.interval_s = interval_s
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        rss = pss = 0
        processes = [me, *me.children(recursive=True)]
        for process in processes:
            try:
                info = process.memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_pss = max(self.peak_pss, pss)
        self.peak_processes = max(self.peak_processes, len(processes))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval_s)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def _best_of(repeat: int, fn: Callable[[], object]) -> float:
    fn()  # warm-up: numba loads or compiles on first use
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _baseline(plan: SweepPlan) -> tuple[float, float, float]:
    """(kernel 1 core, kernel on numba's threads, propagate one instant), seconds."""
    points = GroundPoints.from_lat_lon(plan.lat_deg, plan.lon_deg)
    middle = plan.times[plan.times.size // 2]
    r = np.ascontiguousarray(propagate(plan.catalog, middle).r_itrs_km[:, 0])
    serial = _best_of(3, lambda: visibility(points, r, plan.masks_deg))
    threaded = _best_of(3, lambda: visibility(points, r, plan.masks_deg, parallel=True))
    one_instant = _best_of(3, lambda: propagate(plan.catalog, middle))
    return serial, threaded, one_instant


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=24.0, help="length of the window")
    parser.add_argument("--start", default="2026-05-13T00:00:00Z")
    parser.add_argument("--step-s", type=float, default=60.0)
    parser.add_argument("--resolution", type=int, default=5)
    parser.add_argument("--mask-deg", type=float, default=25.0)
    parser.add_argument(
        "--workers", type=int, default=2, help="Dask workers; 0: in process on numba's threads"
    )
    parser.add_argument("--chunk-steps", type=int, default=None)
    args = parser.parse_args()

    start = parse_instant(args.start)
    # The window holds hours * 3600 / step instants: its end is one step short of start + hours.
    n_steps = round(args.hours * 3600.0 / args.step_s)
    end = start + np.timedelta64(round((n_steps - 1) * args.step_s * 1e9), "ns")
    catalog = load_catalog()
    t0 = time.perf_counter()
    cells = world_cells(args.resolution)
    plan = plan_sweep(
        cells,
        start,
        end,
        args.step_s,
        catalog,
        min_elevation_deg=args.mask_deg,
        chunk_steps=args.chunk_steps,
        workers=max(1, args.workers),
        kernel_parallel=args.workers == 0,
        region="world",
    )
    plan_s = time.perf_counter() - t0
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, numba {numba.__version__} "
        f"({numba.get_num_threads()} threads)"
    )
    print(
        f"input: {plan.cells.size:,} cells (world, H3 res {args.resolution}), "
        f"{len(catalog):,} satellites, {plan.times.size:,} instants every {args.step_s:g} s "
        f"from {format_instant(plan.times[0])} to {format_instant(plan.times[-1])}, "
        f"mask {args.mask_deg:g} deg; plan (cell centres) {plan_s:.1f} s"
    )
    serial, threaded, one_instant = _baseline(plan)
    print(
        f"baseline, one instant: kernel {serial:.3f} s on 1 core, {threaded:.3f} s on "
        f"{numba.get_num_threads()} threads; propagate {one_instant * 1e3:.1f} ms"
    )

    if args.workers == 0:
        executor: InProcessExecutor | DaskExecutor = InProcessExecutor()
        where = f"in process, kernel on {numba.get_num_threads()} numba threads"
    else:
        executor = DaskExecutor(args.workers)
        where = f"local Dask cluster, {args.workers} worker processes x 1 thread"
        if args.chunk_steps is None:
            plan = plan.rechunked(args.workers)
    print(f"sweep: {where}, {len(plan.chunks)} chunks of up to {plan.chunk_steps} instants")

    t_start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        elapsed = time.perf_counter() - t_start
        eta = elapsed / done * (total - done)
        print(f"  {done:5d}/{total} instants  {elapsed:7.1f} s  eta {eta:6.0f} s", flush=True)

    with MemorySampler() as memory, executor:
        t_start = time.perf_counter()
        result = sweep(plan, executor.map, progress=progress)
        wall = time.perf_counter() - t_start
    summary = summarize(result)

    per_step = wall / plan.times.size
    print(f"sweep: {wall:.1f} s for {plan.times.size:,} instants ({wall / 60:.2f} min)")
    print(
        f"per instant: {per_step:.3f} s  |  single-step kernel {serial:.3f} s on 1 core "
        f"(sweep / kernel = {per_step / serial:.2f}), {threaded:.3f} s threaded"
    )
    self_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    child_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    print(
        f"peak memory, all processes ({memory.peak_processes} at most): RSS sum "
        f"{memory.peak_rss / GIB:.2f} GiB, PSS sum {memory.peak_pss / GIB:.2f} GiB; ru_maxrss "
        f"self {self_max:.2f} GiB, largest finished child {child_max:.2f} GiB"
    )
    print(
        f"summary: mean_visible {summary['mean_visible']:.2f} (area-weighted), min_visible "
        f"{summary['min_visible']}, max_visible {summary['max_visible']}, pct_time_covered "
        f"{summary['pct_time_covered']:.4f} %, pct_area_always_covered "
        f"{summary['pct_area_always_covered']:.3f} %, max_gap_s {summary['max_gap_s']:g}"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
