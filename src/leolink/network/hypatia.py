"""Hypatia's synthetic shells, built the way its generator builds them, to check leolink against.

Hypatia (Kassing, Bhattacherjee, Águas, Saethre and Singla, "Exploring the 'Internet from
space' with Hypatia", ACM IMC 2020; github.com/snkas/hypatia, MIT) is the best-known LEO network
simulator.  Its ``satgenpy`` writes a shell as two-line element sets and reads them back, so the
shell is whatever those TLE lines say.  This module writes the same lines
(``satgen.tles.generate_tles_from_scratch_manual``, as called by
``paper/satellite_networks_state/main_starlink_550.py``) and parses them with SGP4 (WGS72):

- epoch 2000-01-01 00:00:00 UTC (TLE epoch field ``00001.00000000``), no drag;
- orbit ``i`` of ``P`` has RAAN ``i * 360 / P``; satellite ``j`` of ``S`` in it has mean anomaly
  ``j * 360 / S``, plus ``360 / (2 S)`` when ``i`` is odd and ``phase_diff`` is on;
- eccentricity 1e-7 (PyEphem refuses 0), argument of perigee 0, inclination as given;
- angles written with 4 decimals and the mean motion with 8, as ``%3.4f`` and ``%2.8f``: the
  rounding (up to 5e-5 deg, ~6 m along the orbit) is part of Hypatia's shell;
- the mean motion is given, not derived from the altitude: Starlink-550 uses 15.19 rev/day,
  which SGP4 turns into a mean altitude of about 509 km, not 550 km.  The link limits are still
  computed for 550 km, as Hypatia does.

Satellite ``i * S + j`` is ``(i, j)``; the +Grid links ``(i, j)``–``(i, j+1)`` and
``(i, j)``–``(i+1, j)`` (``generate_plus_grid_isls`` with ``isl_shift=0``), which `neighbours`
encodes in `Structure.neighbours` form for `leolink.network.build_network`.  The alternating
half-slot shift is not a Walker delta pattern (there the shift grows by ``F/P`` of a slot per
plane), so `leolink.orbits.walker.walker_shell` cannot make this shell.

Link limits for Starlink-550 (``main_starlink_550.py``): ground links up to
``sqrt(940.7^2 + 550^2)`` = 1,089.686 km of slant range (the FCC filing's coverage-cone radius
at 25 deg; no elevation test), lasers up to 5,016.591 km (`max_isl_range_km` at 550 km).
Hypatia keeps a constellation's lasers in ``isls.txt``: one link a line, the two satellites'
node ids (their order in ``tles.txt``, from 0) separated by a space.  `parse_isls` reads that
text into leolink's laser pairs (``build_network(..., isl_pairs=...)``, ``leolink route
--isl-file``) and `format_isls` writes them, so that lasers can go both ways between the two.

Distances are straight lines.  Hypatia computes them with PyEphem (its own SGP4, sidereal
time and Earth model for the observers), leolink with Vallado's SGP4, GMST 1982 at UT1 and
WGS84 observers at zero height; over Hypatia's own 224 reference routes
(``tests/network/data``) the paths are the same satellite for satellite and the RTTs agree
within 2 microseconds, i.e. the two models put the path within ~300 m of each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from leolink.arrays import IntArray
from leolink.errors import InputError
from leolink.network.links import max_isl_range_km
from leolink.orbits.catalog import Catalog
from leolink.orbits.structure import LEFT, NEXT, PREVIOUS, RIGHT
from leolink.orbits.tle import parse_tle, tle_checksum
from leolink.time import parse_instant

__all__ = [
    "HYPATIA_EPOCH",
    "STARLINK_550_MAX_GSL_KM",
    "STARLINK_550_MAX_ISL_KM",
    "HypatiaShell",
    "format_isls",
    "hypatia_compatible_shell",
    "hypatia_tle_lines",
    "parse_isls",
]


#: Epoch of every element set Hypatia generates.
HYPATIA_EPOCH: Final = np.datetime64("2000-01-01T00:00:00", "ns")

#: Hypatia's Starlink-550 ground-link limit, km: sqrt(940.7^2 + 550^2) (main_starlink_550.py).
STARLINK_550_MAX_GSL_KM: Final = math.sqrt(940.7**2 + 550.0**2)

#: Hypatia's Starlink-550 laser limit, km: 2 sqrt((R + 550)^2 - (R + 80)^2), R = 6378.135 km.
STARLINK_550_MAX_ISL_KM: Final = max_isl_range_km(550.0)


@dataclass(frozen=True, eq=False)
class HypatiaShell:
    """A shell as Hypatia generates it: the catalog, each satellite's orbit and slot, the +Grid.

    ``plane`` and ``slot`` ``(S,)`` are Hypatia's orbit ``i`` and index ``j``; ``neighbours``
    ``(S, 4)`` its +Grid in `Structure.neighbours` columns (PREVIOUS, NEXT, LEFT, RIGHT);
    ``max_gsl_km`` and ``max_isl_km`` the link limits Hypatia uses with it.
    """

    catalog: Catalog
    plane: IntArray
    slot: IntArray
    neighbours: IntArray
    max_gsl_km: float
    max_isl_km: float
    epoch: np.datetime64


def _with_checksum(line: str) -> str:
    return line + str(tle_checksum(line))


def hypatia_tle_lines(
    num_orbits: int,
    sats_per_orbit: int,
    *,
    inclination_deg: float,
    mean_motion_rev_per_day: float,
    eccentricity: float = 1e-7,
    arg_perigee_deg: float = 0.0,
    phase_diff: bool = True,
    name: str = "Starlink-550",
) -> list[str]:
    """The TLE file body Hypatia writes for a shell: ``name id``, line 1, line 2 per satellite.

    Field by field as ``generate_tles_from_scratch_manual``: satellite numbers from 1, the
    international designator ``00000ABC``, epoch ``00001.00000000``, zero drag terms, angles
    with 4 decimals, eccentricity with 7, mean motion with 8.
    """
    if num_orbits < 1 or sats_per_orbit < 1 or num_orbits * sats_per_orbit > 99_999:
        raise InputError(
            f"num_orbits={num_orbits!r} x sats_per_orbit={sats_per_orbit!r} must be 1..99,999 "
            "satellites (five-digit TLE satellite numbers)"
        )
    if not 0.0 < eccentricity < 1.0:
        raise InputError(f"eccentricity={eccentricity!r} must be in (0, 1) (Hypatia uses 1e-7)")
    lines: list[str] = []
    for orbit in range(num_orbits):
        raan_deg = orbit * 360.0 / num_orbits
        shift_deg = 360.0 / (sats_per_orbit * 2.0) if phase_diff and orbit % 2 == 1 else 0.0
        for j in range(sats_per_orbit):
            number = orbit * sats_per_orbit + j + 1
            mean_anomaly_deg = shift_deg + j * 360.0 / sats_per_orbit
            line1 = f"1 {number:05d}U 00000ABC 00001.00000000  .00000000  00000-0  00000+0 0    0"
            line2 = (
                f"2 {number:05d} {inclination_deg:8.4f} {raan_deg:8.4f} "
                f"{f'{eccentricity:0.7f}'[2:]} {arg_perigee_deg:8.4f} {mean_anomaly_deg:8.4f} "
                f"{mean_motion_rev_per_day:11.8f}    0"
            )
            lines += [f"{name} {number - 1}", _with_checksum(line1), _with_checksum(line2)]
    return lines


def hypatia_compatible_shell(
    num_orbits: int = 72,
    sats_per_orbit: int = 22,
    *,
    inclination_deg: float = 53.0,
    mean_motion_rev_per_day: float = 15.19,
    eccentricity: float = 1e-7,
    arg_perigee_deg: float = 0.0,
    phase_diff: bool = True,
    max_gsl_km: float = STARLINK_550_MAX_GSL_KM,
    max_isl_km: float = STARLINK_550_MAX_ISL_KM,
    name: str = "Starlink-550",
) -> HypatiaShell:
    """A shell exactly as Hypatia generates it; by default its Starlink-550 (72 x 22, 53 deg).

    The catalog is parsed from `hypatia_tle_lines` with SGP4's WGS72 constants; satellite
    ``k`` is Hypatia's node ``k``.  Kuiper-630 is ``(34, 34, inclination_deg=51.9,
    mean_motion_rev_per_day=14.80)`` with its own link limits.
    """
    if num_orbits < 3 or sats_per_orbit < 3:
        raise InputError(
            f"a +Grid needs at least 3 orbits of 3 satellites (Hypatia's own check); got "
            f"{num_orbits} x {sats_per_orbit}"
        )
    text = "\n".join(
        hypatia_tle_lines(
            num_orbits,
            sats_per_orbit,
            inclination_deg=inclination_deg,
            mean_motion_rev_per_day=mean_motion_rev_per_day,
            eccentricity=eccentricity,
            arg_perigee_deg=arg_perigee_deg,
            phase_diff=phase_diff,
            name=name,
        )
    )
    catalog = parse_tle(
        text + "\n", source=f"Hypatia {name} {num_orbits}x{sats_per_orbit}", strict=True
    )
    index = np.arange(num_orbits * sats_per_orbit, dtype=np.int64)
    plane, slot = np.divmod(index, sats_per_orbit)
    neighbours = np.empty((len(index), 4), dtype=np.int64)
    neighbours[:, PREVIOUS] = plane * sats_per_orbit + (slot - 1) % sats_per_orbit
    neighbours[:, NEXT] = plane * sats_per_orbit + (slot + 1) % sats_per_orbit
    neighbours[:, LEFT] = ((plane - 1) % num_orbits) * sats_per_orbit + slot
    neighbours[:, RIGHT] = ((plane + 1) % num_orbits) * sats_per_orbit + slot
    return HypatiaShell(
        catalog=catalog,
        plane=plane,
        slot=slot,
        neighbours=neighbours,
        max_gsl_km=float(max_gsl_km),
        max_isl_km=float(max_isl_km),
        epoch=parse_instant(HYPATIA_EPOCH),
    )


def parse_isls(text: str, satellites: int, *, source: str = "<isls>") -> IntArray:
    """Laser links from the text of a Hypatia ``isls.txt``, as pairs ``(L, 2)``, ``a < b``.

    Each non-blank line is two satellite indices (catalog order, from 0) separated by
    whitespace; a repeated link is kept once.  A malformed line, an index outside
    ``[0, satellites)`` or a satellite linked to itself is refused, naming ``source`` and the
    line.
    """
    rows: list[tuple[int, int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        where = f"{source}, line {number}: {line.strip()!r}"
        if len(fields) != 2 or not all(f.isdigit() for f in fields):
            raise InputError(f"{where} is not a link; expected two satellite indices, e.g. '0 1'")
        a, b = int(fields[0]), int(fields[1])
        if a >= satellites or b >= satellites:
            raise InputError(
                f"{where} names satellite {max(a, b)}, but the catalog has {satellites} "
                f"(indices 0 to {satellites - 1}, in catalog order)"
            )
        if a == b:
            raise InputError(f"{where} links a satellite to itself")
        rows.append((min(a, b), max(a, b)))
    if not rows:
        return np.zeros((0, 2), dtype=np.int64)
    return np.unique(np.array(rows, dtype=np.int64), axis=0).reshape(-1, 2)


def format_isls(pairs: npt.ArrayLike) -> str:
    """Laser pairs ``(L, 2)`` as the text of a Hypatia ``isls.txt`` (``a b`` a line)."""
    table = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return "".join(f"{int(a)} {int(b)}\n" for a, b in table)
