"""Where a geofence is: the one containment rule, exact per point and precomputed per cell.

A geofence's area is the union of its GeoJSON region and its explicit H3 cells (any
resolution).  A point is inside when the region holds it (boundary included, planar in
(lon, lat) as GeoJSON and Shapely have it) or when its cell at the resolution of one of the
explicit cells is one of them.  `area_contains` applies that rule point by point; it is the
definition.  `area_cells` precomputes, at the decision grid's resolution, which cells lie
wholly inside (every point of them is inside) and which straddle the edge (their points must
be tested one by one), so that the batch engine tests only the few points near an edge.

That precomputation is the expensive part of a geofence (a hostile region of 10 rings of
100,000 vertices over one cell costs seconds of ``make_valid`` and JSON parsing), so it is done
once per area and resolution and kept: `compiled_area_cells` looks it up in this process's
cache, then in an `AreaCellsStore` (the store's table: it survives restarts), and computes it
only when both miss.  Areas are keyed by their content (`area_key`), so a policy change
elsewhere never recompiles an unchanged geofence, and the region itself is kept as valid WKB:
a later process loads it (only if a point falls in an edge cell) without parsing or repairing.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Polygon

from leolink.arrays import BoolArray, CellArray
from leolink.cache import LruCache
from leolink.earth import WGS84_MIN_CURVATURE_RADIUS_KM
from leolink.geo import grid
from leolink.geo.regions import bbox_to_cells, geojson_to_geometry

__all__ = [
    "AreaCellsStore",
    "CompiledCells",
    "FenceArea",
    "InMemoryAreaCells",
    "area_cells",
    "area_contains",
    "area_key",
    "compiled_area_cells",
    "fence_area",
    "keep_compiled_area",
]


#: A cell's true boundary (H3 edges are arcs of the gnomonic projection) departs from the straight
#: (lon, lat) segments between its vertices by metres at resolution 5; a cell is taken as wholly
#: inside only if its outline grown by this margin (~100 m) is, so no point near an edge is missed.
_EDGE_MARGIN_DEG: Final = 1e-3


def area_key(area_geojson: str | None, cells: tuple[str, ...]) -> str:
    """The key of an area's content (SHA-256 of its canonical text and its sorted cells)."""
    digest = hashlib.sha256(b"leolink-area-v1\n")
    digest.update(b"-" if area_geojson is None else area_geojson.encode("utf-8"))
    digest.update(b"\n" + ",".join(cells).encode("ascii"))
    return digest.hexdigest()


class FenceArea:
    """A geofence's area ready for tests: its region and its explicit cells by resolution.

    The region is built on first use (``geometry``): from valid WKB when it was compiled
    before (`compiled_area_cells`), else parsed and repaired from the GeoJSON text.
    """

    def __init__(
        self,
        area_geojson: str | None,
        cells_by_resolution: dict[int, CellArray],
        *,
        key: str,
        geometry: Polygon | MultiPolygon | None = None,
    ) -> None:
        self.area_geojson = area_geojson
        self.cells_by_resolution = cells_by_resolution
        self.key = key
        self._geometry = geometry
        self._wkb: Callable[[], bytes | None] | None = None
        self._lock = threading.Lock()

    @property
    def has_region(self) -> bool:
        """True when the area has a GeoJSON region (besides or instead of cells)."""
        return self.area_geojson is not None

    def use_geometry(self, geometry: Polygon | MultiPolygon) -> None:
        """Take ``geometry`` (the region, already checked and repaired) as the region."""
        with self._lock:
            if self._geometry is None:
                shapely.prepare(geometry)
                self._geometry = geometry

    def use_wkb(self, wkb: Callable[[], bytes | None]) -> None:
        """Build the region from the WKB ``wkb()`` gives (valid, as compiled before), if it is
        not built yet; ``wkb`` is called on first use of the region only."""
        with self._lock:
            if self._geometry is None and self._wkb is None:
                self._wkb = wkb

    @property
    def geometry(self) -> Polygon | MultiPolygon | None:
        """The region (prepared for point tests), None if the area has only cells."""
        if self.area_geojson is None:
            return None
        with self._lock:
            if self._geometry is None:
                wkb = self._wkb() if self._wkb is not None else None
                if wkb is not None:
                    geometry = shapely.from_wkb(wkb)
                else:
                    geometry = geojson_to_geometry(self.area_geojson)
                shapely.prepare(geometry)
                self._geometry = geometry
            return self._geometry

    def geometry_wkb(self) -> bytes | None:
        """The region as WKB (None without a region)."""
        geometry = self.geometry
        return None if geometry is None else bytes(shapely.to_wkb(geometry))


