"""The visibility kernel against the brute force over every (point, satellite) pair.

The kernel's counts must equal the brute force's exactly and its highest elevations to 1e-9
degrees (they are in fact bit-equal); the brute force itself is checked against the project's
topocentric elevation (`leolink.orbits.frames.itrs_to_topocentric`, an independent formula:
``atan2(up, horizontal)``).  Random inputs stress what could break the shortcuts: poles, the
antimeridian, satellites from 300 to 1,200 km and below, per-satellite masks, pairs placed
exactly on the mask, bands from 0.05 degrees to the whole globe.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leolink.arrays import FloatArray
from leolink.coverage import (
    GroundPoints,
    Visibility,
    count_visible,
    visibility,
    visibility_brute_force,
)
from leolink.errors import InputError
from leolink.orbits.frames import geodetic_to_itrs, itrs_to_topocentric

#: Highest elevations must agree with the brute force to this, degrees.
MAX_ELEVATION_TOLERANCE_DEG = 1e-9


def _points(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
    """Points spread over the sphere, with a share near the poles and the antimeridian, and
    some on them exactly."""
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    lon = rng.uniform(-180.0, 180.0, n)
    kind = rng.integers(0, 6, n)
    polar = kind == 1
    lat[polar] = np.sign(rng.uniform(-1, 1, polar.sum())) * (
        90.0 - rng.exponential(0.3, polar.sum())
    )
    lon[kind == 2] = 180.0 - rng.exponential(0.2, (kind == 2).sum()) * rng.choice([-1, 1])
    lon[kind == 3] = rng.choice([-180.0, 180.0, 540.0, -540.0, 0.0], (kind == 3).sum())
    exact_pole = kind == 4
    lat[exact_pole] = rng.choice([-90.0, 90.0], exact_pole.sum())
    return np.clip(lat, -90.0, 90.0), lon


def _satellites(rng: np.random.Generator, n: int, lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Satellites at 300-1,200 km, half of them right above a point (so that many pairs are
    close), a few over the poles, below 6,500 km from the centre, or failed (NaN)."""
    sat_lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    sat_lon = rng.uniform(-180.0, 180.0, n)
    near = rng.uniform(size=n) < 0.5
    if lat.size:
        k = rng.integers(0, lat.size, near.sum())
        sat_lat[near] = np.clip(lat[k] + rng.normal(0.0, 5.0, near.sum()), -90.0, 90.0)
        sat_lon[near] = lon[k] + rng.normal(0.0, 5.0, near.sum())
    alt = rng.uniform(300.0, 1200.0, n)
    r = geodetic_to_itrs(sat_lat, sat_lon, alt)
    kind = rng.integers(0, 20, n)
    r[kind == 1] = (
        [0.0, 0.0, 1.0]
        * (6378.0 + alt[kind == 1, None])
        * rng.choice([-1.0, 1.0], ((kind == 1).sum(), 1))
    )
    r[kind == 2] *= rng.uniform(0.9, 1.0, ((kind == 2).sum(), 1))  # 6,000-6,500 km: slow path
    r[kind == 3] = np.nan
    return r


def _masks(rng: np.random.Generator, n: int, scalar: bool) -> float | FloatArray:
    if scalar:
        return float(rng.choice([0.0, 10.0, 25.0, 40.0, rng.uniform(-10.0, 80.0)]))
    return rng.choice([20.0, 25.0, 35.0], n) + rng.uniform(-1.0, 1.0, n) * (rng.uniform() < 0.5)


def _on_the_mask(
    rng: np.random.Generator, r: FloatArray, lat: FloatArray, lon: FloatArray, mask: FloatArray
) -> FloatArray:
    """Set some satellites' masks to their exact elevation from some point: pairs on the edge."""
    mask = mask.copy()
    if lat.size == 0:
        return mask
    for j in rng.choice(r.shape[0], min(30, r.shape[0]), replace=False):
        if not np.isfinite(r[j]).all():
            continue
        k = int(rng.integers(0, lat.size))
        points = GroundPoints.from_lat_lon(lat[k : k + 1], lon[k : k + 1])
        one = visibility_brute_force(points, r[j : j + 1], -90.0)
        if abs(one.max_elevation_deg[0]) < 90.0:
            mask[j] = one.max_elevation_deg[0]
    return mask


