"""Maps of a sweep's figures of merit: cells coloured by value, with borders, in Matplotlib.

`coverage_map` draws one per-cell figure (``pct_time_covered``, ``mean_visible``,
``max_gap_s``, ...) on a plate carrée map in (lon, lat) degrees: every cell is filled with a
perceptual colormap (viridis: even steps of lightness, readable in grey and by colour-blind
readers), a colour bar gives the units, the title says what was swept (region, window, step,
masks, catalog), and country borders (`leolink.geo.countries`) are drawn lightly over it.
Cells without a value (a cell with no gap has no mean gap) are grey.

Up to `MAX_POLYGONS` cells are drawn as their own polygons, cut at the antimeridian; more (the
whole world at resolution 5 has two million) are drawn as an image whose every pixel takes the
value of the cell its centre falls in, which looks the same at print size and takes seconds
instead of minutes.  Saving the figure is the caller's business (``figure.savefig(path)``).
"""

from __future__ import annotations

import math
import os
import re
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import shapely

from leolink.arrays import FloatArray
from leolink.coverage.sweep import SweepResult
from leolink.earth import EARTH_MEAN_RADIUS_KM
from leolink.errors import InputError
from leolink.geo import grid
from leolink.geo.countries import all_countries, country_geometry

if TYPE_CHECKING:  # Matplotlib is imported when a map is drawn, not with leolink.api
    from matplotlib.colors import Colormap, Normalize
    from matplotlib.figure import Figure

__all__ = ["FIGURE_LABELS", "MAX_POLYGONS", "coverage_map", "figure_label", "map_figures"]


#: Above this many cells the map is drawn as an image of the cells rather than polygons.
MAX_POLYGONS: Final = 150_000
#: Width of that image, pixels, for the whole longitude range (0.15 degrees a pixel).
_RASTER_WIDTH_PX: Final = 2400

#: What each per-cell figure is, and its unit, for colour bars and titles.
FIGURE_LABELS: Final = {
    "pct_time_covered": ("time with at least one satellite in view", "% of the window"),
    "mean_visible": ("mean number of satellites in view", "satellites"),
    "min_visible": ("fewest satellites in view", "satellites"),
    "max_visible": ("most satellites in view", "satellites"),
    "gaps": ("number of coverage gaps", "gaps"),
    "max_gap_s": ("longest coverage gap", "s"),
    "mean_gap_s": ("mean coverage gap", "s"),
    "max_elevation_deg": ("highest elevation of a satellite in view", "degrees"),
    "mean_max_elevation_deg": ("mean elevation of the highest satellite in view", "degrees"),
    "min_max_elevation_deg": ("least elevation of the highest satellite in view", "degrees"),
}
#: Least empty stretch of longitude that makes a map start east of it (see the shift below).
_MIN_HOLE_DEG: Final = 5.0
_NO_VALUE_COLOUR: Final = "#d9d9d9"
_BORDER_COLOUR: Final = "#a0a0a0"


def figure_label(name: str) -> tuple[str, str]:
    """(what it is, unit) of a per-cell figure, e.g. ``('mean coverage gap', 's')``."""
    at_least = re.fullmatch(r"pct_time_at_least_([2-9]|[1-9][0-9]+)", name)
    if at_least is not None:
        return f"time with at least {at_least[1]} satellites in view", "% of the window"
    if name in FIGURE_LABELS:
        return FIGURE_LABELS[name]
    raise InputError(
        f"unknown figure {name!r}: choose one of {', '.join(map_figures((2,)))} "
        "(pct_time_at_least_K for any K >= 2 given with --at-least; K = 1 is pct_time_covered)"
    )


def map_figures(at_least: tuple[int, ...] = ()) -> list[str]:
    """The per-cell figures a map can show, with ``pct_time_at_least_<k>`` for each ``k >= 2``
    (``k = 1`` is ``pct_time_covered``)."""
    extra = [f"pct_time_at_least_{k}" for k in sorted(set(at_least)) if k >= 2]
    return [*FIGURE_LABELS, *extra]


