"""Coverage sweeps for the service (``GET /v1/coverage``): bounded before any work, then cached.

A request names a region (a box or a country), a time window and its step, an H3 resolution and
an elevation mask.  `coverage_request` checks it and normalises it into a `CoverageRequest`;
`coverage_json` answers it from `ServiceState.coverage_results` (an LRU cache of response
bodies, keyed by the normalised request: a map that pans back, or a second client, gets the
body at once) or sweeps it with `leolink.coverage.sweep` in the calling thread, on one core
(``kernel_parallel=False``: a request must not take the cores of the others), one sweep at a
time per process (`ServiceLimits.max_concurrent_sweeps`; a request that waits longer than
`ServiceLimits.sweep_wait_s` for its turn gets 503 with ``Retry-After``).

What a sweep costs on the 2-core reference machine with the embedded catalog (10,361
satellites): each instant 10-70 ms whatever the cells - SGP4 for the whole catalog (~6 ms) and
the kernel's work per satellite, which grows with how far the region spreads and as the mask
goes down - and each cell-instant 0.1-0.5 us more.  So a request is refused (422, nothing
computed) when it has more instants than `ServiceLimits.max_coverage_steps`, more cells than
`ServiceLimits.max_cells` (`leolink.service.boxes`) or more cells x instants than
`ServiceLimits.max_coverage_cell_steps`; the masks it accepts start at 10 degrees (0 degrees
doubles the kernel's work, -30 quadruples it).  Within those caps the slowest request measured
(the whole world at resolution 2, a day at 15 min, mask 10) takes about 6 s.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from leolink.api import (
    AreaStatistics,
    SweepResult,
    cells_to_hex,
    figure_label,
    format_instant,
    get_country,
    plan_sweep,
    region_statistics,
    sweep,
)
from leolink.errors import InputError, TimeWindowError
from leolink.service import boxes
from leolink.service.problems import ProblemError
from leolink.service.state import ServiceLimits, ServiceState

__all__ = [
    "DEFAULT_WINDOW",
    "CoverageRequest",
    "SweepsBusy",
    "TooManyInstants",
    "coverage_json",
    "coverage_request",
    "instants",
    "too_many_instants_problem",
]

#: The window when the request gives no ``end``.
DEFAULT_WINDOW: Final = np.timedelta64(3_600, "s")
#: Figures are rounded to this many decimals: 0.001 %, satellite, second or degree.
_DECIMALS: Final = 3


class TooManyInstants(InputError):  # noqa: N818 - a request error, named for what the client did
    """A sweep over the service's instants or cell-instants budget, with what would fit."""

    def __init__(
        self, message: str, suggested_step_s: int | None, suggested_resolution: int | None
    ) -> None:
        super().__init__(message)
        self.suggested_step_s = suggested_step_s
        self.suggested_resolution = suggested_resolution


def too_many_instants_problem(error: TooManyInstants) -> ProblemError:
    """The 422 ``too-many-instants`` problem, with ``suggested_step_s`` and
    ``suggested_resolution`` (either may be null), for ``error``."""
    return ProblemError(
        422,
        "too-many-instants",
        "Too many instants",
        str(error),
        extra={
            "suggested_step_s": error.suggested_step_s,
            "suggested_resolution": error.suggested_resolution,
        },
    )


@dataclass(frozen=True)
class CoverageRequest:
    """A checked, normalised coverage request: the key of the service's cache of results."""

    region: tuple[float, float, float, float] | str
    """The box (W, S, E, N degrees) or the country's code (`Country.code`)."""
    resolution: int
    start: np.datetime64
    end: np.datetime64
    step_s: float
    min_elevation_deg: float

    @property
    def steps(self) -> int:
        """The number of instants (`instants`)."""
        return instants(self.start, self.end, self.step_s)

    def cell_region(self) -> tuple[boxes.CellRegion, str]:
        """The region as the service lists its cells, and its label (as `region_cells` gives)."""
        if isinstance(self.region, str):
            region = boxes.country(self.region)
            return region, region.name  # "country UA (Ukraine)"
        west, south, east, north = self.region
        return boxes.box(*self.region), f"bbox {west:g},{south:g},{east:g},{north:g}"


