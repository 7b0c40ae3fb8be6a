"""Links at one instant: ground–satellite (GSL) by elevation mask or slant range, and lasers (ISL).

Distances are straight lines between Earth-fixed (ITRF) positions, in km; delays are those
lengths over the speed of light in vacuum (lasers and radio alike).  Every function here is
vectorised over satellites and ground sites; a satellite SGP4 could not place (NaN position)
simply has no links.

Limits follow Hypatia (Kassing et al., "Exploring the 'Internet from space' with Hypatia",
IMC 2020; satgenpy ``main_starlink_550.py``): a laser may not pass lower than 80 km above the
Earth (weather), so its maximum length between two satellites at radius ``R + h`` is
``2 sqrt((R + h)^2 - (R + 80 km)^2)`` — 5,016.6 km at 550 km with R = 6,378.135 km (WGS72), the
value Hypatia uses for Starlink.  A ground link is allowed above an elevation mask (25 deg for
Starlink's user terminals in the FCC filings, the DESIGN default), or, as Hypatia does, up to a
maximum slant range.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from leolink.arrays import BoolArray, FloatArray, IntArray
from leolink.earth import WGS72_A_KM, WGS84_A_KM, WGS84_B_KM
from leolink.errors import InputError
from leolink.network._kernels import gsl_mask
from leolink.network.sites import GroundSites
from leolink.orbits.structure import NEXT, RIGHT

__all__ = [
    "DEFAULT_MIN_ELEVATION_DEG",
    "ISL_MIN_GRAZING_ALTITUDE_KM",
    "SPEED_OF_LIGHT_KM_S",
    "GslLinks",
    "IslPattern",
    "ground_link_elevation_deg",
    "gsl_links",
    "isl_clearance_km",
    "isl_lengths_km",
    "isl_up",
    "max_gsl_range_km",
    "max_isl_range_km",
    "plus_grid_pairs",
]


#: Speed of light in vacuum, km/s (exact, SI definition of the metre).
SPEED_OF_LIGHT_KM_S: Final = 299_792.458

#: Elevation mask of ground links unless told otherwise, degrees: the minimum elevation of a user
#: terminal's link in SpaceX's FCC authorisations (FCC 22-91; filings SAT-MOD-20181108-00083 and
#: later, see ``data/starlink-shells-fcc.csv``).  The policy's sky check uses it too.
DEFAULT_MIN_ELEVATION_DEG: Final = 25.0

#: Lowest altitude a laser link may pass through, km (Hypatia: "ISLs are not allowed to dip
#: below 80 km altitude in order to avoid weather conditions").
ISL_MIN_GRAZING_ALTITUDE_KM: Final = 80.0


# Size of the (sites x satellites) boolean mask `gsl_links` fills at a time: 16 MB, e.g. 1,600
# sites x 10,000 satellites; more sites are done in blocks.
_MASK_BYTES = 16 * 2**20
#: From this many sites on, `gsl_links` finds candidate satellites with a k-d tree.
_KD_TREE_SITES: Final = 256


class IslPattern(enum.StrEnum):
    """Which inter-satellite lasers exist: the +Grid, or none (bent pipe only)."""

    PLUS_GRID = "plus-grid"
    NONE = "none"


def max_isl_range_km(
    altitude_km: float,
    min_grazing_altitude_km: float = ISL_MIN_GRAZING_ALTITUDE_KM,
    earth_radius_km: float = WGS72_A_KM,
) -> float:
    """Longest laser between two satellites at ``altitude_km`` that stays above the grazing height.

    ``2 sqrt((R + h)^2 - (R + g)^2)``, Hypatia's formula; 5,016.591 km for h = 550 km.
    """
    outer, inner = earth_radius_km + altitude_km, earth_radius_km + min_grazing_altitude_km
    if not (math.isfinite(outer) and outer > inner > 0.0):
        raise InputError(
            f"altitude_km={altitude_km!r} must be above min_grazing_altitude_km="
            f"{min_grazing_altitude_km!r}"
        )
    return 2.0 * math.sqrt(outer * outer - inner * inner)


def max_gsl_range_km(
    altitude_km: float, min_elevation_deg: float, earth_radius_km: float = WGS72_A_KM
) -> float:
    """Slant range to a satellite at ``altitude_km`` seen at ``min_elevation_deg``, spherical Earth.

    From the triangle Earth centre–observer–satellite: ``d = -R sin e + sqrt(R^2 sin^2 e +
    2 R h + h^2)``.  At 550 km and 25 deg this is 1,123 km; Hypatia's 1,089.7 km for the same
    shell comes instead from the FCC filing's 940.7 km coverage-cone radius
    (``sqrt(940.7^2 + 550^2)``), i.e. an elevation of about 26.6 deg.
    """
    if not (math.isfinite(altitude_km) and altitude_km > 0.0):
        raise InputError(f"altitude_km={altitude_km!r} must be a positive number of kilometres")
    if not (math.isfinite(min_elevation_deg) and -90.0 <= min_elevation_deg <= 90.0):
        raise InputError(f"min_elevation_deg={min_elevation_deg!r} must be in [-90, 90]")
    s = math.sin(math.radians(min_elevation_deg))
    r = earth_radius_km
    return -r * s + math.sqrt(r * r * s * s + 2.0 * r * altitude_km + altitude_km**2)


def plus_grid_pairs(neighbours: npt.ArrayLike) -> IntArray:
    """The +Grid's laser links as satellite index pairs ``(L, 2)``, each link once, ``a < b``.

    ``neighbours`` is `leolink.orbits.structure.Structure.neighbours` (``(S, 4)``, columns
    PREVIOUS, NEXT, LEFT, RIGHT, -1 for none).  Each satellite links to the next one in its plane
    and to its neighbour in the plane to the east, as in Hypatia's ``generate_plus_grid_isls``
    (``(i, j)``–``(i, j+1)`` and ``(i, j)``–``(i+1, j)``); with the links that reach it from the
    previous slot and the western plane that makes four lasers a satellite in a full Walker
    shell.  Where planes are unevenly filled two satellites may pick the same eastern neighbour,
    which then has more than four links.
    """
    table = np.asarray(neighbours, dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 4:
        raise InputError(
            f"neighbours has shape {table.shape}; expected (S, 4) with columns PREVIOUS, NEXT, "
            "LEFT, RIGHT as in Structure.neighbours"
        )
    s = np.arange(table.shape[0], dtype=np.int64)
    a = np.concatenate([s, s])
    b = np.concatenate([table[:, NEXT], table[:, RIGHT]])
    keep = (b >= 0) & (b != a)
    if np.any(b >= table.shape[0]):
        raise InputError(f"neighbours holds index {int(b.max())} beyond {table.shape[0]} rows")
    pairs = np.stack([np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])], axis=1)
    return np.unique(pairs, axis=0).reshape(-1, 2)


def isl_lengths_km(r_sat_itrs_km: FloatArray, pairs: IntArray) -> FloatArray:
    """Length of each laser link ``pairs`` ``(L, 2)`` between positions ``(S, 3)``, km, ``(L,)``.

    NaN where either satellite has no position.
    """
    d = r_sat_itrs_km[pairs[:, 0]] - r_sat_itrs_km[pairs[:, 1]]
    return np.asarray(np.sqrt(np.einsum("ij,ij->i", d, d)))


def isl_clearance_km(r_sat_itrs_km: FloatArray, pairs: IntArray) -> FloatArray:
    """Lowest height above WGS84 that each laser's line of sight passes, km, ``(L,)``.

    Negative when the line passes through the Earth, NaN where either satellite has no
    position.  The space is first stretched along the polar axis by ``a / b``, which makes the
    ellipsoid a sphere of radius ``a`` and keeps the line of sight a straight segment; the
    height is then the segment's closest approach to the centre less ``a`` (``a / b`` times
    the height above the ellipsoid at the poles, i.e. within 0.34 %).  Two satellites at 350
    km can be 5,400 km apart with the line between them 440 km below the ground, so a range
    alone does not make a laser possible.
    """
    stretch = np.array([1.0, 1.0, WGS84_A_KM / WGS84_B_KM])
    a = r_sat_itrs_km[pairs[:, 0]] * stretch
    d = r_sat_itrs_km[pairs[:, 1]] * stretch - a
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip(-np.einsum("ij,ij->i", a, d) / np.einsum("ij,ij->i", d, d), 0.0, 1.0)
    closest = a + t[:, None] * d
    return np.asarray(np.sqrt(np.einsum("ij,ij->i", closest, closest)) - WGS84_A_KM)


def isl_up(
    r_sat_itrs_km: FloatArray,
    pairs: IntArray,
    max_isl_km: float,
    min_clearance_km: float = ISL_MIN_GRAZING_ALTITUDE_KM,
) -> tuple[BoolArray, FloatArray]:
    """Which lasers ``pairs`` can be up with satellites at ``r_sat_itrs_km``, and their lengths.

    A laser is up when both ends have positions, they are at most ``max_isl_km`` apart, and
    its line of sight stays ``min_clearance_km`` above WGS84 (`isl_clearance_km`; Hypatia's
    80 km, `ISL_MIN_GRAZING_ALTITUDE_KM`).  Returns ``(up, lengths_km)``, ``(L,)`` each.
    """
    lengths = isl_lengths_km(r_sat_itrs_km, pairs)
    up = lengths <= max_isl_km  # False for NaN
    if np.any(up):
        up[up] = isl_clearance_km(r_sat_itrs_km, pairs[up]) >= min_clearance_km
    return up, lengths


@dataclass(frozen=True, eq=False)
class GslLinks:
    """Ground–satellite links at one instant, ``(K,)`` each, grouped by site, nearest first."""

    site: IntArray
    satellite: IntArray
    range_km: FloatArray

    def __len__(self) -> int:
        return len(self.site)


def gsl_links(
    r_sat_itrs_km: FloatArray,
    sites: GroundSites,
    *,
    min_elevation_deg: float | None = DEFAULT_MIN_ELEVATION_DEG,
    max_range_km: float | None = None,
    limit_links: bool = True,
) -> GslLinks:
    """Which satellites ``(S, 3)`` each ground site can link to, and at what slant range.

    A satellite qualifies when it is at or above ``min_elevation_deg`` (from the WGS84 normal
    at the site, as `itrs_to_topocentric`) and within ``max_range_km``; a criterion given as
    None is not applied, and at least one must be given.  With ``limit_links`` a site whose
    ``max_links`` is not -1 keeps only that many qualifying satellites, the nearest ones (the
    highest, for one shell): a gateway with 8 antennas tracks 8 satellites.

    The test runs over every site and satellite pair in a compiled loop
    (`leolink.network._kernels.gsl_mask`) that rejects satellites below the horizon first;
    361 sites and 10,361 satellites take a few milliseconds.
    """
    if min_elevation_deg is None and max_range_km is None:
        raise InputError(
            "give min_elevation_deg or max_range_km (or both) to decide which ground links exist"
        )
    if min_elevation_deg is not None and not (
        math.isfinite(min_elevation_deg) and -90.0 <= min_elevation_deg <= 90.0
    ):
        raise InputError(f"min_elevation_deg={min_elevation_deg!r} must be in [-90, 90]")
    if max_range_km is not None and not (math.isfinite(max_range_km) and max_range_km > 0.0):
        raise InputError(f"max_range_km={max_range_km!r} must be a positive number of km")
    r_sat = np.asarray(r_sat_itrs_km, dtype=np.float64).reshape(-1, 3)
    sin_mask = math.sin(math.radians(min_elevation_deg)) if min_elevation_deg is not None else -1.0
    max_range = max_range_km if max_range_km is not None else math.inf
    p_all, u_all = sites.r_itrs_km, sites.up
    if len(sites) >= _KD_TREE_SITES and min_elevation_deg is not None and min_elevation_deg > 1.0:
        site, sat = _pairs_in_reach(r_sat, sites, min_elevation_deg, max_range)
        d = r_sat[sat] - p_all[site]
        range_km = np.sqrt(np.einsum("ij,ij->i", d, d))
        up = np.einsum("ij,ij->i", d, u_all[site])
        keep = (up >= sin_mask * range_km) & (range_km <= max_range)
        return _ranked(sites, site[keep], sat[keep], range_km[keep], limit_links)
    r_contiguous = np.ascontiguousarray(r_sat)
    block = max(1, _MASK_BYTES // max(1, len(r_sat)))
    mask = np.empty((min(block, len(sites)), len(r_sat)), dtype=np.bool_)
    site_parts, sat_parts = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for start in range(0, len(sites), block):
        stop = min(start + block, len(sites))
        part = mask[: stop - start]
        gsl_mask(r_contiguous, p_all[start:stop], u_all[start:stop], sin_mask, max_range, part)
        site_idx, sat_idx = np.nonzero(part)
        site_parts.append(site_idx.astype(np.int64) + start)
        sat_parts.append(sat_idx.astype(np.int64))
    site, sat = np.concatenate(site_parts), np.concatenate(sat_parts)
    d = r_sat[sat] - p_all[site]
    range_km = np.sqrt(np.einsum("ij,ij->i", d, d))

    return _ranked(sites, site, sat, range_km, limit_links)


def _pairs_in_reach(
    r_sat: FloatArray, sites: GroundSites, min_elevation_deg: float, max_range_km: float
) -> tuple[IntArray, IntArray]:
    """(site, satellite) pairs close enough that the satellite may be above the mask.

    A satellite at geocentric radius at most ``R`` seen at elevation ``e`` from a site at radius
    ``rho`` is at slant range at most ``-rho sin e + sqrt(rho² sin² e + R² - rho²)`` (the law of
    cosines); ``e`` is lowered by 0.2°, more than the angle between the WGS84 normal and the
    geocentric vertical (0.19° at most), so that no pair that passes the exact test is missed.
    A k-d tree over the satellites (`scipy.spatial.cKDTree`) then finds them without testing
    every pair.
    """
    from scipy.spatial import cKDTree

    finite = np.flatnonzero(np.all(np.isfinite(r_sat), axis=1))
    if len(finite) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    max_radius = float(np.max(np.linalg.norm(r_sat[finite], axis=1)))
    p = sites.r_itrs_km
    rho = np.linalg.norm(p, axis=1)
    s = math.sin(math.radians(min_elevation_deg - 0.2))
    reach = -rho * s + np.sqrt(np.maximum(rho * rho * s * s + max_radius**2 - rho * rho, 0.0))
    reach = np.minimum(reach, max_range_km) * (1.0 + 1e-9) + 1e-6
    found = cKDTree(r_sat[finite]).query_ball_point(p, reach, return_sorted=False)
    counts = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(found))
    site = np.repeat(np.arange(len(p), dtype=np.int64), counts)
    flat = np.fromiter((i for f in found for i in f), dtype=np.int64, count=int(counts.sum()))
    return site, finite[flat]


def _ranked(
    sites: GroundSites,
    site: IntArray,
    sat: IntArray,
    range_km: FloatArray,
    limit_links: bool,
) -> GslLinks:
    """Links sorted by site then range, each limited site keeping its nearest ``max_links``."""
    order = np.lexsort((sat, range_km, site))
    site, sat, range_km = site[order], sat[order], range_km[order]
    if limit_links and len(site):
        first = np.searchsorted(site, site, side="left")
        rank = np.arange(len(site)) - first
        limit = sites.max_links[site]
        keep = (limit < 0) | (rank < limit)
        site, sat, range_km = site[keep], sat[keep], range_km[keep]
    return GslLinks(site=site, satellite=sat, range_km=range_km)


def ground_link_elevation_deg(
    min_elevation_deg: float | None, max_gsl_km: float | None
) -> float | None:
    """The elevation mask for ground links of a request that gives a mask, a range or neither.

    None when the links go by range (``max_gsl_km``), else the mask given or
    `DEFAULT_MIN_ELEVATION_DEG`; what ``leolink route`` and ``GET /v1/route`` pass on.
    """
    if max_gsl_km is not None:
        return None
    return DEFAULT_MIN_ELEVATION_DEG if min_elevation_deg is None else min_elevation_deg
