"""Figures of merit of coverage over time, per cell and per region, as STK's Coverage reports.

The visibility kernel gives, at each time step, how many satellites each cell sees and the
highest elevation among them.  Over a time window sampled every ``step_s`` seconds, this module
reduces those series to per-cell figures (AGI/Ansys STK *Coverage* figures of merit: percent
time covered, number of assets in view, revisit gaps, best elevation) and then to area-weighted
statistics over a region.

Sampling convention: sample ``i`` stands for the interval ``[t0 + i step, t0 + (i + 1) step)``,
so a window of ``n`` samples lasts ``n step_s`` seconds, a cell covered at ``m`` samples is
covered ``m step_s`` seconds, and a *gap* - a maximal run of samples where the cell sees no
satellite - of ``r`` samples lasts ``r step_s`` seconds.  A gap that touches the start or the end
of the window is counted like any other, with its duration clipped to the window (what happened
before or after is not known); a cell never covered has one gap, the whole window.

The accumulator is built to be fed chunk by chunk and combined across workers:
`CoverageAccumulator.update` appends the next time chunk, `CoverageAccumulator.merge` joins the
accumulator of the adjacent chunk (either side), and gaps running across a chunk boundary are
joined.  Every sum is kept in integers (elevations in nanodegrees, which bounds the mean
elevation's resolution to 1e-9 degrees), so any split of the window, merged in any grouping,
gives exactly the one-shot result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from leolink._jit import njit
from leolink.arrays import FloatArray, IntArray
from leolink.errors import InputError
from leolink.time import parse_instant

__all__ = [
    "AreaStatistics",
    "CoverageAccumulator",
    "CoverageFigures",
    "area_weighted_statistics",
    "region_statistics",
]


#: Elevations are summed in integer nanodegrees, so that sums do not depend on the order.
_NANODEGREES_PER_DEGREE = 1e9


@njit()
def _accumulate(
    counts: npt.NDArray[np.integer],
    elevation_deg: FloatArray,
    at_least: IntArray,
    started: npt.NDArray[np.bool_],
    n_before: int,
    sum_count: IntArray,
    min_count: IntArray,
    max_count: IntArray,
    n_at_least: IntArray,
    lead: IntArray,
    trail: IntArray,
    n_inner_gaps: IntArray,
    max_inner_gap: IntArray,
    n_elevation: IntArray,
    sum_elevation: IntArray,
    min_elevation: FloatArray,
    max_elevation: FloatArray,
) -> None:
    """Stream ``(N, P)`` samples, row after row, into the per-cell state (see the class)."""
    n_steps, n_points = counts.shape
    for t in range(n_steps):
        first = n_before == 0 and t == 0
        for p in range(n_points):
            c = np.int64(counts[t, p])
            sum_count[p] += c
            if first or c < min_count[p]:
                min_count[p] = c
            if first or c > max_count[p]:
                max_count[p] = c
            for k in range(at_least.size):
                if c >= at_least[k]:
                    n_at_least[k, p] += 1
            if c <= 0:
                trail[p] += 1
                if not started[p]:
                    lead[p] += 1
                continue
            if started[p] and trail[p] > 0:
                n_inner_gaps[p] += 1
                if trail[p] > max_inner_gap[p]:
                    max_inner_gap[p] = trail[p]
            started[p] = True
            trail[p] = 0
            e = elevation_deg[t, p]
            if math.isfinite(e):
                nano = np.int64(round(e * _NANODEGREES_PER_DEGREE))
                n_elevation[p] += 1
                sum_elevation[p] += nano
                if e < min_elevation[p]:
                    min_elevation[p] = e
                if e > max_elevation[p]:
                    max_elevation[p] = e


@dataclass(frozen=True, eq=False)
class CoverageFigures:
    """Per-cell figures of merit over a time window, each of shape ``(P,)`` unless noted."""

    steps: int
    """Number of samples in the window."""
    step_s: float
    """Seconds between samples."""
    at_least: tuple[int, ...]
    """The satellite counts ``k`` of `pct_time_at_least`, ascending (always includes 1)."""
    pct_time_covered: FloatArray
    """Percent of the window with at least one satellite in view."""
    pct_time_at_least: FloatArray
    """Percent of the window with at least ``at_least[i]`` satellites in view, ``(K, P)``."""
    mean_visible: FloatArray
    """Mean number of satellites in view."""
    min_visible: IntArray
    """Fewest satellites in view at any sample."""
    max_visible: IntArray
    """Most satellites in view at any sample."""
    gaps: IntArray
    """Number of gaps (maximal runs of samples without any satellite in view)."""
    max_gap_s: FloatArray
    """Longest gap, seconds; 0 where there is none."""
    mean_gap_s: FloatArray
    """Mean gap, seconds; NaN where there is none."""
    max_elevation_deg: FloatArray
    """Highest elevation of any satellite in view over the window; NaN if never covered."""
    mean_max_elevation_deg: FloatArray
    """Mean over covered samples of the highest elevation in view; NaN if never covered."""
    min_max_elevation_deg: FloatArray
    """Least over covered samples of the highest elevation in view (the worst best pass);
    NaN if never covered."""

    @property
    def duration_s(self) -> float:
        """Length of the window, seconds (``steps * step_s``)."""
        return self.steps * self.step_s

    def per_cell(self) -> dict[str, npt.NDArray[np.generic]]:
        """The ``(P,)`` figures by name, for a table: ``pct_time_at_least_<k>`` for each ``k``
        of 2 or more (``k = 1`` is ``pct_time_covered``, given once under its STK name)."""
        table: dict[str, npt.NDArray[np.generic]] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "pct_time_at_least":
                for k, row in zip(self.at_least, value, strict=True):
                    if k >= 2:
                        table[f"pct_time_at_least_{k}"] = row
            elif isinstance(value, np.ndarray):
                table[f.name] = value
        return table


class CoverageAccumulator:
    """Per-cell coverage state over a time window, fed chunk by chunk, mergeable.

    It holds, per cell: the sum, least and greatest satellite count; how many samples saw at
    least each ``k`` of ``at_least``; the zero samples before the first covered one (``lead``)
    and after the last (``trail``); the number and the longest of the gaps between covered
    samples; the sum, least and greatest of the highest elevation over covered samples, in
    integer nanodegrees.  That is enough to join a gap running across a chunk boundary, so that
    `merge` is exact.
    """

    def __init__(
        self,
        n_points: int,
        step_s: float,
        start: np.datetime64 | str,
        at_least: Sequence[int] = (1,),
    ) -> None:
        """An empty window of ``n_points`` cells starting at ``start`` (UTC, ``datetime64`` or
        ISO 8601 with ``Z``), sampled every ``step_s`` seconds.

        ``at_least`` lists the satellite counts ``k`` whose percent of time with ``>= k`` in
        view is wanted; 1 (percent time covered) is always included.
        """
        if n_points < 0:
            raise InputError(f"n_points={n_points!r} must be a count of cells, 0 or more")
        if not (math.isfinite(step_s) and step_s > 0.0):
            raise InputError(f"step_s={step_s!r} must be a positive number of seconds")
        ks = sorted({1, *(int(k) for k in at_least)})
        if ks[0] < 1:
            raise InputError(f"at_least={tuple(at_least)!r} must hold satellite counts >= 1")
        self.n_points = int(n_points)
        self.step_s = float(step_s)
        self.step_ns = round(step_s * 1e9)
        self.start = parse_instant(start)
        self.at_least = tuple(ks)
        self.n_steps = 0
        p = self.n_points
        self._ks = np.asarray(ks, dtype=np.int64)
        self._started = np.zeros(p, dtype=np.bool_)
        self._sum_count = np.zeros(p, dtype=np.int64)
        self._min_count = np.zeros(p, dtype=np.int64)
        self._max_count = np.zeros(p, dtype=np.int64)
        self._n_at_least = np.zeros((len(ks), p), dtype=np.int64)
        self._lead = np.zeros(p, dtype=np.int64)
        self._trail = np.zeros(p, dtype=np.int64)
        self._n_inner_gaps = np.zeros(p, dtype=np.int64)
        self._max_inner_gap = np.zeros(p, dtype=np.int64)
        self._n_elevation = np.zeros(p, dtype=np.int64)
        self._sum_elevation = np.zeros(p, dtype=np.int64)
        self._min_elevation = np.full(p, np.inf)
        self._max_elevation = np.full(p, -np.inf)

    def __repr__(self) -> str:
        return (
            f"CoverageAccumulator({self.n_points} cells, {self.n_steps} steps of {self.step_s} s "
            f"from {np.datetime_as_string(self.start, unit='s')}Z)"
        )

    @property
    def end(self) -> np.datetime64:
        """The instant just after the window: where the next chunk must start."""
        return self.start + np.timedelta64(self.n_steps * self.step_ns, "ns")

    def update(self, counts: npt.ArrayLike, max_elevation_deg: npt.ArrayLike) -> None:
        """Append the next ``N`` samples: satellites in view ``(N, P)`` (or ``(P,)`` for one
        sample) and the highest elevation in view, same shape, NaN where none (as
        `leolink.coverage.visibility` gives them)."""
        c = np.asarray(counts)
        e = np.asarray(max_elevation_deg, dtype=np.float64)
        if c.ndim == 1:
            c = c[None, :]
        if e.ndim == 1:
            e = e[None, :]
        if c.ndim != 2 or c.shape[1] != self.n_points or e.shape != c.shape:
            raise InputError(
                f"counts {np.shape(counts)} and max_elevation_deg {np.shape(max_elevation_deg)} "
                f"must both have shape (N, {self.n_points}): N time steps of every cell"
            )
        if not np.issubdtype(c.dtype, np.integer):
            raise InputError(f"counts must be integers, got dtype {c.dtype}")
        if c.shape[0] == 0:
            return
        _accumulate(
            np.ascontiguousarray(c),
            np.ascontiguousarray(e),
            self._ks,
            self._started,
            self.n_steps,
            self._sum_count,
            self._min_count,
            self._max_count,
            self._n_at_least,
            self._lead,
            self._trail,
            self._n_inner_gaps,
            self._max_inner_gap,
            self._n_elevation,
            self._sum_elevation,
            self._min_elevation,
            self._max_elevation,
        )
        self.n_steps += c.shape[0]

    def copy(self) -> CoverageAccumulator:
        """An independent copy."""
        other = CoverageAccumulator.__new__(CoverageAccumulator)
        for name, value in vars(self).items():
            setattr(other, name, value.copy() if isinstance(value, np.ndarray) else value)
        return other

    def merge(self, other: CoverageAccumulator) -> CoverageAccumulator:
        """The accumulator of both windows, which must be adjacent (either may come first).

        Neither input changes.  A gap ending one window and one starting the other join into
        one gap; if either window is empty the other is returned (as a copy).
        """
        if (
            other.n_points != self.n_points
            or other.step_ns != self.step_ns
            or other.at_least != self.at_least
        ):
            raise InputError(
                f"cannot merge {other!r} (at_least={other.at_least}) into {self!r} "
                f"(at_least={self.at_least}): cells, step and at_least must be the same"
            )
        if other.n_steps == 0:
            return self.copy()
        if self.n_steps == 0:
            return other.copy()
        if other.start == self.end:
            first, second = self, other
        elif self.start == other.end:
            first, second = other, self
        else:
            raise InputError(
                f"cannot merge {other!r} into {self!r}: the windows are not adjacent; merge "
                "accumulators of consecutive chunks of one time grid"
            )
        out = first.copy()
        out.n_steps = first.n_steps + second.n_steps
        out._sum_count += second._sum_count
        np.minimum(first._min_count, second._min_count, out=out._min_count)
        np.maximum(first._max_count, second._max_count, out=out._max_count)
        out._n_at_least += second._n_at_least
        a, b = first._started, second._started
        junction = first._trail + second._lead
        both = a & b
        out._n_inner_gaps = first._n_inner_gaps + second._n_inner_gaps + (both & (junction > 0))
        out._max_inner_gap = np.maximum(first._max_inner_gap, second._max_inner_gap)
        out._max_inner_gap = np.where(
            both, np.maximum(out._max_inner_gap, junction), out._max_inner_gap
        )
        out._lead = np.where(a, first._lead, first.n_steps + second._lead)
        out._trail = np.where(b, second._trail, first._trail + second.n_steps)
        out._started = a | b
        out._n_elevation += second._n_elevation
        out._sum_elevation += second._sum_elevation
        np.minimum(first._min_elevation, second._min_elevation, out=out._min_elevation)
        np.maximum(first._max_elevation, second._max_elevation, out=out._max_elevation)
        return out

    def figures(self) -> CoverageFigures:
        """The per-cell figures of merit of the window so far."""
        n = self.n_steps
        step = self.step_s
        with np.errstate(invalid="ignore", divide="ignore"):
            pct = 100.0 * self._n_at_least / n if n else np.full(self._n_at_least.shape, np.nan)
            mean_visible = self._sum_count / n if n else np.full(self.n_points, np.nan)
            started = self._started
            edge_gaps = (self._lead > 0).astype(np.int64) + (self._trail > 0)
            gaps = np.where(started, self._n_inner_gaps + edge_gaps, (n > 0) * 1)
            zero_steps = n - self._n_at_least[0]
            longest = np.where(
                started,
                np.maximum(self._max_inner_gap, np.maximum(self._lead, self._trail)),
                n,
            )
            mean_gap_s = np.where(gaps > 0, zero_steps * step / gaps, np.nan)
            has_elevation = self._n_elevation > 0
            max_e = np.where(has_elevation, self._max_elevation, np.nan)
            min_e = np.where(has_elevation, self._min_elevation, np.nan)
            mean_e = np.where(
                has_elevation,
                self._sum_elevation / _NANODEGREES_PER_DEGREE / self._n_elevation,
                np.nan,
            )
        return CoverageFigures(
            steps=n,
            step_s=step,
            at_least=self.at_least,
            pct_time_covered=np.asarray(pct[0], dtype=np.float64),
            pct_time_at_least=np.asarray(pct, dtype=np.float64),
            mean_visible=np.asarray(mean_visible, dtype=np.float64),
            min_visible=self._min_count.copy(),
            max_visible=self._max_count.copy(),
            gaps=np.asarray(gaps, dtype=np.int64),
            max_gap_s=np.asarray(longest * step, dtype=np.float64),
            mean_gap_s=np.asarray(mean_gap_s, dtype=np.float64),
            max_elevation_deg=np.asarray(max_e, dtype=np.float64),
            mean_max_elevation_deg=np.asarray(mean_e, dtype=np.float64),
            min_max_elevation_deg=np.asarray(min_e, dtype=np.float64),
        )


# --- regions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaStatistics:
    """Area-weighted statistics of one per-cell figure over a region."""

    mean: float
    """Area-weighted mean (NaN if no cell has a value)."""
    min: float
    max: float
    percentiles: Mapping[float, float]
    """Area-weighted percentiles: for ``q``, the least value such that cells holding at least
    ``q`` percent of the area have a value at or below it (the inverted CDF)."""
    area_km2: float
    """Area of the cells with a value (NaN values and their area are left out)."""
    cells: int
    """Number of cells with a value."""


def area_weighted_statistics(
    values: npt.ArrayLike,
    area_km2: npt.ArrayLike,
    percentiles: Sequence[float] = (5.0, 50.0, 95.0),
) -> AreaStatistics:
    """Mean, extremes and percentiles of per-cell ``values`` weighted by cell area, ``(P,)``.

    Cells are unequal (H3 cells vary by a factor of two in area), so a region's figure is the
    area-weighted one: the mean of ``pct_time_covered`` is the percent of area-time covered.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    w = np.asarray(area_km2, dtype=np.float64).ravel()
    if v.shape != w.shape:
        raise InputError(
            f"values {np.shape(values)} and area_km2 {np.shape(area_km2)} must have one entry "
            "per cell"
        )
    if not (np.isfinite(w) & (w >= 0.0)).all():
        raise InputError("area_km2 must be finite and non-negative for every cell")
    qs = [float(q) for q in percentiles]
    if any(not 0.0 <= q <= 100.0 for q in qs):
        raise InputError(f"percentiles={tuple(percentiles)!r} must lie in [0, 100]")
    ok = np.isfinite(v) & (w > 0.0)
    v, w = v[ok], w[ok]
    area = float(w.sum())
    if v.size == 0:
        nan = math.nan
        return AreaStatistics(nan, nan, nan, {q: nan for q in qs}, 0.0, 0)
    by_value = np.argsort(v, kind="stable")
    v, w = v[by_value], w[by_value]
    cumulative = np.cumsum(w)
    positions = np.searchsorted(cumulative, np.asarray(qs) / 100.0 * cumulative[-1], "left")
    pct_values = v[np.minimum(positions, v.size - 1)]
    return AreaStatistics(
        mean=float(np.dot(v, w) / cumulative[-1]),
        min=float(v[0]),
        max=float(v[-1]),
        percentiles={q: float(x) for q, x in zip(qs, pct_values, strict=True)},
        area_km2=area,
        cells=int(v.size),
    )


def region_statistics(
    figures: CoverageFigures,
    area_km2: npt.ArrayLike,
    cells: npt.ArrayLike | None = None,
    percentiles: Sequence[float] = (5.0, 50.0, 95.0),
) -> dict[str, AreaStatistics]:
    """`area_weighted_statistics` of every per-cell figure, over all cells or a selection.

    ``cells`` selects the region's cells: a boolean mask ``(P,)`` or indices; ``area_km2`` is
    per cell of the whole grid, ``(P,)``.
    """
    w = np.asarray(area_km2, dtype=np.float64)
    table = figures.per_cell()
    if cells is not None:
        selection = np.asarray(cells)
        table = {name: column[selection] for name, column in table.items()}
        w = w[selection]
    return {
        name: area_weighted_statistics(column, w, percentiles) for name, column in table.items()
    }
