"""The serving satellite: the same as ``leolink visible`` says, exactly, or honestly unchecked."""

from __future__ import annotations

import numpy as np
import pytest

from leolink import api
from leolink.errors import InputError
from leolink.network import ground_sites, network_graph, pop_for_places, route_in, via_pop
from leolink.orbits.frames import itrs_to_topocentric
from leolink.orbits.propagate import propagate
from leolink.policy.batch import decide_batch
from leolink.policy.sky import Sky
from tests.policy.factory import europe_statuses, history

AT = np.datetime64("2026-05-13T12:00:00", "ns")
#: Elevations from the k-d tree path and from frames.itrs_to_topocentric differ by rounding only.
ELEVATION_TOLERANCE_DEG = 1e-9


@pytest.fixture(scope="module")
def sky() -> Sky:
    return Sky(api.load_catalog())


def test_without_routes_serving_is_the_highest_broadband_satellite_visible_reports() -> None:
    """No network: the highest satellite above the mask that ``visible`` lists, not a [DTC] one."""
    sky = Sky(api.load_catalog(), network=False)
    for lat, lon in [(50.45, 30.52), (25.03, 121.56), (-77.8, 166.7), (0.0, -150.0), (89.9, 10.0)]:
        visible = api.visible(sky.catalog, lat_deg=lat, lon_deg=lon, at=AT, min_elevation_deg=25.0)
        visible = [v for v in visible if "[DTC]" not in v.name]
        check = sky.serving(lat, lon, AT)
        assert check.checked
        assert check.serving is not None
        assert check.serving.norad_id == visible[0].norad_id
        assert abs(check.serving.elevation_deg - visible[0].elevation_deg) < ELEVATION_TOLERANCE_DEG


def test_best_is_exact_against_brute_force(sky: Sky) -> None:
    """Over random observers, the best satellite equals the maximum over every satellite."""
    rng = np.random.default_rng(5)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 400)))
    lon = rng.uniform(-180, 180, 400)
    index, elevation = sky.best(lat, lon, AT)
    eph = propagate(sky.catalog, np.asarray([AT]))
    el, _, _ = itrs_to_topocentric(eph.r_itrs_km[:, 0, :][None], lat[:, None], lon[:, None], 0.0)
    el = np.where(np.isfinite(el), el, -90.0)
    el[:, np.array(["[DTC]" in name for name in sky.catalog.names])] = -90.0  # never serve
    best = np.argmax(el, axis=1)
    top = el[np.arange(len(lat)), best]
    above = top >= 25.0
    assert np.array_equal(index >= 0, above)
    assert np.array_equal(index[above], best[above])
    assert np.allclose(elevation[above], top[above], atol=ELEVATION_TOLERANCE_DEG)
    counts = sky.count_above_mask(lat[:100], lon[:100], AT)
    assert np.array_equal(counts, np.sum(el[:100] >= 25.0, axis=1))


def test_a_stale_instant_is_not_checked(sky: Sky) -> None:
    check = sky.serving(50.45, 30.52, np.datetime64("2022-09-16T22:00:00", "ns"))
    assert not check.checked
    assert check.serving is None
    assert "not checked" in check.note
    checked, index, _ = sky.best_many(
        np.asarray([50.45, 50.45]),
        np.asarray([30.52, 30.52]),
        np.asarray(["2022-09-16T22:00", "2026-05-13T12:00"], dtype="datetime64[ns]"),
    )
    assert checked.tolist() == [False, True]
    assert index[0] == -1
    assert index[1] >= 0


def test_one_satellite_leaves_most_places_without_one() -> None:
    lonely = Sky(api.load_catalog().take([0]))
    rng = np.random.default_rng(2)
    index, _ = lonely.best(rng.uniform(-60, 60, 200), rng.uniform(-180, 180, 200), AT)
    assert (index == -1).sum() > 190


def test_bad_mask_is_refused() -> None:
    with pytest.raises(InputError, match="not an elevation"):
        Sky(api.load_catalog(), min_elevation_deg=95.0)


#: The route's delays are sums of the same link delays in another order: rounding only.
RTT_TOLERANCE_MS = 1e-6
ROUTE_POINTS = [
    (48.8534, 2.3488),
    (-8.8383, 13.2344),
    (40.71, -74.0),
    (-33.87, 151.21),
    (35.69, 139.69),
    (0.0, -140.0),
    (64.84, -147.72),
    (-75.0, 0.0),
]