def instants(start: np.datetime64, end: np.datetime64, step_s: float) -> int:
    """How many instants `leolink.time.time_grid` has from ``start`` to ``end`` every ``step_s``
    (counted, not listed: a year at 1 s would be 32 million)."""
    return _span_ns(start, end) // round(step_s * 1e9) + 1


def _span_ns(start: np.datetime64, end: np.datetime64) -> int:
    """``end - start`` in ns as a Python int: a window of centuries overflows int64 ns
    (292 years), which would wrap to a negative count."""
    return int(np.asarray(end, "datetime64[ns]").astype(np.int64)) - int(
        np.asarray(start, "datetime64[ns]").astype(np.int64)
    )


def _step_for(start: np.datetime64, end: np.datetime64, max_steps: int) -> int | None:
    """The least whole number of seconds that gives ``start``..``end`` at most ``max_steps``
    instants; None if no step of at most a day does."""
    if max_steps < 2:
        return None
    span_s = _span_ns(start, end) / 1e9
    step = max(1, math.ceil(span_s / (max_steps - 1)))
    return step if step <= 86_400 else None


def coverage_request(
    *,
    bbox: str | None,
    country: str | None,
    start: np.datetime64,
    end: np.datetime64 | None,
    step_s: float,
    resolution: int,
    min_elevation_deg: float,
    limits: ServiceLimits,
) -> CoverageRequest:
    """Check what costs nothing to check and normalise the request (no cells listed yet).

    Exactly one of ``bbox`` (``W,S,E,N``) and ``country`` (ISO alpha-2 or alpha-3); ``end``
    defaults to ``start`` + 1 h and must not be before it; at most ``limits.max_coverage_steps``
    instants (`TooManyInstants`).  Everything else raises `InputError` naming the input.
    """
    if (bbox is None) == (country is None):
        given = "both" if bbox is not None else "neither"
        raise InputError(
            f"give exactly one region, bbox=W,S,E,N or country=CC (ISO alpha-2 or alpha-3), "
            f"not {given}"
        )
    region: tuple[float, float, float, float] | str
    if bbox is not None:
        region = boxes.parse_bbox(bbox)
    else:
        assert country is not None
        region = get_country(country).code
    if end is None:
        end = start + DEFAULT_WINDOW
        if end < start:  # past the last instant datetime64[ns] holds (2262)
            raise TimeWindowError(
                f"start={format_instant(start)} is too late for a window of an hour after it: "
                "give a start before 2262"
            )
    if end < start:
        raise TimeWindowError(
            f"end={format_instant(end)} is before start={format_instant(start)}: give an end "
            "after the start (or none: an hour after it)"
        )
    n = instants(start, end, step_s)
    if n > limits.max_coverage_steps:
        step = _step_for(start, end, limits.max_coverage_steps)
        hint = f"ask for step_s={step} or more (suggested_step_s) or" if step else "ask for"
        raise TooManyInstants(
            f"start={format_instant(start)} to end={format_instant(end)} every step_s={step_s:g} "
            f"is {n:,} instants, more than the {limits.max_coverage_steps:,} one request may "
            f"have: {hint} a shorter window",
            step,
            None,
        )
    return CoverageRequest(region, resolution, start, end, float(step_s), float(min_elevation_deg))


def coverage_json(state: ServiceState, request: CoverageRequest) -> bytes:
    """The response body of ``request``: from the cache, or swept in this thread and kept.

    Raises `leolink.service.boxes.TooManyCells` or `TooManyInstants` over the caps, before
    sweeping anything.
    """
    return state.coverage_results.get_or_compute(request, lambda: _sweep_in_turn(state, request))


class SweepsBusy(Exception):  # noqa: N818 - the service's state, not a fault of the request
    """Every turn to sweep stayed taken for `ServiceLimits.sweep_wait_s` seconds."""


def _sweep_in_turn(state: ServiceState, request: CoverageRequest) -> bytes:
    """Sweep once a turn is free (`ServiceLimits.max_concurrent_sweeps`); the same request
    may have been answered while this one waited, so the cache is asked again first."""
    if not state.sweep_turns.acquire(timeout=state.limits.sweep_wait_s):
        raise SweepsBusy(
            f"the service has been sweeping other requests for {state.limits.sweep_wait_s:g} s "
            f"({state.limits.max_concurrent_sweeps} at a time): ask again in a few seconds"
        )
    try:
        return state.coverage_results.get_or_compute(request, lambda: _sweep_json(state, request))
    finally:
        state.sweep_turns.release()


