"""Sweeps over time: exact against a step-by-step brute force, and the same wherever chunks run.

The reference is the plainest possible sweep: propagate every instant, count with the
brute-force visibility over every (cell, satellite) pair, feed one accumulator.  A sweep must
equal it exactly however its window is cut into chunks, and a sweep whose chunks run on a Dask
cluster of two worker processes must give the very same per-cell table as one run in process.
"""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leolink.coverage import CoverageAccumulator, GroundPoints, visibility_brute_force
from leolink.coverage.sweep import (
    ShellMask,
    SweepPlan,
    SweepResult,
    TimeChunk,
    coverage,
    default_chunk_steps,
    plan_sweep,
    region_cells,
    satellite_masks_deg,
    sweep,
)
from leolink.errors import InputError, RegionError, TimeWindowError, UnknownCountryError
from leolink.geo.grid import cells_to_latlng, latlng_to_cells
from leolink.geo.regions import bbox_to_cells
from leolink.jobs import DaskExecutor, InProcessExecutor
from leolink.orbits.catalog import Catalog
from leolink.orbits.loading import load_catalog
from leolink.orbits.propagate import propagate
from leolink.orbits.walker import walker_shell
from leolink.time import parse_instant

START = "2026-05-13T06:00:00Z"
#: A small region that sees satellites of several shells: the Black Sea and its coasts.
BLACK_SEA = (27.0, 40.5, 42.0, 47.5)


@cache
def _catalog() -> Catalog:
    return load_catalog()


@cache
def _small_catalog() -> Catalog:
    """Every 10th satellite of the real catalog: enough for gaps to appear at a 40° mask."""
    return _catalog().take(np.arange(0, len(_catalog()), 10))


def _assert_same_table(a: SweepResult, b: SweepResult) -> None:
    """Every per-cell column equal, bit for bit (NaN where NaN)."""
    ca, cb = a.columns(), b.columns()
    assert list(ca) == list(cb)
    for name in ca:
        x, y = np.asarray(ca[name]), np.asarray(cb[name])
        assert x.dtype == y.dtype, name
        if x.dtype.kind == "f":
            assert np.array_equal(x, y, equal_nan=True), name
        else:
            assert np.array_equal(x, y), name


def _reference(plan: SweepPlan) -> CoverageAccumulator:
    """The plainest sweep: every instant propagated alone and counted by brute force."""
    points = GroundPoints.from_lat_lon(plan.lat_deg, plan.lon_deg)
    accumulator = CoverageAccumulator(plan.cells.size, plan.step_s, plan.times[0], plan.at_least)
    for t in plan.times:
        r = propagate(plan.catalog, t).r_itrs_km[:, 0]
        seen = visibility_brute_force(points, r, plan.masks_deg)
        accumulator.update(seen.count, seen.max_elevation_deg)
    return accumulator


def test_sweep_equals_the_brute_force_instant_by_instant() -> None:
    cells = bbox_to_cells(*BLACK_SEA, resolution=3)
    plan = plan_sweep(
        cells,
        START,
        "2026-05-13T06:30:00Z",
        120.0,
        _small_catalog(),
        min_elevation_deg=40.0,
        shell_masks=[ShellMask(400.0, 500.0, 30.0)],
        at_least=(2, 3),
        chunk_steps=4,
    )
    assert plan.times.size == 16
    assert [c.stop - c.start for c in plan.chunks] == [4, 4, 4, 4]
    result = sweep(plan)
    expected = _reference(plan).figures()
    for name, column in expected.per_cell().items():
        got = result.figures.per_cell()[name]
        assert np.array_equal(got, column, equal_nan=True), name
    # The window is one where the thinned catalog leaves gaps, so gap figures are exercised.
    assert result.figures.gaps.max() > 0
    assert 0.0 < result.figures.pct_time_covered.min() < 100.0


@settings(max_examples=8, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=6))
def test_any_chunking_gives_the_same_table(chunk_sizes: list[int]) -> None:
    """Chunks of any lengths, merged in order, give the one-chunk result exactly."""
    cells = bbox_to_cells(*BLACK_SEA, resolution=2)
    plan = plan_sweep(cells, START, "2026-05-13T06:20:00Z", 60.0, _small_catalog(),
                      min_elevation_deg=40.0, chunk_steps=21)  # fmt: skip
    whole = sweep(plan)
    bounds = np.minimum(np.cumsum([0, *chunk_sizes]), plan.times.size)
    bounds = np.unique(np.append(bounds, plan.times.size))
    chunks = [TimeChunk(i, int(a), int(b)) for i, (a, b) in enumerate(itertools.pairwise(bounds))]

    def run(
        fn: Callable[[TimeChunk], CoverageAccumulator], _: Iterable[TimeChunk]
    ) -> Iterator[CoverageAccumulator]:
        return (fn(chunk) for chunk in chunks)

    _assert_same_table(sweep(plan, run), whole)


