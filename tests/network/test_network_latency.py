"""The RTT components, each pinned to its source, and the 2026 PoP homing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leolink import api
from leolink.network import latency
from leolink.network.homing import (
    PopAssignment,
    feed_pops_by_country,
    load_pops_2026,
    pop_for_places,
)
from leolink.network.sites import ground_sites
from leolink.orbits.propagate import propagate

C_KM_PER_MS = 299_792.458 / 1000.0
AT = "2026-05-13T12:00:00Z"


def test_terrestrial_route_factor_is_the_conduit_factor_of_bozkurt_2018() -> None:
    # Bozkurt et al. 2018: shortest conduit paths are 1.3 x line of sight in the median;
    # light in fibre at 2/3 c.
    assert latency.TERRESTRIAL_ROUTE_FACTOR == 1.3
    assert latency.terrestrial_ms(1000.0) == pytest.approx(1300.0 / (C_KM_PER_MS * 2 / 3))


def test_access_is_six_frames_plus_a_request_grant_of_the_humphreys_frame() -> None:
    # Humphreys et al. 2023: 750 frames a second.
    frame_ms = 1000.0 / 750.0
    assert pytest.approx(1 / 750) == latency.ACCESS_FRAME_S
    assert latency.access_ms(0.0) == pytest.approx(7 * frame_ms)
    assert latency.access_ms(600.0) == pytest.approx(7 * frame_ms + 1200.0 / C_KM_PER_MS)


def test_processing_is_one_mtu_at_the_100_gbps_laser_rate_per_node_each_way() -> None:
    assert latency.processing_ms(1) == pytest.approx(2 * 1500 * 8 / 100e9 * 1000.0)


def test_pops_are_named_as_starlink_names_them_and_placed() -> None:
    pops = load_pops_2026()
    assert "frntdeu1" in pops.ids
    assert "dohaqat1" in pops.ids
    assert pops.names[pops.ids.index("frntdeu1")] == "Frankfurt, Germany"
    assert not (set(pops.ids) & {"rcxship1", "spxship1", "sea", "strespx2"})
    assert np.all(np.abs(pops.lat_deg) + np.abs(pops.lon_deg) > 0)


def test_homing_follows_the_geoip_feed_not_the_nearest_pop() -> None:
    # Doha is Qatar's PoP (the 2024 model sent Qatar to Frankfurt); Belgrade goes to Sofia;
    # Dubai is assigned Doha by the feed although Muscat is nearer.
    places = pop_for_places([25.28, 44.80, 25.20], [51.52, 20.46, 55.27])
    assert places.codes() == ["dohaqat1", "sfiabgr1", "dohaqat1"]
    assert places.source == ("geoip", "geoip", "geoip")
    assert feed_pops_by_country()["AE"] == ("dohaqat1",)


def test_a_country_without_feed_entries_falls_back_to_the_nearest_pop() -> None:
    place = pop_for_places([39.03], [125.75])  # Pyongyang: Starlink has no users there
    assert place.source == ("nearest",)
    assert place.country == ("KP",)
    assert place.codes() == ["tkyojpn1"]


@pytest.fixture(scope="module")
def network() -> api.Network:  # type: ignore[name-defined]
    return api.build_network(api.load_catalog(), pops=False)


def test_every_pop_is_reachable_from_a_terminal_beside_it(network) -> None:  # type: ignore[no-untyped-def]
    pops = load_pops_2026()
    points = ground_sites(pops.lat_deg, pops.lon_deg, kind="terminal")
    homed = PopAssignment(
        pops=pops,
        pop=np.arange(len(pops), dtype=np.int64),
        country=("",) * len(pops),
        source=("test",) * len(pops),
    )
    r = propagate(network.catalog, np.datetime64(AT[:-1], "ns")).r_itrs_km[:, 0, :]
    samples = latency.rtt_samples(network, r, points, homed)
    assert set(samples.point.tolist()) == set(range(len(pops)))
    assert np.all(np.isfinite(samples.rtt_ms))
    assert np.all(samples.gateway >= 0)
    total = sum(getattr(samples, c) for c in latency.COMPONENTS)
    np.testing.assert_allclose(total, samples.rtt_ms)
    # Space: at least up and down, twice, to the lowest shells (~340 km, Starlink's VLEO).
    assert np.all(samples.propagation_space_ms >= 2 * 2 * 330.0 / C_KM_PER_MS)
    assert np.all(samples.propagation_ground_ms >= 0)


@settings(max_examples=5, deadline=None)
@given(st.floats(-55, 60), st.floats(-180, 179.9))
def test_the_best_satellite_is_the_minimum_and_components_add_up(
    network,
    lat: float,
    lon: float,  # type: ignore[no-untyped-def]
) -> None:
    (row,) = api.latency_table(network, AT, places=[(lat, lon)])
    if row.samples:
        assert row.min_rtt_ms <= row.median_rtt_ms <= row.p90_rtt_ms
        parts = sum(getattr(row, c) for c in latency.COMPONENTS)
        # The median sample's components add up to it (odd counts) or to its lower neighbour.
        assert parts <= row.median_rtt_ms + 1e-9
