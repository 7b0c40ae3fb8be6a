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
    feed_places,
    feed_pops_by_country,
    load_pops_2026,
    pop_for_places,
)
from leolink.network.sites import great_circle_km, ground_sites, load_gateways
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
    assert places.source == ("geoip-city",) * 3
    assert places.place == ("Doha, QA-DA", "Belgrade, RS-00", "Dubai, AE-DU")
    assert feed_pops_by_country()["AE"] == ("dohaqat1",)


def test_homing_is_by_the_feeds_city_where_the_feed_is_finer() -> None:
    # The US feed has a place per metro area: Seattle, Miami and Denver each keep their own
    # PoP; Cusco is homed as Lima's users (limaper1), Singapore to sngesgp1.
    points = [(47.61, -122.33), (25.77, -80.19), (39.74, -104.99), (-13.53, -71.97), (1.35, 103.82)]
    homed = pop_for_places([p[0] for p in points], [p[1] for p in points])
    assert homed.codes() == ["sttlwax1", "mmmiflx1", "dnvrcox1", "limaper1", "sngesgp1"]
    assert homed.place[:3] == ("Seattle, US-WA", "Miami, US-FL", "Denver, US-CO")
    assert homed.place[3] == "Lima, PE-LMA"
    # The feed puts all of France in Paris, on four PoPs: each point gets the nearest of them.
    france = pop_for_places([48.85, 43.30], [2.35, 5.37])
    assert france.codes() == ["lndngbr1", "mlnnita1"]
    assert france.place == ("Paris, FR-IDF", "Paris, FR-IDF")
    assert set(france.codes()) <= set(feed_pops_by_country()["FR"])


def test_a_feed_country_without_placed_cities_is_homed_at_country_level() -> None:
    # Mayotte's feed row names the territory, not a city GeoNames knows.
    assert "YT" not in feed_places().country
    homed = pop_for_places([-12.78], [45.23], countries=["YT"])
    assert homed.source == ("geoip-country",)
    assert homed.codes()[0] in feed_pops_by_country()["YT"]


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


def test_gateways_backhaul_to_their_home_pop_then_over_the_backbone() -> None:
    # Bozkurt et al. 2018's route factor on both legs: gateway to its nearest PoP, PoP to PoP.
    gateways, pops = load_gateways(), load_pops_2026()
    home, path_km = latency.backhaul_km(gateways, pops)
    assert np.all(np.isfinite(path_km))  # every PoP has a ground path from every gateway
    g = gateways.ids.index("GS213")
    to_home = great_circle_km(gateways.lat_deg[g], gateways.lon_deg[g], *_at(pops, home[g]))
    assert path_km[g, home[g]] == pytest.approx(1.3 * to_home)
    lima = pops.ids.index("limaper1")
    onward = great_circle_km(*_at(pops, home[g]), *_at(pops, lima))
    assert path_km[g, lima] == pytest.approx(1.3 * (to_home + onward))


def _at(sites, i):  # type: ignore[no-untyped-def]
    return sites.lat_deg[i], sites.lon_deg[i]


def test_lima_and_singapore_are_reached_by_their_own_users(network) -> None:  # type: ignore[no-untyped-def]
    (lima, singapore) = api.latency_table(network, AT, places=[(-12.05, -77.04), (1.35, 103.82)])
    assert (lima.pop, singapore.pop) == ("limaper1", "sngesgp1")
    assert lima.samples > 0
    assert singapore.samples > 0
    assert lima.reachable_pct == singapore.reachable_pct == 100.0


def test_point_stats_are_numpys_median_and_percentile(network) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    points = ground_sites(rng.uniform(-50, 55, 40), rng.uniform(-180, 180, 40), kind="terminal")
    homed = pop_for_places(points.lat_deg, points.lon_deg)
    r = propagate(network.catalog, np.datetime64(AT[:-1], "ns")).r_itrs_km[:, 0, :]
    samples = latency.PopPaths(network, r).samples(points, homed.pop)
    stats, count = latency.point_stats(samples, len(points))
    for i in range(len(points)):
        mine = samples.rtt_ms[samples.point == i]
        assert count[i] == len(mine)
        if len(mine) == 0:
            assert np.all(np.isnan(stats[i]))
            continue
        expected = [mine.min(), np.median(mine), np.percentile(mine, 90)]
        np.testing.assert_allclose(stats[i, :3], expected)
        assert stats[i, 3:].sum() == pytest.approx(np.sort(mine)[(len(mine) - 1) // 2])


def test_the_route_and_its_latency_are_labelled_estimates(network) -> None:  # type: ignore[no-untyped-def]
    route, row = latency.internet_route(network, AT, (-12.05, -77.04))
    assert row is not None
    assert route.path[-1].id == "limaper1"
    assert route.path[-1].name == "Lima, Peru"
    record = latency.latency_record(row, network.catalog.days_from_epochs(np.datetime64(AT[:-1])))
    assert record["estimate"].startswith("model estimate")
    assert 0 <= record["catalog_age_days"] < 2
    assert record["geoip_feed_date"] == "2026-05-13"


def test_propagation_components_are_the_routes_light_time(network) -> None:  # type: ignore[no-untyped-def]
    # Space and ground of the best sample are the lowest-delay route to the same PoP, hop by
    # hop (radio and lasers at c, fibre at 2/3 c over the backhaul path): nothing else is in them.
    points = [(-12.05, -77.04), (1.35, 103.82), (25.28, 51.52), (50.11, 8.68)]
    sites = ground_sites([p[0] for p in points], [p[1] for p in points], kind="terminal")
    homed = pop_for_places(sites.lat_deg, sites.lon_deg)
    r = propagate(network.catalog, np.datetime64(AT[:-1], "ns")).r_itrs_km[:, 0, :]
    samples = latency.PopPaths(network, r).samples(sites, homed.pop)
    light = samples.propagation_space_ms + samples.propagation_ground_ms
    for i, point in enumerate(points):
        route, _ = latency.internet_route(network, AT, point)
        assert route.path[-1].id == homed.codes()[i]
        assert light[samples.point == i].min() == pytest.approx(route.rtt_ms, abs=1e-9)
        fibre = route.path[-1]
        assert fibre.link == "fibre"
        best = np.argmin(np.where(samples.point == i, light, np.inf))
        assert samples.propagation_ground_ms[best] == pytest.approx(
            2 * fibre.link_km / (C_KM_PER_MS * 2 / 3), rel=1e-12
        )
