"""Points per second of `countries_at` (point -> country with territorial seas), one core.

Three sets of 200,000 points: uniform over the globe, over Europe, and all within ~30 km of a
coast (the worst case: points at sea look for coast segments).  Run it twice to compare two
versions of the borders, e.g. before and after a change to them, in the same session:

    .venv/bin/python benchmarks/bench_countries.py
    PYTHONPATH=/path/to/other/checkout/src .venv/bin/python benchmarks/bench_countries.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import time

import numpy as np

import leolink
from leolink.geo.countries import all_countries, countries_at, country_geometry


def _coastal(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    rings = [
        np.asarray(p.exterior.coords)
        for c in all_countries()
        for p in getattr(country_geometry(c), "geoms", [])
    ]
    xy = np.concatenate(rings)
    pick = xy[rng.integers(0, len(xy), n)]
    jitter = rng.normal(0.0, 0.15, (n, 2))
    return np.clip(pick[:, 1] + jitter[:, 1], -90, 90), np.clip(
        pick[:, 0] + jitter[:, 0], -180, 180
    )


def main() -> None:
    rng = np.random.default_rng(13)
    n = 200_000
    sets = {
        "uniform over the globe": (
            np.degrees(np.arcsin(rng.uniform(-1, 1, n))),
            rng.uniform(-180, 180, n),
        ),
        "Europe": (rng.uniform(35, 70, n), rng.uniform(-10, 40, n)),
        "within ~30 km of a coast": _coastal(rng, n),
    }
    countries_at(0.0, 0.0)  # load the borders and build the indexes once
    print(f"borders from {os.path.dirname(leolink.__file__)}: {len(all_countries())} entries")
    for name, (lat, lon) in sets.items():
        best = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            countries_at(lat, lon)
            best = min(best, time.perf_counter() - t0)
        print(f"{name}: {n / best:,.0f} points/s")


if __name__ == "__main__":
    main()
