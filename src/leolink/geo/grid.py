"""The H3 grid: points to cells, cells to centres, boundaries and areas, the whole world's cells.

This is the only module of leolink that imports ``h3`` (h3-py 4.x, Uber's hexagonal hierarchical
index, https://h3geo.org).  The default resolution is 5, the resolution of Starlink's own
availability map (about 253 km² a cell); resolutions 0-9 are allowed.

Cells are ``numpy.uint64`` arrays in array code and 15-digit hex strings at the edges (files,
HTTP, the command line): `cells_to_hex` and `hex_to_cells` are the two conversions, and
`as_cells` accepts either.  In array functions a bad element is data, not an exception:
``0`` (H3's null index) for a cell that cannot be computed, ``NaN`` for a coordinate or area.

Parents are computed with bit operations on the index layout (H3 index bit layout,
https://h3geo.org/docs/core-library/h3Indexing), so the hierarchy is vectorised without loops.

h3-py 4 has no array form of its per-cell functions, so the others are loops over its
functions.  The whole-world loops (`cells_to_latlng`, `cell_area_km2`, `is_valid_cell` on
integers) call the Cython functions of ``h3._cy`` directly: they are what ``h3.api.basic_int``
calls after an identity conversion of its argument (and, for ``is_valid_cell``, a guard
against non-integers), so the values are the same to the bit, without a Python frame per cell
(2.2x for centres, ``benchmarks/bench_grid.py``).  ``h3._cy`` is h3-py's internal layer:
``tests/geo/test_geo_grid.py`` checks these functions against ``h3.api.basic_int``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from itertools import chain, compress, repeat
from typing import Final

import h3
import h3.api.basic_int as h3i
import h3.api.numpy_int as h3n
import numpy as np
import numpy.typing as npt
from h3 import _cy as h3c

from leolink.arrays import BoolArray, CellArray, FloatArray
from leolink.errors import InputError
from leolink.geo.antimeridian import spherical_rings_to_geometry

__all__ = [
    "DEFAULT_RESOLUTION",
    "MAX_RESOLUTION",
    "NULL_CELL",
    "REACH_FACTOR",
    "as_cells",
    "cell_area_km2",
    "cell_reach_km",
    "cells_to_boundaries",
    "cells_to_children",
    "cells_to_disks",
    "cells_to_hex",
    "cells_to_latlng",
    "cells_to_parents",
    "cells_to_polygons",
    "cells_to_resolution",
    "check_resolution",
    "hex_to_cells",
    "is_valid_cell",
    "latlng_to_cells",
    "world_cells",
]

#: Starlink's availability map is drawn on H3 resolution-5 cells.
DEFAULT_RESOLUTION: Final = 5
#: Finest resolution leolink accepts (H3 goes to 15; res 9 is ~0.1 km², enough for a service map).
MAX_RESOLUTION: Final = 9
#: H3's null index, returned for an element that has no cell (NaN or out-of-range latitude).
NULL_CELL: Final = np.uint64(0)


# H3 index layout (64 bits): 1 reserved, 4 mode, 3 reserved, 4 resolution, 7 base cell,
# then fifteen 3-bit digits; digits finer than the resolution are all 7.
_RES_SHIFT: Final = np.uint64(52)
_RES_MASK: Final = np.uint64(0xF) << _RES_SHIFT
_MODE_CELL: Final = np.uint64(1) << np.uint64(59)
_HIGH_MASK: Final = np.uint64(0xF8) << np.uint64(56)  # reserved bit 63 + mode bits 59-62

# A cell's centre is within REACH_FACTOR x (average edge length) of every point of every one of
# its descendants at any finer resolution.  Measured over all cells at res 0 and 1 down to three
# levels finer: at most 1.135 (the largest cells, at icosahedron face centres, have a
# centre-to-vertex distance of 1.10 average edges, and H3 children overhang their parent a
# little); 1.5 leaves a margin of more than 30 %.  `tests/geo/test_grid.py` checks it.
REACH_FACTOR: Final = 1.5


def check_resolution(resolution: int) -> int:
    """Return ``resolution`` if it is an integer 0-9, else raise `InputError` naming it."""
    if (
        isinstance(resolution, bool)
        or not isinstance(resolution, int | np.integer)
        or not 0 <= int(resolution) <= MAX_RESOLUTION
    ):
        raise InputError(
            f"H3 resolution {resolution!r} is not allowed: give an integer from 0 to "
            f"{MAX_RESOLUTION} (5, the default, is the ~253 km² grid of Starlink's map)"
        )
    return int(resolution)


def latlng_to_cells(
    lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike, resolution: int = DEFAULT_RESOLUTION
) -> CellArray:
    """The cell containing each point, as a ``uint64`` array of the broadcast shape.

    A NaN coordinate or a latitude outside ±90° gives ``0`` (`NULL_CELL`).  h3-py 4 has no
    array form of ``latlng_to_cell``, so this is a tight loop over its C function: about
    1.8 million points a second on one core.
    """
    res = check_resolution(resolution)
    lat, lon = np.broadcast_arrays(
        np.asarray(lat_deg, dtype=np.float64), np.asarray(lon_deg, dtype=np.float64)
    )
    out = np.zeros(lat.shape, dtype=np.uint64)
    ok = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90.0)
    lat_ok = lat[ok].tolist()
    lon_ok = lon[ok].tolist()
    out[ok] = np.fromiter(
        map(h3i.latlng_to_cell, lat_ok, lon_ok, repeat(res)), dtype=np.uint64, count=len(lat_ok)
    )
    return out


def _flat_cells(cells: npt.ArrayLike) -> tuple[CellArray, tuple[int, ...]]:
    arr = np.asarray(cells)
    if arr.dtype.kind in "US":
        arr = hex_to_cells(arr.ravel().tolist()).reshape(arr.shape)
    elif arr.dtype.kind not in "ui" and arr.size:
        raise InputError(f"cells must be uint64 H3 indexes or hex strings, not {arr.dtype}")
    return arr.astype(np.uint64).ravel(), arr.shape


def is_valid_cell(cells: npt.ArrayLike) -> BoolArray:
    """True where an element is a valid H3 cell index (hex strings are accepted too)."""
    arr = np.asarray(cells)
    if arr.dtype.kind in "US" or arr.dtype == object:
        flat = [h3.is_valid_cell(str(c)) for c in arr.ravel().tolist()]
        return np.array(flat, dtype=bool).reshape(arr.shape)
    flat_cells = arr.astype(np.uint64).ravel().tolist()
    return np.fromiter(map(h3c.is_valid_cell, flat_cells), dtype=bool, count=arr.size).reshape(
        arr.shape
    )


def cells_to_hex(cells: npt.ArrayLike) -> list[str]:
    """Cells as H3's 15-digit lower-case hex strings, the form used at the edges (JSON, CLI)."""
    flat, _ = _flat_cells(cells)
    return [h3i.int_to_str(c) for c in flat.tolist()]


