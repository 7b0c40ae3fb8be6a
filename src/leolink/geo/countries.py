"""Countries: the vendored borders, lookup by ISO code, and point -> country with territorial seas.

The borders are Natural Earth 1:50m admin-0 (``data/countries-50m.geojson.gz``, 248 entries, the
UN view of disputed areas: Crimea in Ukraine, Taiwan as TW; see ``data/PROVENANCE.md``), with the
places Starlink lists on their own as their own entries: Réunion, French Guiana, Martinique,
Guadeloupe, Mayotte, Christmas Island, the Cocos (Keeling) Islands; Ceuta and Melilla in Spain.

Point -> country (`countries_at`) follows the law of the sea as a service map needs it: a point
on land belongs to the country whose polygon holds it; a point at sea within the 12-nautical-
mile territorial sea (UNCLOS art. 3: 12 nmi = 22.224 km) of a coast belongs to that country,
flagged ``in_territorial_sea``; where two territorial seas overlap the nearer coast wins (the
equidistance line of UNCLOS art. 15); beyond, the point is in the ocean (no country).
Distances are geodesic on WGS84 (see `leolink.geo._nearby`), so the 22.224 km are 22.224 km at
any latitude.  Natural Earth's coastline is generalised (a vertex every few km), so a coast is
only as exact as that; inland seas that no country polygon covers (the Caspian) count as sea.

Speed: land is found with an R-tree over the 1,598 polygon parts and prepared point-in-polygon
tests; only points at sea look for coast segments within 22.224 km (an R-tree over 77,000
segments, then vectorised arc distances).  Measured on one shared core: about 770,000 points/s
uniformly over the globe, 750,000/s over Europe and 260,000/s for points all within ~30 km of a
coast, the worst case.  A precomputed per-H3-cell table was tried and dropped:
it took 9 s to build and was no faster, because the exact path is already vectorised.
"""

from __future__ import annotations

import difflib
import gzip
import json
import logging
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from leolink.errors import UnknownCountryError
from leolink.geo._nearby import SegmentIndex

__all__ = [
    "NO_COUNTRY",
    "TERRITORIAL_SEA_KM",
    "Country",
    "CountryLookup",
    "all_countries",
    "countries_at",
    "country_at",
    "country_geometry",
    "country_representative_point",
    "get_country",
]

_log = logging.getLogger(__name__)

#: 12 nautical miles x 1852 m (UNCLOS art. 3; the nautical mile as defined in 1929).
TERRITORIAL_SEA_KM: Final = 22.224
#: Index returned for a point in the ocean or with no valid position.
NO_COUNTRY: Final = -1

#: Two entries whose 1:50m polygon collapsed to a point in the source TopoJSON (they are smaller
#: than its quantization allows): their (lat, lon) from the CIA World Factbook's "geographic
#: coordinates" (Holy See 41°54'N 12°27'E; Ashmore and Cartier Islands 12°14'S 123°05'E).
_POINT_ONLY: Final = {"VAT": (41.9, 12.45), "ATC": (-12.2333, 123.0833)}

#: Codes people use that ISO 3166-1 does not, offered as suggestions only.
_COMMON_ALIASES: Final = {"UK": "GB", "EL": "GR", "KS": "XK"}


@dataclass(frozen=True, slots=True)
class Country:
    """One entry of the borders: its position in `all_countries` and its codes and name.

    ``iso_a2`` is None for the four entities that have no ISO alpha-2 code (Somaliland,
    N. Cyprus, Siachen Glacier, Ashmore and Cartier Is.); ``code`` is then
    the alpha-3 code.
    """

    index: int
    iso_a2: str | None
    iso_a3: str
    iso_n3: str
    name: str

    @property
    def code(self) -> str:
        """The alpha-2 code, or the alpha-3 code when there is no alpha-2."""
        return self.iso_a2 or self.iso_a3


@dataclass(frozen=True)
class CountryLookup:
    """Result of `countries_at`: arrays of the points' shape.

    ``index`` is the country's index in `all_countries`, or `NO_COUNTRY` (-1) in the ocean or for
    a position that is not a number or has |lat| > 90 (``valid`` tells the two apart).
    """

    index: npt.NDArray[np.int16]
    in_territorial_sea: npt.NDArray[np.bool_]
    valid: npt.NDArray[np.bool_]

    def codes(self) -> list[str | None]:
        """The country code (`Country.code`) of each point, None where there is none."""
        table = all_countries()
        return [table[i].code if i >= 0 else None for i in self.index.ravel().tolist()]


