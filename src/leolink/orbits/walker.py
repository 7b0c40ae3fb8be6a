"""Walker constellations: synthetic shells of circular orbits, and the Starlink shells as filed.

A Walker-delta pattern i: T/P/F (Walker 1984, "Satellite constellations", J. Br. Interplanet.
Soc. 37, 559-572) puts ``P`` orbital planes at one inclination, their ascending nodes spread
evenly over 360 degrees, with ``S = T/P`` satellites evenly spaced in each plane, and the
satellites of adjacent planes shifted along the orbit by ``F`` times ``360/T`` degrees.  With the
nodes spread over 180 degrees instead it is the "star" pattern of Walker's polar constellations.

Satellite ``s`` of plane ``p`` gets

    RAAN = raan0 + p * spread / P,    argument of latitude u = 360 s / S + 360 F p / (P S),

and becomes one SGP4 element set (`sgp4.api.Satrec.sgp4init`, WGS72, improved mode) whose mean
motion is chosen so that SGP4's own recovered semi-major axis puts it at the requested altitude,
so that `Catalog.mean_altitude_km` reads back exactly what was asked for.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import numpy as np
from sgp4.api import WGS72, Satrec

from leolink.arrays import IntArray
from leolink.earth import WGS72_A_KM
from leolink.errors import InputError
from leolink.orbits.catalog import Catalog
from leolink.time import datetime64_to_jd_fr, format_instant, parse_instant

__all__ = [
    "DEFAULT_EPOCH",
    "DEFAULT_FIRST_NORAD_ID",
    "ShellSpec",
    "WalkerShell",
    "starlink_shells",
    "walker_shell",
]

#: Epoch of generated element sets unless told otherwise: the date of the embedded catalog.
DEFAULT_EPOCH: Final = "2026-05-13T00:00:00Z"

#: First synthetic NORAD id.  Real catalog numbers stay below 100000 for decades to come, and
#: SGP4's Alpha-5 field stops at 339999.
DEFAULT_FIRST_NORAD_ID: Final = 100_000
_MAX_NORAD_ID: Final = 339_999

#: SGP4 counts epochs in days since 1949 December 31 00:00 UT, this Julian date.
_JD_SGP4_EPOCH0: Final = 2433281.5

#: Altitude agreement the mean-motion iteration stops at, km (one micrometre).
_ALTITUDE_TOLERANCE_KM: Final = 1e-9


@dataclass(frozen=True, eq=False)
class WalkerShell:
    """A generated Walker shell: its `Catalog` and the generator's own labels of each satellite.

    ``plane`` and ``slot`` (shape ``(P*S,)``, catalog order) are the ``p`` and ``s`` of the
    pattern, so that tests can compare what `leolink.orbits.structure` infers with the truth.
    Satellites are in plane-major order: index ``p * S + s``.
    """

    catalog: Catalog
    plane: IntArray
    slot: IntArray
    planes: int
    sats_per_plane: int
    phasing_f: int
    inclination_deg: float
    altitude_km: float
    raan0_deg: float
    raan_spread_deg: float
    eccentricity: float
    epoch: np.datetime64

    def __len__(self) -> int:
        return len(self.catalog)


def walker_shell(
    planes: int,
    sats_per_plane: int,
    phasing_f: int,
    inclination_deg: float,
    altitude_km: float,
    *,
    epoch: str | np.datetime64 = DEFAULT_EPOCH,
    raan0_deg: float = 0.0,
    raan_spread_deg: float = 360.0,
    eccentricity: float = 0.0,
    name: str = "SHELL",
    first_norad_id: int = DEFAULT_FIRST_NORAD_ID,
) -> WalkerShell:
    """A Walker shell of ``planes`` x ``sats_per_plane`` satellites with phasing ``phasing_f``.

    ``raan_spread_deg`` is 360 for the delta pattern and 180 for a star pattern.  Satellites are
    named ``{name}-{p}-{s}`` and numbered from ``first_norad_id`` in plane-major order.  With an
    eccentricity above zero the perigee is put at the ascending node (argument of perigee 0),
    so the mean anomaly is the argument of latitude.  No drag (B* = 0): the shell keeps its
    shape under SGP4 except for the J2 precession all its satellites share.
    """
    _check_integer("planes", planes, 1, None)
    _check_integer("sats_per_plane", sats_per_plane, 1, None)
    _check_integer("phasing_f", phasing_f, 0, planes - 1)
    _check_real("inclination_deg", inclination_deg, 0.0, 180.0)
    if not (math.isfinite(altitude_km) and altitude_km > 0.0):
        raise InputError(
            f"altitude_km={altitude_km!r} must be a positive number of kilometres above the "
            "equatorial radius (e.g. 550)"
        )
    if not (math.isfinite(eccentricity) and 0.0 <= eccentricity < 1.0):
        raise InputError(f"eccentricity={eccentricity!r} must be in [0, 1) (0 for circular)")
    perigee_km = (WGS72_A_KM + altitude_km) * (1.0 - eccentricity) - WGS72_A_KM
    if perigee_km <= 0.0:
        raise InputError(
            f"eccentricity={eccentricity!r} at altitude_km={altitude_km!r} puts the perigee "
            f"{-perigee_km:.0f} km below the Earth's surface; lower the eccentricity below "
            f"{altitude_km / (WGS72_A_KM + altitude_km):.4f}"
        )
    if not (math.isfinite(raan_spread_deg) and 0.0 < raan_spread_deg <= 360.0):
        raise InputError(
            f"raan_spread_deg={raan_spread_deg!r} must be in (0, 360]: 360 for a Walker delta, "
            "180 for a star pattern"
        )
    if not math.isfinite(raan0_deg):
        raise InputError(f"raan0_deg={raan0_deg!r} must be a finite angle in degrees")
    total = planes * sats_per_plane
    _check_integer("first_norad_id", first_norad_id, 1, _MAX_NORAD_ID - total + 1)

    at = parse_instant(epoch)
    jd, fr = datetime64_to_jd_fr(at)
    # Whole days since SGP4's 1949-12-31 origin plus the day fraction: exact in float64.
    epoch_days = float(jd - _JD_SGP4_EPOCH0) + float(fr)
    inclination_rad = math.radians(inclination_deg)
    no_kozai = _kozai_mean_motion(altitude_km, inclination_rad, eccentricity, epoch_days)

    plane = np.repeat(np.arange(planes, dtype=np.int64), sats_per_plane)
    slot = np.tile(np.arange(sats_per_plane, dtype=np.int64), planes)
    raan_deg = (raan0_deg + plane * (raan_spread_deg / planes)) % 360.0
    u_deg = (360.0 * slot / sats_per_plane + 360.0 * phasing_f * plane / total) % 360.0

    satrecs = []
    for k in range(total):
        satrec = Satrec()
        satrec.sgp4init(
            WGS72,
            "i",
            first_norad_id + k,
            epoch_days,
            0.0,  # bstar
            0.0,  # ndot
            0.0,  # nddot
            eccentricity,
            0.0,  # argument of perigee
            inclination_rad,
            math.radians(u_deg[k]),  # mean anomaly
            no_kozai,
            math.radians(raan_deg[k]),
        )
        satrecs.append(satrec)
    names = tuple(f"{name}-{p}-{s}" for p, s in zip(plane.tolist(), slot.tolist(), strict=True))
    pattern = f"{inclination_deg:g}:{total}/{planes}/{phasing_f}"
    catalog = Catalog(
        names=names,
        satrecs=tuple(satrecs),
        source=f"walker {pattern} at {altitude_km:g} km, epoch {format_instant(at)}",
    )
    return WalkerShell(
        catalog=catalog,
        plane=plane,
        slot=slot,
        planes=planes,
        sats_per_plane=sats_per_plane,
        phasing_f=phasing_f,
        inclination_deg=float(inclination_deg),
        altitude_km=float(altitude_km),
        raan0_deg=float(raan0_deg),
        raan_spread_deg=float(raan_spread_deg),
        eccentricity=float(eccentricity),
        epoch=at,
    )


def _kozai_mean_motion(
    altitude_km: float, inclination_rad: float, eccentricity: float, epoch_days: float
) -> float:
    """The Kozai mean motion (rad/min) at which SGP4 recovers ``a = R + altitude_km``.

    SGP4 turns the published (Kozai) mean motion into Brouwer's by a J2 correction that depends
    on the mean motion itself (Hoots & Roehrich 1980, Spacetrack Report No. 3), then takes
    ``a`` from Kepler's third law.  Rather than invert that in closed form, start from Kepler
    and let SGP4 itself correct us: scale the mean motion by ``(a / a_target) ** 1.5`` and
    initialise again.  The J2 correction is ~1e-3 of the mean motion and changes by ~1e-3 of
    that per step, so the altitude agrees to a micrometre after two or three steps.
    """
    probe = Satrec()

    def recovered_a(no_kozai: float) -> float:
        probe.sgp4init(
            WGS72,
            "i",
            1,
            epoch_days,
            0.0,
            0.0,
            0.0,
            eccentricity,
            0.0,
            inclination_rad,
            0.0,
            no_kozai,
            0.0,
        )
        return float(probe.a)

    recovered_a(0.06)  # initialise once to read SGP4's constants
    radius_km = float(probe.radiusearthkm)
    a_target = 1.0 + altitude_km / radius_km  # Earth radii
    no_kozai = float(probe.xke) * math.pow(a_target, -1.5)
    for _ in range(20):
        a = recovered_a(no_kozai)
        if abs(a - a_target) * radius_km < _ALTITUDE_TOLERANCE_KM:
            return no_kozai
        no_kozai *= math.pow(a / a_target, 1.5)
    raise InputError(  # pragma: no cover - the iteration contracts by ~1e-3 per step
        f"could not find a mean motion for altitude_km={altitude_km!r}, "
        f"inclination {math.degrees(inclination_rad):g} deg, eccentricity {eccentricity!r}"
    )


def _check_integer(name: str, value: object, low: int, high: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{name}={value!r} must be an integer")
    if value < low or (high is not None and value > high):
        expected = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise InputError(f"{name}={value!r} must be {expected}")


def _check_real(name: str, value: float, low: float, high: float) -> None:
    if not (math.isfinite(value) and low <= value <= high):
        raise InputError(f"{name}={value!r} must be in [{low:g}, {high:g}] degrees")


@dataclass(frozen=True)
class ShellSpec:
    """One Starlink shell as filed with or authorised by the FCC (``data/starlink-shells-fcc.csv``).

    ``status`` is ``deployed``, ``granted``, ``requested`` or ``deferred`` as of the filing;
    ``note`` keeps the CSV's full remark (e.g. the 2026 lowering of the 550 km shell), and
    ``authority`` the FCC order.  The filings give no phasing ``F``: `walker` picks one.
    """

    name: str
    generation: str
    altitude_km: float
    inclination_deg: float
    planes: int
    sats_per_plane: int
    min_elevation_deg: float
    status: str
    source: str
    authority: str = ""
    note: str = ""

    @property
    def satellites(self) -> int:
        """Number of satellites when every slot is filled, ``planes * sats_per_plane``."""
        return self.planes * self.sats_per_plane

    def walker(
        self,
        phasing_f: int | None = None,
        *,
        epoch: str | np.datetime64 = DEFAULT_EPOCH,
        raan0_deg: float = 0.0,
        first_norad_id: int = DEFAULT_FIRST_NORAD_ID,
    ) -> WalkerShell:
        """This shell as a full Walker-delta pattern, satellites named ``{name}-{p}-{s}``.

        The FCC filings do not give the phasing, so ``phasing_f`` defaults to 1 (0 for a single
        plane): adjacent planes shifted by 1/P of a slot, the smallest shift that keeps
        satellites of neighbouring planes from reaching the plane crossings together.  Pass the
        phasing you want to study another one.
        """
        if phasing_f is None:
            phasing_f = 1 if self.planes > 1 else 0
        return walker_shell(
            self.planes,
            self.sats_per_plane,
            phasing_f,
            self.inclination_deg,
            self.altitude_km,
            epoch=epoch,
            raan0_deg=raan0_deg,
            name=self.name,
            first_norad_id=first_norad_id,
        )


_LEADING_NUMBER = re.compile(r"\s*([-+]?\d+(?:\.\d*)?)")


@cache
def starlink_shells() -> tuple[ShellSpec, ...]:
    """The Starlink Gen1 and Gen2 shells of the vendored FCC table, in file order.

    A cell that reads ``same`` repeats the last value given above it, and ``same; NB ...``
    appends the remark (the file's shorthand); a user elevation
    mask such as ``25 (2026 mod: 20 deg for 400-500 km ...)`` is read as its leading number.
    Names are ``{generation}-{altitude}km-{inclination}deg-{P}x{S}`` and are unique.
    """
    ref = resources.files("leolink.data").joinpath("starlink-shells-fcc.csv")
    rows = list(csv.DictReader(io.StringIO(ref.read_text(encoding="utf-8"))))
    specs: list[ShellSpec] = []
    base: dict[str, str] = {}  # the last value of each column that was not "same ..."
    for row in rows:
        filled: dict[str, str] = {}
        for key, raw in row.items():
            value = raw.strip()
            if value.lower().startswith("same"):
                filled[key] = base.get(key, "") + value[4:]
            else:
                filled[key] = base[key] = value
        generation = filled["generation"].split()[0]
        altitude_km = float(filled["altitude_km"])
        inclination_deg = float(filled["inclination_deg"])
        planes = int(filled["planes"])
        sats_per_plane = int(filled["sats_per_plane"])
        elevation = _LEADING_NUMBER.match(filled["min_elev_user_deg"])
        if elevation is None:  # pragma: no cover - the vendored file is checked by the tests
            raise InputError(
                f"starlink-shells-fcc.csv: min_elev_user_deg={filled['min_elev_user_deg']!r} "
                "does not start with a number of degrees"
            )
        status = re.split(r"[\s(;,]", filled["status_note"], maxsplit=1)[0].lower()
        specs.append(
            ShellSpec(
                name=f"{generation}-{altitude_km:g}km-{inclination_deg:g}deg-"
                f"{planes}x{sats_per_plane}",
                generation=generation,
                altitude_km=altitude_km,
                inclination_deg=inclination_deg,
                planes=planes,
                sats_per_plane=sats_per_plane,
                min_elevation_deg=float(elevation.group(1)),
                status=status,
                source=filled["source"],
                authority=filled["authority"],
                note=filled["status_note"],
            )
        )
    return tuple(specs)
