"""Centres and areas of every H3 cell of the world: leolink's loops against the previous ones.

Run: ``.venv/bin/python benchmarks/bench_grid.py`` (options: ``--resolution``, ``--repeat``).
Measured in one run, on every cell of the world at resolution 5 (2,016,842 cells,
`leolink.geo.grid.world_cells`), one core:

- baseline: the loops `cells_to_latlng` and `cell_area_km2` had before, copied here - a
  validity pass with ``h3.api.basic_int.is_valid_cell``, then a list comprehension over
  ``h3.api.basic_int.cell_to_latlng`` (a list of 2-tuples turned into an array) or
  ``cell_area(c, "km^2")``;
- the public API streamed: the same ``h3.api.basic_int`` functions, but mapped straight into
  ``np.fromiter`` (no intermediate list) - what is left of the gain without ``h3._cy``;
- ours: `leolink.geo.grid.cells_to_latlng` and `cell_area_km2`, which map h3-py's Cython
  functions (``h3._cy``, what ``h3.api.basic_int`` calls) into ``np.fromiter``.

h3-py 4 has no array form of these functions, and its Cython functions hold the GIL, so every
variant makes one call into H3's C library per cell; what differs is the Python work around
it (for areas that call is most of the time: H3 computes each cell's boundary and sums
spherical triangles).  Every figure is the best of ``--repeat`` rounds, each of which runs
every variant once in turn (the machine is shared: a change of load then falls on all of
them); all results are checked equal to the baseline's, to the bit, before any time is
printed.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from itertools import chain, repeat
from typing import Any

import h3
import h3.api.basic_int as h3i
import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table

from leolink.arrays import CellArray, FloatArray
from leolink.geo import grid


def _valid_before(flat: CellArray) -> npt.NDArray[np.bool_]:
    return np.fromiter(map(h3i.is_valid_cell, flat.tolist()), dtype=bool, count=flat.size)


def latlng_before(flat: CellArray) -> tuple[FloatArray, FloatArray]:
    """`cells_to_latlng` as it was (flat cells only)."""
    lat = np.full(flat.shape, np.nan)
    lon = np.full(flat.shape, np.nan)
    ok = _valid_before(flat)
    centres = np.array([h3i.cell_to_latlng(c) for c in flat[ok].tolist()], dtype=np.float64)
    if centres.size:
        lat[ok], lon[ok] = centres[:, 0], centres[:, 1]
    return lat, lon


def area_before(flat: CellArray) -> FloatArray:
    """`cell_area_km2` as it was (flat cells only)."""
    area = np.full(flat.shape, np.nan)
    ok = _valid_before(flat)
    area[ok] = [h3i.cell_area(c, "km^2") for c in flat[ok].tolist()]
    return area


def latlng_public_streamed(flat: CellArray) -> tuple[FloatArray, FloatArray]:
    """The public ``h3.api.basic_int`` functions mapped into ``np.fromiter``."""
    lat = np.full(flat.shape, np.nan)
    lon = np.full(flat.shape, np.nan)
    ok = _valid_before(flat)
    valid = flat[ok].tolist()
    pairs = chain.from_iterable(map(h3i.cell_to_latlng, valid))
    centres = np.fromiter(pairs, dtype=np.float64, count=2 * len(valid))
    lat[ok], lon[ok] = centres[0::2], centres[1::2]
    return lat, lon


def area_public_streamed(flat: CellArray) -> FloatArray:
    """The public ``h3.api.basic_int.cell_area`` mapped into ``np.fromiter``."""
    area = np.full(flat.shape, np.nan)
    ok = _valid_before(flat)
    valid = flat[ok].tolist()
    area[ok] = np.fromiter(
        map(h3i.cell_area, valid, repeat("km^2")), dtype=np.float64, count=len(valid)
    )
    return area


def interleaved(
    calls: list[Callable[[], Any]], rounds: int
) -> tuple[list[float], list[float], list[Any]]:
    """Least wall-clock and least CPU time of each call over ``rounds`` rounds that run every
    call once, in turn (so that a change of load on a shared machine falls on all of them),
    and the results."""
    wall = [float("inf")] * len(calls)
    cpu = [float("inf")] * len(calls)
    results: list[Any] = [None] * len(calls)
    for _ in range(rounds):
        for i, call in enumerate(calls):
            start, start_cpu = time.perf_counter(), time.process_time()
            results[i] = call()
            cpu[i] = min(cpu[i], time.process_time() - start_cpu)
            wall[i] = min(wall[i], time.perf_counter() - start)
    return wall, cpu, results


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple):
        return all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(np.array_equal(a, b, equal_nan=True)) and a.dtype == b.dtype


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=grid.DEFAULT_RESOLUTION)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    console = Console(stderr=True)
    cells = np.array(grid.world_cells(args.resolution))
    phases: dict[str, list[tuple[str, Callable[[], Any]]]] = {
        "cells_to_latlng": [
            ("baseline: the previous loop", lambda: latlng_before(cells)),
            ("public basic_int mapped into np.fromiter", lambda: latlng_public_streamed(cells)),
            ("ours: h3._cy mapped into np.fromiter", lambda: grid.cells_to_latlng(cells)),
        ],
        "cell_area_km2": [
            ("baseline: the previous loop", lambda: area_before(cells)),
            ("public basic_int mapped into np.fromiter", lambda: area_public_streamed(cells)),
            ("ours: h3._cy mapped into np.fromiter", lambda: grid.cell_area_km2(cells)),
        ],
    }  # fmt: skip
    seconds: dict[str, list[float]] = {}
    cpu_seconds: dict[str, list[float]] = {}
    for function, variants in phases.items():
        with console.status(f"{function}: {len(variants)} variants x {args.repeat} rounds"):
            calls = [call for _, call in variants]
            seconds[function], cpu_seconds[function], results = interleaved(calls, args.repeat)
        for (name, _), result in zip(variants[1:], results[1:], strict=True):
            if not _same(result, results[0]):
                raise SystemExit(f"{function}: {name} differs from the baseline")

    out = Console(width=110)  # stable layout when piped to a file
    table = Table(
        title=f"every H3 cell of the world at resolution {args.resolution}: {cells.size:,} cells, "
        f"best of {args.repeat} interleaved rounds"
    )
    table.add_column("function")
    table.add_column("variant")
    table.add_column("time s", justify="right")
    table.add_column("CPU s", justify="right")
    table.add_column("M cells/s", justify="right")
    table.add_column("vs baseline", justify="right")
    for function, variants in phases.items():
        base = seconds[function][0]
        timings = zip(variants, seconds[function], cpu_seconds[function], strict=True)
        for (name, _), elapsed, cpu in timings:
            rate = f"{cells.size / elapsed / 1e6:.2f}"
            speed_up = f"{base / elapsed:.2f}x"
            table.add_row(function, name, f"{elapsed:.3f}", f"{cpu:.3f}", rate, speed_up)
    out.print(table)
    out.print("results: equal to the baseline's to the bit (NaN where invalid: none here)")
    out.print(
        f"machine: {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}, h3-py {h3.__version__} (H3 C {h3.versions()['c']}), "
        f"numpy {np.__version__}"
    )


if __name__ == "__main__":
    main()
