"""Where a geofence is: the one containment rule, exact per point and precomputed per cell.

A geofence's area is the union of its GeoJSON region and its explicit H3 cells (any
resolution).  A point is inside when the region holds it (boundary included, planar in
(lon, lat) as GeoJSON and Shapely have it) or when its cell at the resolution of one of the
explicit cells is one of them.  `area_contains` applies that rule point by point; it is the
definition.  `area_cells` precomputes, at the decision grid's resolution, which cells lie
wholly inside (every point of them is inside) and which straddle the edge (their points must
be tested one by one), so that the batch engine tests only the few points near an edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Polygon

from leolink.arrays import BoolArray, CellArray
from leolink.earth import WGS84_MIN_CURVATURE_RADIUS_KM
from leolink.geo import grid
from leolink.geo.regions import bbox_to_cells, geojson_to_geometry

__all__ = ["FenceArea", "area_cells", "area_contains", "fence_area"]


#: A cell's true boundary (H3 edges are arcs of the gnomonic projection) departs from the straight
#: (lon, lat) segments between its vertices by metres at resolution 5; a cell is taken as wholly
#: inside only if its outline grown by this margin (~100 m) is, so no point near an edge is missed.
_EDGE_MARGIN_DEG: Final = 1e-3


@dataclass(frozen=True, eq=False)
class FenceArea:
    """A geofence's area ready for tests: its region (prepared) and explicit cells by resolution."""

    geometry: Polygon | MultiPolygon | None
    cells_by_resolution: dict[int, CellArray]


@lru_cache(maxsize=1024)
def fence_area(area_geojson: str | None, cells: tuple[str, ...]) -> FenceArea:
    """Parse a geofence's area once (cached by its text): the region and sorted cells per level."""
    geometry = None
    if area_geojson is not None:
        geometry = geojson_to_geometry(area_geojson)
        shapely.prepare(geometry)
    by_res: dict[int, CellArray] = {}
    if cells:
        as_int = grid.hex_to_cells(list(cells))
        levels = grid.cells_to_resolution(as_int)
        for res in np.unique(levels).tolist():
            by_res[int(res)] = np.sort(as_int[levels == res])
    return FenceArea(geometry, by_res)


def area_contains(area: FenceArea, lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> BoolArray:
    """True where a point is inside the area (the containment rule of the module docstring)."""
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=np.float64))
    lon = np.atleast_1d(np.asarray(lon_deg, dtype=np.float64))
    inside = np.zeros(lat.shape, dtype=bool)
    if lat.size == 0:
        return inside
    if area.geometry is not None:
        inside |= np.asarray(shapely.intersects_xy(area.geometry, lon, lat), dtype=bool)
    for res, cells in area.cells_by_resolution.items():
        inside |= np.isin(grid.latlng_to_cells(lat, lon, res), cells)
    return inside


def _candidate_cells(geometry: Polygon | MultiPolygon, resolution: int) -> CellArray:
    """Every cell at ``resolution`` that may hold a point of ``geometry`` (a superset).

    A point of the region lies within `grid.cell_reach_km` of its cell's centre, so that centre
    lies in the region's bounding box grown by the reach; the box is grown in degrees of
    longitude for the highest latitude it reaches, and spans all longitudes near a pole.
    """
    west, south, east, north = geometry.bounds
    # The smallest radius of curvature bounds the degrees a distance spans anywhere (the polar
    # radius b, used before, is larger than the meridional radius near the equator).
    dlat = math.degrees(grid.cell_reach_km(resolution) / WGS84_MIN_CURVATURE_RADIUS_KM)
    south, north = max(-90.0, south - dlat), min(90.0, north + dlat)
    top = max(abs(south), abs(north))
    if top >= 89.0:
        west, east = -180.0, 180.0
    else:
        dlon = dlat / math.cos(math.radians(top))
        west, east = west - dlon, east + dlon
        if east - west >= 360.0:
            west, east = -180.0, 180.0
        else:
            west = (west + 180.0) % 360.0 - 180.0 if west < -180.0 else west
            east = (east + 180.0) % 360.0 - 180.0 if east > 180.0 else east
    return bbox_to_cells(west, south, east, north, resolution)


def _classify(
    region: Polygon | MultiPolygon, resolution: int, grow_deg: float
) -> tuple[CellArray, CellArray]:
    """Cells at ``resolution`` wholly inside ``region`` and those touching it.

    A cell is taken as wholly inside when its outline grown by ``grow_deg`` lies in the region:
    the margin covers the gap between the cell's true boundary and its straight (lon, lat)
    outline, and, for a region made of cells, the same gap on the region's side.
    """
    candidates = _candidate_cells(region, resolution)
    outlines = grid.cells_to_polygons(candidates)
    within = np.asarray(shapely.within(shapely.buffer(outlines, grow_deg), region), dtype=bool)
    touches = np.asarray(
        shapely.intersects(shapely.buffer(outlines, _EDGE_MARGIN_DEG), region), dtype=bool
    )
    return candidates[within], candidates[touches & ~within]


def area_cells(area: FenceArea, resolution: int) -> tuple[CellArray, CellArray]:
    """(``interior``, ``boundary``) cells at ``resolution``, sorted and disjoint.

    Every point whose cell is in ``interior`` is inside the area; a point whose cell is in
    ``boundary`` may be, and must be tested with `area_contains`; a point in any other cell is
    outside.  Explicit cells at ``resolution`` are interior.  H3 is not exactly hierarchical
    (a child overhangs its parent), so cells at other resolutions are handled as a region: the
    union of their outlines, classified like a GeoJSON region, with twice the margin.
    """
    res = grid.check_resolution(resolution)
    interior: list[CellArray] = []
    boundary: list[CellArray] = []
    for level, cells in area.cells_by_resolution.items():
        if level == res:
            interior.append(cells)
            continue
        region = shapely.union_all(grid.cells_to_polygons(cells))
        inner, edge = _classify(region, res, 2 * _EDGE_MARGIN_DEG)
        interior.append(inner)
        boundary.append(edge)
    if area.geometry is not None:
        inner, edge = _classify(area.geometry, res, _EDGE_MARGIN_DEG)
        interior.append(inner)
        boundary.append(edge)
    inner = np.unique(np.concatenate(interior)) if interior else np.zeros(0, np.uint64)
    edge = np.unique(np.concatenate(boundary)) if boundary else np.zeros(0, np.uint64)
    edge = edge[~np.isin(edge, inner)]
    return inner.astype(np.uint64), edge.astype(np.uint64)
