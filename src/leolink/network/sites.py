"""The ground segment: gateways, points of presence (PoPs), cities and user terminals.

Every ground site is a geodetic point (WGS84 latitude, longitude, height) with an id and a name.
Gateways also carry their antenna count: the number of satellites they can track at once, which
`leolink.network.links` uses as the gateway's link limit.  The vendored sets are:

- ``gateways-starperf-2024.csv``: 261 Starlink gateway and TT&C sites (Ka and E band) with their
  antenna counts, from the StarPerf simulator's Starlink configuration (SpaceNetLab,
  BSD-2-Clause, January 2024);
- ``pops-starperf-2024.csv``: the 23 Starlink points of presence of the same source;
- ``cities-top100-geonames.csv``: the 100 most populous cities of GeoNames, one per
  agglomeration (CC BY 4.0), the endpoints of the routing benchmark, as Hypatia (Kassing et al.,
  IMC 2020) uses the 100 most populous cities as its ground stations.

See ``data/PROVENANCE.md`` for sources and ``scripts/vendor_data.py`` for how they are made.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from leolink.arrays import FloatArray, IntArray
from leolink.earth import EARTH_MEAN_RADIUS_KM
from leolink.errors import InputError
from leolink.orbits.frames import geodetic_to_itrs

__all__ = [
    "GroundSites",
    "great_circle_km",
    "ground_sites",
    "load_cities",
    "load_gateways",
    "load_pops",
    "parse_lat_lon",
    "parse_route_endpoints",
]


#: Link limit of a site that has none (user terminals, cities, PoPs): any number of links.
UNLIMITED: Final = -1


@dataclass(frozen=True, eq=False)
class GroundSites:
    """A set of ground sites: arrays of shape ``(G,)`` in one order.

    ``max_links`` is the number of satellites a site can link to at once (a gateway's antenna
    count), or `UNLIMITED` (-1).  ``kind`` names what the sites are (``gateway``, ``pop``,
    ``city``, ``terminal``); it becomes the ``kind`` of the hops of a route.
    """

    ids: tuple[str, ...]
    names: tuple[str, ...]
    lat_deg: FloatArray
    lon_deg: FloatArray
    alt_km: FloatArray
    max_links: IntArray
    kind: str
    source: str = "<memory>"

    def __post_init__(self) -> None:
        n = len(self.ids)
        columns = {
            "names": len(self.names),
            "lat_deg": self.lat_deg.shape,
            "lon_deg": self.lon_deg.shape,
            "alt_km": self.alt_km.shape,
            "max_links": self.max_links.shape,
        }
        for name, shape in columns.items():
            if shape not in (n, (n,)):
                raise InputError(
                    f"GroundSites column {name} has shape {shape} but there are {n} ids; "
                    "give one value per site"
                )

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"GroundSites({len(self)} {self.kind} sites from {self.source!r})"

    @cached_property
    def r_itrs_km(self) -> FloatArray:
        """ITRF positions, shape ``(G, 3)`` (WGS84 ellipsoid, `geodetic_to_itrs`)."""
        return geodetic_to_itrs(self.lat_deg, self.lon_deg, self.alt_km).reshape(-1, 3)

    @cached_property
    def up(self) -> FloatArray:
        """Unit normals to the WGS84 ellipsoid (local vertical), shape ``(G, 3)``.

        Elevation is measured from the plane normal to this vector, as in
        `leolink.orbits.frames.itrs_to_topocentric`.
        """
        phi, lam = np.radians(self.lat_deg), np.radians(self.lon_deg)
        return np.stack(
            [np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=-1
        ).reshape(-1, 3)

    def take(self, indices: Sequence[int] | IntArray) -> GroundSites:
        """The sites at ``indices``, in that order."""
        idx = np.asarray(indices, dtype=np.int64)
        return GroundSites(
            ids=tuple(self.ids[i] for i in idx),
            names=tuple(self.names[i] for i in idx),
            lat_deg=self.lat_deg[idx],
            lon_deg=self.lon_deg[idx],
            alt_km=self.alt_km[idx],
            max_links=self.max_links[idx],
            kind=self.kind,
            source=self.source,
        )


def ground_sites(
    lat_deg: npt.ArrayLike,
    lon_deg: npt.ArrayLike,
    *,
    alt_km: npt.ArrayLike = 0.0,
    ids: Sequence[str] | None = None,
    names: Sequence[str] | None = None,
    max_links: npt.ArrayLike = UNLIMITED,
    kind: str = "terminal",
    source: str = "<memory>",
) -> GroundSites:
    """Ground sites at WGS84 ``lat_deg``, ``lon_deg`` (degrees) and ``alt_km`` (broadcast).

    Latitudes outside [-90, 90] and non-finite coordinates are refused with the offending
    values; longitudes are wrapped to [-180, 180).  Ids default to ``{kind}{i}``.
    """
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=np.float64))
    lon = np.atleast_1d(np.asarray(lon_deg, dtype=np.float64))
    lat, lon = np.broadcast_arrays(lat, lon)
    alt = np.broadcast_to(np.asarray(alt_km, dtype=np.float64), lat.shape)
    bad = ~(np.isfinite(lat) & np.isfinite(lon) & np.isfinite(alt)) | (np.abs(lat) > 90.0)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"ground site {i} at lat {lat[i]!r}, lon {lon[i]!r}, alt {alt[i]!r} km is not a valid "
            "point: latitude must be in [-90, 90] degrees, every coordinate finite"
        )
    n = lat.shape[0]
    site_ids = tuple(ids) if ids is not None else tuple(f"{kind}{i}" for i in range(n))
    site_names = tuple(names) if names is not None else site_ids
    links = np.broadcast_to(np.asarray(max_links, dtype=np.int64), lat.shape)
    return GroundSites(
        ids=site_ids,
        names=site_names,
        lat_deg=lat.copy(),
        lon_deg=np.where((lon >= -180.0) & (lon < 180.0), lon, (lon + 180.0) % 360.0 - 180.0),
        alt_km=alt.copy(),
        max_links=links.copy(),
        kind=kind,
        source=source,
    )


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("leolink.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def load_gateways() -> GroundSites:
    """The 261 Starlink gateway sites of StarPerf (Jan 2024), with antenna counts as link limits.

    Antenna counts range from 2 to 40 (most Ka-band sites have 8); a gateway links to at most
    that many satellites at once.
    """
    rows = _read_csv("gateways-starperf-2024.csv")
    return ground_sites(
        [float(r["lat"]) for r in rows],
        [float(r["lon"]) for r in rows],
        ids=[r["id"] for r in rows],
        names=[r["description"] for r in rows],
        max_links=[int(r["antenna_count"]) for r in rows],
        kind="gateway",
        source="gateways-starperf-2024.csv",
    )


@cache
def load_pops() -> GroundSites:
    """The 23 Starlink points of presence (StarPerf, Jan 2024), where traffic joins the Internet."""
    rows = _read_csv("pops-starperf-2024.csv")
    return ground_sites(
        [float(r["lat"]) for r in rows],
        [float(r["lon"]) for r in rows],
        ids=[r["id"] for r in rows],
        names=[r["name"] for r in rows],
        kind="pop",
        source="pops-starperf-2024.csv",
    )


@cache
def load_cities() -> GroundSites:
    """The 100 most populous GeoNames cities, one per agglomeration, most populous first.

    Ids are ``city:{GeoNames id}``, names ``{name}, {country}``.
    """
    rows = _read_csv("cities-top100-geonames.csv")
    return ground_sites(
        [float(r["lat"]) for r in rows],
        [float(r["lon"]) for r in rows],
        ids=[f"city:{r['geonameid']}" for r in rows],
        names=[f"{r['name']}, {r['country']}" for r in rows],
        kind="city",
        source="cities-top100-geonames.csv",
    )


def great_circle_km(
    lat1_deg: npt.ArrayLike,
    lon1_deg: npt.ArrayLike,
    lat2_deg: npt.ArrayLike,
    lon2_deg: npt.ArrayLike,
) -> FloatArray:
    """Great-circle distance on the mean-radius sphere, km; the inputs broadcast.

    The central angle is ``atan2(|n1 x n2|, n1 . n2)`` of the two unit normals, written in
    latitudes and longitudes (Vincenty 1975, Survey Review 23, 88-93, for the sphere): unlike
    the arccosine or the haversine it keeps full precision at every separation, antipodes
    included.  The sphere is within 0.5 % of the WGS84 geodesic.
    """
    p1, p2 = np.radians(lat1_deg), np.radians(lat2_deg)
    dl = np.radians(np.asarray(lon2_deg, dtype=np.float64) - np.asarray(lon1_deg))
    sin1, cos1, sin2, cos2 = np.sin(p1), np.cos(p1), np.sin(p2), np.cos(p2)
    across = np.hypot(cos2 * np.sin(dl), cos1 * sin2 - sin1 * cos2 * np.cos(dl))
    along = sin1 * sin2 + cos1 * cos2 * np.cos(dl)
    return np.asarray(EARTH_MEAN_RADIUS_KM * np.arctan2(across, along))


def parse_lat_lon(text: str, what: str = "point") -> tuple[float, float]:
    """``(lat_deg, lon_deg)`` from ``"LAT,LON"`` in decimal degrees, e.g. ``"48.8534,2.3488"``.

    Refuses anything else (one number, degrees-minutes, latitude beyond ±90, longitude beyond
    ±180) with the text and what to write instead.
    """
    parts = [p.strip() for p in str(text).split(",")]
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(
            f"{what} {text!r} is not LAT,LON in decimal degrees; write e.g. 48.8534,2.3488 "
            "(latitude first, north and east positive)"
        ) from None
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise InputError(f"{what} {text!r}: latitude {lat!r} is outside [-90, 90] degrees")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise InputError(f"{what} {text!r}: longitude {lon!r} is outside [-180, 180] degrees")
    return lat, lon


def parse_route_endpoints(
    from_: str,
    to: str | None,
    pop: str | None,
    min_elevation_deg: float | None,
    max_gsl_km: float | None,
    gateways: bool,
    *,
    spelling: Literal["option", "query"],
) -> tuple[tuple[float, float], tuple[float, float] | None]:
    """The start and the destination (None: the Internet) of a route request, checked.

    One place for what the command line (``leolink route``) and the service (``GET /v1/route``)
    refuse: a ground-link mask given twice, a PoP with a destination, no gateway to the
    Internet.  ``spelling`` names the inputs as the caller's user wrote them: ``"option"`` as
    command-line options (``--max-gsl-km``, ``--pop X``), ``"query"`` as query parameters
    (``max_gsl_km``, ``pop=X``).
    """

    def name(key: str) -> str:
        return "--" + key.replace("_", "-") if spelling == "option" else key

    def given(key: str, value: object) -> str:
        return f"{name(key)} {value}" if spelling == "option" else f"{key}={value}"

    src = parse_lat_lon(from_, name("from"))
    dst = None if to is None else parse_lat_lon(to, name("to"))
    if min_elevation_deg is not None and max_gsl_km is not None:
        raise InputError(
            f"give either {name('min_elevation_deg')} ({min_elevation_deg:g}) or "
            f"{name('max_gsl_km')} ({max_gsl_km:g}), not both"
        )
    if dst is not None and pop is not None:
        raise InputError(
            f"{given('pop', pop)} is for routes to the Internet; "
            f"leave out {given('to', to)} with it"
        )
    if dst is None and not gateways:
        without_to, drop = (
            ("--to", "--no-gateways") if spelling == "option" else ("to=", "gateways=false")
        )
        raise InputError(
            f"without {without_to} the route ends at a PoP through a gateway; drop {drop}"
        )
    return src, dst
