"""A sweep's per-cell figures reduced to one record for its region, or one per country.

Cells are unequal (H3 cells at one resolution differ in area by up to a factor of two), so
figures that are averages over the region are *area-weighted*: ``pct_time_covered`` is then the
percent of area × time with a satellite in view.  Extremes (``min_visible``, ``max_visible``,
``max_gap_s``) are over cells, unweighted: the worst cell is the worst cell, whatever its size.
`AREA_WEIGHTED` names the keys of the first kind.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from leolink.coverage.merit import area_weighted_statistics
from leolink.coverage.sweep import SweepResult
from leolink.geo.countries import all_countries, countries_at

__all__ = ["AREA_WEIGHTED", "country_summaries", "summarize"]

#: Summary keys that are area-weighted means (or percents of area); the rest are counts, or
#: extremes over cells.
AREA_WEIGHTED: Final = (
    "mean_visible",
    "pct_time_covered",
    "pct_time_covered_p5",
    "pct_area_always_covered",
    "pct_area_never_covered",
    "mean_gap_s",
    "mean_max_elevation_deg",
)


def _figures_summary(
    columns: dict[str, npt.NDArray[Any]], area_km2: npt.NDArray[np.float64]
) -> dict[str, Any]:
    """Area-weighted means and cell extremes of the per-cell figures in ``columns``."""

    def weighted(name: str) -> float:
        mean = area_weighted_statistics(columns[name], area_km2).mean
        # A weighted mean of percents that are all 100 can round to 100.00000000000001.
        return min(mean, 100.0) if name.startswith("pct_") else mean

    covered = columns["pct_time_covered"]
    total_area = float(area_km2.sum())
    out: dict[str, Any] = {
        "cells": int(area_km2.size),
        "area_km2": total_area,
        "mean_visible": weighted("mean_visible"),
        "min_visible": int(np.min(columns["min_visible"])),
        "max_visible": int(np.max(columns["max_visible"])),
        "pct_time_covered": weighted("pct_time_covered"),
        "pct_time_covered_p5": area_weighted_statistics(covered, area_km2, (5.0,)).percentiles[5.0],
    }
    for name in columns:
        if name.startswith("pct_time_at_least_"):
            out[name] = weighted(name)
    out |= {
        "pct_area_always_covered": 100.0 * float(area_km2[covered >= 100.0].sum()) / total_area,
        "pct_area_never_covered": 100.0 * float(area_km2[covered <= 0.0].sum()) / total_area,
        "max_gap_s": float(np.max(columns["max_gap_s"])),
        "mean_gap_s": weighted("mean_gap_s"),
        "max_elevation_deg": float(np.nanmax(columns["max_elevation_deg"]))
        if np.isfinite(columns["max_elevation_deg"]).any()
        else math.nan,
        "mean_max_elevation_deg": weighted("mean_max_elevation_deg"),
    }
    return out


def summarize(result: SweepResult) -> dict[str, Any]:
    """One record for the whole region: what was swept, then its figures.

    ``cells``, ``area_km2``, ``steps``, ``duration_s``; area-weighted (`AREA_WEIGHTED`):
    ``mean_visible``, ``pct_time_covered`` (percent of area-time with >= 1 satellite),
    ``pct_time_covered_p5`` (95 % of the area is covered at least this percent of the time),
    ``pct_time_at_least_<k>``, ``pct_area_always_covered``, ``pct_area_never_covered``,
    ``mean_gap_s`` (over cells that have a gap; NaN if none has), ``mean_max_elevation_deg``;
    over cells: ``min_visible``, ``max_visible``, ``max_gap_s``, ``max_elevation_deg``.
    """
    figures = result.figures
    record = {
        **result.plan.describe(),
        "steps": figures.steps,
        "duration_s": figures.duration_s,
        **_figures_summary(figures.per_cell(), result.area_km2),
    }
    record["area_weighted"] = list(AREA_WEIGHTED)
    return record


def country_summaries(result: SweepResult) -> list[dict[str, Any]]:
    """`summarize`'s figures per country, for the cells whose centre is in a country (its land
    and 12-nmi territorial sea, `leolink.geo.countries.countries_at`), largest area first.

    Cells at sea beyond territorial waters belong to no country and are left out.
    """
    index = countries_at(result.plan.lat_deg, result.plan.lon_deg).index
    columns = result.figures.per_cell()
    table = all_countries()
    rows = []
    for i in np.unique(index[index >= 0]).tolist():
        selection = index == i
        part = {name: column[selection] for name, column in columns.items()}
        country = {"country": table[i].code, "name": table[i].name}
        rows.append(country | _figures_summary(part, result.area_km2[selection]))
    rows.sort(key=lambda row: -row["area_km2"])
    return rows