def hex_to_cells(hexes: Iterable[str]) -> CellArray:
    """Hex strings to a ``uint64`` cell array; raise `InputError` naming the first invalid one."""
    out: list[int] = []
    for text in hexes:
        value = str(text).strip().lower()
        if not h3.is_valid_cell(value):
            raise InputError(
                f"{text!r} is not a valid H3 cell: expected 15 hex digits such as '85283473fffffff'"
            )
        out.append(h3.str_to_int(value))
    return np.array(out, dtype=np.uint64)


def as_cells(cells: npt.ArrayLike | Iterable[str | int]) -> CellArray:
    """Accept cells as ints, a ``uint64`` array or hex strings; return a flat ``uint64`` array.

    Unlike the array functions this is an edge conversion: an invalid cell raises `InputError`.
    """
    if isinstance(cells, np.ndarray):
        arr = cells
    elif isinstance(cells, str | int | np.integer):
        arr = np.asarray([cells])
    else:
        arr = np.asarray(list(cells))  # type: ignore[arg-type]
    if arr.size == 0:
        return np.zeros(0, dtype=np.uint64)
    flat, _ = _flat_cells(arr)
    bad = ~is_valid_cell(flat)
    if bad.any():
        raise InputError(
            f"{int(bad.sum())} invalid H3 cell(s), first {int(flat[bad][0]):#x}: expected "
            "H3 cell indexes such as 0x85283473fffffff"
        )
    return flat


def cells_to_resolution(cells: npt.ArrayLike) -> npt.NDArray[np.int8]:
    """The resolution of each cell (read from the index bits; meaningless for invalid cells)."""
    arr = np.asarray(cells, dtype=np.uint64)
    return ((arr & _RES_MASK) >> _RES_SHIFT).astype(np.int8)


def cells_to_parents(cells: npt.ArrayLike, resolution: int) -> CellArray:
    """Each cell's ancestor at ``resolution``, vectorised with bit operations.

    An element that is not a cell index, or is coarser than ``resolution``, gives ``0``.
    """
    res = check_resolution(resolution)
    arr = np.asarray(cells, dtype=np.uint64)
    own = (arr & _RES_MASK) >> _RES_SHIFT
    ok = ((arr & _HIGH_MASK) == _MODE_CELL) & (own >= np.uint64(res))
    low = (np.uint64(1) << np.uint64(3 * (15 - res))) - np.uint64(1)
    parent = (arr & ~_RES_MASK) | (np.uint64(res) << _RES_SHIFT) | low
    return np.where(ok, parent, NULL_CELL)


def cells_to_children(cells: npt.ArrayLike, resolution: int) -> CellArray:
    """All descendants at ``resolution`` of the given cells, concatenated in input order."""
    res = check_resolution(resolution)
    flat = as_cells(cells)
    if flat.size == 0:
        return np.zeros(0, dtype=np.uint64)
    own = cells_to_resolution(flat)
    if (own > res).any():
        raise InputError(
            f"cannot take resolution-{res} children of a resolution-{int(own.max())} cell: "
            "give a resolution at least as fine as the cells'"
        )
    parts = [np.asarray(h3n.cell_to_children(c, res), dtype=np.uint64) for c in flat.tolist()]
    return np.concatenate(parts)