def test_in_process_and_dask_give_identical_tables() -> None:
    """The per-cell table of a sweep run on a local Dask cluster of two worker processes is the
    in-process one, column for column, bit for bit (the real catalog travels pickled)."""
    cells = bbox_to_cells(*BLACK_SEA, resolution=4)
    plan = plan_sweep(
        cells,
        START,
        "2026-05-13T06:40:00Z",
        60.0,
        _catalog(),
        min_elevation_deg=25.0,
        shell_masks=[ShellMask(300.0, 500.0, 20.0)],
        at_least=(10, 20),
        chunk_steps=5,
    )
    assert len(plan.chunks) == 9
    in_process = sweep(plan, InProcessExecutor().map)
    done: list[int] = []
    with DaskExecutor(2) as executor:
        on_dask = sweep(plan, executor.map, progress=lambda n, total: done.append(n))
    assert done == [5, 10, 15, 20, 25, 30, 35, 40, 41]
    _assert_same_table(in_process, on_dask)
    # and the kernel on numba's threads changes nothing either
    threaded = SweepPlan(**{**_fields(plan), "kernel_parallel": True})
    _assert_same_table(sweep(threaded), in_process)


def _fields(plan: SweepPlan) -> dict[str, Any]:
    return {name: getattr(plan, name) for name, f in plan.__dataclass_fields__.items() if f.init}


@pytest.mark.parametrize(
    "make",
    [
        _catalog,
        lambda: load_catalog("tests/data/starlink-sample.omm.json"),
        lambda: walker_shell(12, 10, 1, 53.0, 550.0).catalog,
    ],
    ids=["tle", "omm", "walker"],
)
def test_a_pickled_plan_propagates_bit_for_bit(make: Callable[[], Catalog]) -> None:
    catalog = make()
    cells = latlng_to_cells(np.array([50.45]), np.array([30.52]), 5)
    plan = plan_sweep(cells, START, "2026-05-13T07:00:00Z", 600.0, catalog)
    copy = pickle.loads(pickle.dumps(plan))
    assert copy.catalog is not plan.catalog
    assert copy.catalog.names == catalog.names
    times = parse_instant(START) + np.arange(0, 7 * 86_400, 3_600) * np.timedelta64(1, "s")
    a, b = propagate(catalog, times), propagate(copy.catalog, times)
    assert np.array_equal(a.error, b.error)
    assert np.array_equal(a.r_itrs_km, b.r_itrs_km, equal_nan=True)
    assert np.array_equal(copy.masks_deg, plan.masks_deg)
    assert np.array_equal(copy.cells, plan.cells)


# --- masks -------------------------------------------------------------------------------------


def test_shell_masks_apply_by_mean_altitude() -> None:
    low = walker_shell(4, 5, 1, 53.0, 450.0, name="LOW").catalog
    high = walker_shell(4, 5, 1, 53.0, 550.0, name="HIGH", first_norad_id=90_100).catalog
    both = Catalog(names=low.names + high.names, satrecs=low.satrecs + high.satrecs)
    masks = satellite_masks_deg(both, 25.0, [ShellMask.parse("400-500:20")])
    assert masks.tolist() == [20.0] * 20 + [25.0] * 20
    # ranges are [low, high): 550 km is in 550-600, not in 500-550
    masks = satellite_masks_deg(both, 25.0, [ShellMask(500, 550, 10), ShellMask(550, 600, 15)])
    assert masks.tolist() == [25.0] * 20 + [15.0] * 20


def test_a_lower_mask_on_a_shell_sees_at_least_as_much() -> None:
    cells = bbox_to_cells(*BLACK_SEA, resolution=3)
    end = "2026-05-13T06:10:00Z"
    base = coverage(_small_catalog(), START, end, 120.0, cells=cells, min_elevation_deg=35.0)
    lowered = coverage(_small_catalog(), START, end, 120.0, cells=cells, min_elevation_deg=35.0,
                       shell_masks=[ShellMask(500.0, 600.0, 20.0)])  # fmt: skip
    assert (lowered.figures.min_visible >= base.figures.min_visible).all()
    assert (lowered.figures.mean_visible >= base.figures.mean_visible).all()
    assert (lowered.figures.mean_visible > base.figures.mean_visible).any()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("400-500", "LOW-HIGH:DEG"),
        ("400:20", "LOW-HIGH:DEG"),
        ("a-b:c", "LOW-HIGH:DEG"),
        ("500-400:20", "not a range"),
        ("400-500:95", "not an elevation"),
    ],
)
def test_malformed_shell_masks_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        ShellMask.parse(text)


def test_overlapping_shell_masks_are_refused() -> None:
    with pytest.raises(InputError, match="overlap"):
        satellite_masks_deg(
            _small_catalog(), 25.0, [ShellMask(400, 520, 20), ShellMask(500, 600, 30)]
        )
    with pytest.raises(InputError, match="not an elevation"):
        satellite_masks_deg(_small_catalog(), float("nan"))