@dataclass(frozen=True)
class _Borders:
    countries: tuple[Country, ...]
    geometries: tuple[MultiPolygon, ...]
    by_code: dict[str, int]


@cache
def _borders() -> _Borders:
    ref = resources.files("leolink.data").joinpath("countries-50m.geojson.gz")
    with ref.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        collection = json.load(text)
    features = sorted(collection["features"], key=lambda f: f["properties"]["iso_a3"])
    countries: list[Country] = []
    geometries: list[MultiPolygon] = []
    by_code: dict[str, int] = {}
    for i, feature in enumerate(features):
        p = feature["properties"]
        country = Country(i, p["iso_a2"], p["iso_a3"], p["iso_n3"], p["name"])
        geom = shape(feature["geometry"])
        if not geom.is_valid:  # the vendored file is valid; guard a hand-edited one
            _log.warning("borders of %s are invalid; repaired with make_valid", country.iso_a3)
            geom = shapely.make_valid(geom)
        countries.append(country)
        geometries.append(geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom]))
        by_code[country.iso_a3] = i
        if country.iso_a2:
            by_code[country.iso_a2] = i
    for country in countries:
        # Numeric codes: ISO ones only (not Natural Earth's -1/-2/-3); where two entries share
        # one (036: Australia and Ashmore and Cartier Is.) the one with an alpha-2 code wins.
        if country.iso_n3.isdigit() and (
            country.iso_n3 not in by_code or country.iso_a2 is not None
        ):
            by_code[country.iso_n3] = country.index
    return _Borders(tuple(countries), tuple(geometries), by_code)


def all_countries() -> tuple[Country, ...]:
    """The 248 entries of the borders, sorted by alpha-3 code (``index`` is the position)."""
    return _borders().countries


def _suggestions(text: str) -> tuple[str, ...]:
    b = _borders()
    out: list[str] = []
    upper = text.upper()
    if upper in _COMMON_ALIASES and _COMMON_ALIASES[upper] in b.by_code:
        out.append(_COMMON_ALIASES[upper])
    names = {c.name.lower(): c.code for c in b.countries}
    out += [names[n] for n in difflib.get_close_matches(text.lower(), list(names), n=3)]
    codes = [k for k in b.by_code if not k.isdigit() and len(k) == len(upper)]
    out += difflib.get_close_matches(upper, codes, n=3, cutoff=0.5)
    seen: list[str] = []
    for code in out:
        label = f"{code} ({b.countries[b.by_code[code]].name})"
        if label not in seen:
            seen.append(label)
    return tuple(seen[:4])


def get_country(code: str | int | Country) -> Country:
    """The country with ISO 3166-1 alpha-2 (``UA``), alpha-3 (``UKR``) or numeric (``804``) code.

    Case does not matter; a numeric code may omit leading zeros (``36`` is Australia).  An
    unknown code raises `UnknownCountryError`, which names it and suggests close matches.
    """
    if isinstance(code, Country):
        return code
    b = _borders()
    text = str(code).strip()
    key = text.zfill(3) if text.isdigit() else text.upper()
    if key in b.by_code:
        return b.countries[b.by_code[key]]
    raise UnknownCountryError(code, _suggestions(text))


def country_geometry(code: str | int | Country) -> MultiPolygon:
    """A country's land as a Shapely MultiPolygon in (lon, lat) degrees, cut at ±180°."""
    return _borders().geometries[get_country(code).index]


def country_representative_point(code: str | int | Country) -> tuple[float, float]:
    """A (lat, lon) point on a country's land, to stand for it where a region is too small.

    Shapely's ``point_on_surface`` of the largest part; for Vatican and Ashmore and Cartier
    Islands, whose polygons collapsed in the source, their coordinates from the CIA World Factbook.
    Note that point -> country cannot return those two: at 1:50m their land lies in no polygon.
    """
    country = get_country(code)
    geom = country_geometry(country)
    if geom.is_empty:
        return _POINT_ONLY[country.iso_a3]
    point = max(geom.geoms, key=lambda p: p.area).point_on_surface()
    return float(point.y), float(point.x)


# --------------------------------------------------------------------------- point -> country


