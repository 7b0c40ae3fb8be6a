"""Checks of what callers hand the store, and the two-person rule's measure of a geofence.

Every check raises a `leolink.errors.InputError` (or a subclass) that names the bad value and
says what is expected, before anything is written.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt
from shapely.geometry import MultiPolygon, Polygon

from leolink.earth import EARTH_AUTHALIC_RADIUS_KM
from leolink.errors import (
    InputError,
    LimitError,
    RegionError,
    TimeWindowError,
)
from leolink.geo import grid
from leolink.geo.countries import get_country
from leolink.geo.regions import geojson_to_geometry, geojson_vertices
from leolink.limits import SERVICE_LIMITS, WorkLimits
from leolink.policy.audit import canonical_json
from leolink.policy.records import CustomerClass, GeofenceEffect, GeofenceSpec
from leolink.time import format_instant, parse_instant

__all__ = [
    "CheckedGeofence",
    "CheckedRegion",
    "TwoPersonRule",
    "area_centre_deg",
    "area_geojson_km2",
    "check_actor",
    "check_cells",
    "check_geofence_spec",
    "check_id",
    "check_positions",
    "check_reason",
    "check_region",
    "check_window",
    "choice",
    "instant",
    "iso_alpha2",
    "person_key",
    "ring_area_km2",
    "same_person",
    "to_us",
]

_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_MAX_ACTOR: Final = 200

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class TwoPersonRule:
    """When a geofence needs a second operator's approval before it takes effect.

    A geofence needs it when its area exceeds ``max_area_km2`` or it lists more than
    ``max_cells`` cells.  The defaults, 2,500 km² and 10 cells, are about ten H3 resolution-5
    cells of Starlink's availability map: a town can be switched off by one operator, a region
    takes two.  Country-status changes always take two operators, whatever this says.

    The limits are a budget, not a size per request: what one operator switched off alone
    (geofences that needed nobody else) within the last ``window_h`` hours of record, within
    ``region_km`` of the new geofence, counts with it, so that a region cut into town-sized
    pieces still takes two people (twelve 10-cell fences in a row: the second one waits).
    The defaults, a day and 1,000 km (a region the size of Ukraine's width), are this
    project's choice: a region in the sense of the rule above, and a working day of one
    operator.
    """

    max_area_km2: float = 2_500.0
    max_cells: int = 10
    window_h: float = 24.0
    region_km: float = 1_000.0

    def __post_init__(self) -> None:
        if not (
            self.max_area_km2 >= 0
            and self.max_cells >= 0
            and self.window_h >= 0
            and self.region_km >= 0
        ):
            raise InputError(
                f"two-person thresholds must not be negative: max_area_km2={self.max_area_km2}, "
                f"max_cells={self.max_cells}, window_h={self.window_h}, "
                f"region_km={self.region_km}"
            )

    def needs_second_operator(
        self, size_km2: float, n_cells: int, alone_km2: float = 0.0, alone_cells: int = 0
    ) -> bool:
        """True if a geofence of this size needs a second operator, given what its proposer
        already switched off alone nearby within the window (``alone_km2``, ``alone_cells``)."""
        return size_km2 + alone_km2 > self.max_area_km2 or n_cells + alone_cells > self.max_cells


def iso_alpha2(code: str) -> str:
    """The ISO 3166-1 alpha-2 code ``code`` names, upper-case, checked against the borders.

    Unknown codes raise `leolink.errors.UnknownCountryError` with suggestions; alpha-3 and
    numeric codes are refused with the alpha-2 code to use instead.
    """
    text = str(code).strip().upper()
    country = get_country(text)
    if len(text) == 2 and country.iso_a2 == text:
        return text
    if country.iso_a2 is None:
        raise InputError(
            f"{code!r} is {country.name}, which has no ISO 3166-1 alpha-2 code; statuses and "
            "home countries are kept per alpha-2 code"
        )
    raise InputError(
        f"country code {code!r} must be ISO 3166-1 alpha-2: {country.name} is {country.iso_a2!r}"
    )


def check_actor(actor: str) -> str:
    """A non-empty actor name of at most 200 characters (``op:alice``, an API key id, ...)."""
    text = str(actor).strip()
    if not text or len(text) > _MAX_ACTOR:
        raise InputError(
            f"actor {actor!r} must be a non-empty name of at most {_MAX_ACTOR} characters, "
            "e.g. 'op:alice': every change records who made it"
        )
    return text


def check_reason(reason: str) -> str:
    """A non-empty reason: every change records why it was made."""
    text = str(reason).strip()
    if not text:
        raise InputError("give a reason for the change: the audit log records why, not only what")
    return text


def check_id(value: str, what: str) -> str:
    """An id of 1-64 letters, digits and ``. _ : -`` (safe in URLs and file names)."""
    text = str(value)
    if not _ID_PATTERN.fullmatch(text):
        raise InputError(
            f"{what} id {value!r} is not valid: use 1-64 letters, digits, '.', '_', ':' or '-', "
            "starting with a letter or digit (e.g. 'UT-0001')"
        )
    return text


def choice(enum: type[E], value: str, what: str) -> E:
    """``value`` as a member of ``enum``; an unknown value lists the allowed ones."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InputError(f"{what} {value!r} is not one of: {allowed}") from None


def instant(value: str | np.datetime64 | Any, what: str) -> np.datetime64:
    """Parse an instant (ISO 8601 UTC string, ``now``, aware datetime or datetime64).

    It is truncated to the microsecond, as the databases keep it, so that what a write returns
    equals what a later read gives back.
    """
    try:
        parsed = parse_instant(value)
    except InputError as exc:
        raise type(exc)(f"{what}: {exc}") from exc
    return to_us(parsed)


def to_us(t: np.datetime64) -> np.datetime64:
    """``t`` truncated to the microsecond, as ``datetime64[ns]`` like every leolink instant."""
    out: np.datetime64 = t.astype("datetime64[us]").astype("datetime64[ns]")
    return out


def check_window(start: np.datetime64 | None, end: np.datetime64 | None, what: str) -> None:
    """Refuse a window ``[start, end)`` that ends at or before its start."""
    if start is not None and end is not None and not end > start:
        raise TimeWindowError(
            f"{what} window ends ({format_instant(end)}) at or before it starts "
            f"({format_instant(start)}); give an end after the start, or none for an open end"
        )


def check_cells(cells: Iterable[str]) -> tuple[tuple[str, ...], float]:
    """Valid H3 cells as sorted unique lower-case hex, and their total area in km²."""
    if isinstance(cells, str):
        raise InputError(f"cells must be a list of H3 cells, not the single string {cells!r}")
    unique = sorted({str(c).strip().lower() for c in cells})
    if not unique:
        return (), 0.0
    as_int = grid.hex_to_cells(unique)  # raises InputError naming the first bad cell
    return tuple(unique), float(np.sum(grid.cell_area_km2(as_int)))


def area_geojson_km2(area: str | Mapping[str, Any]) -> tuple[str, float]:
    """A GeoJSON region as canonical JSON text, and its area on the sphere in km².

    The region is checked (and a self-intersecting one repaired) by
    `leolink.geo.regions.geojson_to_geometry`; the text kept is the caller's, canonicalised.
    """
    region = check_region(area)
    return region.text, region.km2


@dataclass(frozen=True)
class CheckedRegion:
    """A geofence's GeoJSON region after checking: its canonical text, area, positions (of the
    caller's rings, before any repair) and the repaired geometry."""

    text: str
    km2: float
    vertices: int
    geometry: Polygon | MultiPolygon


def check_region(area: str | Mapping[str, Any], max_vertices: int | None = None) -> CheckedRegion:
    """Check a GeoJSON region: at most ``max_vertices`` positions (counted before any costly
    repair), then `leolink.geo.regions.geojson_to_geometry`; measure it on the sphere."""
    try:
        parsed = json.loads(area) if isinstance(area, str) else area
        text = canonical_json(parsed).decode("utf-8")
    except (json.JSONDecodeError, TypeError, ValueError, RecursionError) as exc:
        raise RegionError(f"the geofence area is not valid JSON: {exc}") from exc
    vertices = geojson_vertices(parsed)
    if max_vertices is not None and vertices > max_vertices:
        raise LimitError(
            f"the geofence area has {vertices:,} vertices, more than a geofence may have "
            f"({max_vertices:,}, `max_geofence_vertices`): simplify it (e.g. shapely's "
            "simplify with a tolerance of ~100 m) or give its H3 cells instead"
        )
    geom = geojson_to_geometry(parsed)
    polygons = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    total = 0.0
    for poly in polygons:
        assert isinstance(poly, Polygon)
        total += ring_area_km2(np.asarray(poly.exterior.coords))
        total -= sum(ring_area_km2(np.asarray(r.coords)) for r in poly.interiors)
    return CheckedRegion(text, total, vertices, geom)


def ring_area_km2(lonlat_deg: np.ndarray[Any, Any]) -> float:
    """Area enclosed by a ring of (lon, lat) degrees on the authalic sphere, in km².

    The trapezoid rule in (longitude, sin latitude), the equal-area cylindrical coordinates:
    Chamberlain & Duquette, "Some algorithms for polygons on a sphere", JPL 07-0286 (2007), as
    OpenLayers' ``ol/sphere.getArea`` uses it.  Exact for boxes bounded by meridians and
    parallels; for other edges it follows the edge straight in those coordinates, which is
    within a fraction of a percent of the geodesic for regions a geofence covers.
    """
    lon = np.radians(lonlat_deg[:, 0])
    sin_lat = np.sin(np.radians(lonlat_deg[:, 1]))
    dlon = lon - np.roll(lon, 1)
    twice = np.sum(dlon * (2.0 + sin_lat + np.roll(sin_lat, 1)))
    return float(abs(twice) * EARTH_AUTHALIC_RADIUS_KM**2 / 2.0)


@dataclass(frozen=True)
class CheckedGeofence:
    """A geofence spec after checking: normalised fields and the measured ``size_km2``."""

    name: str
    effect: GeofenceEffect
    reason: str
    area_geojson: str | None
    cells: tuple[str, ...]
    customer_classes: tuple[CustomerClass, ...] | None
    window_start: np.datetime64 | None
    window_end: np.datetime64 | None
    size_km2: float
    reconstruction: bool = False
    #: Vertices of the region's rings as given (0 without a region).
    vertices: int = 0
    #: The region, repaired where it had to be (None without a region).
    geometry: Polygon | MultiPolygon | None = None

    @property
    def centre_deg(self) -> tuple[float, float]:
        """(lat, lon) of the area's centre, degrees (`area_centre_deg`)."""
        return area_centre_deg(self.area_geojson, self.cells, self.geometry)


def area_centre_deg(
    area_geojson: str | None,
    cells: Iterable[str],
    geometry: Polygon | MultiPolygon | None = None,
) -> tuple[float, float]:
    """(lat, lon) in degrees of the centre of a geofence's area: the mean of the unit vectors of
    its cells' centres and its region's centroid (so that an area across the antimeridian has
    its centre there, not on the other side of the globe)."""
    lats: list[float] = []
    lons: list[float] = []
    hexes = list(cells)
    if hexes:
        lat, lon = grid.cells_to_latlng(grid.hex_to_cells(hexes))
        lats += lat.tolist()
        lons += lon.tolist()
    if area_geojson is not None:
        region = geometry if geometry is not None else geojson_to_geometry(json.loads(area_geojson))
        centre = region.centroid
        lats.append(float(centre.y))
        lons.append(float(centre.x))
    phi, lam = np.radians(lats), np.radians(lons)
    x, y, z = (
        np.mean(np.cos(phi) * np.cos(lam)),
        np.mean(np.cos(phi) * np.sin(lam)),
        np.mean(np.sin(phi)),
    )
    return float(np.degrees(np.arctan2(z, np.hypot(x, y)))), float(np.degrees(np.arctan2(y, x)))


def check_geofence_spec(spec: GeofenceSpec, limits: WorkLimits = SERVICE_LIMITS) -> CheckedGeofence:
    """Check every field of ``spec`` (its region within ``limits.max_geofence_vertices``);
    measure its area for the two-person rule."""
    name = str(spec.name).strip()
    if not name or len(name) > 200:
        raise InputError(f"geofence name {spec.name!r} must be 1-200 characters")
    effect = choice(GeofenceEffect, spec.effect, "geofence effect")
    reason = check_reason(spec.reason)
    cells, cells_km2 = check_cells(spec.cells)
    geojson, geojson_km2, region = (None, 0.0, None)
    if spec.area_geojson is not None:
        region = check_region(spec.area_geojson, limits.max_geofence_vertices)
        geojson, geojson_km2 = region.text, region.km2
    if geojson is None and not cells:
        raise InputError(f"geofence {name!r} has no area: give a GeoJSON region, H3 cells, or both")
    classes: tuple[CustomerClass, ...] | None = None
    if spec.customer_classes is not None:
        if isinstance(spec.customer_classes, str):
            raise InputError(
                f"customer_classes must be a list such as ['government'], not "
                f"{spec.customer_classes!r}"
            )
        classes = tuple(
            sorted({choice(CustomerClass, c, "customer class") for c in spec.customer_classes})
        )
        if not classes:
            raise InputError("customer_classes is empty: give None for all classes")
    start = None if spec.window_start is None else instant(spec.window_start, "window_start")
    end = None if spec.window_end is None else instant(spec.window_end, "window_end")
    check_window(start, end, f"geofence {name!r}")
    # Polygon and cells are a union; their sum bounds its area from above.
    size = geojson_km2 + cells_km2
    if not isinstance(spec.reconstruction, bool):
        raise InputError(f"reconstruction must be true or false, not {spec.reconstruction!r}")
    return CheckedGeofence(
        name,
        effect,
        reason,
        geojson,
        cells,
        classes,
        start,
        end,
        size,
        spec.reconstruction,
        vertices=0 if region is None else region.vertices,
        geometry=None if region is None else region.geometry,
    )


#: The dates a position report may carry: from the first Starlink satellites (launched May 2019;
#: 2019-01-01 keeps the round year) to the end of the century (a date far in the future is a
#: clock error, not a report).
REPORTS_FROM: Final = np.datetime64("2019-01-01T00:00:00", "us")
REPORTS_UNTIL: Final = np.datetime64("2100-01-01T00:00:00", "us")


def check_positions(
    reported_at: npt.ArrayLike, lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike
) -> tuple[list[np.datetime64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Broadcast instants, latitudes and longitudes to one list of positions, all on the globe."""
    raw_times = np.atleast_1d(np.asarray(reported_at))
    if raw_times.dtype.kind == "M":
        times = [to_us(t) for t in raw_times.astype("datetime64[ns]")]
    else:
        times = [instant(t, "reported_at") for t in raw_times.tolist()]
    try:
        lat = np.atleast_1d(np.asarray(lat_deg, dtype=np.float64))
        lon = np.atleast_1d(np.asarray(lon_deg, dtype=np.float64))
        t_idx, lat, lon = np.broadcast_arrays(np.arange(len(times)), lat, lon)
    except ValueError as exc:
        raise InputError(
            f"reported_at ({len(times)}), lat_deg and lon_deg must have matching lengths: {exc}"
        ) from exc
    bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"position {i} (lat_deg={float(lat[i])!r}, lon_deg={float(lon[i])!r}) is not a "
            "position: "
            "latitudes must be within ±90 and longitudes within ±180 degrees"
        )
    if lat.size == 0:
        raise InputError("give at least one position")
    for i, t in enumerate(times):
        if not REPORTS_FROM <= t < REPORTS_UNTIL:
            raise InputError(
                f"reported_at {i} ({format_instant(t)}) is outside the dates a position report "
                f"may have ({format_instant(REPORTS_FROM)} to {format_instant(REPORTS_UNTIL)}, "
                "exclusive): give the instant the terminal was there"
            )
    return [times[i] for i in t_idx.ravel().tolist()], lat.ravel(), lon.ravel()


#: Characters that draw nothing, besides the general categories Cf (format: zero-width space,
#: joiners, bidirectional marks, soft hyphen) and Cc (controls), which are dropped whole: the
#: Default_Ignorable_Code_Point property of Unicode's DerivedCoreProperties.txt (Unicode 15.1)
#: that is not Cf, i.e. fillers and variation selectors.
_INVISIBLE: Final = frozenset(
    [
        *(0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0),
        *range(0x180B, 0x1810),
        *range(0xFE00, 0xFE10),
        *range(0xE0100, 0xE01F0),
    ]
)


def person_key(name: str) -> str:
    """The person an actor name names: what the two-person rule compares.

    NFKC (compatibility forms: full-width letters, ligatures), then every character that
    draws nothing is dropped (zero-width spaces, joiners, bidirectional marks, fillers,
    variation selectors), runs of spaces become one, outer spaces go, and case is folded.
    ``'Alice'``, ``' alice '``, ``'alice\u200b'`` and ``'ａｌｉｃｅ'`` are one person.
    """
    text = unicodedata.normalize("NFKC", str(name))
    kept = (
        " " if ch.isspace() else ch
        for ch in text
        if unicodedata.category(ch) not in ("Cf", "Cc") or ch.isspace()
        if ord(ch) not in _INVISIBLE
    )
    return " ".join("".join(kept).split()).casefold()


def same_person(a: str, b: str) -> bool:
    """Actor names compared as people would: case, spacing, compatibility forms and invisible
    characters do not make two people (`person_key`)."""
    return person_key(a) == person_key(b)
