"""Lasers on the real catalog through a day, and over time: within range, acquired and held."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from leolink import api
from leolink.errors import InputError
from leolink.network import (
    DEFAULT_MAX_ISL_KM,
    ISL_MIN_GRAZING_ALTITUDE_KM,
    Network,
    build_network,
    format_isls,
    graph_from_positions,
    ground_sites,
    hypatia_compatible_shell,
    isl_clearance_km,
    isl_lengths_km,
    isl_up,
    laser_day,
    parse_isls,
)
from leolink.orbits.propagate import propagate

#: SpaceX's stated laser range (Brashears, SPIE Photonics West, Jan 2024).
SPACEX_RANGE_KM = 5_400.0
C_KM_PER_MS = 299_792.458 / 1000.0


@cache
def real_network() -> Network:
    return build_network(api.load_catalog(), gateways=False, pops=False)


def test_default_range_is_spacexs() -> None:
    assert DEFAULT_MAX_ISL_KM == SPACEX_RANGE_KM
    assert real_network().max_isl_km == SPACEX_RANGE_KM


@pytest.mark.parametrize("hour", [0, 5, 11, 17, 23])
def test_no_laser_longer_than_its_range_on_the_real_catalog(hour: int) -> None:
    """At instants across 2026-05-13: every laser up is within 5,400 km and clear of the Earth
    by 80 km, and nearly all of the inferred +Grid is up (the structure holds over the day, not
    just where it was inferred)."""
    network = real_network()
    at = np.datetime64("2026-05-13T00:00:00", "ns") + np.timedelta64(hour * 3600 + 1234, "s")
    r = propagate(network.catalog, at).r_itrs_km[:, 0, :]
    graph = graph_from_positions(network, r, ground_sites([], [], ids=[]), at=at)
    s = graph.n_satellites
    lasers = graph.adjacency[:s, :s].tocoo()
    assert lasers.nnz == 2 * graph.lasers_up
    assert lasers.data.max() * C_KM_PER_MS <= SPACEX_RANGE_KM
    up_pairs = np.stack([lasers.row, lasers.col], axis=1)
    assert isl_clearance_km(r, up_pairs).min() >= ISL_MIN_GRAZING_ALTITUDE_KM
    lengths = isl_lengths_km(r, network.isl_pairs)
    clear = isl_clearance_km(r, network.isl_pairs) >= ISL_MIN_GRAZING_ALTITUDE_KM
    assert graph.lasers_up == np.count_nonzero((lengths <= SPACEX_RANGE_KM) & clear)
    assert graph.lasers_up >= 0.97 * len(network.isl_pairs)
    # Only settled satellites have lasers: none of them is manoeuvring.
    structure = api.infer_structure(network.catalog)
    assert np.all(structure.shell[network.isl_pairs] >= 0)


def test_no_laser_out_of_range_through_the_day() -> None:
    """Every 30 minutes of 2026-05-13 (and at an odd second, off any grid): the lasers of the
    routing graph are exactly those `laser_day` has up, none longer than 5,400 km or closer
    than 80 km to the ground."""
    network = real_network()
    start = np.datetime64("2026-05-13T00:00:07", "ns")
    times = start + np.arange(0, 86_400, 1_800).astype("timedelta64[s]")
    day = laser_day(network, times)
    assert day.max_up_km <= SPACEX_RANGE_KM
    r = propagate(network.catalog, times).r_itrs_km
    nobody = ground_sites([], [], ids=[])
    for k, at in enumerate(times):
        graph = graph_from_positions(network, r[:, k, :], nobody, at=at)
        s = graph.n_satellites
        lasers = graph.adjacency[:s, :s].tocoo()
        up = lasers.row < lasers.col
        in_graph = np.stack([lasers.row[up], lasers.col[up]], axis=1)
        expected = network.isl_pairs[day.up[:, k]]
        np.testing.assert_array_equal(np.unique(in_graph, axis=0), expected)
        assert lasers.data.max() * C_KM_PER_MS <= SPACEX_RANGE_KM
        assert isl_clearance_km(r[:, k, :], expected).min() >= ISL_MIN_GRAZING_ALTITUDE_KM


def test_lasers_are_acquired_and_held() -> None:
    """A Hypatia shell with the laser range cut below its longest cross-plane links: links come
    and go with the geometry, each acquisition is a link coming up, and every link up is in
    range at that instant."""
    shell = hypatia_compatible_shell(34, 34, inclination_deg=51.9, mean_motion_rev_per_day=14.8)

    def lasers_only(max_isl_km: float) -> Network:
        return build_network(
            shell.catalog,
            neighbours=shell.neighbours,
            gateways=False,
            pops=False,
            min_elevation_deg=None,
            max_gsl_km=1500.0,
            max_isl_km=max_isl_km,
        )

    full = lasers_only(DEFAULT_MAX_ISL_KM)
    times = shell.epoch + np.arange(0, 6000, 60).astype("timedelta64[s]")
    held = laser_day(full, times)
    assert held.up.all()  # in range all the time: acquired once, held
    assert held.acquisitions == len(full.isl_pairs)
    assert held.acquisitions_per_day == 0.0
    assert held.uptime == 1.0
    lengths = isl_lengths_km(propagate(shell.catalog, times[:1]).r_itrs_km[:, 0, :], full.isl_pairs)
    cut = float(np.percentile(lengths, 80))
    short = lasers_only(cut)
    day = laser_day(short, times)
    r = propagate(shell.catalog, times).r_itrs_km
    for k in range(len(times)):
        np.testing.assert_array_equal(
            day.up[:, k], isl_lengths_km(r[:, k, :], short.isl_pairs) <= cut
        )
    came_up = int(day.up[:, 0].sum() + (day.up[:, 1:] & ~day.up[:, :-1]).sum())
    assert day.acquisitions == came_up > int(day.up[:, 0].sum())
    assert 0.0 < day.uptime < 1.0
    assert day.max_up_km <= cut
    # Every acquisition after the first instant was a link coming back into range.
    assert day.causes["out_of_range"] == day.acquisitions - int(day.up[:, 0].sum())
    assert sum(day.causes.values()) == day.causes["out_of_range"]
    summary = day.summary()
    assert summary["acquisitions_by_cause"] == day.causes
    assert summary["acquisitions_per_laser_per_day"] == pytest.approx(
        day.acquisitions_per_day / day.lasers
    )
    assert summary["spacex_acquisitions_per_laser_per_day"] == pytest.approx(266_141 / 9_000)
    assert summary["assumptions"]


def test_replanning_a_walker_shell_keeps_its_links() -> None:
    """Inferring the +Grid again every 10 minutes finds the same partners on a Walker shell, so
    nothing is re-acquired: a link in two consecutive plans is held."""
    shell = hypatia_compatible_shell(34, 34, inclination_deg=51.9, mean_motion_rev_per_day=14.8)
    network = build_network(
        shell.catalog, gateways=False, pops=False, min_elevation_deg=None, max_gsl_km=1500.0
    )
    times = shell.epoch + np.arange(0, 3600, 60).astype("timedelta64[s]")
    held = laser_day(network, times)
    replanned = laser_day(network, times, replan_every_s=600.0)
    np.testing.assert_array_equal(replanned.pairs, network.isl_pairs)
    np.testing.assert_array_equal(replanned.up, held.up)
    assert replanned.acquisitions == held.acquisitions == len(network.isl_pairs)
    assert replanned.summary()["replan_every_s"] == 600.0
    with pytest.raises(InputError, match="replan_every_s"):
        laser_day(network, times, replan_every_s=0.0)


def test_clearance_of_lines_of_sight() -> None:
    """Heights of the lowest point of lasers between chosen points, against geometry by hand."""
    a_km, b_km = 6378.137, 6356.752314245179  # WGS84
    h = 550.0
    r = np.array(
        [
            [a_km + h, 0.0, 0.0],
            [0.0, a_km + h, 0.0],  # 90 deg along the equator: midpoint at (R+h)/sqrt(2)
            [-(a_km + h), 0.0, 0.0],  # the antipode: the line passes through the centre
            [0.0, 0.0, b_km + h],  # over the pole
            [a_km + h, 0.0, 100.0],  # 100 km from the first: the lowest point is an end
            [np.nan, 0.0, 0.0],
            [100.0, 0.0, b_km + h],  # 100 km from the one over the pole
        ]
    )
    pairs = np.array([[0, 1], [0, 2], [0, 4], [3, 6], [0, 5]])
    clearance = isl_clearance_km(r, pairs)
    np.testing.assert_allclose(clearance[0], (a_km + h) / math.sqrt(2.0) - a_km, atol=1e-9)
    np.testing.assert_allclose(clearance[1], -a_km, atol=1e-9)
    np.testing.assert_allclose(clearance[2], h, atol=1e-9)
    np.testing.assert_allclose(clearance[3], h * a_km / b_km, atol=1e-9)  # a / b at the pole
    assert np.isnan(clearance[4])
    up, lengths = isl_up(r, pairs[[0, 1, 2, 4]], max_isl_km=20_000.0)
    np.testing.assert_array_equal(up, [False, False, True, False])
    assert np.isnan(lengths[3])


def test_laser_day_refuses_bad_grids() -> None:
    with pytest.raises(InputError, match="empty"):
        laser_day(real_network(), np.array([], dtype="datetime64[ns]"))
    t = np.datetime64("2026-05-13T00:00:00", "ns")
    with pytest.raises(InputError, match="increase"):
        laser_day(real_network(), np.array([t, t]))


def test_isls_txt_round_trip_and_errors() -> None:
    pairs = np.array([[0, 1], [1, 2], [0, 5]], dtype=np.int64)
    text = format_isls(pairs)
    assert text == "0 1\n1 2\n0 5\n"
    np.testing.assert_array_equal(parse_isls(text + "\n2 1\n", 6), [[0, 1], [0, 5], [1, 2]])
    with pytest.raises(InputError, match=r"isls.txt, line 2: '0 x'"):
        parse_isls("0 1\n0 x\n", 6, source="isls.txt")
    with pytest.raises(InputError, match="names satellite 6, but the catalog has 6"):
        parse_isls("0 6\n", 6)
    with pytest.raises(InputError, match="to itself"):
        parse_isls("3 3\n", 6)