# --- plans and regions ---------------------------------------------------------------------------


def test_plan_refuses_bad_windows_and_cells() -> None:
    cells = bbox_to_cells(*BLACK_SEA, resolution=2)
    cat = _small_catalog()
    with pytest.raises(TimeWindowError, match="before it starts"):
        plan_sweep(cells, START, "2026-05-13T05:00:00Z", 60.0, cat)
    with pytest.raises(TimeWindowError, match="positive"):
        plan_sweep(cells, START, "2026-05-13T07:00:00Z", 0.0, cat)
    with pytest.raises(InputError, match="no cell"):
        plan_sweep(np.zeros(0, dtype=np.uint64), START, START, 60.0, cat)
    mixed = np.concatenate([cells, bbox_to_cells(*BLACK_SEA, resolution=3)])
    with pytest.raises(InputError, match="one resolution"):
        plan_sweep(mixed, START, START, 60.0, cat)
    with pytest.raises(InputError, match="chunk_steps"):
        plan_sweep(cells, START, START, 60.0, cat, chunk_steps=0)
    with pytest.raises(InputError, match="at_least"):
        plan_sweep(cells, START, START, 60.0, cat, at_least=(0,))


def test_a_map_that_loses_a_chunk_is_caught() -> None:
    plan = plan_sweep(bbox_to_cells(*BLACK_SEA, resolution=2), START, "2026-05-13T06:10:00Z",
                      60.0, _small_catalog(), chunk_steps=4)  # fmt: skip

    def lossy(
        fn: Callable[[TimeChunk], CoverageAccumulator], chunks: Iterable[TimeChunk]
    ) -> Iterator[CoverageAccumulator]:
        return (fn(c) for c in list(chunks)[:-1])

    with pytest.raises(InputError, match="covered 8 of 11"):
        sweep(plan, lossy)


def test_progress_in_process_is_per_instant() -> None:
    plan = plan_sweep(bbox_to_cells(*BLACK_SEA, resolution=2), START, "2026-05-13T06:10:00Z",
                      60.0, _small_catalog(), chunk_steps=4)  # fmt: skip
    done: list[int] = []
    sweep(plan, progress=lambda n, total: done.append(n) if total == 11 else None)
    assert done == [1, 2, 3, 4, 4, 5, 6, 7, 8, 8, 9, 10, 11, 11]


def test_region_cells_takes_exactly_one_region() -> None:
    cells, label = region_cells(country="UA", resolution=3)
    assert label == "country UA (Ukraine)"
    lat, _ = cells_to_latlng(cells)
    assert lat.min() > 44.0
    assert lat.max() < 53.0
    cells, label = region_cells(bbox=(170.0, -20.0, -170.0, -10.0), resolution=2)
    assert label == "bbox 170,-20,-170,-10"
    assert np.array_equal(cells, bbox_to_cells(170.0, -20.0, -170.0, -10.0, 2))
    assert region_cells(world=True, resolution=0)[0].size == 122
    with pytest.raises(InputError, match="exactly one region"):
        region_cells(country="UA", world=True)
    with pytest.raises(InputError, match="exactly one region"):
        region_cells()
    with pytest.raises(UnknownCountryError, match="'XX'"):
        region_cells(country="XX")
    with pytest.raises(RegionError):
        region_cells(geojson='{"type": "Point", "coordinates": [0, 0]}')


def test_default_chunks_bound_the_work_and_feed_every_worker() -> None:
    world_res5 = 2_016_842

    def chunks(cells: int, steps: int, workers: int) -> tuple[int, int]:
        k = default_chunk_steps(cells, steps, workers)
        return k, -(-steps // k)

    assert chunks(world_res5, 1_440, 1) == (111, 13)  # ~240 M cell-instants a chunk
    assert chunks(world_res5, 1_440, 2) == (103, 14)  # a multiple of the workers
    assert chunks(world_res5, 1_440, 4) == (90, 16)
    assert chunks(world_res5, 120, 2) == (15, 8)  # four a worker when worth it
    assert chunks(world_res5, 15, 2) == (8, 2)  # not when chunks would be tiny
    assert chunks(2_469, 61, 1) == (61, 1)
    assert chunks(2_469, 61, 2) == (61, 1)  # small work: one chunk
    assert chunks(10, 3, 8) == (3, 1)


def test_result_columns_carry_the_cells_and_their_areas() -> None:
    cells = bbox_to_cells(*BLACK_SEA, resolution=2)
    result = coverage(_small_catalog(), START, START, 60.0, cells=cells, region="test")
    columns = result.columns()
    assert list(columns)[:4] == ["cell", "lat_deg", "lon_deg", "area_km2"]
    assert columns["cell"][0] == format(int(result.cells[0]), "x")
    assert all(v.shape == (cells.size,) for v in columns.values())
    assert result.plan.describe()["region"] == "test"
    assert result.figures.steps == 1
