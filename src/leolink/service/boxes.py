"""The cells of a region under the service's cap: a box ``W,S,E,N`` or a country.

Requests that list a region's cells (``GET /v1/availability/cells``, ``GET /v1/coverage``) are
refused above `ServiceLimits.max_cells` with `TooManyCells`, which names a coarser resolution
that fits (``suggested_resolution``).  The refusal comes from an estimate first, because listing
a continent's cells at resolution 9 would alone take minutes; the exact count decides after the
listing.  Boxes are estimated from their area on the sphere, countries from their cells at
resolution 4 (at most 9,229, for Russia; a few milliseconds, then cached).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from leolink.api import (
    CellArray,
    bbox_to_cells,
    bbox_to_geometry,
    check_resolution,
    country_to_cells,
    get_country,
)
from leolink.errors import InputError
from leolink.service.problems import ProblemError

__all__ = [
    "CellRegion",
    "TooManyCells",
    "average_cell_area_km2",
    "box",
    "country",
    "estimate_cells",
    "parse_bbox",
    "too_many_cells_problem",
]


#: Average area of an H3 cell at resolution 0, km² (h3's ``average_hexagon_area``); each finer
#: resolution has 1/7 of it.
_H3_RES0_AREA_KM2: Final = 4_357_449.416078381
_EARTH_RADIUS_KM: Final = 6_371.0072
#: A region is listed only if its estimate is at most this many times the cap (a box's cells
#: differ from its estimate by up to a third); the exact count decides after listing.
_ESTIMATE_SLACK: Final = 1.5
#: Countries are estimated from their cells at this resolution, times 7 a finer resolution.
_COUNTRY_COUNT_RESOLUTION: Final = 4


class TooManyCells(InputError):  # noqa: N818 - a request error, named for what the client did
    """A cell query over the service's cap; ``suggested_resolution`` fits under it."""

    def __init__(self, message: str, suggested_resolution: int | None) -> None:
        super().__init__(message)
        self.suggested_resolution = suggested_resolution


def too_many_cells_problem(error: TooManyCells) -> ProblemError:
    """The 422 ``too-many-cells`` problem, with ``suggested_resolution``, for ``error``."""
    return ProblemError(
        422,
        "too-many-cells",
        "Too many cells",
        str(error),
        extra={"suggested_resolution": error.suggested_resolution},
    )


def average_cell_area_km2(resolution: int) -> float:
    """Average area of an H3 cell at ``resolution``, km²."""
    return _H3_RES0_AREA_KM2 / 7.0**resolution


def estimate_cells(west: float, south: float, east: float, north: float, resolution: int) -> float:
    """About how many H3 cells at ``resolution`` cover a (W, S, E, N) box (west > east: across
    the antimeridian): its area on the sphere over the average cell area."""
    width_deg = (east - west) % 360.0 or 360.0
    band = abs(math.sin(math.radians(north)) - math.sin(math.radians(south)))
    area_km2 = _EARTH_RADIUS_KM**2 * math.radians(width_deg) * band
    return area_km2 / average_cell_area_km2(resolution)


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """The (W, S, E, N) degrees of a ``bbox`` query parameter, checked: in range and with area
    (`leolink.geo.regions.bbox_to_geometry`), else an `InputError` naming the parameter."""
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4:
        raise InputError(
            f"bbox={text!r} is not four numbers W,S,E,N in degrees, e.g. bbox=22,44,41,53 "
            "(west > east crosses the antimeridian)"
        )
    west, south, east, north = values
    try:
        bbox_to_geometry(west, south, east, north)
    except InputError as exc:
        raise type(exc)(f"bbox={text!r}: {exc}") from None
    return west, south, east, north


@dataclass(frozen=True)
class CellRegion:
    """A region a request lists the cells of: what to call it, and how to count and list them."""

    name: str
    """How messages name it: ``the box 22,44,41,53``, ``country UA (Ukraine)``."""
    smaller: str
    """What to ask for instead when it has too many cells even at resolution 0."""
    estimate: Callable[[int], float]
    """About how many cells it has at a resolution (cheap at any resolution)."""
    listing: Callable[[int], CellArray]
    """Its cells at a resolution (sorted ``uint64``)."""

    def cells(self, resolution: int, max_cells: int) -> CellArray:
        """The cells at ``resolution``; `TooManyCells` above ``max_cells``, by estimate before
        listing them and by count after."""
        res = check_resolution(resolution)
        if self.estimate(res) > _ESTIMATE_SLACK * max_cells:
            raise self._too_many(res, max_cells, None)
        cells = self.listing(res)
        if cells.size > max_cells:
            raise self._too_many(res, max_cells, int(cells.size))
        return cells

    def suggested_resolution(self, resolution: int, max_cells: float) -> int | None:
        """The finest resolution coarser than ``resolution`` whose estimate fits ``max_cells``
        with room to spare, None if even resolution 0 does not."""
        fits = [r for r in range(resolution) if self.estimate(r) <= max_cells / _ESTIMATE_SLACK]
        return fits[-1] if fits else None

    def _too_many(self, res: int, max_cells: int, count: int | None) -> TooManyCells:
        suggested = self.suggested_resolution(res, max_cells)
        many = f"{count}" if count is not None else f"about {self.estimate(res):.3g}"
        hint = (
            f"ask for resolution={suggested} (suggested_resolution) or {self.smaller}"
            if suggested is not None
            else f"ask for {self.smaller}"
        )
        return TooManyCells(
            f"{self.name} holds {many} cells at resolution {res}, more than the {max_cells} one "
            f"request may have: {hint}",
            suggested,
        )


def box(west: float, south: float, east: float, north: float) -> CellRegion:
    """The cells whose centre is in a (W, S, E, N) box, west > east crossing the antimeridian.

    A malformed box (out of range, no area) raises `leolink.errors.RegionError` here.
    """
    bbox_to_geometry(west, south, east, north)  # checks the box

    def listing(res: int) -> CellArray:
        return bbox_to_cells(west, south, east, north, res)

    return CellRegion(
        name=f"the box {west:g},{south:g},{east:g},{north:g}",
        smaller="a smaller box",
        estimate=lambda res: estimate_cells(west, south, east, north, res),
        listing=listing,
    )


def country(code: str) -> CellRegion:
    """The cells whose centre is on a country's land (`leolink.geo.regions.country_to_cells`).

    An unknown code raises `leolink.errors.UnknownCountryError` here.
    """
    found = get_country(code)

    def estimate(res: int) -> float:
        coarse = min(res, _COUNTRY_COUNT_RESOLUTION)
        return country_to_cells(found, coarse).size * 7.0 ** (res - coarse)

    def listing(res: int) -> CellArray:
        return country_to_cells(found, res)

    return CellRegion(
        name=f"country {found.code} ({found.name})",
        smaller="a bbox of part of it",
        estimate=estimate,
        listing=listing,
    )
