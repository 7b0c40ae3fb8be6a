"""The 2026 ground segment: Starlink's PoPs by their own names, and which PoP serves a place.

Starlink names its points of presence in reverse DNS with CLLI-like codes (``frntdeu1`` is
Frankfurt, ``dohaqat1`` Doha): `load_pops_2026` reads the 63 of them placed in May 2026
(``starlink-pops-2026.csv``).  A terminal is not served by the PoP nearest to it but by the one
Starlink assigns to its place, which Starlink publishes in its GeoIP feed (RFC 8805) and in the
reverse DNS of the feed's subnets (``starlink-geoip-pop-assignment-2026-05.csv``, 2026-05-13).

`pop_for_places` homes points as the feed does, to the resolution leolink can place a point:

- the country comes from `leolink.geo.countries.countries_at` (land and territorial sea);
- the feed's rows for that country name the PoPs it assigns there (per region or city); the
  point gets the nearest of them by great circle, which is how the feed's regions fall in
  every country that has several PoPs (US west coast to ``sttlwax1``/``lsancax1``, east coast to
  ``nwyynyx1``/``ashnvax2``): a region-level answer without a region map (leolink has country
  borders, not first-level subdivisions);
- where the feed has no entry for the country (or only rows without a PoP, or with PoP codes
  absent from the PoP list: ``brsabra1``, ``chniind1``, ``dlhiind1``, ``drwnaus1``,
  ``kentwax2``, ``trnocan1``), the point gets the PoP nearest by great circle, and ``source``
  says ``nearest`` so that a reader can tell a fact from a fallback.
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

from leolink.arrays import IntArray
from leolink.geo.countries import all_countries, countries_at
from leolink.network.sites import GroundSites, great_circle_km, ground_sites

__all__ = [
    "GEOIP_FEED_DATE",
    "PopAssignment",
    "feed_pops_by_country",
    "load_pops_2026",
    "pop_for_places",
]


#: Date of the GeoIP feed and DNS snapshot the assignment was read from.
GEOIP_FEED_DATE: Final = "2026-05-13"


@cache
def load_pops_2026() -> GroundSites:
    """The 63 placed Starlink PoPs and community gateways of 2026, ids their reverse-DNS codes.

    Names are ``{city}, {country}``.  The six entries of the list without a place (ships and
    a test site at 0, 0: ``rcxship1-3``, ``spxship1``, ``sea``, ``strespx2``) are left out:
    they cannot be placed on a path.  Source: clarkzjw/starlink-geoip-data ``map/pop.json`` (facts).
    """
    text = resources.files("leolink.data").joinpath("starlink-pops-2026.csv").read_text("utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["country"] != "Unknown"]
    return ground_sites(
        [float(r["lat"]) for r in rows],
        [float(r["lon"]) for r in rows],
        ids=[r["code"] for r in rows],
        names=[f"{r['city']}, {r['country']}" for r in rows],
        kind="pop",
        source="starlink-pops-2026.csv",
    )


@cache
def feed_pops_by_country() -> dict[str, tuple[str, ...]]:
    """ISO alpha-2 country → the PoP codes the GeoIP feed assigns there, most subnets first.

    Rows without a PoP (``pop_source`` ``none``) are left out; so are codes that are not in
    `load_pops_2026` (they cannot be placed).
    """
    text = (
        resources.files("leolink.data")
        .joinpath("starlink-geoip-pop-assignment-2026-05.csv")
        .read_text("utf-8")
    )
    known = set(load_pops_2026().ids)
    subnets: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in csv.DictReader(io.StringIO(text)):
        code = row["pop_code"].strip()
        if code and code in known:
            subnets[row["country"]][code] += int(row["subnets_v4"]) + int(row["subnets_v6"])
    return {
        country: tuple(sorted(counts, key=lambda c: (-counts[c], c)))
        for country, counts in sorted(subnets.items())
    }


@dataclass(frozen=True, eq=False)
class PopAssignment:
    """The PoP of each of E points, ``(E,)``: index into ``pops``, and where it came from.

    ``source`` is ``geoip`` (the feed's PoPs for the point's country) or ``nearest`` (no usable
    feed entry: the nearest PoP); ``country`` the ISO alpha-2 code ('' outside every country).
    """

    pops: GroundSites
    pop: IntArray
    country: tuple[str, ...]
    source: tuple[str, ...]

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
    km = great_circle_km(lat[:, None], lon[:, None], pops.lat_deg[None, :], pops.lon_deg[None, :])
    if countries is None:
        known = all_countries()
        codes = tuple(
            known[i].code if i >= 0 else "" for i in countries_at(lat, lon).index.tolist()
        )
    else:
        codes = tuple(countries)
    feed = feed_pops_by_country()
    index = {code: i for i, code in enumerate(pops.ids)}
    allowed = np.zeros((len(lat), len(pops)), dtype=bool)
    from_feed = np.zeros(len(lat), dtype=bool)
    code_array = np.array(codes, dtype=object)
    for country in set(codes):
        if country in feed:
            rows = code_array == country
            columns = np.array([index[c] for c in feed[country]], dtype=np.int64)
            allowed[np.ix_(rows, columns)] = True
            from_feed |= rows
    allowed[~from_feed] = True
    chosen = np.argmin(np.where(allowed, km, np.inf), axis=1).astype(np.int64)
    return PopAssignment(
        pops=pops,
        pop=chosen,
        country=codes,
        source=tuple("geoip" if f else "nearest" for f in from_feed.tolist()),
    )