def assert_same(got: Visibility, expected: Visibility) -> None:
    np.testing.assert_array_equal(got.count, expected.count)
    np.testing.assert_array_equal(np.isnan(got.max_elevation_deg), expected.count == 0)
    np.testing.assert_allclose(
        got.max_elevation_deg, expected.max_elevation_deg, rtol=0, atol=MAX_ELEVATION_TOLERANCE_DEG
    )


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_points=st.integers(0, 400),
    n_sats=st.integers(0, 120),
    band_deg=st.sampled_from([0.05, 0.5, 2.0, 11.0, 180.0]),
    scalar_mask=st.booleans(),
    parallel=st.booleans(),
)
def test_equals_brute_force_on_random_points_and_satellites(
    seed: int, n_points: int, n_sats: int, band_deg: float, scalar_mask: bool, parallel: bool
) -> None:
    rng = np.random.default_rng(seed)
    lat, lon = _points(rng, n_points)
    r = _satellites(rng, n_sats, lat, lon)
    mask = _masks(rng, n_sats, scalar_mask)
    if not scalar_mask:
        mask = _on_the_mask(rng, r, lat, lon, np.asarray(mask))
    points = GroundPoints.from_lat_lon(lat, lon, band_deg=band_deg)
    expected = visibility_brute_force(points, r, mask)
    assert_same(visibility(points, r, mask, parallel=parallel), expected)
    np.testing.assert_array_equal(count_visible(points, r, mask, parallel=parallel), expected.count)


def test_equals_brute_force_on_dense_points_around_footprint_edges() -> None:
    """A 0.02-degree lattice over a footprint's edge, many bands, both mask forms."""
    lat, lon = np.meshgrid(np.arange(40.0, 62.0, 0.05), np.arange(-12.0, 12.0, 0.05))
    lat, lon = lat.ravel(), lon.ravel()
    r = geodetic_to_itrs(np.array([51.0, 45.0, 58.0]), np.array([0.0, 3.0, -4.0]), 550.0)
    points = GroundPoints.from_lat_lon(lat, lon, band_deg=0.2)
    for mask in (25.0, np.array([20.0, 25.0, 30.0])):
        expected = visibility_brute_force(points, r, mask)
        assert expected.count.min() == 0
        assert expected.count.max() == 3
        assert_same(visibility(points, r, mask), expected)


def _edge_longitudes(r: FloatArray, lat: FloatArray, mask_deg: float, east: bool) -> FloatArray:
    """Longitude where the satellite at ``r`` sets below ``mask_deg`` for a point at each
    latitude, east or west of it, by bisection on the topocentric elevation (NaN if never)."""
    sat_lon = math.degrees(math.atan2(r[1], r[0]))
    sign = 1.0 if east else -1.0

    def elevation(offset: FloatArray) -> FloatArray:
        e, _, _ = itrs_to_topocentric(r, lat, sat_lon + sign * offset, 0.0)
        return e

    lo = np.zeros_like(lat)
    hi = np.full_like(lat, 180.0)
    ok = (elevation(lo) >= mask_deg) & (elevation(hi) < mask_deg)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        above = elevation(mid) >= mask_deg
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return np.where(ok, sat_lon + sign * lo, np.nan)


@pytest.mark.parametrize("band_deg", [0.5, 3.0, 180.0])
def test_points_straddling_the_footprint_edge(band_deg: float) -> None:
    """Points within a centimetre of the exact footprint edge at every latitude it crosses,
    for satellites from the equator to the pole and 340 to 1,200 km: the cases where the
    inner and outer caps' margins (the ellipsoid's ``delta``, ``eps``) must be right."""
    lat_all = []
    lon_all = []
    sats = []
    for sat_lat, alt, mask in [(0.0, 550.0, 25.0), (33.0, 340.0, 20.0), (61.0, 1200.0, 25.0)]:
        r = geodetic_to_itrs(sat_lat, 17.0, alt)
        sats.append(r)
        lat = sat_lat + np.linspace(-30.0, 30.0, 1201)
        lat = lat[np.abs(lat) <= 90.0]
        for east in (True, False):
            edge = _edge_longitudes(r, lat, mask, east)
            keep = np.isfinite(edge)
            for shift in (-1e-7, 0.0, 1e-7):
                lat_all.append(lat[keep])
                lon_all.append(edge[keep] + shift)
    lat = np.concatenate(lat_all)
    lon = np.concatenate(lon_all)
    r = np.stack(sats)
    masks = np.array([25.0, 20.0, 25.0])
    points = GroundPoints.from_lat_lon(lat, lon, band_deg=band_deg)
    expected = visibility_brute_force(points, r, masks)
    assert 0 < expected.count.mean() < 3
    assert_same(visibility(points, r, masks), expected)


