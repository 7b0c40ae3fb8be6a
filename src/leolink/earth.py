"""The Earth model of leolink: the WGS84 ellipsoid and the spheres that stand in for it.

Geodetic coordinates, elevations and ground distances are on WGS84 everywhere.  Where a sphere
is close enough (great-circle fibre distances, areas of drawn polygons, plot margins), it is one
of the two below, named for what it preserves.  SGP4 measures from WGS72's equator
(`WGS72_A_KM`, also the radius of Hypatia's link limits); other radii in the code base (H3's
own authalic sphere in the grid tests) are the authorities' and say so where they stand.

Sources: NIMA TR8350.2, *Department of Defense World Geodetic System 1984* (3rd ed., 2000),
Table 3.1 (``a``, ``1/f``); H. Moritz (2000), "Geodetic Reference System 1980", J. Geodesy 74,
128-133 (the mean radius R1 and the authalic radius R2, which WGS84 shares with GRS80 to the
digits given).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "EARTH_AUTHALIC_RADIUS_KM",
    "EARTH_MEAN_RADIUS_KM",
    "WGS72_A_KM",
    "WGS84_A_KM",
    "WGS84_B_KM",
    "WGS84_E2",
    "WGS84_F",
    "WGS84_MIN_CURVATURE_RADIUS_KM",
]

#: WGS84 semi-major axis, km (NIMA TR8350.2, Table 3.1).
WGS84_A_KM: Final = 6378.137
#: WGS84 flattening (NIMA TR8350.2, Table 3.1).
WGS84_F: Final = 1.0 / 298.257223563
#: WGS84 first eccentricity squared, e² = f (2 − f).
WGS84_E2: Final = WGS84_F * (2.0 - WGS84_F)
#: WGS84 semi-minor (polar) axis, km: b = a (1 − f).
WGS84_B_KM: Final = WGS84_A_KM * (1.0 - WGS84_F)
#: The smallest radius of curvature on WGS84, km: the meridional one at the equator, a (1 − e²).
#: Any ground distance spans at least this many km per radian of geodetic angle, so km divided
#: by it bounds the angle from above.
WGS84_MIN_CURVATURE_RADIUS_KM: Final = WGS84_A_KM * (1.0 - WGS84_E2)

#: Mean Earth radius R1 = (2a + b) / 3, km, as published to 0.1 m (Moritz 2000; the IUGG mean
#: radius): the sphere for great-circle distances.
EARTH_MEAN_RADIUS_KM: Final = 6371.0088
#: Authalic radius R2 (the sphere with the ellipsoid's area), km (Moritz 2000): the sphere for
#: areas.
EARTH_AUTHALIC_RADIUS_KM: Final = 6371.0072

#: WGS72 semi-major axis, km: the Earth radius inside SGP4 (Vallado, Crawford, Hujsak & Kelso
#: 2006, "Revisiting Spacetrack Report #3", AIAA 2006-6753, ``getgravconst``), so what
#: `Catalog.mean_altitude_km` measures altitude from, and the radius of Hypatia's link limits.
WGS72_A_KM: Final = 6378.135