def _valid_cells(flat: CellArray) -> tuple[BoolArray, list[int]]:
    """Which of ``flat`` are valid cells, and those cells as Python ints (for h3's loops)."""
    values = flat.tolist()
    ok = np.fromiter(map(h3c.is_valid_cell, values), dtype=bool, count=len(values))
    return ok, values if ok.all() else list(compress(values, ok))


def cells_to_latlng(cells: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Centre latitude and longitude (degrees) of each cell; NaN for an invalid element."""
    flat, shape = _flat_cells(cells)
    lat = np.full(flat.shape, np.nan)
    lon = np.full(flat.shape, np.nan)
    ok, valid = _valid_cells(flat)
    # (lat, lon) pairs flattened straight into one array: no list of 2-tuples to convert.
    pairs = map(h3c.cell_to_latlng, valid)
    centres = np.fromiter(chain.from_iterable(pairs), dtype=np.float64, count=2 * len(valid))
    lat[ok], lon[ok] = centres[0::2], centres[1::2]
    return lat.reshape(shape), lon.reshape(shape)


def cells_to_boundaries(cells: npt.ArrayLike) -> list[FloatArray]:
    """Each cell's boundary as an ``(K, 2)`` array of (lat, lon) degrees, K = 5 to 10 vertices.

    Vertices are in H3's counter-clockwise order, not closed.  An invalid cell gives ``(0, 2)``.
    """
    flat, _ = _flat_cells(cells)
    out: list[FloatArray] = []
    for c in flat.tolist():
        if h3i.is_valid_cell(c):
            out.append(np.array(h3i.cell_to_boundary(c), dtype=np.float64))
        else:
            out.append(np.zeros((0, 2), dtype=np.float64))
    return out


def cells_to_polygons(cells: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Each cell as a Shapely geometry in (lon, lat) degrees, ready for GeoJSON.

    A cell that straddles the antimeridian is cut there into a two-part MultiPolygon
    (RFC 7946 §3.1.9); the cell around each pole is closed through the pole.  An invalid cell
    gives ``None``.
    """
    boundaries = cells_to_boundaries(cells)
    out = np.empty(len(boundaries), dtype=object)
    for i, b in enumerate(boundaries):
        if len(b) == 0:
            out[i] = None
            continue
        ring = np.vstack([b[:, ::-1], b[:1, ::-1]])
        out[i] = spherical_rings_to_geometry([ring])
    return out


def cell_area_km2(cells: npt.ArrayLike) -> FloatArray:
    """Area of each cell in km² on H3's authalic sphere (R = 6371.007 km); NaN if invalid."""
    flat, shape = _flat_cells(cells)
    area = np.full(flat.shape, np.nan)
    ok, valid = _valid_cells(flat)
    areas = map(h3c.cell_area, valid, repeat("km^2"))
    area[ok] = np.fromiter(areas, dtype=np.float64, count=len(valid))
    return area.reshape(shape)


def cell_reach_km(resolution: int) -> float:
    """An upper bound (km) on the distance from a cell's centre to any point of its descendants.

    Used to decide that a whole cell, with everything inside it at finer resolutions, lies on
    one side of a border: `REACH_FACTOR` times H3's average edge length at ``resolution``.
    """
    res = check_resolution(resolution)
    return REACH_FACTOR * float(h3.average_hexagon_edge_length(res, "km"))


@cache
def _world_cells(res: int) -> CellArray:
    base = np.asarray(h3n.get_res0_cells(), dtype=np.uint64)
    cells = np.concatenate([np.asarray(h3n.cell_to_children(c, res)) for c in base.tolist()])
    cells = np.sort(cells.astype(np.uint64))
    cells.flags.writeable = False
    return cells


def world_cells(resolution: int = DEFAULT_RESOLUTION) -> CellArray:
    """Every cell of the world at ``resolution``, sorted, as a read-only ``uint64`` array.

    Built from the children of the 122 resolution-0 cells and cached: resolution 5 has
    2,016,842 cells (2 + 120 x 7^5, h3 ``get_num_cells``) and takes about 0.2 s.
    """
    return _world_cells(check_resolution(resolution))


def cells_to_disks(cells: npt.ArrayLike, k: int = 1) -> tuple[CellArray, CellArray]:
    """Every cell within ``k`` grid steps of each cell: ``(origin, cell)`` pairs, flat arrays.

    The pairs include each cell with itself.  Invalid cells give no pair.  A loop over h3's
    ``grid_disk`` (no array form in h3-py 4), used to join neighbouring cells into areas.
    """
    flat, _ = _flat_cells(cells)
    origins: list[int] = []
    members: list[int] = []
    for cell in flat.tolist():
        if not h3c.is_valid_cell(cell):
            continue
        disk = h3i.grid_disk(cell, k)
        origins.extend(repeat(cell, len(disk)))
        members.extend(disk)
    return np.array(origins, dtype=np.uint64), np.array(members, dtype=np.uint64)