def test_brute_force_matches_the_topocentric_elevation_of_frames() -> None:
    """An independent formula (frames: atan2 of up over horizontal) gives the same elevations;
    counts agree wherever no pair is within the tolerance of the mask."""
    rng = np.random.default_rng(7)
    lat, lon = _points(rng, 300)
    r = _satellites(rng, 80, lat, lon)
    r = r[np.isfinite(r).all(axis=1) & (np.linalg.norm(r, axis=1) > 6500.0)]
    elevation_deg, _, _ = itrs_to_topocentric(r[None, :, :], lat[:, None], lon[:, None], 0.0)
    mask = 25.0
    points = GroundPoints.from_lat_lon(lat, lon)
    got = visibility_brute_force(points, r, mask)
    near_mask = np.abs(elevation_deg - mask) < MAX_ELEVATION_TOLERANCE_DEG
    assert not near_mask.any()
    np.testing.assert_array_equal(got.count, (elevation_deg >= mask).sum(axis=1))
    seen = np.where(elevation_deg >= mask, elevation_deg, -np.inf).max(axis=1)
    expected_max = np.where(np.isfinite(seen), seen, np.nan)
    np.testing.assert_allclose(got.max_elevation_deg, expected_max, rtol=0, atol=1e-9)


def test_real_constellation_on_a_world_grid() -> None:
    """The embedded catalog at one instant over every H3 resolution-2 cell (5,882)."""
    from leolink.geo.grid import cells_to_latlng, world_cells
    from leolink.orbits.loading import load_catalog
    from leolink.orbits.propagate import propagate
    from leolink.time import parse_instant

    ephemeris = propagate(load_catalog(), np.array([parse_instant("2026-05-13T12:00:00Z")]))
    r = ephemeris.r_itrs_km[:, 0, :]
    lat, lon = cells_to_latlng(world_cells(2))
    points = GroundPoints.from_lat_lon(lat, lon)
    mask = np.where(np.linalg.norm(r, axis=1) < 6378.137 + 500.0, 20.0, 25.0)
    expected = visibility_brute_force(points, r, mask)
    assert expected.count.mean() > 20
    assert_same(visibility(points, r, mask), expected)
    assert_same(visibility(points, r, mask, parallel=True), expected)


def test_a_satellite_overhead_is_at_90_degrees_and_none_gives_nan() -> None:
    points = GroundPoints.from_lat_lon([0.0, 45.0, -30.0], [0.0, 90.0, 180.0])
    r = np.array([[6378.137 + 550.0, 0.0, 0.0]])
    got = visibility(points, r)
    np.testing.assert_array_equal(got.count, [1, 0, 0])
    assert got.max_elevation_deg[0] == pytest.approx(90.0, abs=1e-9)
    assert np.isnan(got.max_elevation_deg[1:]).all()
    assert got.count.dtype == np.int32


def test_no_satellites_and_no_points() -> None:
    points = GroundPoints.from_lat_lon([10.0, 20.0], [30.0, 40.0])
    got = visibility(points, np.empty((0, 3)))
    np.testing.assert_array_equal(got.count, [0, 0])
    assert np.isnan(got.max_elevation_deg).all()
    got = visibility(points, np.full((3, 3), np.nan))
    np.testing.assert_array_equal(got.count, [0, 0])
    empty = GroundPoints.from_lat_lon([], [])
    assert visibility(empty, np.ones((2, 3)) * 7000.0).count.shape == (0,)
    assert len(empty) == 0


def test_results_come_back_in_the_order_given() -> None:
    rng = np.random.default_rng(3)
    lat, lon = _points(rng, 200)
    r = _satellites(rng, 50, lat, lon)
    points = GroundPoints.from_lat_lon(lat, lon)
    shuffled = rng.permutation(lat.size)
    again = GroundPoints.from_lat_lon(lat[shuffled], lon[shuffled])
    np.testing.assert_array_equal(visibility(again, r).count, visibility(points, r).count[shuffled])


@pytest.mark.parametrize(
    ("lat", "lon", "band_deg", "message"),
    [
        ([91.0], [0.0], 0.5, "within \\[-90, 90\\]"),
        ([np.nan], [0.0], 0.5, "lat_deg=nan"),
        ([0.0], [np.inf], 0.5, "longitudes finite"),
        ([0.0, 1.0], [0.0], 0.5, "same length"),
        ([0.0], [0.0], 0.0, "band_deg"),
    ],
)
def test_malformed_points_are_refused(
    lat: list[float], lon: list[float], band_deg: float, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        GroundPoints.from_lat_lon(lat, lon, band_deg=band_deg)


@pytest.mark.parametrize(
    ("r", "mask", "message"),
    [
        (np.ones((4, 2)), 25.0, "shape \\(S, 3\\)"),
        (np.ones((4, 3)) * 7000.0, np.ones(3), "shape \\(4,\\)"),
        (np.ones((4, 3)) * 7000.0, 95.0, "not an elevation"),
        (np.ones((4, 3)) * 7000.0, math.nan, "not an elevation"),
    ],
)
def test_malformed_satellites_and_masks_are_refused(
    r: FloatArray, mask: float | FloatArray, message: str
) -> None:
    points = GroundPoints.from_lat_lon([0.0], [0.0])
    with pytest.raises(InputError, match=message):
        visibility(points, r, mask)
    with pytest.raises(InputError, match=message):
        visibility_brute_force(points, r, mask)
