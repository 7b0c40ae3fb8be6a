"""Links at one instant: limits, the +Grid of a hand-checkable shell, ground links by elevation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leolink.errors import InputError
from leolink.network import (
    DEFAULT_MIN_ELEVATION_DEG,
    SPEED_OF_LIGHT_KM_S,
    ground_link_elevation_deg,
    ground_sites,
    gsl_links,
    hypatia_compatible_shell,
    isl_lengths_km,
    max_gsl_range_km,
    max_isl_range_km,
    plus_grid_pairs,
)
from leolink.orbits.frames import geodetic_to_itrs, itrs_to_topocentric
from leolink.orbits.loading import load_catalog
from leolink.orbits.propagate import propagate
from leolink.orbits.structure import NEXT, PREVIOUS, RIGHT

#: Elevations within this of the mask may fall either side by rounding (the kernel and
#: `itrs_to_topocentric` compute the angle by different formulas).
ELEVATION_ROUNDING_DEG = 1e-9


def test_speed_of_light() -> None:
    assert SPEED_OF_LIGHT_KM_S == 299_792.458


def test_max_isl_range_is_hypatias() -> None:
    """Hypatia's main_starlink_550.py: MAX_ISL_LENGTH_M = 5016591.2330984278 for 550 km."""
    assert max_isl_range_km(550.0) * 1000 == pytest.approx(5016591.2330984278, abs=1e-6)
    # a satellite pair at the limit grazes 80 km: half the chord is tangent to R + 80
    half = max_isl_range_km(550.0) / 2
    assert math.hypot(half, 6378.135 + 80.0) == pytest.approx(6378.135 + 550.0, rel=1e-15)
    with pytest.raises(InputError, match="must be above"):
        max_isl_range_km(50.0)


def test_max_gsl_range_matches_the_elevation() -> None:
    """The slant range returned puts the satellite exactly at the mask, on a sphere."""
    r, h = 6378.135, 550.0
    for elevation_deg in (0.0, 10.0, 25.0, 40.0, 90.0):
        d = max_gsl_range_km(h, elevation_deg)
        # law of cosines in the triangle centre-observer-satellite, angle 90 + e at the observer
        a = math.radians(90.0 + elevation_deg)
        assert math.sqrt(r * r + d * d - 2 * r * d * math.cos(a)) == pytest.approx(r + h)
    assert max_gsl_range_km(550.0, 90.0) == pytest.approx(550.0)
    assert max_gsl_range_km(550.0, 25.0) == pytest.approx(1123.4, abs=0.1)
    with pytest.raises(InputError):
        max_gsl_range_km(550.0, 95.0)
    with pytest.raises(InputError):
        max_gsl_range_km(-1.0, 25.0)


def test_plus_grid_on_a_tiny_shell() -> None:
    """3 orbits x 4 satellites: 24 lasers, every satellite with exactly four, listed by hand."""
    shell = hypatia_compatible_shell(3, 4)
    pairs = plus_grid_pairs(shell.neighbours)
    expected = set()
    for i in range(3):
        for j in range(4):
            a = 4 * i + j
            for b in (4 * i + (j + 1) % 4, 4 * ((i + 1) % 3) + j):
                expected.add((min(a, b), max(a, b)))
    assert {tuple(p) for p in pairs.tolist()} == expected
    assert len(pairs) == 24
    assert np.all(np.bincount(pairs.ravel(), minlength=12) == 4)
    assert np.all(pairs[:, 0] < pairs[:, 1])


def test_plus_grid_skips_missing_neighbours() -> None:
    table = np.full((3, 4), -1, dtype=np.int64)
    table[0, NEXT], table[1, PREVIOUS] = 1, 0
    table[1, RIGHT] = 1  # a self-link is not a link
    table[2, RIGHT] = 0
    assert plus_grid_pairs(table).tolist() == [[0, 1], [0, 2]]
    with pytest.raises(InputError, match=r"expected \(S, 4\)"):
        plus_grid_pairs(np.zeros((3, 2)))
    table[2, NEXT] = 7
    with pytest.raises(InputError, match="beyond 3 rows"):
        plus_grid_pairs(table)


def test_isl_lengths() -> None:
    r = np.array([[7000.0, 0, 0], [0, 7000.0, 0], [np.nan, 0, 0]])
    lengths = isl_lengths_km(r, np.array([[0, 1], [1, 2]]))
    assert lengths[0] == pytest.approx(7000.0 * math.sqrt(2))
    assert math.isnan(lengths[1])


def brute_force_elevations(r_sat: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    elevation, _, _ = itrs_to_topocentric(r_sat[None, :, :], lat[:, None], lon[:, None], 0.0)
    return elevation


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    mask_deg=st.sampled_from([0.0, 10.0, 25.0, 40.0, -5.0]),
)
def test_gsl_links_match_topocentric_elevation(seed: int, mask_deg: float) -> None:
    """Every (site, satellite) pair above the mask per `itrs_to_topocentric`, and no other."""
    rng = np.random.default_rng(seed)
    n_sat, n_site = 300, 12
    sat_lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n_sat)))
    r_sat = geodetic_to_itrs(sat_lat, rng.uniform(-180, 180, n_sat), rng.uniform(300, 1200, n_sat))
    r_sat[rng.integers(0, n_sat)] = np.nan  # a satellite SGP4 could not place
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n_site)))
    lon = rng.uniform(-180, 180, n_site)
    links = gsl_links(r_sat, ground_sites(lat, lon), min_elevation_deg=mask_deg)
    elevation = brute_force_elevations(r_sat, lat, lon)
    got = set(zip(links.site.tolist(), links.satellite.tolist(), strict=True))
    want = {(g, s) for g, s in zip(*np.nonzero(elevation >= mask_deg), strict=True)}
    near = {
        (g, s)
        for g, s in zip(
            *np.nonzero(np.abs(elevation - mask_deg) < ELEVATION_ROUNDING_DEG), strict=True
        )
    }
    assert got - near == want - near
    # ranges are the straight-line distances, and each site's links come nearest first
    d = r_sat[links.satellite] - geodetic_to_itrs(lat[links.site], lon[links.site], 0.0)
    np.testing.assert_allclose(links.range_km, np.linalg.norm(d, axis=1), rtol=1e-15)
    for g in range(n_site):
        assert np.all(np.diff(links.range_km[links.site == g]) >= 0)