def _sweep_json(state: ServiceState, request: CoverageRequest) -> bytes:
    limits = state.limits
    region, label = request.cell_region()
    cells = region.cells(request.resolution, limits.max_cells)
    n = request.steps
    if cells.size * n > limits.max_coverage_cell_steps:
        max_steps = limits.max_coverage_cell_steps // cells.size
        step = _step_for(request.start, request.end, max_steps)
        coarser = region.suggested_resolution(
            request.resolution, min(limits.max_cells, limits.max_coverage_cell_steps / n)
        )
        hints = [
            *([f"step_s={step} or more (suggested_step_s)"] if step else []),
            *([f"resolution={coarser} (suggested_resolution)"] if coarser is not None else []),
        ]
        raise TooManyInstants(
            f"{region.name} has {cells.size:,} cells at resolution {request.resolution} and the "
            f"window {n:,} instants: {cells.size * n:,} cells x instants, more than the "
            f"{limits.max_coverage_cell_steps:,} one request may have: ask for "
            + " or ".join([*hints, "a shorter window or a smaller region"]),
            step,
            coarser,
        )
    plan = plan_sweep(
        cells,
        request.start,
        request.end,
        request.step_s,
        state.catalog,
        min_elevation_deg=request.min_elevation_deg,
        kernel_parallel=False,
        region=label,
    )
    result = sweep(plan)
    # The window's instant farthest from the catalog's epochs says how stale it is.
    last = plan.times[-1]
    days = [state.catalog.days_from_epochs(t) for t in (request.start, last)]
    worst = (request.start, last)[int(np.argmax(days))]
    return _body(state, result, state.stale_warning(worst, max(days)))


def _rounded(values: npt.NDArray[Any]) -> list[Any]:
    """A column as JSON values: integers as they are, floats rounded, NaN and inf as None."""
    if np.issubdtype(values.dtype, np.integer):
        return [int(v) for v in values.tolist()]
    rounded = np.round(np.asarray(values, dtype=np.float64), _DECIMALS)
    out: list[Any] = rounded.tolist()
    if not np.isfinite(rounded).all():
        out = [v if math.isfinite(v) else None for v in out]
    return out


def _number(value: float) -> float | None:
    return round(value, _DECIMALS) if math.isfinite(value) else None


def _figure(name: str) -> dict[str, str]:
    try:
        label, unit = figure_label(name)
    except InputError:  # a figure the maps do not know yet: its name, in words
        label, unit = name.replace("_", " "), ""
    return {"label": label[:1].upper() + label[1:], "unit": unit}


def _statistics(stats: AreaStatistics) -> dict[str, Any]:
    return {
        "mean": _number(stats.mean),
        "min": _number(stats.min),
        "max": _number(stats.max),
        **{f"p{q:g}": _number(v) for q, v in stats.percentiles.items()},
        "cells": stats.cells,
        "area_km2": _number(stats.area_km2),
    }


def _body(state: ServiceState, result: SweepResult, warning: str | None) -> bytes:
    plan, figures = result.plan, result.figures
    per_cell = figures.per_cell()
    statistics = region_statistics(figures, result.area_km2)
    body = {
        "region": plan.region,
        "resolution": plan.resolution,
        "start": format_instant(plan.times[0]),
        "end": format_instant(plan.times[-1]),
        "step_s": plan.step_s,
        "steps": figures.steps,
        "min_elevation_deg": plan.min_elevation_deg,
        "satellites": len(state.catalog),
        "catalog": state.catalog.source,
        "warning": warning,
        "figures": {name: _figure(name) for name in per_cell},
        "cells": {
            "cell": cells_to_hex(plan.cells),
            **{name: _rounded(column) for name, column in per_cell.items()},
        },
        "summary": {
            "cells": int(plan.cells.size),
            "area_km2": _number(float(result.area_km2.sum())),
            "figures": {name: _statistics(s) for name, s in statistics.items()},
        },
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
