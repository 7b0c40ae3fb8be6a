"""What a sweep reports: area-weighted summaries, per-country aggregates, and maps."""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.image import AxesImage

from leolink.coverage.aggregate import AREA_WEIGHTED, country_summaries, summarize
from leolink.coverage.maps import coverage_map, figure_label, map_figures
from leolink.coverage.sweep import SweepResult, coverage
from leolink.errors import InputError
from leolink.geo.countries import countries_at
from leolink.orbits.catalog import Catalog
from leolink.orbits.loading import load_catalog

START = "2026-05-13T06:00:00Z"
END = "2026-05-13T06:20:00Z"


@cache
def _thin_catalog() -> Catalog:
    """Every 20th satellite of the real catalog: gaps appear at a 40° mask."""
    catalog = load_catalog()
    return catalog.take(np.arange(0, len(catalog), 20))


@cache
def _result(bbox: tuple[float, float, float, float], resolution: int) -> SweepResult:
    return coverage(
        _thin_catalog(),
        START,
        END,
        120.0,
        bbox=bbox,
        resolution=resolution,
        min_elevation_deg=40.0,
        at_least=(2,),
    )


#: Poland, Belarus, Ukraine and their neighbours: several countries, some gaps.
EAST_EUROPE = (14.0, 44.0, 41.0, 56.0)
#: Fiji across the antimeridian.
FIJI = (170.0, -20.0, -170.0, -10.0)


def test_summary_weights_by_area_and_takes_extremes_over_cells() -> None:
    result = _result(EAST_EUROPE, 3)
    summary = summarize(result)
    f, area = result.figures, result.area_km2
    assert summary["cells"] == result.cells.size
    assert summary["steps"] == 11
    assert summary["duration_s"] == 11 * 120.0
    assert summary["area_km2"] == pytest.approx(area.sum())
    assert summary["mean_visible"] == pytest.approx(np.dot(f.mean_visible, area) / area.sum())
    # H3 cells differ in area, so the weighting matters: not the plain mean
    assert summary["pct_time_covered"] == pytest.approx(
        np.dot(f.pct_time_covered, area) / area.sum()
    )
    assert summary["min_visible"] == f.min_visible.min()
    assert summary["max_visible"] == f.max_visible.max()
    assert summary["max_gap_s"] == f.max_gap_s.max() > 0.0
    has_gap = np.isfinite(f.mean_gap_s)
    assert summary["mean_gap_s"] == pytest.approx(
        np.dot(f.mean_gap_s[has_gap], area[has_gap]) / area[has_gap].sum()
    )
    always = area[f.pct_time_covered == 100.0].sum() / area.sum() * 100.0
    assert summary["pct_area_always_covered"] == pytest.approx(always)
    assert "pct_time_at_least_2" in summary
    assert "pct_time_at_least_1" not in summary
    assert "pct_time_at_least_1" not in result.columns()
    assert summary["pct_time_at_least_2"] <= summary["pct_time_covered"]
    assert summary["area_weighted"] == list(AREA_WEIGHTED)
    assert set(AREA_WEIGHTED) <= set(summary)
    for key in ("region", "start", "end", "step_s", "min_elevation_deg", "catalog", "satellites"):
        assert key in summary
    assert summary["end"] == END


def test_country_summaries_partition_the_cells_in_countries() -> None:
    result = _result(EAST_EUROPE, 3)
    rows = country_summaries(result)
    codes = [row["country"] for row in rows]
    assert {"UA", "PL", "BY", "RO"} <= set(codes)
    areas = [row["area_km2"] for row in rows]
    assert areas == sorted(areas, reverse=True)
    in_a_country = countries_at(result.plan.lat_deg, result.plan.lon_deg).index >= 0
    assert sum(row["cells"] for row in rows) == int(in_a_country.sum())
    ua = rows[codes.index("UA")]
    assert ua["name"] == "Ukraine"
    assert 0.0 <= ua["pct_time_covered"] <= 100.0 + 1e-9


def _png_bytes(result: SweepResult, figure: str) -> bytes:
    buffer = io.BytesIO()
    coverage_map(result, figure).savefig(buffer, format="png", dpi=50)
    return buffer.getvalue()


@pytest.mark.parametrize("figure", map_figures((2,)))
def test_every_figure_can_be_drawn(figure: str) -> None:
    result = _result(EAST_EUROPE, 2)
    assert _png_bytes(result, figure).startswith(b"\x89PNG")


def test_map_draws_cells_as_polygons_or_as_an_image() -> None:
    result = _result(EAST_EUROPE, 3)
    fig = coverage_map(result, "mean_visible")
    ax = fig.axes[0]
    polygons = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(polygons) == 1
    assert len(polygons[0].get_paths()) >= result.cells.size
    assert "mean number of satellites in view (satellites)" in fig.axes[1].get_ylabel()
    title = ax.get_title()
    assert "bbox 14,44,41,56" in title
    assert "every 120 s" in title
    assert "mask 40°" in title
    fig = coverage_map(result, "mean_visible", max_polygons=0)
    images = fig.axes[0].get_images()
    assert len(images) == 1
    assert isinstance(images[0], AxesImage)


def test_map_across_the_antimeridian_is_in_one_piece() -> None:
    result = _result(FIJI, 3)
    ax = coverage_map(result, "pct_time_covered").axes[0]
    west, east = ax.get_xlim()
    assert west < 170.0 < 190.0 < east < 200.0
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert all(-180.0 <= float(text) <= 180.0 for text in labels if text)


def test_unknown_figures_are_refused() -> None:
    with pytest.raises(InputError, match="unknown figure 'coverage'"):
        figure_label("coverage")
    with pytest.raises(InputError, match="not in this sweep"):
        coverage_map(_result(EAST_EUROPE, 2), "pct_time_at_least_7")
    assert figure_label("max_gap_s") == ("longest coverage gap", "s")
    assert figure_label("pct_time_at_least_4")[1] == "% of the window"
    assert "pct_time_at_least_2" not in map_figures()
    with pytest.raises(InputError, match="K = 1 is pct_time_covered"):
        figure_label("pct_time_at_least_1")
