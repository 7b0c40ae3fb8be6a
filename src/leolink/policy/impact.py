"""What a proposed geofence would do, before anyone approves it.

For a `GeofenceSpec` the impact is: the cells it covers (H3 resolution 5: cells whose centre
is in its region, or the cell of a point of a region too small to hold one, plus its explicit
cells brought to that resolution), their area, the terminals it would affect judged by where
each last reported, and the satellite-hours of coverage it withdraws in its window.

Satellite-hours withdrawn: Σ over the covered cells and over time steps t_k of the number of
satellites at or above the elevation mask from the cell's centre at t_k, times the step in
hours — the coverage the geofence switches off, counted as (satellite in view of a cell) ×
hours.  The window is sampled at ``step_s`` (coarsened so that at most ``max_steps`` steps are
taken), from its start (or now) to its end (or ``horizon_s`` later when it has none).  The
satellites come from a catalog (`leolink.policy.sky`); when the window is more than
``max_catalog_age_days`` from the catalog's epochs, its steps are shifted to start at the
catalog's median epoch, a stand-in window of the same length whose count is representative
of the constellation but not of that day, and the result says so (``basis``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from shapely.geometry import MultiPolygon, Polygon

from leolink.earth import EARTH_AUTHALIC_RADIUS_KM
from leolink.errors import InputError, LimitError, RegionError, TimeWindowError
from leolink.geo import grid
from leolink.geo.regions import geojson_vertices
from leolink.limits import WorkLimits, exceeded
from leolink.policy._areas import (
    AreaCellsStore,
    FenceArea,
    area_contains,
    compiled_area_cells,
    fence_area,
)
from leolink.policy.records import (
    CustomerClass,
    GeofenceEffect,
    GeofenceSpec,
    PositionReport,
    Terminal,
    TerminalState,
)
from leolink.policy.sky import Sky
from leolink.time import format_instant, parse_instant

__all__ = [
    "Impact",
    "ImpactEstimate",
    "average_cells",
    "check_impact",
    "estimate_impact",
    "geofence_impact",
    "region_vertices",
]

_DEFAULT_HORIZON_S: Final = 86_400.0
#: The Earth's surface, km² (the authalic sphere's: 4 pi R²).
_EARTH_SURFACE_KM2: Final[float] = (
    4.0 * math.pi * EARTH_AUTHALIC_RADIUS_KM * EARTH_AUTHALIC_RADIUS_KM
)


@dataclass(frozen=True)
class Impact:
    """The impact of a proposed geofence (see the module docstring for each figure)."""

    name: str
    effect: GeofenceEffect
    cells: tuple[str, ...]
    area_km2: float
    terminals: tuple[dict[str, Any], ...]
    window_start: np.datetime64
    window_end: np.datetime64
    open_ended: bool
    step_s: float
    steps: int
    satellite_hours: float | None
    basis: str

    def to_dict(self, *, list_cells: bool = False) -> dict[str, Any]:
        """JSON-ready fields (the cell list only with ``list_cells``)."""
        out: dict[str, Any] = {
            "name": self.name,
            "effect": self.effect.value,
            "cells": len(self.cells),
            "area_km2": round(self.area_km2, 1),
            "terminals_affected": len(self.terminals),
            "terminals": list(self.terminals),
            "window_start": format_instant(self.window_start),
            "window_end": format_instant(self.window_end),
            "open_ended": self.open_ended,
            "step_s": self.step_s,
            "steps": self.steps,
            "satellite_hours": (
                None if self.satellite_hours is None else round(self.satellite_hours, 1)
            ),
            "basis": self.basis,
        }
        if list_cells:
            out["cell_list"] = list(self.cells)
        return out


def _area_text(spec: GeofenceSpec) -> str | None:
    if spec.area_geojson is None:
        return None
    if isinstance(spec.area_geojson, str):
        return spec.area_geojson
    return json.dumps(spec.area_geojson, sort_keys=True)


#: Rough costs of a preview, from runs of ``benchmarks/bench_hostile_fence.py`` and the
#: service's previews on a shared 2-core machine (2026-12, ``/usr/bin/time -v``; within ~3x):
#: ~300 MB before any work (the model, the borders, the catalog); a new region's check (JSON,
#: Shapely, ``make_valid``, classification into cells) ~1.5 KB and ~10 us per vertex; ~1 KB
#: per cell covered; ~20 us per (cell, time step) of satellite counts.
_BASE_BYTES: Final = 300e6
_BYTES_PER_VERTEX: Final = 1_500.0
_SECONDS_PER_VERTEX: Final = 10e-6
_BYTES_PER_CELL: Final = 1_000.0
_SECONDS_PER_CELL_STEP: Final = 20e-6
#: The fewest time steps a preview with satellites takes (a coarser window is no estimate).
_MIN_STEPS: Final = 6


@dataclass(frozen=True)
class ImpactEstimate:
    """A preview's size: vertices of a region to check (0 when it was compiled before), cells
    it covers (about), time steps of satellite counts; and its rough memory and time."""

    vertices: int
    cells: int
    steps: int

    @property
    def cell_steps(self) -> int:
        """Cells x time steps."""
        return self.cells * self.steps

    @property
    def memory_bytes(self) -> float:
        """Peak memory, roughly (the constants above)."""
        return _BASE_BYTES + self.vertices * _BYTES_PER_VERTEX + self.cells * _BYTES_PER_CELL

    @property
    def seconds(self) -> float:
        """Time on one core, roughly."""
        return self.vertices * _SECONDS_PER_VERTEX + self.cell_steps * _SECONDS_PER_CELL_STEP

    def describe(self) -> str:
        """``~1,000,000 vertices, ~1 cell x 6 steps: about 1.8 GB and 10 s`` (rough)."""
        return (
            f"~{self.vertices:,} vertices to check, ~{self.cells:,} cells x {self.steps:,} "
            f"steps: about {self.memory_bytes / 1e9:,.1f} GB of memory and "
            f"{max(self.seconds, 1.0):,.0f} s"
        )


def estimate_impact(
    *, vertices: int, cells: float, limits: WorkLimits, max_steps: int = 288
) -> ImpactEstimate:
    """The estimate of a preview of about ``cells`` cells whose region has ``vertices`` still to
    check, with as many time steps (at most ``max_steps``) as ``limits.max_impact_cell_steps``
    allows, and no fewer than a handful."""
    n_cells = max(1, math.ceil(cells))
    steps = int(min(max_steps, max(_MIN_STEPS, limits.max_impact_cell_steps // n_cells)))
    return ImpactEstimate(int(vertices), n_cells, steps)


def check_impact(estimate: ImpactEstimate, limits: WorkLimits, *, force: bool = False) -> None:
    """Refuse (`leolink.errors.LimitError`) a preview beyond ``limits`` unless ``force``: the
    message gives the estimate, each limit exceeded by name, and what to do."""
    over = exceeded(
        limits,
        (
            ("vertices", estimate.vertices, "max_geofence_vertices"),
            ("cells", estimate.cells, "max_cells"),
            ("cell-steps", estimate.cell_steps, "max_impact_cell_steps"),
        ),
    )
    if over and not force:
        raise LimitError(
            f"this impact preview is {estimate.describe()} (rough), beyond the limits "
            f"({'; '.join(over)}): preview the area in parts, simplify its region or give its "
            "H3 cells (on the command line, --force runs it anyway)"
        )


def region_vertices(area_geojson: str | Mapping[str, Any] | None) -> int:
    """Vertices of a GeoJSON region (text or parsed; 0 for none), counted before any repair,
    for `estimate_impact`; text that is not JSON is a `leolink.errors.RegionError`."""
    if area_geojson is None:
        return 0
    try:
        parsed = json.loads(area_geojson) if isinstance(area_geojson, str) else area_geojson
    except (json.JSONDecodeError, RecursionError) as exc:
        raise RegionError(f"the geofence area is not valid JSON: {exc}") from exc
    return geojson_vertices(parsed)


def average_cells(area_km2: float, resolution: int = grid.DEFAULT_RESOLUTION) -> float:
    """About how many cells at ``resolution`` an area of ``area_km2`` covers (the average H3
    cell: the Earth's surface over 2 + 120 x 7^res cells)."""
    return float(area_km2 * (2 + 120 * 7**resolution) / _EARTH_SURFACE_KM2)


def geofence_impact(
    spec: GeofenceSpec,
    *,
    terminals: Sequence[Terminal] = (),
    last_reports: Sequence[PositionReport] = (),
    sky: Sky | None = None,
    now: str | np.datetime64 = "now",
    step_s: float = 600.0,
    max_steps: int = 288,
    horizon_s: float = _DEFAULT_HORIZON_S,
    resolution: int = grid.DEFAULT_RESOLUTION,
    areas: AreaCellsStore | None = None,
    region: Polygon | MultiPolygon | None = None,
) -> Impact:
    """The impact of ``spec`` (see the module docstring); without ``sky`` no satellite-hours.

    The area is compiled as the decision engine compiles it (`leolink.policy._areas`): read
    from ``areas`` (the store's compiled areas) when this content was compiled before (a
    stored geofence: its region is never parsed or repaired again), else classified from
    ``region`` (the spec's region as already checked and repaired) or, without it, from the
    GeoJSON text; a preview keeps nothing.  Only the cells on the region's edge and the
    reports in them are tested against the region itself.

    Malformed input is refused with the store's messages: a region that is not one
    (`leolink.errors.RegionError`), invalid cells, a window that ends before it starts.
    """
    res = grid.check_resolution(resolution)
    effect = GeofenceEffect(spec.effect)
    if not step_s > 0 or not horizon_s > 0 or max_steps < 1:
        raise InputError(
            f"step_s={step_s!r}, horizon_s={horizon_s!r} and max_steps={max_steps!r} must be "
            "positive"
        )
    area = fence_area(_area_text(spec), tuple(sorted({str(c).strip().lower() for c in spec.cells})))
    if not area.has_region and not area.cells_by_resolution:
        raise InputError(
            f"geofence {spec.name!r} has no area: give a GeoJSON region, H3 cells, or both"
        )
    if region is not None:
        area.use_geometry(region)
    interior, boundary = compiled_area_cells(area, res, areas, save=False)
    parts = [interior]
    if boundary.size:
        lat_b, lon_b = grid.cells_to_latlng(boundary)
        parts.append(boundary[area_contains(area, lat_b, lon_b)])  # centre in the area
    for level, explicit in area.cells_by_resolution.items():
        if level > res:  # a finer cell covers part of its parent, whose centre may be outside
            parts.append(grid.cells_to_parents(explicit, res))
    cells = np.unique(np.concatenate(parts)).astype(np.uint64)
    if cells.size == 0 and area.geometry is not None:  # too small to hold a centre
        point = area.geometry.representative_point()
        cells = grid.latlng_to_cells(np.array([point.y]), np.array([point.x]), res)
    area_km2 = float(np.sum(grid.cell_area_km2(cells)))

    start = parse_instant(now) if spec.window_start is None else parse_instant(spec.window_start)
    open_ended = spec.window_end is None
    end = (
        start + np.timedelta64(round(horizon_s * 1e9), "ns")
        if open_ended
        else parse_instant(spec.window_end)  # type: ignore[arg-type]
    )
    if not end > start:
        raise TimeWindowError(
            f"geofence {spec.name!r} window ends ({format_instant(end)}) at or before it starts "
            f"({format_instant(start)}); give an end after the start, or none for an open end"
        )

    affected = _affected(spec, area, (interior, boundary), res, terminals, last_reports)

    span_s = float((end - start).astype("timedelta64[ns]").astype(np.int64)) / 1e9
    step = max(float(step_s), span_s / max_steps)
    n_steps = max(1, math.ceil(span_s / step - 1e-9))
    offsets = np.arange(n_steps) * np.timedelta64(round(step * 1e9), "ns")
    satellite_hours: float | None = None
    basis = "not computed: no satellite catalog given"
    if sky is not None:
        times = start + offsets
        if not all(sky.is_checkable(t) for t in (times[0], times[-1])):
            stand_in = np.median(sky.catalog.epochs.astype(np.int64)).astype("datetime64[ns]")
            times = stand_in + offsets
            basis = (
                f"stand-in window from the catalog's median epoch {format_instant(stand_in)}: "
                f"the window is {sky.catalog_age_days(start):.0f} days from the element sets of "
                f"{sky.catalog.source}"
            )
        else:
            basis = f"satellites of {sky.catalog.source} propagated over the window"
        lat, lon = grid.cells_to_latlng(cells)
        total = 0
        for t in times:
            total += int(np.sum(sky.count_above_mask(lat, lon, t)))
        satellite_hours = total * step / 3600.0
        basis += f", {sky.min_elevation_deg:g}° mask, cell centres, every {step:g} s"

    return Impact(
        name=spec.name,
        effect=effect,
        cells=tuple(grid.cells_to_hex(cells)),
        area_km2=area_km2,
        terminals=tuple(affected),
        window_start=start,
        window_end=end,
        open_ended=open_ended,
        step_s=step,
        steps=n_steps,
        satellite_hours=satellite_hours,
        basis=basis,
    )


def _affected(
    spec: GeofenceSpec,
    area: FenceArea,
    compiled: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]],
    resolution: int,
    terminals: Sequence[Terminal],
    last_reports: Sequence[PositionReport],
) -> list[dict[str, Any]]:
    """Terminals whose last report is inside the area and whom the geofence would apply to.

    A report in an interior cell is inside, one in an edge cell is tested against the area,
    any other is outside (`leolink.policy._areas.area_cells`).  Deactivated terminals are left
    out (they get no service anyway).  A proposed allow-list has no members yet: every
    terminal inside it is affected until registered.
    """
    by_id = {t.id: t for t in terminals}
    rows = [r for r in last_reports if r.terminal_id in by_id]
    if not rows:
        return []
    lat = np.asarray([r.lat_deg for r in rows], dtype=np.float64)
    lon = np.asarray([r.lon_deg for r in rows], dtype=np.float64)
    interior, boundary = compiled
    cell = grid.latlng_to_cells(lat, lon, resolution)
    inside = np.isin(cell, interior)
    edge = np.flatnonzero(np.isin(cell, boundary))
    if edge.size:
        inside[edge] = area_contains(area, lat[edge], lon[edge])
    classes = (
        None if spec.customer_classes is None else {CustomerClass(c) for c in spec.customer_classes}
    )
    out = []
    for report, hit in zip(rows, inside.tolist(), strict=True):
        terminal = by_id[report.terminal_id]
        if not hit or terminal.state is TerminalState.DEACTIVATED:
            continue
        if classes is not None and terminal.customer_class not in classes:
            continue
        out.append(
            {
                "terminal_id": terminal.id,
                "account": terminal.account,
                "customer_class": terminal.customer_class.value,
                "state": terminal.state.value,
                "last_report_at": format_instant(report.reported_at),
                "lat_deg": report.lat_deg,
                "lon_deg": report.lon_deg,
            }
        )
    return out
