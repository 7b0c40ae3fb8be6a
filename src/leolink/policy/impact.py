"""What a proposed geofence would do, before anyone approves it.

For a `GeofenceSpec` the impact is: the cells it covers (H3 resolution 5: cells whose centre
is in its region, plus its explicit cells brought to that resolution), their area, the
terminals it would affect judged by where each last reported, and the satellite-hours of
coverage it withdraws in its window.

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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from leolink.errors import InputError, TimeWindowError
from leolink.geo import grid
from leolink.geo.regions import geometry_to_cells
from leolink.policy._areas import area_contains, fence_area
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

__all__ = ["Impact", "geofence_impact"]

_DEFAULT_HORIZON_S: Final = 86_400.0


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
) -> Impact:
    """The impact of ``spec`` (see the module docstring); without ``sky`` no satellite-hours.

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
    if area.geometry is None and not area.cells_by_resolution:
        raise InputError(
            f"geofence {spec.name!r} has no area: give a GeoJSON region, H3 cells, or both"
        )
    parts = []
    if area.geometry is not None:
        parts.append(geometry_to_cells(area.geometry, res))
    for level, cells in area.cells_by_resolution.items():
        parts.append(
            grid.cells_to_children(cells, res)
            if level <= res
            else grid.cells_to_parents(cells, res)
        )
    cells = np.unique(np.concatenate(parts))
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

    affected = _affected(spec, area, terminals, last_reports)

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
    area: Any,
    terminals: Sequence[Terminal],
    last_reports: Sequence[PositionReport],
) -> list[dict[str, Any]]:
    """Terminals whose last report is inside the area and whom the geofence would apply to.

    Deactivated terminals are left out (they get no service anyway).  A proposed allow-list
    has no members yet: every terminal inside it is affected until registered.
    """
    by_id = {t.id: t for t in terminals}
    rows = [r for r in last_reports if r.terminal_id in by_id]
    if not rows:
        return []
    inside = area_contains(area, [r.lat_deg for r in rows], [r.lon_deg for r in rows])
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