def test_route_to_the_internet_equals_network_route(sky: Sky) -> None:
    """Gateway, PoP, RTT and links equal `leolink.api.route` to the PoP the feed assigns."""
    for lat, lon in ROUTE_POINTS:
        serving = sky.serving(lat, lon, AT).serving
        route = api.route(sky.catalog, AT, (lat, lon))
        assert serving is not None
        assert route.reachable
        assert serving.rtt_ms is not None
        assert abs(serving.rtt_ms - route.rtt_ms) < RTT_TOLERANCE_MS
        assert serving.pop is not None
        assert serving.pop.id == route.path[-1].id
        assert serving.gateway is not None
        assert serving.gateway.id == route.path[-2].id
        assert serving.hops == route.hops
        assert serving.norad_id == int(route.path[1].id)  # the route's first hop serves
        assert serving.elevation_deg >= sky.min_elevation_deg


def test_internet_many_answers_each_instant_from_its_own_graph(sky: Sky) -> None:
    rng = np.random.default_rng(5)
    lat, lon = rng.uniform(-55, 55, 300), rng.uniform(-180, 180, 300)
    later = AT + np.timedelta64(90, "s")
    at = np.where(np.arange(300) % 2 == 0, AT, later)
    many = sky.internet_many(lat, lon, at)
    assert many is not None
    for t in (AT, later):
        rows = np.flatnonzero(at == t)
        one = sky.internet(lat[rows], lon[rows], t)
        assert one is not None
        np.testing.assert_array_equal(many.pop[rows], one.pop)
        np.testing.assert_array_equal(many.one_way_ms[rows], one.one_way_ms)
    assert np.mean(many.is_reachable()) > 0.9


def test_no_route_is_a_reason_not_an_error() -> None:
    catalog = api.load_catalog()
    no_gateways = Sky(catalog, network=api.build_network(catalog, gateways=False, pops=False))
    check = no_gateways.serving(48.8534, 2.3488, AT)
    assert check.serving is not None
    assert check.serving.rtt_ms is None
    assert check.serving.pop is None
    assert check.serving.latency is None
    assert check.serving.to_dict()["gateway"] is None
    assert "no route to the Internet: the network has no gateways" in check.note


def test_without_a_network_the_serving_satellite_has_no_route() -> None:
    check = Sky(api.load_catalog(), network=False).serving(48.8534, 2.3488, AT)
    assert check.serving is not None
    assert check.serving.hops is None
    assert "Internet" not in check.note


def test_batch_routes_equal_single_decisions(sky: Sky) -> None:
    """`decide_batch` with a sky gives every allowed row the route `decide` gives it."""
    rng = np.random.default_rng(8)
    lat, lon = rng.uniform(47.0, 54.0, 40), rng.uniform(6.0, 32.0, 40)
    batch = decide_batch(history(europe_statuses()), lat, lon, AT, sky=sky)
    allowed = np.flatnonzero(batch.allowed)
    assert len(allowed) > 10
    for i in allowed.tolist():
        serving = batch.serving_of(i)
        assert serving is not None
        assert serving.rtt_ms is not None
        assert serving == batch.decision(i).serving


def test_serving_satellite_is_the_first_hop_and_never_direct_to_cell(sky: Sky) -> None:
    """At 60 places and three instants of the catalog's day: the decision's serving satellite is
    the first satellite of `route_in`'s route to the PoP the GeoIP feed assigns, and never a
    [DTC] one; its PoP is that PoP."""
    network = sky.network
    assert network is not None
    rng = np.random.default_rng(11)
    lat = np.degrees(np.arcsin(rng.uniform(-0.85, 0.85, 60)))
    lon = rng.uniform(-180, 180, 60)
    places = ground_sites(lat, lon, ids=[str(i) for i in range(60)], kind="terminal")
    codes = pop_for_places(lat, lon).codes()
    served = 0
    for hours in (0, 9, 17):
        t = AT + np.timedelta64(hours, "h") - np.timedelta64(12, "h")
        graphs = {code: network_graph(via_pop(network, code), t, places) for code in set(codes)}
        for i in range(60):
            serving = sky.serving(float(lat[i]), float(lon[i]), t).serving
            route = route_in(graphs[codes[i]], i)
            if serving is None or serving.pop is None:
                assert not route.reachable
                continue
            served += 1
            assert "[DTC]" not in serving.name
            assert serving.pop.id == codes[i] == route.path[-1].id
            assert route.path[1].kind == "satellite"
            assert serving.norad_id == int(route.path[1].id)
            assert serving.rtt_ms is not None
            assert abs(serving.rtt_ms - route.rtt_ms) < RTT_TOLERANCE_MS
            assert serving.latency is not None
            assert serving.latency["min_rtt_ms"] <= serving.latency["median_rtt_ms"]
    assert served > 100
