"""The 2026 ground segment: Starlink's PoPs by their own names, and which PoP serves a place.

Starlink names its points of presence in reverse DNS with CLLI-like codes (``frntdeu1`` is
Frankfurt, ``dohaqat1`` Doha): `load_pops_2026` reads the 63 of them placed in May 2026
(``starlink-pops-2026.csv``).  A terminal is not served by the PoP nearest to it but by the one
Starlink assigns to its place, which Starlink publishes in its GeoIP feed (RFC 8805) and in the
reverse DNS of the feed's subnets (``starlink-geoip-pop-assignment-2026-05.csv``, 2026-05-13).

`pop_for_places` homes points as the feed does, as finely as the feed is:

- the country comes from `leolink.geo.countries.countries_at` (land and territorial sea);
- **city** (``source`` ``geoip-city``): the feed lists, per country, the places (ISO 3166-2
  region and city) its subnets are geolocated to and the PoP of each (the reverse DNS of the
  subnets); the point takes the PoP of the feed place nearest to it by great circle within its
  country (``starlink-geoip-places-2026-05.csv`` gives each place its GeoNames coordinates), so
  a point in Cusco is homed as Lima's users are, Seattle to ``sttlwax1`` and Miami to
  ``mmmiflx1``.  Where a place has subnets on several PoPs (the feed puts every French user in
  Paris, on ``frntdeu1``, ``lndngbr1``, ``mdrdesp1`` and ``mlnnita1``) the point gets the
  nearest of them, since the feed does not say which users of the place go where.  This is a
  nearest-city reading of the feed's regions: leolink has country borders, not first-level
  subdivisions;
- **country** (``geoip-country``): where the feed's places in the country all lack
  coordinates (names GeoNames does not know), the point takes the nearest of the PoPs the
  feed assigns in the country;
- **no entry** (``nearest``): where the feed has no entry for the country (or only rows
  without a PoP, or with PoP codes absent from the PoP list: ``brsabra1``, ``chniind1``,
  ``dlhiind1``, ``drwnaus1``, ``kentwax2``, ``trnocan1``), the point gets the PoP nearest by
  great circle, and ``source`` says ``nearest`` so that a reader can tell a fact from a
  fallback.  Outside every country (at sea) the same fallback applies.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import numpy as np
import numpy.typing as npt

from leolink.arrays import FloatArray, IntArray
from leolink.geo.countries import all_countries, countries_at
from leolink.network.sites import GroundSites, great_circle_km, ground_sites

__all__ = [
    "GEOIP_FEED_DATE",
    "FeedPlaces",
    "PopAssignment",
    "feed_places",
    "feed_pops_by_country",
    "load_pops_2026",
    "pop_for_places",
    "pop_rows",
]


#: Date of the GeoIP feed and DNS snapshot the assignment was read from.
GEOIP_FEED_DATE: Final = "2026-05-13"


@cache
def pop_rows() -> tuple[dict[str, str], ...]:
    """The placed rows of ``starlink-pops-2026.csv``: code, dns, city, country, lat, lon, type."""
    text = resources.files("leolink.data").joinpath("starlink-pops-2026.csv").read_text("utf-8")
    return tuple(r for r in csv.DictReader(io.StringIO(text)) if r["country"] != "Unknown")


@cache
def load_pops_2026() -> GroundSites:
    """The 63 placed Starlink PoPs and community gateways of 2026, ids their reverse-DNS codes.

    Names are ``{city}, {country}``.  The six entries of the list without a place (ships and
    a test site at 0, 0: ``rcxship1-3``, ``spxship1``, ``sea``, ``strespx2``) are left out:
    they cannot be placed on a path.  Source: clarkzjw/starlink-geoip-data ``map/pop.json`` (facts).
    """
    rows = pop_rows()
    return ground_sites(
        [float(r["lat"]) for r in rows],
        [float(r["lon"]) for r in rows],
        ids=[r["code"] for r in rows],
        names=[f"{r['city']}, {r['country']}" for r in rows],
        kind="pop",
        source="starlink-pops-2026.csv",
    )


@cache
def _feed_subnets() -> dict[tuple[str, str, str], dict[str, int]]:
    """(country, region, city) → {PoP code: subnets} over the feed rows with a placed PoP."""
    text = (
        resources.files("leolink.data")
        .joinpath("starlink-geoip-pop-assignment-2026-05.csv")
        .read_text("utf-8")
    )
    known = set(load_pops_2026().ids)
    subnets: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in csv.DictReader(io.StringIO(text)):
        code = row["pop_code"].strip()
        if code and code in known:
            place = (row["country"], row["region"], row["city"])
            subnets[place][code] += int(row["subnets_v4"]) + int(row["subnets_v6"])
    return {place: dict(counts) for place, counts in subnets.items()}


def _most_subnets(counts: dict[str, int]) -> tuple[str, ...]:
    return tuple(sorted(counts, key=lambda c: (-counts[c], c)))


@cache
def feed_pops_by_country() -> dict[str, tuple[str, ...]]:
    """ISO alpha-2 country → the PoP codes the GeoIP feed assigns there, most subnets first.

    Rows without a PoP (``pop_source`` ``none``) are left out; so are codes that are not in
    `load_pops_2026` (they cannot be placed).
    """
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (country, _, _), counts in _feed_subnets().items():
        for code, n in counts.items():
            totals[country][code] += n
    return {country: _most_subnets(totals[country]) for country in sorted(totals)}


@dataclass(frozen=True, eq=False)
class FeedPlaces:
    """The feed's places with coordinates and a PoP, ``(F,)`` each, sorted by country.

    ``serves`` ``(F, P)`` says which of the `load_pops_2026` PoPs the feed's subnets of each
    place are on; ``label`` is ``{city}, {region}`` as the feed writes them.
    """

    country: tuple[str, ...]
    label: tuple[str, ...]
    lat_deg: FloatArray
    lon_deg: FloatArray
    serves: npt.NDArray[np.bool_]


@cache
def feed_places() -> FeedPlaces:
    """Each place of the GeoIP feed that has coordinates and a placed PoP, with its PoPs.

    Coordinates from ``starlink-geoip-places-2026-05.csv`` (GeoNames, matched by name).
    """
    text = (
        resources.files("leolink.data")
        .joinpath("starlink-geoip-places-2026-05.csv")
        .read_text("utf-8")
    )
    index = {code: i for i, code in enumerate(load_pops_2026().ids)}
    subnets = _feed_subnets()
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        place = (row["country"], row["region"], row["city"])
        if place in subnets:
            label = ", ".join(x for x in (row["city"], row["region"]) if x)
            codes = [index[c] for c in subnets[place]]
            rows.append((row["country"], label, float(row["lat"]), float(row["lon"]), codes))
    rows.sort(key=lambda r: (r[0], r[1]))
    serves = np.zeros((len(rows), len(index)), dtype=bool)
    for i, r in enumerate(rows):
        serves[i, r[4]] = True
    return FeedPlaces(
        country=tuple(r[0] for r in rows),
        label=tuple(r[1] for r in rows),
        lat_deg=np.array([r[2] for r in rows], dtype=np.float64),
        lon_deg=np.array([r[3] for r in rows], dtype=np.float64),
        serves=serves,
    )


@dataclass(frozen=True, eq=False)
class PopAssignment:
    """The PoP of each of E points, ``(E,)``: index into ``pops``, and where it came from.

    ``source`` is ``geoip-city`` (the PoP of the nearest feed place in the point's country),
    ``geoip-country`` (the feed's PoPs for the country) or ``nearest`` (no usable feed entry:
    the nearest PoP), see the module docstring; ``place`` the feed place (``{city}, {region}``)
    for ``geoip-city``, else ''; ``country`` the ISO alpha-2 code ('' outside every country).
    """

    pops: GroundSites
    pop: IntArray
    country: tuple[str, ...]
    source: tuple[str, ...]
    place: tuple[str, ...] = ()

    def codes(self) -> list[str]:
        """The PoP code of each point."""
        return [self.pops.ids[i] for i in self.pop]


def pop_for_places(
    lat_deg: npt.ArrayLike,
    lon_deg: npt.ArrayLike,
    countries: Sequence[str] | None = None,
) -> PopAssignment:
    """The PoP Starlink's GeoIP feed assigns to each point (see the module docstring).

    ``countries`` (ISO alpha-2 per point) skips the border lookup when the caller knows them.
    """
    pops = load_pops_2026()
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=np.float64))
    lon = np.atleast_1d(np.asarray(lon_deg, dtype=np.float64))
    if countries is None:
        known = all_countries()
        codes = tuple(
            known[i].code if i >= 0 else "" for i in countries_at(lat, lon).index.tolist()
        )
    else:
        codes = tuple(countries)
    n = len(lat)
    chosen = np.full(n, -1, dtype=np.int64)
    source = np.full(n, "nearest", dtype=object)
    place = np.full(n, "", dtype=object)
    code_array = np.array(codes, dtype=object)
    places = feed_places()
    place_country = np.array(places.country, dtype=object)
    feed = feed_pops_by_country()
    index = {code: i for i, code in enumerate(pops.ids)}
    for country in sorted(set(codes)):
        rows = np.flatnonzero(code_array == country)
        mine = np.flatnonzero(place_country == country) if country else np.zeros(0, np.int64)
        if len(mine):
            km = great_circle_km(
                lat[rows, None], lon[rows, None], places.lat_deg[None, mine], places.lon_deg[mine]
            )
            nearest = mine[np.argmin(km, axis=1)]
            to_pop = great_circle_km(
                lat[rows, None], lon[rows, None], pops.lat_deg[None, :], pops.lon_deg[None, :]
            )
            chosen[rows] = np.argmin(np.where(places.serves[nearest], to_pop, np.inf), axis=1)
            source[rows] = "geoip-city"
            place[rows] = [places.label[i] for i in nearest]
        elif country in feed:
            columns = np.array([index[c] for c in feed[country]], dtype=np.int64)
            km = great_circle_km(
                lat[rows, None], lon[rows, None], pops.lat_deg[None, columns], pops.lon_deg[columns]
            )
            chosen[rows] = columns[np.argmin(km, axis=1)]
            source[rows] = "geoip-country"
    rest = np.flatnonzero(chosen < 0)
    if len(rest):
        km = great_circle_km(
            lat[rest, None], lon[rest, None], pops.lat_deg[None, :], pops.lon_deg[None, :]
        )
        chosen[rest] = np.argmin(km, axis=1)
    return PopAssignment(
        pops=pops,
        pop=chosen,
        country=codes,
        source=tuple(source.tolist()),
        place=tuple(place.tolist()),
    )
