"""Figures of merit: against a per-cell reference written the obvious way, and merge exactness.

The reference walks each cell's series in Python and lists its gaps as maximal runs of zeros;
the accumulator must agree with it, and any split of the window into chunks, accumulated
separately and merged in any grouping and order, must equal the one-shot result exactly.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leolink.coverage import (
    CoverageAccumulator,
    CoverageFigures,
    area_weighted_statistics,
    region_statistics,
)
from leolink.errors import InputError

START = np.datetime64("2026-05-13T00:00:00", "ns")


def _series(rng: np.random.Generator, n_steps: int, n_cells: int) -> tuple[Any, Any]:
    """Counts with long runs of zeros (some cells never covered, some always) and the
    highest elevation, NaN exactly where the count is 0."""
    p_zero = rng.uniform(0.0, 1.0, n_cells)
    p_zero[: min(2, n_cells)] = [1.0, 0.0][: min(2, n_cells)]
    state = rng.uniform(size=n_cells) < 0.5
    counts = np.zeros((n_steps, n_cells), dtype=np.int32)
    for t in range(n_steps):
        flip = rng.uniform(size=n_cells) < 0.3
        state = np.where(flip, rng.uniform(size=n_cells) >= p_zero, state)
        counts[t] = np.where(state, rng.integers(1, 6, n_cells), 0)
    elevation = np.where(counts > 0, rng.uniform(25.0, 90.0, counts.shape), np.nan)
    return counts, elevation


def _reference(counts: Any, elevation: Any, step_s: float, ks: tuple[int, ...]) -> dict[str, Any]:
    n, p = counts.shape
    out: dict[str, list[float]] = {
        "gaps": [],
        "max_gap_s": [],
        "mean_gap_s": [],
        "mean_max_elevation_deg": [],
    }
    for cell in range(p):
        zero = [int(c) == 0 for c in counts[:, cell]]
        runs = [len(list(g)) for is_zero, g in itertools.groupby(zero) if is_zero]
        out["gaps"].append(len(runs))
        out["max_gap_s"].append(max(runs, default=0) * step_s)
        out["mean_gap_s"].append(sum(runs) * step_s / len(runs) if runs else math.nan)
        seen = [
            round(e * 1e9) for c, e in zip(counts[:, cell], elevation[:, cell], strict=True) if c
        ]
        out["mean_max_elevation_deg"].append(sum(seen) / len(seen) / 1e9 if seen else math.nan)
    covered = counts > 0
    with np.errstate(invalid="ignore"):
        return {
            **{name: np.asarray(values) for name, values in out.items()},
            "pct_time_covered": 100.0 * covered.sum(axis=0) / n,
            "pct_time_at_least": np.stack([100.0 * (counts >= k).sum(axis=0) / n for k in ks]),
            "mean_visible": counts.sum(axis=0) / n,
            "min_visible": counts.min(axis=0),
            "max_visible": counts.max(axis=0),
            "max_elevation_deg": np.where(
                covered.any(axis=0),
                np.nanmax(np.where(covered, elevation, -np.inf), axis=0),
                np.nan,
            ),
            "min_max_elevation_deg": np.where(
                covered.any(axis=0), np.nanmin(np.where(covered, elevation, np.inf), axis=0), np.nan
            ),
        }


def _assert_figures_equal(a: CoverageFigures, b: CoverageFigures) -> None:
    assert (a.steps, a.step_s, a.at_least) == (b.steps, b.step_s, b.at_least)
    for name, column in a.per_cell().items():
        np.testing.assert_array_equal(column, b.per_cell()[name], err_msg=name)


def _accumulate(
    counts: Any, elevation: Any, step_s: float, ks: tuple[int, ...], start: Any = START
) -> CoverageAccumulator:
    acc = CoverageAccumulator(counts.shape[1], step_s, start, at_least=ks)
    acc.update(counts, elevation)
    return acc


def test_a_worked_example() -> None:
    counts = np.array([[0, 0, 1, 2, 0, 0, 0, 3, 0]]).T
    elevation = np.where(
        counts > 0, [[30.0], [31.0], [40.0], [50.0], [0], [0], [0], [60.0], [0]], np.nan
    )
    figures = _accumulate(counts, elevation, 10.0, (2,)).figures()
    assert figures.steps == 9
    assert figures.duration_s == 90.0
    assert figures.gaps[0] == 3  # 2 samples at the start, 3 inside, 1 at the end
    assert figures.max_gap_s[0] == 30.0
    assert figures.mean_gap_s[0] == 20.0
    assert figures.pct_time_covered[0] == pytest.approx(100.0 * 3 / 9)
    np.testing.assert_allclose(figures.pct_time_at_least[:, 0], [100 * 3 / 9, 100 * 2 / 9])
    assert (figures.min_visible[0], figures.max_visible[0]) == (0, 3)
    assert figures.mean_visible[0] == pytest.approx(6 / 9)
    assert figures.max_elevation_deg[0] == 60.0
    assert figures.min_max_elevation_deg[0] == 40.0
    assert figures.mean_max_elevation_deg[0] == pytest.approx(50.0)


def test_percent_time_covered_is_one_column_and_at_least_k_only_from_two() -> None:
    counts = np.array([[0, 1, 2], [3, 0, 1]])
    figures = _accumulate(counts, np.where(counts > 0, 45.0, np.nan), 60.0, (1, 3)).figures()
    table = figures.per_cell()
    assert figures.at_least == (1, 3)
    assert [name for name in table if name.startswith("pct_time")] == [
        "pct_time_covered",
        "pct_time_at_least_3",
    ]
    np.testing.assert_array_equal(table["pct_time_covered"], figures.pct_time_at_least[0])
    np.testing.assert_array_equal(table["pct_time_at_least_3"], [50.0, 0.0, 0.0])


def test_never_and_always_covered_cells() -> None:
    counts = np.array([[0, 4], [0, 5], [0, 6]])
    elevation = np.where(counts > 0, 45.0, np.nan)
    figures = _accumulate(counts, elevation, 60.0, (1,)).figures()
    np.testing.assert_array_equal(figures.gaps, [1, 0])
    np.testing.assert_array_equal(figures.max_gap_s, [180.0, 0.0])
    assert figures.mean_gap_s[0] == 180.0
    assert np.isnan(figures.mean_gap_s[1])
    assert np.isnan(figures.max_elevation_deg[0])
    np.testing.assert_array_equal(figures.pct_time_covered, [0.0, 100.0])


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_steps=st.integers(1, 40),
    n_cells=st.integers(0, 12),
    ks=st.sets(st.integers(1, 6), max_size=3).map(lambda s: tuple(sorted(s))),
    data=st.data(),
)
def test_any_split_merged_in_any_grouping_equals_one_shot(
    seed: int, n_steps: int, n_cells: int, ks: tuple[int, ...], data: st.DataObject
) -> None:
    rng = np.random.default_rng(seed)
    counts, elevation = _series(rng, n_steps, n_cells)
    step_s = 30.0
    one_shot = _accumulate(counts, elevation, step_s, ks)
    figures = one_shot.figures()

    reference = _reference(counts, elevation, step_s, one_shot.at_least)
    table = figures.per_cell()
    for name, expected in reference.items():
        got = figures.pct_time_at_least if name == "pct_time_at_least" else table[name]
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, err_msg=name)

    cuts = sorted(
        data.draw(st.sets(st.integers(1, n_steps - 1), max_size=6)) if n_steps > 1 else []
    )
    bounds = [0, *cuts, n_steps]
    parts = []
    for lo, hi in itertools.pairwise(bounds):
        start = START + np.timedelta64(round(lo * step_s * 1e9), "ns")
        parts.append(_accumulate(counts[lo:hi], elevation[lo:hi], step_s, ks, start))
    # Merge in a random grouping: repeatedly join a random adjacent pair, in a random order.
    while len(parts) > 1:
        i = data.draw(st.integers(0, len(parts) - 2))
        left, right = parts[i], parts[i + 1]
        merged = right.merge(left) if data.draw(st.booleans()) else left.merge(right)
        parts[i : i + 2] = [merged]
    _assert_figures_equal(parts[0].figures(), figures)

    streamed = CoverageAccumulator(n_cells, step_s, START, at_least=ks)
    for lo, hi in itertools.pairwise(bounds):
        streamed.update(counts[lo:hi], elevation[lo:hi])
    _assert_figures_equal(streamed.figures(), figures)


def test_merge_leaves_its_inputs_alone_and_empty_windows_are_neutral() -> None:
    rng = np.random.default_rng(1)
    counts, elevation = _series(rng, 10, 5)
    a = _accumulate(counts[:4], elevation[:4], 60.0, (1,))
    b = _accumulate(counts[4:], elevation[4:], 60.0, (1,), START + np.timedelta64(240, "s"))
    before = a.figures()
    whole = a.merge(b)
    _assert_figures_equal(a.figures(), before)
    assert whole.n_steps == 10
    assert whole.end == START + np.timedelta64(600, "s")
    empty = CoverageAccumulator(5, 60.0, START)
    _assert_figures_equal(empty.merge(whole).figures(), whole.figures())
    _assert_figures_equal(whole.merge(empty).figures(), whole.figures())


def test_single_samples_as_1d_arrays() -> None:
    acc = CoverageAccumulator(3, 60.0, "2026-05-13T00:00:00Z")
    acc.update(np.array([0, 1, 2]), np.array([np.nan, 30.0, 40.0]))
    acc.update(np.array([1, 0, 2]), np.array([50.0, np.nan, 60.0]))
    figures = acc.figures()
    np.testing.assert_array_equal(figures.gaps, [1, 1, 0])
    np.testing.assert_array_equal(figures.pct_time_covered, [50.0, 50.0, 100.0])


def test_refusals() -> None:
    acc = CoverageAccumulator(3, 60.0, START)
    with pytest.raises(InputError, match=r"shape \(N, 3\)"):
        acc.update(np.zeros((2, 4), dtype=int), np.zeros((2, 4)))
    with pytest.raises(InputError, match="integers"):
        acc.update(np.zeros((2, 3)), np.zeros((2, 3)))
    acc.update(np.ones((2, 3), dtype=int), np.ones((2, 3)))
    far = CoverageAccumulator(3, 60.0, START + np.timedelta64(1, "h"))
    far.update(np.ones((1, 3), dtype=int), np.ones((1, 3)))
    with pytest.raises(InputError, match="not adjacent"):
        acc.merge(far)
    with pytest.raises(InputError, match="must be the same"):
        acc.merge(CoverageAccumulator(3, 60.0, START, at_least=(1, 2)))
    with pytest.raises(InputError, match="step_s"):
        CoverageAccumulator(3, 0.0, START)
    with pytest.raises(InputError, match="at_least"):
        CoverageAccumulator(3, 60.0, START, at_least=(0,))


def test_area_weighted_statistics_equal_repeated_cells() -> None:
    """Integer areas weigh like repeating each cell that many times."""
    rng = np.random.default_rng(5)
    values = rng.normal(size=50)
    values[::7] = np.nan
    area = rng.integers(1, 6, 50).astype(float)
    stats = area_weighted_statistics(values, area, percentiles=(0.0, 5.0, 50.0, 95.0, 100.0))
    ok = np.isfinite(values)
    repeated = np.repeat(values[ok], area[ok].astype(int))
    assert stats.mean == pytest.approx(repeated.mean(), rel=1e-12)
    assert stats.min == repeated.min()
    assert stats.max == repeated.max()
    for q, got in stats.percentiles.items():
        assert got == np.percentile(repeated, q, method="inverted_cdf")
    assert stats.area_km2 == area[ok].sum()
    assert stats.cells == ok.sum()


def test_region_statistics_over_selected_cells() -> None:
    counts = np.array([[0, 1, 2, 3], [1, 1, 2, 3]])
    figures = _accumulate(counts, np.where(counts > 0, 50.0, np.nan), 60.0, (2,)).figures()
    area = np.array([100.0, 300.0, 200.0, 400.0])
    stats = region_statistics(figures, area, cells=np.array([True, True, False, False]))
    assert stats["pct_time_covered"].mean == pytest.approx((100 * 50 + 300 * 100) / 400)
    assert stats["pct_time_at_least_2"].max == 0.0
    assert stats["max_visible"].percentiles[50.0] == 1.0
    empty = area_weighted_statistics(np.array([np.nan]), np.array([1.0]))
    assert empty.cells == 0
    assert math.isnan(empty.mean)
    with pytest.raises(InputError, match="one entry per cell"):
        area_weighted_statistics(np.zeros(3), np.ones(2))
