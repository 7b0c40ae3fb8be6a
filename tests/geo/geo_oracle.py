"""Independent reference computations for the geo tests.

Distance to a country is measured here in a different way from `leolink.geo._nearby`: the
country is projected onto an azimuthal equidistant plane centred on the point (spherical Earth,
IUGG mean radius 6371.0088 km; Snyder, *Map Projections: A Working Manual*, USGS PP 1395,
eqs. 25-2 and 22-4/22-5), where the distance from the centre is true, and Shapely measures it.
The sphere differs from WGS84 by up to 0.5 %, so comparisons allow that.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import box

from leolink.earth import EARTH_MEAN_RADIUS_KM
from leolink.geo.countries import Country, all_countries, country_geometry

MEAN_RADIUS_KM = EARTH_MEAN_RADIUS_KM
SPHERE_TOLERANCE = 0.005  # sphere vs WGS84


def aeqd_distance_km(lat_deg: float, lon_deg: float, geometry: shapely.Geometry) -> float:
    """Distance from a point to a (lon, lat) geometry, 0 inside it."""
    la0, lo0 = np.radians(lat_deg), np.radians(lon_deg)
    # Only the part within ~3 degrees of arc matters for the tests and keeps the projection sane.
    near = geometry.intersection(box(-180, max(-90, lat_deg - 3), 180, min(90, lat_deg + 3)))
    near = shapely.segmentize(near, 0.01)

    def project(xy: np.ndarray) -> np.ndarray:
        la, lo = np.radians(xy[:, 1]), np.radians(xy[:, 0])
        cos_c = np.sin(la0) * np.sin(la) + np.cos(la0) * np.cos(la) * np.cos(lo - lo0)
        c = np.arccos(np.clip(cos_c, -1.0, 1.0))
        k = np.where(c > 0, c / np.maximum(np.sin(c), 1e-300), 1.0)
        x = MEAN_RADIUS_KM * k * np.cos(la) * np.sin(lo - lo0)
        y = (
            MEAN_RADIUS_KM
            * k
            * (np.cos(la0) * np.sin(la) - np.sin(la0) * np.cos(la) * np.cos(lo - lo0))
        )
        return np.column_stack([x, y])

    if near.is_empty:
        return float("inf")
    return float(shapely.distance(shapely.Point(0.0, 0.0), shapely.transform(near, project)))


def nearest_countries_km(
    lat_deg: float, lon_deg: float, within_deg: float = 1.0
) -> list[tuple[float, Country]]:
    """(distance, country) for every country whose borders come within ``within_deg``."""
    lon_pad = within_deg / max(np.cos(np.radians(lat_deg)), 0.05)
    probe = box(lon_deg - lon_pad, lat_deg - within_deg, lon_deg + lon_pad, lat_deg + within_deg)
    out = []
    for country in all_countries():
        geom = country_geometry(country)
        if not geom.is_empty and geom.intersects(probe):
            out.append((aeqd_distance_km(lat_deg, lon_deg, geom), country))
    return sorted(out, key=lambda t: t[0])


def destination(
    lat_deg: float, lon_deg: float, bearing_deg: float, km: float
) -> tuple[float, float]:
    """The point ``km`` from a start along an initial bearing, on the sphere (Snyder eq. 5-5)."""
    d = km / MEAN_RADIUS_KM
    la, lo, b = np.radians(lat_deg), np.radians(lon_deg), np.radians(bearing_deg)
    la2 = np.arcsin(np.sin(la) * np.cos(d) + np.cos(la) * np.sin(d) * np.cos(b))
    lo2 = lo + np.arctan2(np.sin(b) * np.sin(d) * np.cos(la), np.cos(d) - np.sin(la) * np.sin(la2))
    return float(np.degrees(la2)), float((np.degrees(lo2) + 180.0) % 360.0 - 180.0)
