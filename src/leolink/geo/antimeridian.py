"""Spherical rings to planar (lon, lat) geometry cut at the antimeridian and closed at the poles.

Sources that think on the sphere (TopoJSON from d3's world-atlas, H3 cell boundaries) give rings
whose consecutive vertices may jump across ±180° of longitude, and rings that go round a pole
(Antarctica, the polar H3 cells).  Shapely and GeoJSON (RFC 7946 §3.1.9) want planar rings in
[-180, 180]: this module unwraps each ring so that every edge takes the short way in longitude,
closes a ring that winds once round the globe through the pole it encircles, and cuts the result
into the [-180, 180] window.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.polygon import orient

from leolink.arrays import FloatArray

__all__ = ["spherical_rings_to_geometry", "unwrap_longitudes_deg"]


def unwrap_longitudes_deg(lon_deg: FloatArray) -> FloatArray:
    """Longitudes made continuous: every step between neighbours is taken the short way (<180°)."""
    step = np.diff(lon_deg)
    step = (step + 180.0) % 360.0 - 180.0
    return np.concatenate([lon_deg[:1], lon_deg[0] + np.cumsum(step)])


def _unwrapped_ring(ring_lonlat: FloatArray) -> FloatArray | None:
    ring = np.asarray(ring_lonlat, dtype=np.float64)
    if len(ring) < 3:
        return None
    if not np.array_equal(ring[0], ring[-1]):
        ring = np.vstack([ring, ring[:1]])
    lon = unwrap_longitudes_deg(ring[:, 0])
    lat = ring[:, 1]
    winding = lon[-1] - lon[0]
    if abs(winding) > 180.0:
        # The ring goes once round the globe: it encloses the pole on its side of the equator.
        pole = -90.0 if float(np.mean(lat)) < 0.0 else 90.0
        lon = np.concatenate([lon, [lon[-1], lon[0], lon[0]]])
        lat = np.concatenate([lat, [pole, pole, lat[0]]])
    if len(lon) < 4:
        return None
    return np.column_stack([lon, lat])


def spherical_rings_to_geometry(
    rings_lonlat: Sequence[npt.ArrayLike],
) -> Polygon | MultiPolygon:
    """One spherical polygon (exterior ring, then holes) as a valid planar (lon, lat) geometry.

    Each ring is an ``(n, 2)`` array of (lon, lat) degrees.  Edges take the short way in
    longitude; the result lies in [-180, 180] and is a MultiPolygon when it straddles ±180°.
    Rings with fewer than three distinct points are dropped; an empty polygon results if the
    exterior is one of them.
    """
    unwrapped = [_unwrapped_ring(np.asarray(r, dtype=np.float64)) for r in rings_lonlat]
    if not unwrapped or unwrapped[0] is None:
        return Polygon()
    shell = shapely.make_valid(Polygon(unwrapped[0]))
    for hole in unwrapped[1:]:
        if hole is None:
            continue
        hole_poly = shapely.make_valid(Polygon(hole))
        # A hole unwrapped on its own may sit one turn away from the part of the shell it cuts.
        for turn in (-720.0, -360.0, 0.0, 360.0, 720.0):
            shell = shell.difference(shapely.affinity.translate(hole_poly, xoff=turn))
    pieces: list[Polygon] = []
    xmin, _, xmax, _ = shell.bounds if not shell.is_empty else (0.0, 0.0, 0.0, 0.0)
    first = int(np.floor((xmin + 180.0) / 360.0))
    last = int(np.floor((xmax + 180.0) / 360.0))
    for turn in range(first, last + 1):
        window = box(-180.0 + 360.0 * turn, -90.0, 180.0 + 360.0 * turn, 90.0)
        part = shapely.affinity.translate(shell.intersection(window), xoff=-360.0 * turn)
        pieces.extend(_polygons_of(part))
    if not pieces:
        return Polygon()
    if len(pieces) == 1:
        return orient(pieces[0], 1.0)
    merged = shapely.unary_union(pieces)
    return _as_oriented(merged)


def _polygons_of(geom: shapely.Geometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [] if geom.is_empty or geom.area == 0.0 else [geom]
    if isinstance(geom, MultiPolygon | shapely.GeometryCollection):
        out: list[Polygon] = []
        for g in geom.geoms:
            out.extend(_polygons_of(g))
        return out
    return []


def _as_oriented(geom: shapely.Geometry) -> Polygon | MultiPolygon:
    """Exterior rings counter-clockwise, holes clockwise, as RFC 7946 recommends."""
    polys = [orient(p, 1.0) for p in _polygons_of(geom)]
    if len(polys) == 1:
        return polys[0]
    return MultiPolygon(polys)
