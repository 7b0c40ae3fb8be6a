"""Frames against their authorities: Vallado's gstime, Skyfield's ITRS, WGS84 and altaz."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sgp4.propagation import gstime
from skyfield.api import EarthSatellite, load, wgs84
from skyfield.framelib import itrs
from skyfield.sgp4lib import theta_GMST1982

from leolink.errors import InputError
from leolink.orbits.catalog import Catalog
from leolink.orbits.frames import (
    WGS84_A_KM,
    WGS84_E2,
    WGS84_F,
    geodetic_to_itrs,
    gmst82_rad,
    gmst82_rad_from_jd_ut1,
    itrs_to_geodetic,
    itrs_to_topocentric,
    teme_to_itrs,
    teme_to_itrs_rv,
)
from leolink.orbits.loading import load_catalog
from leolink.orbits.propagate import propagate
from leolink.time import datetime64_to_jd_fr, ut1_minus_utc_s

# Named tolerances.
one_nanoradian = 1e-9
one_millimeter = 1e-6  # km
one_micrometer = 1e-9  # km
one_nanodegree = 1e-9  # deg
one_thousandth_degree = 1e-3  # deg
five_meters = 5e-3  # km
# Skyfield's latlon_of stops after 3 fixed-point iterations from the geocentric latitude, which
# leaves up to ~2e-8 deg (~2.5 mm) at LEO altitude; see test_geodetic_matches_skyfield.
skyfield_latitude_convergence_deg = 5e-8

WGS84_B_KM = WGS84_A_KM * (1.0 - WGS84_F)


@pytest.fixture(scope="module")
def sample() -> Catalog:
    """60 real satellites spread over the catalog."""
    catalog = load_catalog()
    return catalog.take(np.linspace(0, len(catalog) - 1, 60).round().astype(int))


TIMES = np.datetime64("2026-05-12T00:00:00", "ns") + np.arange(9) * np.timedelta64(6, "h")


def skyfield_time(times: np.ndarray) -> Any:
    ts = load.timescale()  # builtin IERS table
    seconds = (times - np.datetime64("2026-05-12T00:00:00", "ns")) / np.timedelta64(1, "s")
    return ts.utc(2026, 5, 12, 0, 0, seconds)


# ---------------------------------------------------------------------------------------------
# Sidereal time and TEME -> ITRF


def test_gmst82_matches_vallado_gstime() -> None:
    """Our split-date GMST 1982 equals Vallado's own ``gstime`` (sgp4.propagation) to 1e-9 rad."""
    jd_ut1 = 2451545.0 + np.linspace(-10_000.0, 12_000.0, 101) + 0.123456789
    ours = gmst82_rad_from_jd_ut1(np.floor(jd_ut1 - 0.5) + 0.5, (jd_ut1 - 0.5) % 1.0)
    vallado = np.array([gstime(jd) for jd in jd_ut1])
    difference = (ours - vallado + np.pi) % (2 * np.pi) - np.pi
    assert np.abs(difference).max() <= 10 * one_nanoradian
    assert ((ours >= 0.0) & (ours < 2 * np.pi)).all()


def test_gmst82_at_ut1_matches_skyfield() -> None:
    """At UTC instants: the same angle as Skyfield's theta_GMST1982 at its own UT1."""
    t = skyfield_time(TIMES)
    theirs, _ = theta_GMST1982(t.whole, t.ut1_fraction)
    difference = (gmst82_rad(TIMES) - theirs + np.pi) % (2 * np.pi) - np.pi
    assert np.abs(difference).max() <= one_nanoradian


def test_gmst82_uses_ut1_not_utc() -> None:
    jd, fr = datetime64_to_jd_fr(TIMES)
    at_utc = gmst82_rad_from_jd_ut1(jd, fr)
    expected_shift = ut1_minus_utc_s(TIMES) * 7.2921158553e-5  # sidereal rate, rad/s
    shift = (gmst82_rad(TIMES) - at_utc + np.pi) % (2 * np.pi) - np.pi
    np.testing.assert_allclose(shift, expected_shift, rtol=1e-6, atol=0)