def _antimeridian_shift_deg(lon_deg: FloatArray) -> float:
    """Longitude below which to add 360 so that the cells sit in one piece: the start of the
    widest empty stretch of longitude, if that is not already the one across ±180; else -inf."""
    lon = np.unique(np.round(lon_deg, 6))
    if lon.size < 2:
        return -math.inf
    gaps = np.diff(lon)
    k = int(np.argmax(gaps))
    wrap = 360.0 - (lon[-1] - lon[0])
    # Only a real hole in longitude (a region across ±180°, such as Fiji or Russia) moves the
    # map; the cell centres of a region all round the globe are never more than ~1° apart.
    if gaps[k] <= wrap or gaps[k] < _MIN_HOLE_DEG:
        return -math.inf
    return float(lon[k] + gaps[k] / 2.0)


def _polygon_rings(cells: npt.NDArray[np.uint64], shift_below: float) -> tuple[list[Any], Any]:
    """Each cell's exterior rings in (lon, lat), and the cell index of each ring."""
    rings: list[Any] = []
    owner: list[int] = []
    for i, geometry in enumerate(grid.cells_to_polygons(cells)):
        if geometry is None:
            continue
        parts = geometry.geoms if hasattr(geometry, "geoms") else [geometry]
        for part in parts:
            xy = np.asarray(part.exterior.coords)
            if xy[:, 0].max() <= shift_below:
                xy = xy + np.array([360.0, 0.0])
            rings.append(xy)
            owner.append(i)
    return rings, np.asarray(owner, dtype=np.int64)


def _border_lines(
    west: float, east: float, south: float, north: float, shift_below: float
) -> list[FloatArray]:
    """Country outlines (exterior and interior rings) that reach into the map's extent."""
    view = shapely.box(west, south, east, north)
    lines: list[FloatArray] = []
    for country in all_countries():
        geometry = country_geometry(country)
        if geometry.is_empty:
            continue
        for offset in (0.0, 360.0) if math.isfinite(shift_below) else (0.0,):
            if offset and geometry.bounds[0] > shift_below:
                continue
            moved = shapely.transform(geometry, lambda xy, d=offset: xy + np.array([d, 0.0]))
            if not moved.intersects(view):
                continue
            for polygon in moved.geoms if hasattr(moved, "geoms") else [moved]:
                for ring in (polygon.exterior, *polygon.interiors):
                    lines.append(np.asarray(ring.coords))
    return lines


def _norm(values: FloatArray, name: str) -> Normalize:
    """Colour scale over the values' range (percentages kept within 0-100); a constant field
    gets a small range around its value that does not go below 0 for non-negative figures."""
    from matplotlib.colors import Normalize

    finite = values[np.isfinite(values)]
    if not finite.size:
        return Normalize(0.0, 1.0)
    low, high = float(finite.min()), float(finite.max())
    if high - low < 1e-9:
        pad = max(1.0, abs(high) * 0.01)
        low, high = low - pad, high + pad
        if finite.min() >= 0.0 and low < 0.0:
            low, high = 0.0, high - low
    if name.startswith("pct_") and high > 100.0:
        low, high = max(0.0, low - (high - 100.0)), 100.0
    return Normalize(low, high)


def _title(result: SweepResult, name: str) -> str:
    plan = result.plan
    what = plan.describe()
    masks = f"mask {plan.min_elevation_deg:g}°"
    if plan.shell_masks:
        masks += (
            " ("
            + ", ".join(
                f"{m.min_altitude_km:g}–{m.max_altitude_km:g} km: {m.min_elevation_deg:g}°"
                for m in plan.shell_masks
            )
            + ")"
        )
    catalog = os.path.basename(plan.catalog.source) or plan.catalog.source
    return (
        f"{figure_label(name)[0].capitalize()} — {plan.region}, H3 resolution {plan.resolution}\n"
        f"{what['start']} to {what['end']}, every {plan.step_s:g} s ({plan.times.size:,} instants)"
        f"\n{masks} · {catalog} ({len(plan.catalog):,} satellites)"
    )