def test_gsl_links_by_range_and_by_both() -> None:
    rng = np.random.default_rng(7)
    r_sat = geodetic_to_itrs(
        rng.uniform(-60, 60, 500), rng.uniform(-180, 180, 500), rng.uniform(500, 600, 500)
    )
    site = ground_sites([45.0], [5.0])
    p = site.r_itrs_km[0]
    distance = np.linalg.norm(r_sat - p, axis=1)
    by_range = gsl_links(r_sat, site, min_elevation_deg=None, max_range_km=1500.0)
    assert set(by_range.satellite.tolist()) == set(np.flatnonzero(distance <= 1500.0).tolist())
    elevation = brute_force_elevations(r_sat, np.array([45.0]), np.array([5.0]))[0]
    both = gsl_links(r_sat, site, min_elevation_deg=40.0, max_range_km=700.0)
    assert set(both.satellite.tolist()) == set(
        np.flatnonzero((elevation >= 40.0) & (distance <= 700.0)).tolist()
    )
    with pytest.raises(InputError, match="give min_elevation_deg or max_range_km"):
        gsl_links(r_sat, site, min_elevation_deg=None)
    with pytest.raises(InputError, match="must be in"):
        gsl_links(r_sat, site, min_elevation_deg=91.0)
    with pytest.raises(InputError, match="positive"):
        gsl_links(r_sat, site, max_range_km=-1.0)


def test_gateway_link_limit_keeps_the_nearest() -> None:
    """A gateway with 3 antennas links to its 3 nearest satellites in view; a terminal to all."""
    rng = np.random.default_rng(3)
    r_sat = geodetic_to_itrs(
        rng.uniform(30, 60, 400), rng.uniform(-20, 30, 400), np.full(400, 550.0)
    )
    sites = ground_sites([45.0, 45.0], [5.0, 5.0], max_links=[3, -1])
    limited = gsl_links(r_sat, sites, min_elevation_deg=25.0)
    free = gsl_links(r_sat, sites, min_elevation_deg=25.0, limit_links=False)
    all_in_view = free.satellite[free.site == 1]
    assert len(all_in_view) > 3
    assert limited.satellite[limited.site == 0].tolist() == all_in_view[:3].tolist()
    assert limited.satellite[limited.site == 1].tolist() == all_in_view.tolist()
    assert np.all(np.diff(free.range_km[free.site == 1]) >= 0)


def test_many_sites_are_done_in_blocks_with_the_same_result() -> None:
    """2,000 sites x 10,361 satellites is over the 16 MB mask: blocks must join seamlessly."""
    r_sat = propagate(load_catalog(), np.datetime64("2026-05-13T12:00:00")).r_itrs_km[:, 0, :]
    rng = np.random.default_rng(5)
    lat, lon = rng.uniform(-70, 70, 2000), rng.uniform(-180, 180, 2000)
    assert 2000 * len(r_sat) > 16 * 2**20
    whole = gsl_links(r_sat, ground_sites(lat, lon))
    sites, sats = [], []
    for part in (slice(0, 700), slice(700, 1500), slice(1500, 2000)):
        piece = gsl_links(r_sat, ground_sites(lat[part], lon[part]))
        sites.append(piece.site + part.start)
        sats.append(piece.satellite)
    assert whole.site.tolist() == np.concatenate(sites).tolist()
    assert whole.satellite.tolist() == np.concatenate(sats).tolist()
    assert len(whole) > 10_000


@pytest.mark.parametrize("mask_deg", [25.0, 40.0])
def test_the_k_d_tree_for_many_sites_finds_what_every_pair_tested_finds(
    monkeypatch: pytest.MonkeyPatch, mask_deg: float
) -> None:
    """From 256 sites on, candidates come from a k-d tree; the links are those of the kernel."""
    from leolink.network import links

    r_sat = propagate(load_catalog(), np.datetime64("2026-05-13T12:00:00")).r_itrs_km[:, 0, :]
    rng = np.random.default_rng(9)
    sites = ground_sites(
        np.degrees(np.arcsin(rng.uniform(-1, 1, 600))), rng.uniform(-180, 180, 600), max_links=5
    )
    for limit in (False, True):
        tree = gsl_links(r_sat, sites, min_elevation_deg=mask_deg, limit_links=limit)
        monkeypatch.setattr(links, "_KD_TREE_SITES", 10**9)
        every = gsl_links(r_sat, sites, min_elevation_deg=mask_deg, limit_links=limit)
        monkeypatch.undo()
        assert tree.site.tolist() == every.site.tolist()
        assert tree.satellite.tolist() == every.satellite.tolist()
        np.testing.assert_allclose(tree.range_km, every.range_km, rtol=1e-12)
        assert len(tree) > 1000


def test_ground_link_elevation_deg() -> None:
    """A range replaces the mask; without either, the default mask (25 deg)."""
    assert ground_link_elevation_deg(None, None) == DEFAULT_MIN_ELEVATION_DEG == 25.0
    assert ground_link_elevation_deg(40.0, None) == 40.0
    assert ground_link_elevation_deg(None, 1000.0) is None