def test_teme_to_itrs_broadcasts_over_satellites_and_times() -> None:
    rng = np.random.default_rng(1)
    r = rng.normal(size=(4, 9, 3)) * 7000.0
    v = rng.normal(size=(4, 9, 3)) * 7.0
    r_itrs = teme_to_itrs(r, TIMES)
    assert r_itrs.shape == (4, 9, 3)
    # Rotation about z: z and the lengths are unchanged; a single instant is the same rotation.
    np.testing.assert_array_equal(r_itrs[..., 2], r[..., 2])
    np.testing.assert_allclose(np.linalg.norm(r_itrs, axis=-1), np.linalg.norm(r, axis=-1))
    np.testing.assert_allclose(teme_to_itrs(r[:, 3], TIMES[3]), r_itrs[:, 3], rtol=1e-15)
    r2, v2 = teme_to_itrs_rv(r, v, TIMES)
    np.testing.assert_array_equal(r2, r_itrs)
    assert v2.shape == (4, 9, 3)


def test_itrs_velocity_is_the_derivative_of_itrs_position() -> None:
    """The ω × r term has the right sign and size: v_ITRF = d r_ITRF / dt to 1e-7 km/s.

    A circular TEME orbit with known velocity, so that only the frame rotation is tested (SGP4's
    own velocity is not exactly the derivative of its positions).
    """
    radius_km, inclination = 6928.0, np.radians(53.0)
    mean_motion = np.sqrt(398600.4418 / radius_km**3)  # rad/s

    def orbit(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t_s = (times - TIMES[0]) / np.timedelta64(1, "s")
        u = mean_motion * t_s
        r = radius_km * np.stack(
            [np.cos(u), np.sin(u) * np.cos(inclination), np.sin(u) * np.sin(inclination)], -1
        )
        v = (radius_km * mean_motion) * np.stack(
            [-np.sin(u), np.cos(u) * np.cos(inclination), np.cos(u) * np.sin(inclination)], -1
        )
        return r, v

    times = TIMES[0] + np.arange(0, 6000, 97) * np.timedelta64(1, "s")
    half_step = np.timedelta64(50, "ms")  # truncation (h²/6)|d³r/dt³| ≈ 4e-9 km/s
    _, v_itrs = teme_to_itrs_rv(*orbit(times), times)
    after = teme_to_itrs(orbit(times + half_step)[0], times + half_step)
    before = teme_to_itrs(orbit(times - half_step)[0], times - half_step)
    np.testing.assert_allclose((after - before) / 0.1, v_itrs, rtol=0, atol=1e-7)


def test_vectors_without_three_components_are_refused() -> None:
    with pytest.raises(InputError, match=r"shape \(4, 2\)"):
        teme_to_itrs(np.zeros((4, 2)), TIMES[0])
    with pytest.raises(InputError, match="r_itrs_km"):
        itrs_to_geodetic(np.float64(1.0))
    with pytest.raises(InputError, match="datetime64"):
        teme_to_itrs(np.zeros(3), np.float64(2461173.5))


# ---------------------------------------------------------------------------------------------
# WGS84 geodetic


def skyfield_converged_latitude_deg(xyz_km: np.ndarray) -> np.ndarray:
    """Skyfield's own fixed-point latitude iteration (toposlib), run to convergence (12 steps)."""
    x, y, z = xyz_km
    radius = np.hypot(x, y)
    lat = np.arctan2(z, radius)
    for _ in range(12):
        sin_lat = np.sin(lat)
        a_c = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_lat * sin_lat)
        lat = np.arctan2(z + a_c * WGS84_E2 * sin_lat, radius)
    return np.asarray(np.degrees(lat))


