"""Where the satellites are at one instant, and which of them an observer sees.

These are the per-satellite records behind ``leolink positions`` and ``leolink visible``: thin
over `propagate` and `leolink.orbits.frames`, with SGP4 failures kept as data (an ``error``
message and null coordinates) rather than dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from leolink.errors import InputError
from leolink.orbits.catalog import Catalog
from leolink.orbits.frames import itrs_to_geodetic, itrs_to_topocentric
from leolink.orbits.propagate import SGP4_ERROR_MESSAGES, propagate
from leolink.time import parse_instant

__all__ = ["SatellitePosition", "VisibleSatellite", "positions_at", "visible_from"]


@dataclass(frozen=True)
class SatellitePosition:
    """One satellite at one instant: WGS84 geodetic and ITRF coordinates.

    The coordinates are NaN and ``error`` says why when SGP4 could not propagate it (e.g. the
    satellite has decayed by then).
    """

    norad_id: int
    name: str
    lat_deg: float
    lon_deg: float
    alt_km: float
    x_km: float
    y_km: float
    z_km: float
    error: str | None


@dataclass(frozen=True)
class VisibleSatellite:
    """One satellite above an observer's elevation mask."""

    norad_id: int
    name: str
    elevation_deg: float
    azimuth_deg: float
    range_km: float


def positions_at(
    catalog: Catalog, at: np.datetime64, norad_ids: Sequence[int] | None = None
) -> list[SatellitePosition]:
    """Positions of the catalog's satellites (or of ``norad_ids``, in that order) at ``at``."""
    chosen = catalog if norad_ids is None else catalog.select_norad(norad_ids)
    eph = propagate(chosen, parse_instant(at))
    r = eph.r_itrs_km[:, 0, :]
    lat, lon, alt = itrs_to_geodetic(r)
    codes = eph.error[:, 0]
    return [
        SatellitePosition(
            norad_id=int(chosen.norad_ids[i]),
            name=chosen.names[i],
            lat_deg=float(lat[i]),
            lon_deg=float(lon[i]),
            alt_km=float(alt[i]),
            x_km=float(r[i, 0]),
            y_km=float(r[i, 1]),
            z_km=float(r[i, 2]),
            error=SGP4_ERROR_MESSAGES[int(codes[i])] if codes[i] else None,
        )
        for i in range(len(chosen))
    ]


def visible_from(
    catalog: Catalog,
    lat_deg: float,
    lon_deg: float,
    at: np.datetime64,
    *,
    alt_km: float = 0.0,
    min_elevation_deg: float = 25.0,
) -> list[VisibleSatellite]:
    """Satellites at or above ``min_elevation_deg`` from a geodetic point, highest first."""
    if not -90.0 <= lat_deg <= 90.0 or not -180.0 <= lon_deg <= 180.0:
        raise InputError(
            f"observer at lat {lat_deg!r}, lon {lon_deg!r} is not a point on Earth; "
            "expected latitude in [-90, 90] and longitude in [-180, 180] degrees"
        )
    if not -90.0 <= min_elevation_deg <= 90.0:
        raise InputError(
            f"min_elevation_deg={min_elevation_deg!r} is not an elevation; expected [-90, 90]"
        )
    eph = propagate(catalog, parse_instant(at))
    elevation, azimuth, range_km = itrs_to_topocentric(
        eph.r_itrs_km[:, 0, :], lat_deg, lon_deg, alt_km
    )
    seen = np.flatnonzero(elevation >= min_elevation_deg)  # NaN (failed) compares False
    order = seen[np.argsort(-elevation[seen], kind="stable")]
    return [
        VisibleSatellite(
            norad_id=int(catalog.norad_ids[i]),
            name=catalog.names[i],
            elevation_deg=float(elevation[i]),
            azimuth_deg=float(azimuth[i]),
            range_km=float(range_km[i]),
        )
        for i in order
    ]
