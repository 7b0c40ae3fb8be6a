"""Reference frames: TEME (SGP4's output), ITRF (Earth-fixed), WGS84 geodetic, topocentric.

Conventions: positions in km, velocities in km/s, angles in degrees unless the name says
``_rad``; vectors carry their three components on the last axis, so a satellite set over a
time grid is ``(S, N, 3)`` and its scalar results ``(S, N)``.  Inputs broadcast NumPy-style.

The TEME → ITRF rotation follows Vallado et al. (2006), "Revisiting Spacetrack Report #3",
AIAA 2006-6753, Appendix C: a rotation about z by GMST 1982 (the sidereal time SGP4 was fitted
with) at UT1, polar motion neglected.  Polar motion (the pole's offset, ≲ 0.5″ in total)
tilts the frame by that angle, which moves a satellite by at most 0.5″ × 6,900 km ≈ 17 m
(≈ 15 m at the surface), typically 5–10 m, and its direction from a ground observer by at most
0.5″ (1.4e-4°), since both are off by the same small rotation.  Skyfield's ``itrs`` frame makes
the same omission unless a polar-motion table is loaded; coverage and latency are insensitive
to it.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from leolink._jit import njit
from leolink.arrays import FloatArray
from leolink.earth import WGS84_A_KM, WGS84_E2, WGS84_F
from leolink.errors import InputError
from leolink.time import datetime64_to_jd_fr, ut1_minus_utc_s

__all__ = [
    "EARTH_ROTATION_RAD_S",
    "geodetic_to_itrs",
    "gmst82_rad",
    "gmst82_rad_from_jd_ut1",
    "itrs_to_geodetic",
    "itrs_to_topocentric",
    "teme_to_itrs",
    "teme_to_itrs_rv",
]

ArrayLike = npt.ArrayLike

#: Earth's rotation rate used with GMST 1982 for TEME velocities, rad/s (Vallado et al. 2006,
#: Appendix C, ``teme2ecef``; length-of-day variation, ≲ 3 ms/day, i.e. < 4e-8 relative, neglected).
EARTH_ROTATION_RAD_S = 7.292115146706979e-5

_J2000_JD = 2451545.0
_DAY_S = 86_400.0
_TAU = 2.0 * math.pi


def gmst82_rad_from_jd_ut1(jd_ut1: ArrayLike, fr_ut1: ArrayLike) -> FloatArray:
    """Greenwich mean sidereal time, IAU 1982, in radians [0, 2π), from a split UT1 date.

    Vallado, *Fundamentals of Astrodynamics and Applications* (4th ed.), Eq. 3-47, in the form of
    Vallado et al. (2006), Appendix C (``gstime``):
    θ = 67310.54841 s + (876600 h + 8640184.812866 s) T + 0.093104 s T² − 6.2e−6 s T³, with T in
    Julian centuries of UT1 from J2000.  The 876600-hour term is a whole number of days and is
    replaced by the day fraction of ``jd_ut1 + fr_ut1``, which keeps full precision.
    """
    jd = np.asarray(jd_ut1, dtype=np.float64)
    fr = np.asarray(fr_ut1, dtype=np.float64)
    t = (jd - _J2000_JD + fr) / 36525.0
    g_s = 67310.54841 + (8640184.812866 + (0.093104 + (-6.2e-6) * t) * t) * t
    day_fraction = (jd % 1.0 + fr + (g_s / _DAY_S) % 1.0) % 1.0
    return np.asarray(day_fraction * _TAU, dtype=np.float64)


def gmst82_rad(times: npt.NDArray[np.datetime64] | np.datetime64) -> FloatArray:
    """GMST 1982 in radians at UTC instants, evaluated at UT1 = UTC + DUT1; shape of ``times``.

    DUT1 comes from the vendored IERS table (`leolink.time.ut1_minus_utc_s`).  Using UTC for UT1
    would misplace a satellite by up to 0.9 s × 0.5 km/s ≈ 0.45 km of Earth rotation.
    """
    if np.asarray(times).dtype.kind != "M":
        raise InputError(
            f"times must be numpy datetime64 (UTC), got {np.asarray(times).dtype}; convert with "
            "leolink.time.parse_instant or np.datetime64('2026-05-13T12:00:00')"
        )
    jd, fr = datetime64_to_jd_fr(times)
    fr_ut1 = fr + ut1_minus_utc_s(times) / _DAY_S
    return gmst82_rad_from_jd_ut1(jd, fr_ut1)


def _vectors(array: ArrayLike, name: str) -> FloatArray:
    vectors = np.asarray(array, dtype=np.float64)
    if vectors.ndim == 0 or vectors.shape[-1] != 3:
        raise InputError(
            f"{name} has shape {vectors.shape}; expected vectors with 3 components on the "
            "last axis, such as (3,), (N, 3) or (S, N, 3)"
        )
    return vectors


def teme_to_itrs(
    r_teme_km: ArrayLike, times: npt.NDArray[np.datetime64] | np.datetime64
) -> FloatArray:
    """Rotate TEME positions to the Earth-fixed ITRF, polar motion neglected.

    ``r_teme_km`` has shape ``(..., 3)`` and ``times`` broadcasts against ``(...)``; e.g.
    ``(S, N, 3)`` with ``(N,)``.  r_ITRF = R_z(θ_GMST82) r_TEME (Vallado et al. 2006, App. C).
    """
    r = _vectors(r_teme_km, "r_teme_km")
    theta = gmst82_rad(times)
    c, s = np.cos(theta), np.sin(theta)
    x, y = r[..., 0], r[..., 1]
    return np.stack(np.broadcast_arrays(c * x + s * y, -s * x + c * y, r[..., 2]), axis=-1)


def teme_to_itrs_rv(
    r_teme_km: ArrayLike,
    v_teme_km_s: ArrayLike,
    times: npt.NDArray[np.datetime64] | np.datetime64,
) -> tuple[FloatArray, FloatArray]:
    """Rotate TEME positions and velocities to ITRF; shapes as in `teme_to_itrs`.

    The Earth-fixed velocity subtracts the frame's rotation:
    v_ITRF = R_z(θ) v_TEME − ω⊕ × r_ITRF with ω⊕ = `EARTH_ROTATION_RAD_S` about z
    (Vallado et al. 2006, App. C, ``teme2ecef``).
    """
    r = _vectors(r_teme_km, "r_teme_km")
    v = _vectors(v_teme_km_s, "v_teme_km_s")
    theta = gmst82_rad(times)
    c, s = np.cos(theta), np.sin(theta)
    x, y = r[..., 0], r[..., 1]
    xr, yr = c * x + s * y, -s * x + c * y
    vx, vy = v[..., 0], v[..., 1]
    vxr = c * vx + s * vy + EARTH_ROTATION_RAD_S * yr
    vyr = -s * vx + c * vy - EARTH_ROTATION_RAD_S * xr
    r_itrs = np.stack(np.broadcast_arrays(xr, yr, r[..., 2]), axis=-1)
    v_itrs = np.stack(np.broadcast_arrays(vxr, vyr, v[..., 2]), axis=-1)
    return r_itrs, v_itrs


@njit()
def _itrs_to_geodetic_kernel(
    xyz: FloatArray,
    a: float,
    f: float,
    lat_deg: FloatArray,
    lon_deg: FloatArray,
    alt_km: FloatArray,
) -> None:  # pragma: no cover - compiled by numba; exercised through itrs_to_geodetic
    e2 = f * (2.0 - f)
    e2m = (1.0 - f) * (1.0 - f)
    e4 = e2 * e2
    for i in range(xyz.shape[0]):
        x, y, z = xyz[i, 0], xyz[i, 1], xyz[i, 2]
        if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(z)):
            lat_deg[i] = math.nan
            lon_deg[i] = math.nan
            alt_km[i] = math.nan
            continue
        big_r = math.hypot(x, y)
        p = (big_r / a) ** 2
        # Within 1e-100 km of the equatorial plane e⁴q would be subnormal and k lose precision;
        # such a point is on the plane to any physical precision.
        q = e2m * (z / a) ** 2 if abs(z) > 1e-100 * a else 0.0
        r = (p + q - e4) / 6.0
        if not (e4 * q == 0.0 and r <= 0.0):
            s = e4 * p * q / 4.0  # s·r³ in Vermeille's notation, safe when r = 0
            r2 = r * r
            r3 = r * r2
            disc = s * (2.0 * r3 + s)
            u = r
            if disc >= 0.0:
                t3 = s + r3
                # The sign of the root that maximises |t3| avoids cancellation.
                t3 += -math.sqrt(disc) if t3 < 0.0 else math.sqrt(disc)
                t = np.cbrt(t3)
                u += t + (r2 / t if t != 0.0 else 0.0)
            else:
                # Inside the evolute (within ~43 km of the centre): three real roots.
                ang = math.atan2(math.sqrt(-disc), -(s + r3))
                u += 2.0 * r * math.cos(ang / 3.0)
            v = math.sqrt(u * u + e4 * q)
            uv = e4 * q / (v - u) if u < 0.0 else u + v
            w = max(0.0, e2 * (uv - q) / (2.0 * v))
            k = uv / (math.sqrt(uv + w * w) + w)
            d = k * big_r / (k + e2)
            zk, rk = z / k, big_r / (k + e2)
            lat = math.atan2(zk, rk)
            h = (1.0 - e2m / k) * math.hypot(d, z)
        else:
            # On the equatorial plane inside the evolute: the limit of the formulas above.
            zz = math.sqrt((e4 - p) / e2m)
            xx = math.sqrt(p)
            lat = math.atan2(zz if z >= 0.0 else -zz, xx)
            h = -a * e2m * math.hypot(zz, xx) / e2
        lat_deg[i] = math.degrees(lat)
        lon_deg[i] = math.degrees(math.atan2(y, x))
        alt_km[i] = h


def itrs_to_geodetic(r_itrs_km: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """WGS84 geodetic ``(lat_deg, lon_deg, alt_km)`` of ITRF positions ``(..., 3)``, each ``(...)``.

    Closed form of Vermeille (2002), "Direct transformation from geocentric coordinates to
    geodetic coordinates", J. Geodesy 76:451–454, with the changes of Karney (2011), "Geodesics
    on an ellipsoid of revolution", arXiv:1102.1215, Appendix B, that keep it accurate to
    round-off (≲ 10 nm) for every finite point, including near the poles and the centre.
    Longitude is in (−180, 180]; non-finite input gives NaN.
    """
    r = _vectors(r_itrs_km, "r_itrs_km")
    flat = np.ascontiguousarray(r.reshape(-1, 3))
    lat = np.empty(flat.shape[0], dtype=np.float64)
    lon = np.empty_like(lat)
    alt = np.empty_like(lat)
    _itrs_to_geodetic_kernel(flat, WGS84_A_KM, WGS84_F, lat, lon, alt)
    shape = r.shape[:-1]
    return lat.reshape(shape), lon.reshape(shape), alt.reshape(shape)


def _checked_latitude_rad(lat_deg: ArrayLike) -> FloatArray:
    lat = np.asarray(lat_deg, dtype=np.float64)
    bad = np.abs(lat) > 90.0
    if np.any(bad):
        raise InputError(
            f"latitude {lat[bad].ravel()[:5].tolist()} deg is outside [-90, 90]; give geodetic "
            "latitude in degrees (latitude comes before longitude)"
        )
    return np.radians(lat)


def geodetic_to_itrs(lat_deg: ArrayLike, lon_deg: ArrayLike, alt_km: ArrayLike) -> FloatArray:
    """ITRF position ``(..., 3)`` of WGS84 geodetic points; the inputs broadcast to ``(...)``.

    x = (N + h) cos φ cos λ, y = (N + h) cos φ sin λ, z = (N (1 − e²) + h) sin φ with the prime
    vertical radius N = a / √(1 − e² sin² φ) (NIMA TR8350.2, 3rd ed., Eq. 4-14).
    """
    phi = _checked_latitude_rad(lat_deg)
    lam = np.radians(np.asarray(lon_deg, dtype=np.float64))
    h = np.asarray(alt_km, dtype=np.float64)
    sin_phi, cos_phi = np.sin(phi), np.cos(phi)
    n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_phi * sin_phi)
    x = (n + h) * cos_phi * np.cos(lam)
    y = (n + h) * cos_phi * np.sin(lam)
    z = (n * (1.0 - WGS84_E2) + h) * sin_phi
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def itrs_to_topocentric(
    r_itrs_km: ArrayLike, lat_deg: ArrayLike, lon_deg: ArrayLike, alt_km: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(elevation_deg, azimuth_deg, range_km)`` of ITRF positions seen from geodetic observers.

    ``r_itrs_km`` is ``(..., 3)``; the observer arrays broadcast against ``(...)``.  For O
    observers and S satellites at N times pass ``r[None]`` ``(1, S, N, 3)`` with observer arrays
    of shape ``(O, 1, 1)`` to get ``(O, S, N)``.  Elevation is above the plane normal to the WGS84
    ellipsoid at the observer (no refraction); azimuth is clockwise from north in [0, 360).
    The east-north-up rotation is Vallado, *Fundamentals* (4th ed.), Eq. 3-28 (SEZ, reordered).
    """
    r = _vectors(r_itrs_km, "r_itrs_km")
    phi = _checked_latitude_rad(lat_deg)
    lam = np.radians(np.asarray(lon_deg, dtype=np.float64))
    observer = geodetic_to_itrs(lat_deg, lon_deg, alt_km)
    d = r - observer
    dx, dy, dz = d[..., 0], d[..., 1], d[..., 2]
    sin_phi, cos_phi = np.sin(phi), np.cos(phi)
    sin_lam, cos_lam = np.sin(lam), np.cos(lam)
    east = -sin_lam * dx + cos_lam * dy
    north = -sin_phi * cos_lam * dx - sin_phi * sin_lam * dy + cos_phi * dz
    up = cos_phi * cos_lam * dx + cos_phi * sin_lam * dy + sin_phi * dz
    horizontal = np.hypot(east, north)
    elevation_deg = np.degrees(np.arctan2(up, horizontal))
    azimuth_deg = np.degrees(np.arctan2(east, north)) % 360.0
    range_km = np.sqrt(horizontal * horizontal + up * up)
    return elevation_deg, azimuth_deg, range_km