def test_geodetic_matches_skyfield(sample: Catalog) -> None:
    """Satellite sub-points: height and longitude as Skyfield's wgs84, latitude to its precision.

    Skyfield's ``latlon_of`` stops after three fixed-point iterations; continued to convergence,
    the same iteration agrees with our closed form to 1e-9 deg.
    """
    t = skyfield_time(TIMES)
    for satrec in sample.satrecs:
        position = EarthSatellite.from_satrec(satrec, t.ts).at(t)
        xyz_km = position.frame_xyz(itrs).km
        lat_deg, lon_deg, alt_km = itrs_to_geodetic(xyz_km.T)
        their_lat, their_lon = wgs84.latlon_of(position)
        np.testing.assert_allclose(
            alt_km, wgs84.height_of(position).km, rtol=0, atol=one_millimeter
        )
        np.testing.assert_allclose(lon_deg, their_lon.degrees, rtol=0, atol=one_nanodegree)
        np.testing.assert_allclose(
            lat_deg, their_lat.degrees, rtol=0, atol=skyfield_latitude_convergence_deg
        )
        np.testing.assert_allclose(
            lat_deg, skyfield_converged_latitude_deg(xyz_km), rtol=0, atol=one_nanodegree
        )


def test_geodetic_special_points() -> None:
    lat, lon, alt = itrs_to_geodetic(
        [[0.0, 0.0, 7000.0], [0.0, 0.0, -7000.0], [7000.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    )
    np.testing.assert_allclose(lat, [90.0, -90.0, 0.0, 90.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(lon[:3], [0.0, 0.0, 0.0], rtol=0, atol=1e-12)
    expected_alt = [7000.0 - WGS84_B_KM, 7000.0 - WGS84_B_KM, 7000.0 - WGS84_A_KM, -WGS84_B_KM]
    np.testing.assert_allclose(alt, expected_alt, rtol=0, atol=one_micrometer)
    nan = itrs_to_geodetic([np.nan, 1.0, 2.0])
    assert all(np.isnan(value) for value in nan)


def test_geodetic_shapes() -> None:
    lat, lon, alt = itrs_to_geodetic(np.full((2, 5, 3), 7000.0))
    assert lat.shape == lon.shape == alt.shape == (2, 5)
    r = geodetic_to_itrs(np.zeros((3, 1)), np.linspace(0, 90, 4), 0.55)
    assert r.shape == (3, 4, 3)


def test_latitude_out_of_range_is_refused() -> None:
    with pytest.raises(InputError, match=r"latitude \[91\.0\]"):
        geodetic_to_itrs(91.0, 0.0, 0.0)


latitudes = st.floats(-90.0, 90.0)
longitudes = st.floats(-180.0, 180.0, exclude_min=True)
altitudes_km = st.floats(-6000.0, 400_000.0)  # > 350 km from the centre: outside the evolute
coordinates_km = st.floats(-50_000.0, 50_000.0)


@settings(max_examples=300, deadline=None)
@given(latitudes, longitudes, altitudes_km)
def test_geodetic_round_trip(lat_deg: float, lon_deg: float, alt_km: float) -> None:
    lat2, lon2, alt2 = itrs_to_geodetic(geodetic_to_itrs(lat_deg, lon_deg, alt_km))
    assert abs(float(lat2) - lat_deg) <= one_nanodegree
    assert abs(float(alt2) - alt_km) <= one_millimeter
    if abs(lat_deg) < 89.999:  # at the poles longitude is not defined
        dlon = (float(lon2) - lon_deg + 180.0) % 360.0 - 180.0
        assert abs(dlon) <= one_nanodegree


@settings(max_examples=300, deadline=None)
@given(coordinates_km, coordinates_km, coordinates_km)
def test_itrs_round_trip(x_km: float, y_km: float, z_km: float) -> None:
    """Every point, even within the evolute near the centre, comes back to within 1 mm."""
    r = np.array([x_km, y_km, z_km])
    back = geodetic_to_itrs(*itrs_to_geodetic(r))
    assert np.abs(back - r).max() <= one_millimeter


# ---------------------------------------------------------------------------------------------
# Topocentric


OBSERVERS = [  # lat_deg, lon_deg, alt_km
    (50.4501, 30.5234, 0.179),  # Kyiv
    (25.0330, 121.5654, 0.01),  # Taipei
    (-33.8688, 151.2093, 0.058),  # Sydney
    (0.0, -78.4678, 2.85),  # Quito
    (78.2232, 15.6267, 0.0),  # Longyearbyen
    (-89.99, 0.0, 2.835),  # South Pole station
]


@pytest.mark.parametrize(("lat_deg", "lon_deg", "alt_km"), OBSERVERS)
def test_topocentric_matches_skyfield_altaz(
    sample: Catalog, lat_deg: float, lon_deg: float, alt_km: float
) -> None:
    """Our propagation + topocentric vs Skyfield ``(sat - wgs84.latlon(...)).at(t).altaz()``."""
    t = skyfield_time(TIMES)
    observer = wgs84.latlon(lat_deg, lon_deg, elevation_m=alt_km * 1e3)
    ephemeris = propagate(sample, TIMES)
    elevation, azimuth, range_km = itrs_to_topocentric(
        ephemeris.r_itrs_km, lat_deg, lon_deg, alt_km
    )
    assert elevation.shape == (len(sample), len(TIMES))
    for i, satrec in enumerate(sample.satrecs):
        alt, az, distance = (EarthSatellite.from_satrec(satrec, t.ts) - observer).at(t).altaz()
        np.testing.assert_allclose(elevation[i], alt.degrees, rtol=0, atol=one_thousandth_degree)
        np.testing.assert_allclose(range_km[i], distance.km, rtol=0, atol=five_meters)
        steep = elevation[i] > 89.9  # azimuth is undefined at the zenith
        daz = (azimuth[i] - az.degrees + 180.0) % 360.0 - 180.0
        assert np.abs(daz[~steep]).max() <= one_thousandth_degree
        assert ((azimuth[i] >= 0.0) & (azimuth[i] < 360.0)).all()


def test_topocentric_broadcasts_observers_against_satellites(sample: Catalog) -> None:
    ephemeris = propagate(sample, TIMES)
    lat = np.array([o[0] for o in OBSERVERS])[:, None, None]
    lon = np.array([o[1] for o in OBSERVERS])[:, None, None]
    alt = np.array([o[2] for o in OBSERVERS])[:, None, None]
    elevation, azimuth, range_km = itrs_to_topocentric(ephemeris.r_itrs_km[None], lat, lon, alt)
    assert elevation.shape == azimuth.shape == range_km.shape == (len(OBSERVERS), len(sample), 9)
    one = itrs_to_topocentric(ephemeris.r_itrs_km, *OBSERVERS[2])
    np.testing.assert_array_equal(elevation[2], one[0])


def test_topocentric_of_points_straight_up_and_due_north() -> None:
    """A point 550 km along the ellipsoid normal is at the zenith, at 550 km."""
    up = geodetic_to_itrs(45.0, 10.0, 550.0)
    elevation, _, range_km = itrs_to_topocentric(up, 45.0, 10.0, 0.0)
    assert abs(float(elevation) - 90.0) <= one_nanodegree * 1e3
    assert abs(float(range_km) - 550.0) <= one_micrometer
    north = geodetic_to_itrs(46.0, 10.0, 0.0)
    _, azimuth, _ = itrs_to_topocentric(north, 45.0, 10.0, 0.0)
    assert min(float(azimuth), 360.0 - float(azimuth)) <= 1e-9
    east = geodetic_to_itrs(0.0, 11.0, 0.0)
    _, azimuth, _ = itrs_to_topocentric(east, 0.0, 10.0, 0.0)
    assert abs(float(azimuth) - 90.0) <= 1e-9
