"""Compile every numba kernel of leolink into its on-disk cache, ahead of the first user.

A kernel compiles the first time it is called (`leolink._jit.njit`, ``cache=True``) and keeps
the machine code beside its module (``__pycache__/*.nbc``), so only a fresh install pays.  That
first compile is ~14 s on one idle core for the coverage kernels alone - long enough that a
first ``GET /v1/coverage`` after installing would look hung, and that a client's timeout would
leave the sweep running.  ``scripts/run`` and ``scripts/test`` therefore run this module once
after installing (``python -m leolink.warmup``); when the caches are there it takes a second,
loading them.

Each kernel is reached through the real code path that uses it, on a tiny workload over the
embedded catalog: a coverage sweep (the accumulator and the parallel visibility kernel), the
serial visibility kernel (what the service runs per request), positions and geodetic
coordinates, and one route (the ground-to-satellite link mask).
"""

from __future__ import annotations

import time

import numpy as np

from leolink import api
from leolink.coverage import kernel
from leolink.orbits.propagate import propagate

__all__ = ["compile_kernels"]

#: An instant within a day of the embedded catalog's epochs.
_AT = "2026-05-13T12:00:00Z"


def compile_kernels() -> float:
    """Call every kernel once on a tiny real workload; return the seconds it took."""
    started = time.perf_counter()
    catalog = api.load_catalog()
    api.coverage(catalog, _AT, "2026-05-13T12:02:00Z", 60.0, bbox=(30.0, 50.0, 30.5, 50.5))
    points = kernel.GroundPoints.from_lat_lon(np.array([50.45]), np.array([30.52]))
    api.positions(catalog, api.parse_instant(_AT), [44714])  # propagation, geodetic coordinates
    r_itrs_km = propagate(catalog, api.parse_instant(_AT)).r_itrs_km[:, 0, :]
    for parallel in (False, True):
        kernel.visibility(points, r_itrs_km, parallel=parallel)
        kernel.count_visible(points, r_itrs_km, parallel=parallel)
    api.route(catalog, _AT, (50.45, 30.52), (48.86, 2.35))
    return time.perf_counter() - started


if __name__ == "__main__":
    print(f"leolink: numba kernels compiled and cached in {compile_kernels():.1f} s")
