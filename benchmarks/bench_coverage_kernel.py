"""One instant of whole-world coverage: the visibility kernel against the straightforward sweep.

Run: ``.venv/bin/python benchmarks/bench_coverage_kernel.py`` (options: ``--resolution``,
``--at``, ``--mask-deg``, ``--repeat``, ``--rounds``).  Measured in one run, on the embedded
catalog (10,361 satellites) propagated to one instant, and every H3 cell centre of the world at
resolution 5 (2,016,842 cells):

- baseline: the best straightforward kernel - numba, cells sorted by latitude, and for each
  satellite a binary search for the latitude range of its footprint and a test of every cell
  in that range (count and highest elevation).  Made as fast as that design allows: satellites
  sorted by latitude (consecutive ranges share the cache), a vectorised single-precision cone
  test before the exact one, cells sorted by longitude within 0.1-degree latitude rows (the
  cells inside a footprint come in runs), and the exact test against ``s*`` rather than an
  ``asin`` per pair.  Together these took it from 11 s to about 5 s on this machine;
- ours: `leolink.coverage.visibility` (count and highest elevation) and
  `leolink.coverage.count_visible` (count only) on one core, then on two (``parallel=True``).

Every figure is the best of ``--repeat`` runs after a warm-up call (numba compiles on first
use).  The results of all kernels are checked equal before any time is printed.  The machine is
shared: the parallel timings are taken in ``--rounds`` rounds, each with a gauge of how much of
a second core it got, and the freest round is reported with its gauge.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
import numpy.typing as npt

from leolink.arrays import FloatArray
from leolink.coverage import GroundPoints, count_visible, visibility
from leolink.coverage.kernel import _sin_thresholds_of
from leolink.earth import WGS84_A_KM, WGS84_E2
from leolink.geo.grid import cells_to_latlng, world_cells
from leolink.orbits.loading import load_catalog
from leolink.orbits.propagate import propagate
from leolink.time import parse_instant

_BLOCK = 256
_ROW_DEG = 0.1


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _baseline(
    cells: FloatArray,
    normal32: npt.NDArray[np.float32],
    row_sorted: FloatArray,
    sat_xyz: FloatArray,
    row_lo: FloatArray,
    row_hi: FloatArray,
    cos_cone: FloatArray,
    sin_threshold: FloatArray,
    count: npt.NDArray[np.int32],
    best: FloatArray,
) -> None:
    """For each satellite, every cell in the latitude rows its footprint spans: a cone test on
    single-precision unit normals, vectorised over blocks of cells, then the exact test on the
    cells inside the cone, whose position and normal share a cache line (``cells`` is
    ``(P, 6)``).  Satellites come sorted by latitude, so that consecutive ranges overlap in the
    cache."""
    count[:] = 0
    best[:] = -2.0
    n = row_sorted.size
    nx = normal32[0]
    ny = normal32[1]
    nz = normal32[2]
    dot = np.empty(_BLOCK, dtype=np.float32)
    for j in range(sat_xyz.shape[1]):
        sx = sat_xyz[0, j]
        sy = sat_xyz[1, j]
        sz = sat_xyz[2, j]
        norm = math.sqrt(sx * sx + sy * sy + sz * sz)
        ux = np.float32(sx / norm)
        uy = np.float32(sy / norm)
        uz = np.float32(sz / norm)
        cone = np.float32(cos_cone[j])
        threshold = sin_threshold[j]
        lo = np.searchsorted(row_sorted, row_lo[j])
        hi = min(np.searchsorted(row_sorted, row_hi[j], side="right"), n)
        for block in range(lo, hi, _BLOCK):
            end = min(block + _BLOCK, hi)
            for p in range(block, end):
                dot[p - block] = nx[p] * ux + ny[p] * uy + nz[p] * uz
            for q in range(end - block):
                if dot[q] < cone:
                    continue
                p = block + q
                rx = sx - cells[p, 0]
                ry = sy - cells[p, 1]
                rz = sz - cells[p, 2]
                s = (rx * cells[p, 3] + ry * cells[p, 4] + rz * cells[p, 5]) / math.sqrt(
                    rx * rx + ry * ry + rz * rz
                )
                if s >= threshold:
                    count[p] += 1
                    if s > best[p]:
                        best[p] = s


@numba.njit(cache=True, nogil=True, parallel=True)
def _gauge(n: int) -> float:
    """An embarrassingly parallel loop: its speed-up on two threads shows how much of a second
    core the machine (shared with other jobs) gave this run."""
    total = np.zeros(64)
    for i in numba.prange(64):
        acc = 0.0
        for k in range(n):
            acc += math.sqrt(k + i)
        total[i] = acc
    return float(total.sum())


def baseline_kernel(
    lat_deg: FloatArray, lon_deg: FloatArray, r_itrs_km: FloatArray, mask_deg: float
) -> tuple[Callable[[], tuple[npt.NDArray[np.int32], FloatArray]], npt.NDArray[np.int64]]:
    """The baseline, prepared once per grid like ours: a call per instant, and the cell order."""
    # Sorted by latitude, to 0.1 degree: within such a thin row, by longitude, so that the
    # cells inside a footprint come in runs (a plain latitude sort scatters them, and the exact
    # tests then wait on memory).
    row = np.floor(lat_deg / _ROW_DEG)
    order = np.lexsort((lon_deg, row))
    row_sorted = row[order]
    lat = np.radians(lat_deg[order])
    lon = np.radians(lon_deg[order])
    n_km = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
    itrs = np.ascontiguousarray(
        np.stack(
            [
                n_km * np.cos(lat) * np.cos(lon),
                n_km * np.cos(lat) * np.sin(lon),
                n_km * (1.0 - WGS84_E2) * np.sin(lat),
                np.cos(lat) * np.cos(lon),
                np.cos(lat) * np.sin(lon),
                np.sin(lat),
            ]
        )
    )
    finite = np.isfinite(r_itrs_km).all(axis=1)
    xyz = np.ascontiguousarray(r_itrs_km[finite].T)
    r = np.linalg.norm(xyz, axis=0)
    mask = math.radians(mask_deg)
    # Footprint half-angle on a sphere of radius a, plus 0.5 deg for the ellipsoid (whose
    # normals meet the axis up to 43 km from the centre: 0.37 deg seen from the satellite).
    psi = np.arccos(WGS84_A_KM * math.cos(mask) / (r + 43.0)) - mask + math.radians(0.5)
    sub_lat = np.arctan2(xyz[2], np.hypot(xyz[0], xyz[1]))
    # Single-precision normals and dot products are off by < 1e-6; the cone is widened by 1e-5.
    cos_cone = np.cos(psi) - 1e-5
    by_latitude = np.argsort(sub_lat)
    xyz = np.ascontiguousarray(xyz[:, by_latitude])
    sub_lat = sub_lat[by_latitude]
    cos_cone = cos_cone[by_latitude]
    psi = psi[by_latitude]
    normal32 = np.ascontiguousarray(itrs[3:].astype(np.float32))
    cells = np.ascontiguousarray(itrs.T)
    threshold = _sin_thresholds_of(np.full(xyz.shape[1], mask_deg))
    count = np.empty(lat.size, dtype=np.int32)
    best = np.empty(lat.size)

    row_lo = np.floor(np.degrees(sub_lat - psi) / _ROW_DEG)
    row_hi = np.floor(np.degrees(sub_lat + psi) / _ROW_DEG)

    def run() -> tuple[npt.NDArray[np.int32], FloatArray]:
        _baseline(
            cells, normal32, row_sorted, xyz, row_lo, row_hi, cos_cone, threshold, count, best
        )
        return count, best

    return run, order


def best_of(repeat: int, function: Callable[[], Any]) -> tuple[float, Any]:
    function()
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=5)
    parser.add_argument("--at", default="2026-05-13T12:00:00Z")
    parser.add_argument("--mask-deg", type=float, default=25.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=4, help="rounds of parallel timings")
    args = parser.parse_args()

    catalog = load_catalog()
    ephemeris = propagate(catalog, np.array([parse_instant(args.at)]))
    r = np.ascontiguousarray(ephemeris.r_itrs_km[:, 0, :])
    lat_deg, lon_deg = cells_to_latlng(world_cells(args.resolution))
    start = time.perf_counter()
    points = GroundPoints.from_lat_lon(lat_deg, lon_deg)
    prepare_s = time.perf_counter() - start

    run_baseline, order = baseline_kernel(lat_deg, lon_deg, r, args.mask_deg)
    t_base, (base_count, base_best) = best_of(args.repeat, run_baseline)
    numba.set_num_threads(1)
    t_vis, vis = best_of(args.repeat, lambda: visibility(points, r, args.mask_deg))
    t_count, count = best_of(args.repeat, lambda: count_visible(points, r, args.mask_deg))
    threads = min(2, os.cpu_count() or 1)
    # The second core comes and goes with other jobs: measure in rounds, each gauged, and keep
    # the round in which the second core was freest.
    rounds = []
    for _ in range(args.rounds):
        numba.set_num_threads(1)
        t_gauge1, _ = best_of(args.repeat, lambda: _gauge(1_000_000))
        numba.set_num_threads(threads)
        t_gauge2, _ = best_of(args.repeat, lambda: _gauge(1_000_000))
        t_vis2, vis2 = best_of(
            args.repeat, lambda: visibility(points, r, args.mask_deg, parallel=True)
        )
        t_count2, count2 = best_of(
            args.repeat, lambda: count_visible(points, r, args.mask_deg, parallel=True)
        )
        rounds.append((t_gauge1 / t_gauge2, t_vis2, vis2, t_count2, count2))
    gauge, t_vis2, vis2, t_count2, count2 = max(rounds, key=lambda row: row[0])

    base_count_given = np.empty_like(base_count)
    base_count_given[order] = base_count
    base_max = np.full(base_best.size, np.nan)
    seen = base_count > 0
    base_max[seen] = np.degrees(np.arcsin(np.minimum(base_best[seen], 1.0)))
    base_max_given = np.empty_like(base_max)
    base_max_given[order] = base_max
    assert np.array_equal(vis.count, base_count_given), "counts differ from the baseline"
    assert np.array_equal(count, base_count_given)
    assert np.array_equal(count2, base_count_given)
    assert np.array_equal(vis2.count, base_count_given)
    for got in (vis.max_elevation_deg, vis2.max_elevation_deg):
        diff = np.abs(got - base_max_given)
        assert np.array_equal(np.isnan(got), np.isnan(base_max_given))
        assert float(np.nanmax(diff)) <= 1e-9, "highest elevations differ from the baseline"

    pairs = int(vis.count.sum())
    n_sat = int(np.isfinite(r).all(axis=1).sum())
    print(f"machine: {platform.processor() or platform.machine()}, {platform.python_version()}")
    print(
        f"input: {n_sat} satellites at {args.at}, {points.size} cells (H3 res "
        f"{args.resolution}), mask {args.mask_deg} deg; {pairs:,} (cell, satellite) pairs in "
        f"view, {pairs / points.size:.1f} per cell on average"
    )
    print(f"prepare the grid once (GroundPoints.from_lat_lon): {prepare_s:.2f} s")
    rows = [
        ("baseline (lat-sorted sweep), 1 core", t_base),
        ("visibility (count + max elevation), 1 core", t_vis),
        ("count_visible (count only), 1 core", t_count),
        (f"visibility, parallel on {threads} threads", t_vis2),
        (f"count_visible, parallel on {threads} threads", t_count2),
    ]
    for name, seconds in rows:
        print(
            f"{name:48s} {seconds:7.3f} s  {pairs / seconds / 1e6:8.0f} M pairs/s  "
            f"{t_base / seconds:5.1f}x"
        )
    print("results: equal to the baseline (counts exactly, max elevation within 1e-9 deg)")
    print(
        f"machine check, in the parallel round kept (best of {args.rounds}): an embarrassingly "
        f"parallel loop ran {gauge:.2f}x faster on {threads} threads than on 1 (2.00x when the "
        "second core is free)"
    )


if __name__ == "__main__":
    main()
