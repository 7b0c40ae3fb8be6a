"""Structure inference: shells, orbital planes, slots and neighbours of any satellite catalog.

Simulators of LEO networks (Hypatia, StarPerf) take a constellation's structure as given: a
Walker pattern typed in by hand.  A real catalog has no such labels, so this module recovers
them.  All satellites are propagated with SGP4 to one common instant (the median epoch by
default), where the inclination, right ascension of the ascending node (RAAN) and argument of
latitude are read from the TEME position and velocity; the altitude is the mean semi-major
axis altitude of the element set (`Catalog.mean_altitude_km`).  Then:

1. **Shells, and who is settled in them.**  Sort by inclination and split where consecutive
   inclinations differ by more than ``inclination_gap_deg`` (default 0.1 deg: the osculating
   inclination of one shell wanders by about +-0.02 deg with J2's short-period terms, while
   designed shells differ by 0.2 deg or more).  Within each inclination group, a shell is an
   altitude band of ``2 settled_band_km`` (default +-2 km: a settled Starlink shell's mean
   altitudes agree within about +-0.5 km, designed shells are 5 km or more apart) holding at
   least ``min_shell_satellites`` (default 100, about four Falcon 9 launches): the densest such
   band is taken first, then the next densest of what is left, and so on.  The densest band of
   a group is a shell; a further band is one only if its planes are filled, at least
   ``min_sats_per_plane`` (default 10) at the median — a step of a lowering has a few
   satellites in each of many planes (SpaceX is taking its 550 km shell down to about 480 km,
   FCC order of January 2026; the catalog of 2026-05-13 holds such steps of 100 to 550
   satellites at 440, 463 and 471 km below the 475 km shell, 4 to 8 a plane).
   A shell's satellites are *settled*.  The others of the group are *manoeuvring* to or from
   the group's shell nearest in altitude (``home_shell``); their mean motion's trend (the
   element set's ``ndot``) says how (`Manoeuvre`): falling faster than drag makes it (``ndot``
   below ``-MANOEUVRE_NDOT_REV_PER_DAY2``), *raising*; rising faster, *lowering*; otherwise
   *parked* off the shell (holding at a step, or drifting with drag).
   A satellite of a group with no shell — a launch batch in its parking orbit, a lone test
   satellite — is *unassigned*.  Only settled satellites get planes, slots and neighbours:
   a manoeuvring satellite's plane drifts against the shell's (its RAAN precesses at another
   J2 rate, ``-3/2 n J2 (R/a)^2 cos i``, and its altitude keeps changing), so it has no lasers
   until it settles.  The planes are found at one common instant, to which every satellite
   is propagated with SGP4, whose secular node rate (J2 and J4) carries each element set's
   RAAN from its own epoch: satellites of one plane whose element sets are days apart line up
   (``test_planes_of_element_sets_of_different_epochs``: 3 days is 13 deg of node regression at
   53 deg, 550 km).  On the catalog of 2026-05-13 the Gen2 43 deg shell at 485 km has 98 planes,
   not the 28 of its 2022 filing: their nodes step evenly by 3.6 deg round the equator (a
   99-plane lattice with one place empty), which splitting 28 wider planes would not give.
2. **Planes.** Sort a shell's RAANs around the circle; a gap between consecutive satellites
   starts a new plane when it exceeds 50 times the median gap, clipped to [0.2, 1.0] deg.  The
   median gap is the typical spacing of satellites within one plane (differential J2
   precession spreads a real plane over a fraction of a degree; adjacent planes of a 72-plane
   shell are 5 deg apart); the clip keeps one-satellite planes apart (their median gap is the
   plane spacing) and keeps planes down to ~1 deg apart separate.
3. **Numbering.** The planes span 360 deg (a Walker delta) unless the widest gap between
   adjacent planes is over 2.5 times the median of the others (a star pattern, or a shell
   still being filled).  Plane 0 is then the plane with the smallest RAAN, counted from half
   the plane-splitting gap below 0 deg, so that noise around 0 does not send it to the end;
   for a shell that does not span 360 deg, plane 0 is the first plane east of the widest gap.
   Planes are numbered eastwards.
4. **Phasing and slots.** In a Walker pattern (Walker 1984) satellite ``s`` of plane ``p`` has
   argument of latitude ``u = 360 s / S + 360 F p / (P S)``.  The phase of each plane's slot
   lattice is the circular mean of ``S u``; the offset between adjacent full planes, in slots,
   times ``P`` estimates ``F``; their median, rounded, is the shell's ``F`` when at least half of
   the adjacent pairs agree with it within 0.25 (otherwise ``None``, and no offset is removed).
   In plane ``p`` the offset ``360 F p / (P S)`` is removed from ``u`` and the satellites are
   ordered by what remains, counted from a quarter of a slot spacing below 0 deg: slot 0 is the
   satellite nearest the ascending node.  Planes that alternate by half a slot (odd planes
   shifted by half a slot, even planes not: ``F = P / 2`` for an even ``P``) are the pattern of
   Hypatia's generator (``satgen.generate_tles_from_scratch_manual``, whatever ``P``): there
   every cross-plane partner is half a slot ahead or behind, equally near, and leolink
   follows Hypatia's convention — only the half-slot shift of odd planes is removed, so slots
   count from the ascending node in every plane and slot ``s`` links to slot ``s`` of planes
   ``p +- 1`` (``generate_plus_grid_isls``), not to the Walker numbering's slot ``s`` that
   shifts by one every second plane.
5. **Neighbours.** Along the plane, the previous and next slot (cyclically).  Across planes,
   the satellite of the plane west (``left``, plane ``p - 1``) and east (``right``, ``p + 1``)
   with the nearest phase-corrected argument of latitude, cyclically when the planes span 360
   deg.  On a full Walker shell that is the same slot index (the "+Grid" of inter-satellite
   links); across the seam between plane ``P - 1`` and plane 0 of a delta pattern it is too,
   although there the geometrically nearest satellite is ``F`` slots further on.

Equatorial shells (inclination within 1 deg of 0 or 180) have no meaningful RAAN: they are one
plane whose argument of latitude is counted from the TEME x axis.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from leolink.arrays import FloatArray, IntArray
from leolink.errors import InputError
from leolink.orbits.catalog import Catalog
from leolink.orbits.walker import ShellSpec, starlink_shells
from leolink.time import datetime64_to_jd_fr, format_instant, parse_instant

__all__ = [
    "FILING_INCLINATION_TOLERANCE_DEG",
    "LEFT",
    "MANOEUVRE_NDOT_REV_PER_DAY2",
    "NEXT",
    "PREVIOUS",
    "RIGHT",
    "Manoeuvre",
    "ShellSummary",
    "Structure",
    "catalog_summary",
    "filed_shells",
    "infer_structure",
]


#: Columns of `Structure.neighbours`: previous and next slot in the plane, and the satellite of
#: the plane to the west (``p - 1``) and to the east (``p + 1``).
PREVIOUS: Final = 0
NEXT: Final = 1
LEFT: Final = 2
RIGHT: Final = 3

_PLANE_GAP_FACTOR: Final = 50.0
_PLANE_GAP_MIN_DEG: Final = 0.2
_PLANE_GAP_MAX_DEG: Final = 1.0
_SEAM_FACTOR: Final = 2.5
_PHASE_TOLERANCE: Final = 0.25  # in units of F, i.e. of 1/P of a slot spacing
_FULL_PLANE_RESULTANT: Final = 0.9  # evenly spaced satellites give 1.0
_ALTERNATION_TOLERANCE: Final = 0.1  # of a slot: Hypatia's 4-decimal angles are far within
_EQUATORIAL_DEG: Final = 1.0


class Manoeuvre(enum.IntEnum):
    """What a satellite is doing relative to its shell (see the module docstring)."""

    UNASSIGNED = -1
    SETTLED = 0
    RAISING = 1
    LOWERING = 2
    PARKED = 3


#: Mean-motion trend beyond which a satellite is thrusting, rev/day^2: five times the largest
#: drag trend of settled Starlink satellites (``ndot`` up to ~4e-4 rev/day^2 at 475 km in the
#: 2026-05-13 catalog, 90th percentile); electric-propulsion raising and lowering show 1e-2.
MANOEUVRE_NDOT_REV_PER_DAY2: Final = 2e-3


@dataclass(frozen=True)
class ShellSummary:
    """One inferred shell.

    ``altitude_km`` and ``inclination_deg`` are medians over its satellites; ``sats_per_plane``
    is the median plane population (rounded); ``satellites`` counts the settled ones,
    ``manoeuvring`` those raising, lowering or decaying with this as their home shell;
    ``phasing_f`` the Walker ``F`` estimate, ``None``
    when the planes do not agree on one; ``planes_span_360`` tells whether the planes go round
    the whole equator (so that plane ``P - 1`` neighbours plane 0).
    """

    altitude_km: float
    inclination_deg: float
    planes: int
    satellites: int
    sats_per_plane: int
    phasing_f: int | None
    planes_span_360: bool
    manoeuvring: int = 0


@dataclass(frozen=True, eq=False)
class Structure:
    """Shell, plane and slot of every satellite of a catalog, and its neighbours.

    Arrays are in catalog order, shape ``(S,)`` unless noted.  ``shell`` indexes ``shells``;
    ``plane`` (``0..P-1``) and ``slot`` count within the shell and plane; all three are -1 for
    a satellite that is not settled in a shell.  ``home_shell`` is the shell of a settled
    satellite and the shell a manoeuvring one is moving from or to (-1: unassigned), and
    ``manoeuvre`` says which (`Manoeuvre` values).  ``neighbours`` (``(S, 4)``) holds catalog
    indices in the columns `PREVIOUS`, `NEXT`, `LEFT`, `RIGHT`, -1 where there is none.  The
    angles and the TEME position are those at the common instant ``at`` (NaN where SGP4
    failed).
    """

    at: np.datetime64
    shell: IntArray
    plane: IntArray
    slot: IntArray
    neighbours: IntArray
    shells: tuple[ShellSummary, ...]
    unassigned: int
    home_shell: IntArray
    manoeuvre: IntArray
    altitude_km: FloatArray
    inclination_deg: FloatArray
    raan_deg: FloatArray
    arg_latitude_deg: FloatArray
    r_teme_km: FloatArray

    def __len__(self) -> int:
        return len(self.shell)

    @property
    def previous(self) -> IntArray:
        """Catalog index of the satellite one slot behind in the same plane, or -1."""
        return self.neighbours[:, PREVIOUS]

    @property
    def next(self) -> IntArray:
        """Catalog index of the satellite one slot ahead in the same plane, or -1."""
        return self.neighbours[:, NEXT]

    @property
    def left(self) -> IntArray:
        """Catalog index of the neighbour in the plane to the west (``p - 1``), or -1."""
        return self.neighbours[:, LEFT]

    @property
    def right(self) -> IntArray:
        """Catalog index of the neighbour in the plane to the east (``p + 1``), or -1."""
        return self.neighbours[:, RIGHT]


def infer_structure(
    catalog: Catalog,
    at: str | np.datetime64 | None = None,
    *,
    inclination_gap_deg: float = 0.1,
    settled_band_km: float = 2.0,
    min_shell_satellites: int = 100,
    min_sats_per_plane: int = 10,
) -> Structure:
    """Group a catalog's satellites into shells, planes and slots, and find their neighbours.

    ``at`` is the common instant (ISO 8601 UTC); by default the median element-set epoch, where
    SGP4 is most accurate for most satellites.  The tolerances are explained in the module
    docstring; lower ``min_shell_satellites`` for small synthetic constellations.
    """
    if not (np.isfinite(inclination_gap_deg) and inclination_gap_deg > 0):
        raise InputError(f"inclination_gap_deg={inclination_gap_deg!r} must be positive")
    if not (np.isfinite(settled_band_km) and settled_band_km > 0):
        raise InputError(f"settled_band_km={settled_band_km!r} must be positive")
    if isinstance(min_shell_satellites, bool) or not isinstance(min_shell_satellites, int):
        raise InputError(f"min_shell_satellites={min_shell_satellites!r} must be an integer >= 1")
    if min_shell_satellites < 1:
        raise InputError(f"min_shell_satellites={min_shell_satellites!r} must be >= 1")
    if isinstance(min_sats_per_plane, bool) or not isinstance(min_sats_per_plane, int):
        raise InputError(f"min_sats_per_plane={min_sats_per_plane!r} must be an integer >= 1")

    n = len(catalog)
    instant: np.datetime64
    if at is None:
        if n == 0:
            raise InputError("the catalog is empty; give a common instant `at` or satellites")
        # The lower median: an actual epoch, so that its satellite propagates by exactly zero.
        ns = np.sort(catalog.epochs.astype(np.int64))
        instant = np.datetime64(int(ns[(n - 1) // 2]), "ns")
    else:
        instant = parse_instant(at)

    shell = np.full(n, -1, dtype=np.int64)
    plane = np.full(n, -1, dtype=np.int64)
    slot = np.full(n, -1, dtype=np.int64)
    neighbours = np.full((n, 4), -1, dtype=np.int64)
    home_shell = np.full(n, -1, dtype=np.int64)
    manoeuvre = np.full(n, int(Manoeuvre.UNASSIGNED), dtype=np.int64)
    if n == 0:
        nothing = np.zeros(0, dtype=np.float64)
        return Structure(
            at=instant,
            shell=shell,
            plane=plane,
            slot=slot,
            neighbours=neighbours,
            shells=(),
            unassigned=0,
            home_shell=home_shell,
            manoeuvre=manoeuvre,
            altitude_km=nothing,
            inclination_deg=nothing,
            raan_deg=nothing,
            arg_latitude_deg=nothing,
            r_teme_km=np.zeros((0, 3), dtype=np.float64),
        )

    jd, fr = datetime64_to_jd_fr(instant)
    error, r, v = catalog.satrec_array.sgp4(np.atleast_1d(jd), np.atleast_1d(fr))
    r_km = np.asarray(r[:, 0, :], dtype=np.float64)
    v_km_s = np.asarray(v[:, 0, :], dtype=np.float64)
    failed = (np.asarray(error[:, 0]) != 0) | ~np.isfinite(r_km).all(axis=1)
    r_km[failed] = np.nan
    v_km_s[failed] = np.nan
    inclination_deg, raan_deg, u_deg = _orbit_angles(r_km, v_km_s)
    altitude_km = np.asarray(catalog.mean_altitude_km, dtype=np.float64)

    usable = np.flatnonzero(~failed & np.isfinite(altitude_km) & np.isfinite(inclination_deg))
    # SGP4 keeps ndot in rad/min^2.
    ndot = np.array([sat.ndot for sat in catalog.satrecs], dtype=np.float64)
    ndot_rev_per_day2 = ndot * 1440.0**2 / (2.0 * np.pi)
    clusters: list[IntArray] = []
    for group in _split_at_gaps(usable, inclination_deg[usable], inclination_gap_deg):
        bands = _settled_bands(group, altitude_km, settled_band_km, min_shell_satellites)
        bands = [
            band
            for k, band in enumerate(bands)
            if k == 0 or _median_plane_size(band, raan_deg) >= min_sats_per_plane
        ]
        bands.sort(key=lambda b: float(np.median(altitude_km[b])))
        if not bands:
            continue
        first = len(clusters)
        clusters += bands
        centres = np.array([np.median(altitude_km[b]) for b in bands])
        settled = np.concatenate(bands)
        rest = np.setdiff1d(group, settled)
        nearest = np.argmin(np.abs(altitude_km[rest, None] - centres[None, :]), axis=1)
        home_shell[rest] = first + nearest
        trend = ndot_rev_per_day2[rest]
        manoeuvre[rest] = np.select(
            [trend < -MANOEUVRE_NDOT_REV_PER_DAY2, trend > MANOEUVRE_NDOT_REV_PER_DAY2],
            [Manoeuvre.RAISING, Manoeuvre.LOWERING],
            Manoeuvre.PARKED,
        )
    # Shells come out by increasing inclination group, then increasing altitude: the order of
    # `Structure.shells`, independent of catalog order.

    summaries = []
    for index, members in enumerate(clusters):
        summaries.append(
            _label_shell(
                members, raan_deg, u_deg, inclination_deg, altitude_km, plane, slot, neighbours
            )
        )
        shell[members] = index
        home_shell[members] = index
        manoeuvre[members] = Manoeuvre.SETTLED
    summaries = [
        dataclasses.replace(
            summary, manoeuvring=int(np.count_nonzero((home_shell == k) & (shell < 0)))
        )
        for k, summary in enumerate(summaries)
    ]

    return Structure(
        at=instant,
        shell=shell,
        plane=plane,
        slot=slot,
        neighbours=neighbours,
        shells=tuple(summaries),
        unassigned=int(np.count_nonzero(home_shell < 0)),
        home_shell=home_shell,
        manoeuvre=manoeuvre,
        altitude_km=altitude_km,
        inclination_deg=inclination_deg,
        raan_deg=raan_deg,
        arg_latitude_deg=u_deg,
        r_teme_km=r_km,
    )


def _orbit_angles(
    r_km: FloatArray, v_km_s: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Osculating inclination, RAAN and argument of latitude (degrees) from TEME r, v ``(S, 3)``.

    The node vector is ``z x h``; for an equatorial orbit, where it vanishes, the x axis stands
    in for it, so that the argument of latitude becomes the true longitude.
    """
    h = np.cross(r_km, v_km_s)
    h_norm = np.linalg.norm(h, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        h_hat = h / h_norm[:, None]
        inclination_deg = np.degrees(np.arccos(np.clip(h_hat[:, 2], -1.0, 1.0)))
        node = np.stack([-h_hat[:, 1], h_hat[:, 0], np.zeros(len(h))], axis=1)
        node_norm = np.linalg.norm(node, axis=1)
        equatorial = node_norm < 1e-12
        node[equatorial] = (1.0, 0.0, 0.0)
        node_norm[equatorial] = 1.0
        node_hat = node / node_norm[:, None]
        raan_deg = np.degrees(np.arctan2(node_hat[:, 1], node_hat[:, 0])) % 360.0
        in_plane = np.cross(h_hat, node_hat)  # 90 deg ahead of the node in the orbit plane
        u_deg = (
            np.degrees(np.arctan2(np.sum(r_km * in_plane, axis=1), np.sum(r_km * node_hat, axis=1)))
            % 360.0
        )
    raan_deg[~np.isfinite(inclination_deg)] = np.nan
    return inclination_deg, raan_deg, u_deg


def _split_at_gaps(indices: IntArray, values: FloatArray, gap: float) -> list[IntArray]:
    """``indices`` sorted by ``values`` and cut where consecutive values differ by over ``gap``."""
    if len(indices) == 0:
        return []
    order = np.argsort(values, kind="stable")
    cuts = np.flatnonzero(np.diff(values[order]) > gap) + 1
    return list(np.split(indices[order], cuts))


def _settled_bands(
    group: IntArray, altitude_km: FloatArray, half_width_km: float, min_satellites: int
) -> list[IntArray]:
    """The candidate shells of one inclination group: altitude bands, densest first.

    Each band is the ``2 half_width_km`` window holding the most of the satellites left,
    recentred on their median; a band of fewer than ``min_satellites`` ends the search.
    """
    left = group[np.argsort(altitude_km[group], kind="stable")]
    bands: list[IntArray] = []
    while len(left) >= min_satellites:
        alt = altitude_km[left]
        ends = np.searchsorted(alt, alt + 2.0 * half_width_km, side="right")
        start = int(np.argmax(ends - np.arange(len(alt))))
        centre = float(np.median(alt[start : ends[start]]))
        inside = np.abs(alt - centre) <= half_width_km
        if np.count_nonzero(inside) < min_satellites:
            break
        bands.append(left[inside])
        left = left[~inside]
    return bands


def _median_plane_size(members: IntArray, raan_deg: FloatArray) -> float:
    planes, _ = _find_planes(members, raan_deg)
    return float(np.median([len(p) for p in planes]))


def _circular_mean_deg(angles_deg: FloatArray) -> float:
    rad = np.radians(angles_deg)
    return float(np.degrees(np.arctan2(np.mean(np.sin(rad)), np.mean(np.cos(rad)))) % 360.0)


def _resultant(angles_deg: FloatArray) -> tuple[float, float]:
    """Circular mean (degrees in [0, 360)) and mean resultant length (0..1) of angles."""
    rad = np.radians(angles_deg)
    c, s = float(np.mean(np.cos(rad))), float(np.mean(np.sin(rad)))
    return float(np.degrees(np.arctan2(s, c)) % 360.0), float(np.hypot(c, s))


def _find_planes(members: IntArray, raan_deg: FloatArray) -> tuple[list[IntArray], float]:
    """Split a shell's satellites into planes by circular gaps in RAAN (see module docstring).

    Returns the planes and the gap threshold (degrees) that separated them.
    """
    raan = raan_deg[members]
    order = np.argsort(raan, kind="stable")
    sorted_raan = raan[order]
    gaps = np.diff(np.append(sorted_raan, sorted_raan[0] + 360.0))
    threshold = float(
        np.clip(_PLANE_GAP_FACTOR * np.median(gaps), _PLANE_GAP_MIN_DEG, _PLANE_GAP_MAX_DEG)
    )
    breaks = np.flatnonzero(gaps > threshold)
    if len(breaks) == 0:
        return [members[order]], threshold
    # Rotate so that the first run starts right after a break, then cut after every break.
    rolled = np.roll(order, -(int(breaks[0]) + 1))
    cuts = (breaks[1:] - breaks[0]).astype(np.int64)
    return [members[run] for run in np.split(rolled, cuts)], threshold


def _label_shell(
    members: IntArray,
    raan_deg: FloatArray,
    u_deg: FloatArray,
    inclination_deg: FloatArray,
    altitude_km: FloatArray,
    plane_out: IntArray,
    slot_out: IntArray,
    neighbours_out: IntArray,
) -> ShellSummary:
    """Number the planes and slots of one shell, fill its neighbours, and summarise it.

    Writes into the ``*_out`` arrays; for an equatorial shell it also replaces the members'
    RAAN by 0 and their argument of latitude by the angle from the x axis.
    """
    inclination = float(np.median(inclination_deg[members]))
    equatorial = min(inclination, 180.0 - inclination) < _EQUATORIAL_DEG
    if equatorial:
        # The node is noise: count along the motion from the x axis, the true longitude
        # RAAN + u (prograde) or its negative (retrograde).
        sign = 1.0 if inclination < 90.0 else -1.0
        u_deg[members] = (sign * raan_deg[members] + u_deg[members]) % 360.0
        raan_deg[members] = 0.0
        planes, threshold_deg = [members], 0.0
    else:
        planes, threshold_deg = _find_planes(members, raan_deg)

    # Order planes eastwards and choose plane 0.
    centres = np.array([_circular_mean_deg(raan_deg[p]) for p in planes])
    by_raan = np.argsort(centres, kind="stable")
    planes = [planes[i] for i in by_raan]
    centres = centres[by_raan]
    count = len(planes)
    spans_360 = False
    if count > 1:
        gaps = np.diff(np.append(centres, centres[0] + 360.0))  # gap after each plane
        widest = int(np.argmax(gaps))
        others = np.delete(gaps, widest)
        spans_360 = bool(gaps[widest] <= _SEAM_FACTOR * float(np.median(others)))
        if spans_360:
            start = int(np.argmin((centres + 0.5 * threshold_deg) % 360.0))
        else:
            start = (widest + 1) % count
        planes = planes[start:] + planes[:start]

    sizes = np.array([len(p) for p in planes])
    sats_per_plane = round(float(np.median(sizes)))
    phasing_f = _estimate_phasing(planes, u_deg, sats_per_plane, spans_360)

    # Phase-corrected argument of latitude, and slots in order of it.
    slot_spacing_deg = 360.0 / sats_per_plane
    search_u: list[FloatArray] = []  # per plane, phase-corrected u sorted ascending
    search_sats: list[IntArray] = []  # the satellites in that order
    alternating = spans_360 and _alternates(planes, u_deg, sats_per_plane)
    for p, sats in enumerate(planes):
        if alternating:
            # Hypatia's pattern: slots counted from the ascending node in every plane.
            offset_deg = (p % 2) * slot_spacing_deg / 2.0
        elif phasing_f is None:
            offset_deg = 0.0
        else:
            offset_deg = p * phasing_f * slot_spacing_deg / count
        uc = (u_deg[sats] - offset_deg) % 360.0
        margin = 90.0 / max(sats_per_plane, len(sats))
        order = np.argsort((uc + margin) % 360.0, kind="stable")
        ascending = np.argsort(uc, kind="stable")
        search_u.append(uc[ascending])
        search_sats.append(sats[ascending])
        plane_out[sats] = p
        slot_out[sats[order]] = np.arange(len(sats))
        if len(sats) >= 2:
            neighbours_out[sats[order], PREVIOUS] = np.roll(sats[order], 1)
            neighbours_out[sats[order], NEXT] = np.roll(sats[order], -1)

    for p in range(count):
        for column, q in ((LEFT, p - 1), (RIGHT, p + 1)):
            if not 0 <= q < count:
                if not spans_360:
                    continue
                q %= count
            if q == p:
                continue
            neighbours_out[search_sats[p], column] = search_sats[q][
                _nearest_on_circle(search_u[p], search_u[q])
            ]

    return ShellSummary(
        altitude_km=float(np.median(altitude_km[members])),
        inclination_deg=inclination,
        planes=count,
        satellites=len(members),
        sats_per_plane=sats_per_plane,
        phasing_f=phasing_f,
        planes_span_360=spans_360,
    )


def _estimate_phasing(
    planes: list[IntArray], u_deg: FloatArray, sats_per_plane: int, spans_360: bool
) -> int | None:
    """Walker ``F`` from the phase offsets between adjacent full planes, or None if they disagree.

    A plane's phase is the circular mean of ``S u``; for a Walker pattern adjacent planes differ
    by ``F / P`` of a slot (including across the seam of a delta pattern, modulo whole slots).
    """
    count = len(planes)
    if count == 1:
        return 0
    phases: list[float | None] = []
    for sats in planes:
        phase, length = _resultant(sats_per_plane * u_deg[sats])
        full = len(sats) == sats_per_plane and length >= _FULL_PLANE_RESULTANT
        phases.append(phase if full else None)
    pairs = [(p, p + 1) for p in range(count - 1)]
    if spans_360:
        pairs.append((count - 1, 0))
    estimates = []
    for p, q in pairs:
        phase_p, phase_q = phases[p], phases[q]
        if phase_p is not None and phase_q is not None:
            estimates.append(((phase_q - phase_p) % 360.0) / 360.0 * count)
    if not estimates:
        return None
    values = np.array(estimates)
    # Unwrap around the circular mean (F lives on a circle of circumference P), then median.
    centre = _circular_mean_deg(values * 360.0 / count) * count / 360.0
    values = centre + (values - centre + count / 2.0) % count - count / 2.0
    f = round(float(np.median(values))) % count
    deviation = np.abs((values - f + count / 2.0) % count - count / 2.0)
    if np.count_nonzero(deviation <= _PHASE_TOLERANCE) * 2 < len(values):
        return None
    return int(f)


def _alternates(planes: list[IntArray], u_deg: FloatArray, sats_per_plane: int) -> bool:
    """True when the full planes' slot lattices alternate by half a slot (Hypatia's pattern).

    Plane ``p``'s phase (circular mean of ``S u``) must be plane 0's plus ``p mod 2`` half
    slots, within `_ALTERNATION_TOLERANCE` of a slot, for every full plane (at least two).
    """
    if len(planes) < 2:
        return False
    offsets = []
    for p, sats in enumerate(planes):
        phase, length = _resultant(sats_per_plane * u_deg[sats])
        if len(sats) == sats_per_plane and length >= _FULL_PLANE_RESULTANT:
            offsets.append((phase / 360.0 - 0.5 * (p % 2)) % 1.0)
    if len(offsets) < 2:
        return False
    deviation = (np.array(offsets) - offsets[0] + 0.5) % 1.0 - 0.5
    return bool(np.all(np.abs(deviation) <= _ALTERNATION_TOLERANCE))


def _nearest_on_circle(source_deg: FloatArray, target_sorted_deg: FloatArray) -> IntArray:
    """For each source angle, the index of the nearest target angle around the circle."""
    m = len(target_sorted_deg)
    position = np.searchsorted(target_sorted_deg, source_deg)
    below = (position - 1) % m
    above = position % m
    d_below = np.abs((source_deg - target_sorted_deg[below] + 180.0) % 360.0 - 180.0)
    d_above = np.abs((source_deg - target_sorted_deg[above] + 180.0) % 360.0 - 180.0)
    return np.where(d_above < d_below, above, below).astype(np.int64)


def catalog_summary(catalog: Catalog) -> dict[str, Any]:
    """What ``leolink catalog info`` prints: satellites, inferred shells, unassigned, skipped.

    Shells are listed with their median altitude and inclination, number of planes, settled
    satellites, satellites manoeuvring to or from them and median satellites per plane, and
    the filed shell they are matched to (`filed_shells`; its name ends in the filed planes x
    satellites per plane), so that a reader can check them against the filings.
    """
    structure = infer_structure(catalog)
    filed = filed_shells(structure.shells)
    epochs = catalog.epochs
    return {
        "satellites": len(catalog),
        "source": catalog.source,
        "epoch_min": format_instant(epochs.min()) if len(catalog) else None,
        "epoch_max": format_instant(epochs.max()) if len(catalog) else None,
        "structure_at": format_instant(structure.at),
        "shells": [
            {
                "altitude_km": round(shell.altitude_km, 1),
                "inclination_deg": round(shell.inclination_deg, 2),
                "planes": shell.planes,
                "satellites": shell.satellites,
                "manoeuvring": shell.manoeuvring,
                "sats_per_plane": shell.sats_per_plane,
                "phasing_f": shell.phasing_f,
                "filed": None if spec is None else spec.name,
            }
            for shell, spec in zip(structure.shells, filed, strict=True)
        ],
        "unassigned": structure.unassigned,
        "skipped": catalog.skipped,
    }


#: Matching an inferred shell to a filed one: inclinations must agree within this (the filings
#: round to 0.1 deg or to whole degrees, real shells sit up to ~0.3 deg off: 53.16 for a filed
#: 53, 97.28 for a filed 96.9 or 97.6) ...
FILING_INCLINATION_TOLERANCE_DEG: Final = 0.5
#: ... and altitude weighs this much less than inclination per unit: altitude is a weak key,
#: as SpaceX moves shells (the FCC order of January 2026 lets the 525-535 km and 550 km shells
#: come down to 475-485 km), while inclination is fixed at launch.
_FILING_KM_PER_DEG: Final = 200.0


def filed_shells(shells: tuple[ShellSummary, ...]) -> list[ShellSpec | None]:
    """The FCC-filed Starlink shell (`leolink.orbits.walker.starlink_shells`) of each shell.

    One to one: the pairs within `FILING_INCLINATION_TOLERANCE_DEG` are taken in order of
    ``|di| + |dh| / 200 km`` (degrees), each filing and each inferred shell at most once, so
    that a shell the catalog shows at a filed altitude claims its filing before one that has
    moved.  None where no filing is left within the tolerance.  A match says which filing a
    shell is nearest to, not that it was built as filed: compare ``planes`` and
    ``sats_per_plane`` with the filing's name, ``{generation}-{km}-{deg}-{P}x{S}``.
    """
    specs = starlink_shells()
    candidates = sorted(
        (
            abs(shell.inclination_deg - spec.inclination_deg)
            + abs(shell.altitude_km - spec.altitude_km) / _FILING_KM_PER_DEG,
            i,
            j,
        )
        for i, shell in enumerate(shells)
        for j, spec in enumerate(specs)
        if abs(shell.inclination_deg - spec.inclination_deg) <= FILING_INCLINATION_TOLERANCE_DEG
    )
    matched: list[ShellSpec | None] = [None] * len(shells)
    taken: set[int] = set()
    for _, i, j in candidates:
        if matched[i] is None and j not in taken:
            matched[i] = specs[j]
            taken.add(j)
    return matched