@dataclass(frozen=True)
class _Locator:
    parts: tuple[Polygon, ...]
    part_owner: npt.NDArray[np.intp]
    part_tree: shapely.STRtree
    coast: SegmentIndex

    def land_at(
        self, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.intp]:
        """Index of the country whose land holds each point (boundary included), else -1."""
        out = np.full(lat.size, NO_COUNTRY, dtype=np.intp)
        if lat.size == 0:
            return out
        pts, parts = self.part_tree.query(shapely.points(lon, lat))
        if parts.size == 0:
            return out
        order = np.argsort(parts, kind="stable")
        pts, parts = pts[order], parts[order]
        starts = np.flatnonzero(np.r_[True, parts[1:] != parts[:-1]])
        ends = np.r_[starts[1:], len(parts)]
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            part = int(parts[s])
            who = pts[s:e]
            hit = who[shapely.intersects_xy(self.parts[part], lon[who], lat[who])]
            owner = self.part_owner[part]
            # A point on a border between two countries goes to the lower index, deterministically.
            take = hit[(out[hit] < 0) | (out[hit] > owner)]
            out[take] = owner
        return out

    def exact(
        self, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        """Country index and territorial-sea flag computed from the geometry alone."""
        index = self.land_at(lat, lon)
        sea = index < 0
        d1, k1, _, _ = self.coast.nearest_two(lat[sea], lon[sea], TERRITORIAL_SEA_KM)
        owner = np.where(d1 <= TERRITORIAL_SEA_KM, k1, NO_COUNTRY)
        index[sea] = owner
        in_sea = np.zeros(lat.size, dtype=bool)
        in_sea[sea] = owner >= 0
        return index, in_sea


def _coast_segments(
    geometries: tuple[MultiPolygon, ...],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.intp]]:
    """Every edge of every ring with its country, less the cut lines at ±180° and the poles.

    Those edges were added to cut or close polygons (`leolink.geo.antimeridian`): the same
    country lies on both sides, so they are no coast.
    """
    starts, ends, owners = [], [], []
    for k, geom in enumerate(geometries):
        for poly in geom.geoms:
            for ring in (poly.exterior, *poly.interiors):
                xy = np.asarray(ring.coords, dtype=np.float64)
                a, b = xy[:-1], xy[1:]
                cut = ((np.abs(a[:, 0]) == 180.0) & (a[:, 0] == b[:, 0])) | (
                    (np.abs(a[:, 1]) == 90.0) & (a[:, 1] == b[:, 1])
                )
                starts.append(a[~cut])
                ends.append(b[~cut])
                owners.append(np.full(int((~cut).sum()), k, dtype=np.intp))
    return np.concatenate(starts), np.concatenate(ends), np.concatenate(owners)


@cache
def _locator() -> _Locator:
    b = _borders()
    parts: list[Polygon] = []
    owner: list[int] = []
    for k, geom in enumerate(b.geometries):
        for poly in geom.geoms:
            parts.append(poly)
            owner.append(k)
    shapely.prepare(parts)
    return _Locator(
        tuple(parts),
        np.asarray(owner, dtype=np.intp),
        shapely.STRtree(parts),
        SegmentIndex.build(*_coast_segments(b.geometries)),
    )


def countries_at(lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> CountryLookup:
    """The country at each point, land or territorial sea, vectorised over arrays.

    Arrays broadcast; the result has their shape.  A NaN or out-of-range position gives
    `NO_COUNTRY` with ``valid`` False.  The first call loads the borders (about 0.3 s).
    """
    lat, lon = np.broadcast_arrays(
        np.asarray(lat_deg, dtype=np.float64), np.asarray(lon_deg, dtype=np.float64)
    )
    shape_ = lat.shape
    lat = lat.ravel()
    lon = (lon.ravel() + 180.0) % 360.0 - 180.0
    valid = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90.0)
    index = np.full(lat.size, NO_COUNTRY, dtype=np.int16)
    in_sea = np.zeros(lat.size, dtype=bool)
    ok = np.flatnonzero(valid)
    found, sea = _locator().exact(lat[ok], lon[ok])
    index[ok] = found
    in_sea[ok] = sea
    return CountryLookup(index.reshape(shape_), in_sea.reshape(shape_), valid.reshape(shape_))


def country_at(lat_deg: float, lon_deg: float) -> tuple[Country | None, bool]:
    """The country at one point and whether the point is in its territorial sea."""
    hit = countries_at(lat_deg, lon_deg)
    i = int(hit.index)
    return (all_countries()[i] if i >= 0 else None), bool(hit.in_territorial_sea)
