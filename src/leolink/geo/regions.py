"""Regions -> H3 cells: a country, a GeoJSON polygon or a bounding box, at resolution 0-9.

Containment rule: a cell belongs to a region when its centre lies in the region (boundary
included), the rule of h3's ``polygon_to_cells``.  Regions are planar in (lon, lat) degrees, as
GeoJSON (RFC 7946) and Shapely have them: an edge is straight in longitude and latitude, and a
region that crosses the antimeridian is given cut in two (the vendored borders are; a bounding
box with west > east is cut here).  One more rule: a region too small to hold any cell centre
(Vatican, Monaco, an islet) gets the single cell that contains its representative point
(Shapely ``point_on_surface`` of its largest part), so that every non-empty region has a cell.

How: h3's own ``polygon_to_cells`` is not used, because it guesses that a ring wider than 180°
of longitude crosses the antimeridian and has no notion of a polygon that holds a pole.
Instead the hierarchy is walked from the 122 resolution-0 cells: a cell whose centre has no
region edge within `grid.cell_reach_km` (all its descendants lie that close) is wholly inside
or wholly outside, so all its descendants at the target resolution are taken or dropped at
once; cells near an edge are split into their children, and at the target resolution each
centre is tested with Shapely.  The edge search uses (lon, lat) boxes that hold the spherical
cap round each centre, cut at ±180° and open to every longitude near a pole, which makes the
result exact at the antimeridian and at the poles (Antarctica covers the South Pole cell).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from leolink.arrays import CellArray
from leolink.errors import RegionError
from leolink.geo import grid
from leolink.geo._nearby import SegmentIndex
from leolink.geo.countries import (
    Country,
    all_countries,
    country_geometry,
    country_representative_point,
    get_country,
)

__all__ = [
    "MAX_CELLS",
    "bbox_to_cells",
    "bbox_to_geometry",
    "country_to_cells",
    "geojson_to_cells",
    "geojson_to_geometry",
    "geojson_vertices",
    "geometry_to_cells",
]

_log = logging.getLogger(__name__)

#: Refuse to produce more cells than this (20 M cells are 160 MB): ask for a coarser resolution.
MAX_CELLS: Final = 20_000_000

Polygonal: TypeAlias = Polygon | MultiPolygon


def geojson_vertices(obj: Any) -> int:
    """Vertices of a parsed GeoJSON object's rings (cheap: no geometry is built): its
    positions, the closing one of each ring not counted (a ring of 100,000 vertices has 100,001
    positions).  What the limits on geofences count, before any costly repair."""
    if isinstance(obj, list):
        if obj and isinstance(obj[0], int | float):
            return 1
        if obj and isinstance(obj[0], list) and obj[0] and isinstance(obj[0][0], int | float):
            return max(len(obj) - 1, 0)  # a ring
        return sum(geojson_vertices(x) for x in obj)
    if isinstance(obj, dict):
        return sum(
            geojson_vertices(obj[k])
            for k in ("coordinates", "geometry", "features", "geometries")
            if k in obj
        )
    return 0


def _polygonal(geom: shapely.Geometry) -> Polygonal:
    parts: list[Polygon] = []

    def walk(g: shapely.Geometry) -> None:
        if isinstance(g, Polygon):
            if not g.is_empty and g.area > 0.0:
                parts.append(g)
        elif hasattr(g, "geoms"):
            for sub in g.geoms:
                walk(sub)

    walk(geom)
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


def _boundary_index(geom: Polygonal) -> SegmentIndex:
    starts, ends = [], []
    for ring in shapely.get_rings(shapely.get_parts(geom)).tolist():
        xy = np.asarray(ring.coords, dtype=np.float64)
        starts.append(xy[:-1])
        ends.append(xy[1:])
    s, e = np.concatenate(starts), np.concatenate(ends)
    return SegmentIndex.build(s, e, np.zeros(len(s), dtype=np.intp))


def _fallback_cell(geom: Polygonal, res: int) -> CellArray:
    largest = max(shapely.get_parts(geom).tolist(), key=lambda p: p.area)
    point = largest.point_on_surface()
    return grid.latlng_to_cells(np.array([point.y]), np.array([point.x]), res)


def geometry_to_cells(
    geometry: shapely.Geometry, resolution: int = grid.DEFAULT_RESOLUTION
) -> CellArray:
    """Cells (sorted ``uint64``) whose centre lies in a (lon, lat) Shapely geometry.

    Non-polygonal parts are ignored; an empty geometry gives no cell; a non-empty one too small
    to hold a centre gives the one cell of its representative point.
    """
    res = grid.check_resolution(resolution)
    geom = _polygonal(geometry)
    if geom.is_empty:
        return np.zeros(0, dtype=np.uint64)
    shapely.prepare(geom)
    edges = _boundary_index(geom)
    found: list[CellArray] = []
    total = 0
    cells = grid.world_cells(0)
    for level in range(res + 1):
        lat, lon = grid.cells_to_latlng(cells)
        inside = np.asarray(shapely.intersects_xy(geom, lon, lat), dtype=bool)
        if level == res:
            found.append(cells[inside])
            break
        near = edges.any_within(lat, lon, grid.cell_reach_km(level))
        whole = cells[inside & ~near]
        total += whole.size * 7 ** (res - level) + int(near.sum())
        if total > MAX_CELLS:
            raise RegionError(
                f"the region holds more than {MAX_CELLS:,} cells at resolution {res}: "
                "ask for a coarser resolution or a smaller region"
            )
        found.append(grid.cells_to_children(whole, res))
        cells = grid.cells_to_children(cells[near], level + 1)
    out = np.unique(np.concatenate(found))
    if out.size == 0:
        out = _fallback_cell(geom, res)
    return out


@lru_cache(maxsize=256)
def _country_cells(index: int, res: int) -> CellArray:
    country = all_countries()[index]
    geom = country_geometry(country)
    if geom.is_empty:  # Vatican and Ashmore and Cartier Is. collapsed to a point at 1:50m
        lat, lon = country_representative_point(country)
        cells = grid.latlng_to_cells(np.array([lat]), np.array([lon]), res)
    else:
        cells = geometry_to_cells(geom, res)
    cells.flags.writeable = False
    return cells


def country_to_cells(
    code: str | int | Country, resolution: int = grid.DEFAULT_RESOLUTION
) -> CellArray:
    """Cells whose centre is on a country's land (not its territorial sea); cached, read-only.

    ``code`` is an ISO alpha-2, alpha-3 or numeric code (`countries.get_country`).  Every country
    gets at least one cell: the one of `countries.country_representative_point` when no centre
    falls on its land (Vatican, Monaco, Nauru, Tuvalu at resolution 5).
    """
    return _country_cells(get_country(code).index, grid.check_resolution(resolution))


def _check_lonlat(west: float, south: float, east: float, north: float) -> None:
    values = {"west": west, "south": south, "east": east, "north": north}
    for name, value in values.items():
        if not isinstance(value, int | float | np.floating | np.integer) or not math.isfinite(
            value
        ):
            raise RegionError(f"bounding box {name}={value!r} is not a finite number of degrees")
    for name in ("south", "north"):
        if not -90.0 <= values[name] <= 90.0:
            raise RegionError(f"bounding box {name}={values[name]!r} is outside -90..90 degrees")
    for name in ("west", "east"):
        if not -180.0 <= values[name] <= 180.0:
            raise RegionError(f"bounding box {name}={values[name]!r} is outside -180..180 degrees")


def bbox_to_geometry(
    west_deg: float, south_deg: float, east_deg: float, north_deg: float
) -> Polygonal:
    """A (W, S, E, N) box in degrees as (lon, lat) geometry; west > east crosses ±180°.

    A box with south >= north, or west == east, is refused: it has no area (for the whole world
    give -180, -90, 180, 90).
    """
    _check_lonlat(west_deg, south_deg, east_deg, north_deg)
    if not south_deg < north_deg:
        raise RegionError(
            f"bounding box south={south_deg} is not below north={north_deg}: give W,S,E,N"
        )
    if west_deg == east_deg:
        raise RegionError(
            f"bounding box west = east = {west_deg}: it has no width (whole world: -180,-90,180,90)"
        )
    if west_deg < east_deg:
        return box(west_deg, south_deg, east_deg, north_deg)
    return MultiPolygon(
        [box(west_deg, south_deg, 180.0, north_deg), box(-180.0, south_deg, east_deg, north_deg)]
    )


def bbox_to_cells(
    west_deg: float,
    south_deg: float,
    east_deg: float,
    north_deg: float,
    resolution: int = grid.DEFAULT_RESOLUTION,
) -> CellArray:
    """Cells whose centre is in the (W, S, E, N) box; west > east means across the antimeridian."""
    return geometry_to_cells(bbox_to_geometry(west_deg, south_deg, east_deg, north_deg), resolution)


# --------------------------------------------------------------------------- GeoJSON input


def _ring(raw: Any, where: str) -> npt.NDArray[np.float64]:
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise RegionError(f"{where}: a linear ring must be a list of [lon, lat] positions")
    try:
        xy = np.array([[float(p[0]), float(p[1])] for p in raw], dtype=np.float64)
    except (TypeError, ValueError, IndexError, KeyError) as exc:
        raise RegionError(f"{where}: every position must be [lon, lat] numbers ({exc})") from exc
    if len(xy) < 4:
        raise RegionError(
            f"{where}: a linear ring needs at least 4 positions (3 corners and the first again), "
            f"got {len(xy)}"
        )
    if not np.isfinite(xy).all():
        raise RegionError(f"{where}: coordinates must be finite numbers, got NaN or infinity")
    bad_lat = np.abs(xy[:, 1]) > 90.0
    if bad_lat.any():
        lon, lat = xy[bad_lat][0]
        raise RegionError(
            f"{where}: latitude {lat} (position [{lon}, {lat}]) is outside -90..90; "
            "GeoJSON positions are [lon, lat]: are the two swapped?"
        )
    bad_lon = np.abs(xy[:, 0]) > 180.0
    if bad_lon.any():
        lon, lat = xy[bad_lon][0]
        raise RegionError(
            f"{where}: longitude {lon} (position [{lon}, {lat}]) is outside -180..180; "
            "cut the polygon at the antimeridian instead (RFC 7946 §3.1.9)"
        )
    if not np.array_equal(xy[0], xy[-1]):
        raise RegionError(
            f"{where}: the ring is not closed: it starts at {xy[0].tolist()} and ends at "
            f"{xy[-1].tolist()}; repeat the first position at the end (RFC 7946 §3.1.6)"
        )
    if (np.abs(np.diff(xy[:, 0])) > 180.0).any():
        _log.warning(
            "%s: an edge spans more than 180° of longitude; it is taken as drawn (planar), "
            "not as crossing the antimeridian: cut such polygons at ±180° (RFC 7946 §3.1.9)",
            where,
        )
    return xy


def _polygon(raw: Any, where: str) -> Polygon:
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes) or len(raw) == 0:
        raise RegionError(f"{where}: a Polygon needs a list of rings (exterior first)")
    rings = [_ring(r, f"{where} ring {i}") for i, r in enumerate(raw)]
    return Polygon(rings[0], rings[1:])


def _geometries(obj: Any, where: str) -> list[Polygon]:
    if not isinstance(obj, Mapping):
        raise RegionError(f"{where}: expected a GeoJSON object, got {type(obj).__name__}")
    kind = obj.get("type")
    if kind == "Feature":
        return _geometries(obj.get("geometry"), f"{where}.geometry")
    if kind == "FeatureCollection":
        out: list[Polygon] = []
        for i, feature in enumerate(obj.get("features") or []):
            out += _geometries(feature, f"{where}.features[{i}]")
        return out
    if kind == "GeometryCollection":
        out = []
        for i, g in enumerate(obj.get("geometries") or []):
            out += _geometries(g, f"{where}.geometries[{i}]")
        return out
    if kind == "Polygon":
        return [_polygon(obj.get("coordinates"), where)]
    if kind == "MultiPolygon":
        coords = obj.get("coordinates")
        if not isinstance(coords, Sequence):
            raise RegionError(f"{where}: MultiPolygon coordinates must be a list of polygons")
        return [_polygon(p, f"{where} polygon {i}") for i, p in enumerate(coords)]
    raise RegionError(
        f"{where}: GeoJSON type {kind!r} is not a region: give a Polygon, MultiPolygon, "
        "Feature, FeatureCollection or GeometryCollection of those"
    )


def geojson_to_geometry(geojson: Mapping[str, Any] | str) -> Polygonal:
    """Parse and check a GeoJSON region; repair what can be repaired, refuse the rest.

    Refused with `RegionError`: malformed JSON, non-polygonal types, rings with fewer than
    4 positions or not closed, NaN/infinite coordinates, latitudes beyond ±90 (often swapped
    lon/lat), longitudes beyond ±180, and regions with no area.  Self-intersecting polygons
    (a bow-tie) are repaired with ``shapely.make_valid`` and a warning is logged.
    """
    if isinstance(geojson, str):
        try:
            geojson = json.loads(geojson)
        except json.JSONDecodeError as exc:
            raise RegionError(f"the region is not valid JSON: {exc}") from exc
    polygons = _geometries(geojson, "GeoJSON")
    if not polygons:
        raise RegionError("the GeoJSON region holds no polygon")
    repaired: list[shapely.Geometry] = []
    for i, poly in enumerate(polygons):
        if not poly.is_valid:
            reason = shapely.is_valid_reason(poly)
            _log.warning("GeoJSON polygon %d is invalid (%s): repaired with make_valid", i, reason)
            repaired.append(shapely.make_valid(poly))
        else:
            repaired.append(poly)
    geom = _polygonal(shapely.unary_union(repaired))
    if geom.is_empty:
        raise RegionError("the GeoJSON region has no area (all its polygons are degenerate)")
    return geom


def geojson_to_cells(
    geojson: Mapping[str, Any] | str, resolution: int = grid.DEFAULT_RESOLUTION
) -> CellArray:
    """Cells whose centre lies in a GeoJSON Polygon/MultiPolygon/Feature(Collection)."""
    return geometry_to_cells(geojson_to_geometry(geojson), resolution)