@lru_cache(maxsize=1024)
def fence_area(area_geojson: str | None, cells: tuple[str, ...]) -> FenceArea:
    """A geofence's area (cached by its text): the region, parsed on first use, and its sorted
    cells per level."""
    by_res: dict[int, CellArray] = {}
    if cells:
        as_int = grid.hex_to_cells(list(cells))
        levels = grid.cells_to_resolution(as_int)
        for res in np.unique(levels).tolist():
            by_res[int(res)] = np.sort(as_int[levels == res])
    return FenceArea(area_geojson, by_res, key=area_key(area_geojson, cells))


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


@dataclass(frozen=True)
class CompiledCells:
    """An area compiled at one resolution: `area_cells`' two arrays and its region as WKB."""

    interior: CellArray
    boundary: CellArray
    geometry_wkb: bytes | None


class AreaCellsStore(Protocol):
    """Where compiled areas are kept between processes (the store's ``compiled_areas``).

    The cells and the region are read apart: the cells are what every policy version needs,
    the region (as large as its GeoJSON) only a point in an edge cell.
    """

    def load(self, key: str, resolution: int) -> tuple[CellArray, CellArray] | None:
        """The (interior, boundary) cells of the area ``key`` compiled at ``resolution``, if
        it was."""

    def region_wkb(self, key: str, resolution: int) -> bytes | None:
        """The region of the area ``key`` as compiled at ``resolution`` (valid WKB), if it was
        and has one."""

    def save(self, key: str, resolution: int, compiled: CompiledCells) -> None:
        """Keep the area ``key`` compiled at ``resolution`` (a second save is a no-op)."""


class InMemoryAreaCells:
    """An `AreaCellsStore` in a dict (the twin of the store's table, for tests and the CLI)."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, int], CompiledCells] = {}
        self._lock = threading.Lock()

    def load(self, key: str, resolution: int) -> tuple[CellArray, CellArray] | None:
        with self._lock:
            found = self._data.get((key, resolution))
        return None if found is None else (found.interior, found.boundary)

    def region_wkb(self, key: str, resolution: int) -> bytes | None:
        with self._lock:
            found = self._data.get((key, resolution))
        return None if found is None else found.geometry_wkb

    def save(self, key: str, resolution: int, compiled: CompiledCells) -> None:
        with self._lock:
            self._data.setdefault((key, resolution), compiled)


#: Areas compiled in this process, by (area key, resolution): what a policy change reuses.
_COMPILED: LruCache[tuple[str, int], tuple[CellArray, CellArray]] = LruCache(1024)

#: How many times this process compiled an area (`area_cells` from its region and cells, the
#: costly step): what tests count to show that a stored area is loaded, not compiled again.
compilations = 0


def compiled_area_cells(
    area: FenceArea, resolution: int, store: AreaCellsStore | None = None, *, save: bool = True
) -> tuple[CellArray, CellArray]:
    """`area_cells` of ``area``, computed once per content and resolution (module docstring).

    A miss here and in ``store`` computes the cells and saves them, with the region's WKB, to
    ``store``; ``area`` builds its region (if a point needs it) from the stored WKB.  With
    ``save=False`` (a preview of an area not proposed) ``store`` is only read, and cells
    computed are not kept in this process either, so that a later proposal of the same area
    still keeps it in the store.
    """
    global compilations
    res = grid.check_resolution(resolution)

    if store is not None and area.has_region:
        # Wherever the cells come from, the region is the stored one (read on first use only).
        area.use_wkb(lambda: store.region_wkb(area.key, res))

    def load_or_compile() -> tuple[CellArray, CellArray]:
        global compilations
        found = store.load(area.key, res) if store is not None else None
        if found is not None:
            return found
        compilations += 1
        interior, boundary = area_cells(area, res)
        if store is not None:
            store.save(area.key, res, CompiledCells(interior, boundary, area.geometry_wkb()))
        return interior, boundary

    if save or store is None:
        return _COMPILED.get_or_compute((area.key, res), load_or_compile)
    kept = _COMPILED.get((area.key, res))
    if kept is not None:
        return kept
    found = store.load(area.key, res)
    if found is not None:
        return found
    compilations += 1
    return area_cells(area, res)


def keep_compiled_area(area: FenceArea, resolution: int, store: AreaCellsStore) -> None:
    """Make sure ``store`` keeps ``area`` compiled at ``resolution`` (at a proposal): compiled
    here unless this process or ``store`` has it, saved unless ``store`` has it already.

    Unlike `compiled_area_cells`, a hit in this process's cache does not stand for the
    store: the same area may have been compiled for another store, or for none.
    """
    global compilations
    res = grid.check_resolution(resolution)
    if store.load(area.key, res) is not None:
        return
    kept = _COMPILED.get((area.key, res))
    if kept is None:
        compilations += 1
        kept = area_cells(area, res)
    store.save(area.key, res, CompiledCells(kept[0], kept[1], area.geometry_wkb()))
    _COMPILED.get_or_compute((area.key, res), lambda: kept)