def coverage_map(
    result: SweepResult,
    figure: str = "pct_time_covered",
    *,
    colormap: str | Colormap = "viridis",
    max_polygons: int = MAX_POLYGONS,
) -> Figure:
    """A map of one per-cell figure of ``result`` (a name of `map_figures`), ready to save."""
    import matplotlib
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.colors import Colormap
    from matplotlib.figure import Figure

    label, unit = figure_label(figure)
    columns = result.columns()
    if figure not in columns:
        raise InputError(
            f"figure {figure!r} is not in this sweep: it has {', '.join(columns)}; "
            "ask for pct_time_at_least_K with --at-least K"
        )
    values = np.asarray(columns[figure], dtype=np.float64)
    plan = result.plan
    shift_below = _antimeridian_shift_deg(plan.lon_deg)
    lon = np.where(plan.lon_deg < shift_below, plan.lon_deg + 360.0, plan.lon_deg)
    norm = _norm(values, figure)

    raster = plan.cells.size > max_polygons
    west, east = float(lon.min()), float(lon.max())
    south, north = float(plan.lat_deg.min()), float(plan.lat_deg.max())
    reach_deg = math.degrees(grid.cell_reach_km(plan.resolution) / EARTH_MEAN_RADIUS_KM)
    margin = max(reach_deg, 0.04 * max(east - west, north - south))
    west, east = west - margin, east + margin
    south, north = max(south - margin, -90.0), min(north + margin, 90.0)
    if not math.isfinite(shift_below):
        west, east = max(west, -180.0), min(east, 180.0)

    mid_lat = math.radians((south + north) / 2.0)
    aspect = 1.0 / max(math.cos(mid_lat), 0.2) if (north - south) < 120.0 else 1.0
    width_in = 11.0
    map_height = width_in * 0.82 * (north - south) * aspect / max(east - west, 1e-6)
    fig = Figure(figsize=(width_in, min(max(map_height + 1.6, 4.5), 12.0)), layout="constrained")
    ax = fig.add_subplot()
    ax.set_facecolor("white")
    base = colormap if isinstance(colormap, Colormap) else matplotlib.colormaps[colormap]
    cmap = base.with_extremes(bad=_NO_VALUE_COLOUR)
    mappable: Any
    if raster:
        mappable = _draw_raster(ax, result, values, norm, cmap, (west, east, south, north))
    else:
        rings, owner = _polygon_rings(plan.cells, shift_below)
        mappable = PolyCollection(
            rings, array=np.ma.masked_invalid(values[owner]), cmap=cmap, norm=norm
        )
        mappable.set_edgecolor("face")
        mappable.set_linewidth(0.2)
        ax.add_collection(mappable)
    borders = LineCollection(
        _border_lines(west, east, south, north, shift_below),
        colors=_BORDER_COLOUR,
        linewidths=0.4,
        alpha=0.8,
        zorder=3,
    )
    ax.add_collection(borders)
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(aspect)
    ax.set_xlabel("longitude (° east)")
    ax.set_ylabel("latitude (° north)")
    if math.isfinite(shift_below):
        ticks = ax.get_xticks()
        ax.set_xticks(ticks, [f"{(t + 180.0) % 360.0 - 180.0:g}" for t in ticks])
        ax.set_xlim(west, east)
    bar = fig.colorbar(mappable, ax=ax, shrink=0.85, pad=0.02)
    bar.set_label(f"{label} ({unit})")
    if not np.isfinite(values).all():
        ax.text(
            0.0,
            -0.08 if not raster else -0.1,
            "grey: no value (e.g. no gap, or never covered)",
            transform=ax.transAxes,
            fontsize=8,
            color="#505050",
        )
    ax.set_title(_title(result, figure), fontsize=10)
    return fig


def _draw_raster(
    ax: Any,
    result: SweepResult,
    values: FloatArray,
    norm: Normalize,
    cmap: Colormap,
    extent: tuple[float, float, float, float],
) -> Any:
    """Pixels coloured by the value of the cell each pixel centre falls in (NaN outside)."""
    west, east, south, north = extent
    plan = result.plan
    width = max(200, round(_RASTER_WIDTH_PX * (east - west) / 360.0))
    height = max(100, round(width * (north - south) / max(east - west, 1e-6)))
    lon = west + (np.arange(width) + 0.5) * (east - west) / width
    lat = north - (np.arange(height) + 0.5) * (north - south) / height
    lon = (lon + 180.0) % 360.0 - 180.0
    pixel_cells = grid.latlng_to_cells(lat[:, None], lon[None, :], plan.resolution)
    where = np.searchsorted(plan.cells, pixel_cells)
    where = np.minimum(where, plan.cells.size - 1)
    inside = plan.cells[where] == pixel_cells
    image = np.where(inside, values[where], np.nan)
    # Pixels outside the region are transparent; only the region's cells without a value are
    # grey (the colormap's "bad" colour).
    return ax.imshow(
        np.ma.masked_invalid(image),
        cmap=cmap,
        norm=norm,
        alpha=inside.astype(np.float64),
        interpolation="nearest",
        origin="upper",
        extent=(west, east, south, north),
        aspect="auto",
    )
