"""Routes: shortest by delay (checked with networkx on graphs built here), hops, RTT, failures."""

from __future__ import annotations

import itertools
import json
import math
from functools import cache

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leolink.errors import InputError
from leolink.network import (
    FIBRE_VELOCITY_FACTOR,
    SPEED_OF_LIGHT_KM_S,
    HypatiaShell,
    Network,
    build_network,
    delays_between,
    forwarding_state,
    graph_from_positions,
    great_circle_km,
    ground_sites,
    hypatia_compatible_shell,
    internet_rtt_ms,
    network_graph,
    route,
    route_in,
    route_on,
    shortest_delays,
)
from leolink.orbits.frames import geodetic_to_itrs
from leolink.orbits.loading import load_catalog
from leolink.orbits.propagate import propagate

C_KM_PER_MS = SPEED_OF_LIGHT_KM_S / 1000.0
#: Delays from two shortest-path codes summing the same lengths in other orders, ms.
SUMMATION_TOLERANCE_MS = 1e-9
#: Lengths recovered from geodetic hop coordinates (lat, lon, alt round trip), km.
ROUND_TRIP_KM = 1e-6

PARIS, LONDON, LUANDA = (48.85341, 2.3488), (51.50853, -0.12574), (-8.83682, 13.23432)
REAL_AT = "2026-05-13T12:00:00Z"


@cache
def big_shell() -> HypatiaShell:
    return hypatia_compatible_shell()


@cache
def small_shell() -> HypatiaShell:
    """6 orbits of 8 satellites at 53 deg: 48 satellites, each of its graphs checkable by hand."""
    return hypatia_compatible_shell(6, 8, max_gsl_km=3000.0)


def hypatia_network(s: HypatiaShell, **options: object) -> Network:
    defaults: dict[str, object] = {
        "neighbours": s.neighbours,
        "gateways": False,
        "pops": False,
        "min_elevation_deg": None,
        "max_gsl_km": s.max_gsl_km,
        "max_isl_km": s.max_isl_km,
    }
    return build_network(s.catalog, **{**defaults, **options})  # type: ignore[arg-type]


@cache
def real_catalog_network(isl: str, relays: bool) -> Network:
    return build_network(load_catalog(), isl=isl, ground_relays=relays)


def independent_graph(
    s: HypatiaShell, r: np.ndarray, points: list[tuple[float, float]]
) -> nx.Graph:
    """Hypatia's graph, built here with loops: +Grid lasers (i,j)-(i,j+1), (i,j)-(i+1,j)."""
    planes, per_plane = int(s.plane.max()) + 1, int(s.slot.max()) + 1
    graph = nx.Graph()
    for i in range(planes):
        for j in range(per_plane):
            a = i * per_plane + j
            for b in (i * per_plane + (j + 1) % per_plane, ((i + 1) % planes) * per_plane + j):
                d = float(np.linalg.norm(r[a] - r[b]))
                if d <= s.max_isl_km:
                    graph.add_edge(a, b, weight=d)
    for e, (lat, lon) in enumerate(points):
        p = geodetic_to_itrs(lat, lon, 0.0)
        for k in range(len(r)):
            d = float(np.linalg.norm(r[k] - p))
            if d <= s.max_gsl_km:
                graph.add_edge(("ground", e), k, weight=d)
    return graph


@settings(max_examples=25, deadline=None)
@given(
    seconds=st.floats(0, 6000),
    lat=st.lists(st.floats(-60, 60), min_size=2, max_size=2),
    lon=st.lists(st.floats(-180, 180), min_size=2, max_size=2),
)
def test_shortest_delay_matches_networkx(
    seconds: float, lat: list[float], lon: list[float]
) -> None:
    """On the small shell, the route's one-way delay is networkx's shortest length over c."""
    s = small_shell()
    at = s.epoch + np.timedelta64(round(seconds * 1e9), "ns")
    points = list(zip(lat, lon, strict=True))
    result = route_on(hypatia_network(s), at, points[0], points[1])
    r = propagate(s.catalog, at).r_itrs_km[:, 0, :]
    graph = independent_graph(s, r, points)
    try:
        length_km = nx.shortest_path_length(graph, ("ground", 0), ("ground", 1), weight="weight")
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        assert not result.reachable
        return
    assert result.reachable
    assert result.one_way_ms == pytest.approx(length_km / C_KM_PER_MS, abs=SUMMATION_TOLERANCE_MS)


def test_big_shell_routes_match_networkx() -> None:
    s = big_shell()
    points = [PARIS, (35.6895, 139.69171)]  # Paris, Tokyo
    at = s.epoch + np.timedelta64(77, "s")
    r = propagate(s.catalog, at).r_itrs_km[:, 0, :]
    length_km = nx.shortest_path_length(
        independent_graph(s, r, points), ("ground", 0), ("ground", 1), weight="weight"
    )
    result = route_on(hypatia_network(s), at, *points)
    assert result.one_way_ms == pytest.approx(length_km / C_KM_PER_MS, abs=SUMMATION_TOLERANCE_MS)


def check_path_arithmetic(result_path: tuple, rtt_ms: float) -> None:
    """Each link's length is the distance between its hops; RTT = 2 sum(length / speed)."""
    one_way = 0.0
    for previous, hop in itertools.pairwise(result_path):
        if hop.link == "fibre":
            km = float(
                great_circle_km(previous.lat_deg, previous.lon_deg, hop.lat_deg, hop.lon_deg)
            )
            one_way += km / (C_KM_PER_MS * FIBRE_VELOCITY_FACTOR)
        else:
            a = geodetic_to_itrs(previous.lat_deg, previous.lon_deg, previous.alt_km)
            b = geodetic_to_itrs(hop.lat_deg, hop.lon_deg, hop.alt_km)
            km = float(np.linalg.norm(a - b))
            one_way += km / C_KM_PER_MS
        assert hop.link_km == pytest.approx(km, abs=ROUND_TRIP_KM)
        assert hop.delay_ms == pytest.approx(one_way, abs=1e-9)
    assert rtt_ms == pytest.approx(2 * one_way, abs=1e-9)


def test_rtt_is_twice_the_sum_of_hop_lengths_over_c() -> None:
    result = route_on(hypatia_network(big_shell()), big_shell().epoch, PARIS, LUANDA)
    assert result.reachable
    assert result.hops == len(result.path) - 1
    assert result.path[0].delay_ms == 0.0
    assert [h.kind for h in result.path[1:-1]] == ["satellite"] * (result.hops - 1)
    assert [h.link for h in result.path] == ["", "gsl"] + ["isl"] * (result.hops - 2) + ["gsl"]
    assert (result.path[0].id, result.path[-1].id) == ("from", "to")
    check_path_arithmetic(result.path, result.rtt_ms)


def test_bent_pipe_against_lasers() -> None:
    """Paris-London fits under one satellite; Paris-Luanda needs lasers (or ground relays)."""
    s = big_shell()
    lasers, bent = hypatia_network(s), hypatia_network(s, isl="none")
    for t in (0, 60, 120):
        at = s.epoch + np.timedelta64(t, "s")
        with_lasers, bent_pipe = (
            route_on(lasers, at, PARIS, LONDON),
            route_on(bent, at, PARIS, LONDON),
        )
        assert bent_pipe.reachable
        assert bent_pipe.hops == 2
        assert with_lasers.rtt_ms <= bent_pipe.rtt_ms + SUMMATION_TOLERANCE_MS
        far = route_on(bent, at, PARIS, LUANDA)
        assert not far.reachable
        assert far.reason == "no path between the satellites that see the start and the destination"
        assert math.isnan(far.rtt_ms)
        assert far.path == ()


def test_ground_relays_only_when_allowed() -> None:
    """Bent pipe over the real catalog: Seattle-Miami only by bouncing through US gateways."""
    seattle, miami = (47.61, -122.33), (25.76, -80.19)
    barred = route_on(real_catalog_network("none", False), REAL_AT, seattle, miami)
    assert not barred.reachable
    relayed = route_on(real_catalog_network("none", True), REAL_AT, seattle, miami)
    assert relayed.reachable
    middle = [h.kind for h in relayed.path[1:-1]]
    assert "gateway" in middle
    assert set(middle) == {"satellite", "gateway"}
    assert all(h.link == "gsl" for h in relayed.path[1:])
    check_path_arithmetic(relayed.path, relayed.rtt_ms)
    # with lasers, no relay is needed and the path stays in space
    lasers = route_on(real_catalog_network("plus-grid", False), REAL_AT, seattle, miami)
    assert {h.kind for h in lasers.path[1:-1]} == {"satellite"}


def test_terminal_to_the_internet() -> None:
    """Kyiv over the real catalog: up, lasers, down to a gateway, fibre to that gateway's PoP."""
    network = real_catalog_network("plus-grid", False)
    kyiv = (50.45, 30.52)
    result = route_on(network, REAL_AT, kyiv)
    assert result.reachable
    assert result.path[-1].kind == "pop"
    assert result.path[-1].link == "fibre"
    assert result.path[-2].kind == "gateway"
    gateway = network.gateways.ids.index(result.path[-2].id)
    assert result.path[-1].id == network.pops.ids[network.gateway_pop[gateway]]
    assert {h.kind for h in result.path[1:-2]} == {"satellite"}
    check_path_arithmetic(result.path, result.rtt_ms)
    # the PoP chosen is the nearest in delay: no other PoP is reached sooner
    for pop in network.pops.ids:
        other = route_on(network, REAL_AT, kyiv, pop=pop)
        assert not other.reachable or other.rtt_ms >= result.rtt_ms - SUMMATION_TOLERANCE_MS
    with pytest.raises(InputError, match="not a PoP of this network"):
        route_on(network, REAL_AT, kyiv, pop="POP99")


def test_route_to_a_pop_matches_networkx() -> None:
    """Terminals to PoPs with 3 gateways, built independently here as a directed graph."""
    s = small_shell()
    gateways = ground_sites(
        [40.0, -5.0, 35.0], [10.0, 20.0, 140.0], max_links=[2, 3, 1], kind="gateway"
    )
    pops = ground_sites([45.0, -10.0], [9.0, 25.0], kind="pop")
    network = hypatia_network(
        s, gateways=gateways, pops=pops, min_elevation_deg=10.0, max_gsl_km=None
    )
    terminals = ground_sites([30.0, -20.0, 50.0], [15.0, 10.0, 150.0])
    for t in range(0, 6000, 500):
        at = s.epoch + np.timedelta64(t, "s")
        graph = network_graph(network, at, terminals)
        r = graph.r_sat_itrs_km
        digraph = nx.DiGraph()
        pairs = network.isl_pairs
        for a, b in pairs.tolist():
            d = float(np.linalg.norm(r[a] - r[b]))
            if d <= s.max_isl_km:
                digraph.add_edge(a, b, weight=d / C_KM_PER_MS)
                digraph.add_edge(b, a, weight=d / C_KM_PER_MS)
        for g in range(3):
            p, up = gateways.r_itrs_km[g], gateways.up[g]
            seen = sorted(
                (float(np.linalg.norm(r[k] - p)), k)
                for k in range(len(r))
                if np.dot(r[k] - p, up) >= math.sin(math.radians(10.0)) * np.linalg.norm(r[k] - p)
            )
            for d, k in seen[: gateways.max_links[g]]:
                digraph.add_edge(k, ("gw", g), weight=d / C_KM_PER_MS)
            home = int(
                np.argmin(
                    [
                        great_circle_km(
                            gateways.lat_deg[g],
                            gateways.lon_deg[g],
                            pops.lat_deg[q],
                            pops.lon_deg[q],
                        )
                        for q in range(2)
                    ]
                )
            )
            km = float(
                great_circle_km(
                    gateways.lat_deg[g], gateways.lon_deg[g], pops.lat_deg[home], pops.lon_deg[home]
                )
            )
            digraph.add_edge(
                ("gw", g), ("pop", home), weight=km / (C_KM_PER_MS * FIBRE_VELOCITY_FACTOR)
            )
        for e in range(3):
            p, up = terminals.r_itrs_km[e], terminals.up[e]
            for k in range(len(r)):
                d = float(np.linalg.norm(r[k] - p))
                if np.dot(r[k] - p, up) >= math.sin(math.radians(10.0)) * d:
                    digraph.add_edge(("terminal", e), k, weight=d / C_KM_PER_MS)
            lengths = (
                nx.single_source_dijkstra_path_length(digraph, ("terminal", e))
                if digraph.has_node(("terminal", e))
                else {}
            )
            best = min((lengths.get(("pop", q), math.inf) for q in range(2)), default=math.inf)
            result = route_in(graph, e)
            if math.isinf(best):
                assert not result.reachable
            else:
                assert result.one_way_ms == pytest.approx(best, abs=SUMMATION_TOLERANCE_MS)


def test_forwarding_state_agrees_with_shortest_delays() -> None:
    """Following next hops from every city reaches each destination, and in the same delay."""
    s = small_shell()
    network = hypatia_network(s)
    cities = ground_sites([48.85, -8.84, 35.69, 40.71], [2.35, 13.23, 139.69, -74.0])
    graph = network_graph(network, s.epoch + np.timedelta64(300, "s"), cities)
    sinks = np.asarray(graph.sink_node(np.arange(4)))
    sources = np.asarray(graph.source_node(np.arange(4)))
    state = forwarding_state(graph, sinks)
    delays, _ = shortest_delays(graph, sources)
    for d, sink in enumerate(sinks):
        for k, source in enumerate(sources):
            expected = delays[k, sink]
            assert state.delay_ms[d, source] == pytest.approx(
                expected, abs=SUMMATION_TOLERANCE_MS
            ) or (math.isinf(expected) and math.isinf(state.delay_ms[d, source]))
            if not math.isfinite(expected):
                assert state.next_hop[d, source] == -1
                continue
            node, walked = int(source), 0.0
            while node != sink:
                nxt = int(state.next_hop[d, node])
                walked += graph.delay_ms(node, nxt)
                node = nxt
            assert walked == pytest.approx(expected, abs=SUMMATION_TOLERANCE_MS)
    assert np.all(state.next_hop[np.arange(4), sinks] == -1)


def test_delays_between_either_way_round() -> None:
    """Searching from the sources or from the targets (reversed graph) gives the same table."""
    s = small_shell()
    network = hypatia_network(s)
    cities = ground_sites([48.85, -8.84, 35.69, 40.71, -33.87], [2.35, 13.23, 139.69, -74.0, 151.2])
    graph = network_graph(network, s.epoch + np.timedelta64(300, "s"), cities)
    sources = np.asarray(graph.source_node(np.arange(5)))
    targets = np.asarray(graph.sink_node(np.arange(2)))
    full, _ = shortest_delays(graph, sources)
    many_to_few = delays_between(graph, sources, targets)  # 2 searches over the reversed graph
    few_to_many = delays_between(graph, sources[:1], np.concatenate([targets, sources[1:]]))
    assert many_to_few.shape == (5, 2)
    np.testing.assert_allclose(many_to_few, full[:, targets], atol=SUMMATION_TOLERANCE_MS)
    np.testing.assert_allclose(few_to_many[0, :2], full[0, targets], atol=SUMMATION_TOLERANCE_MS)
    assert np.isfinite(many_to_few).any()
    assert delays_between(graph, [], targets).shape == (0, 2)


def test_unreachable_is_a_result() -> None:
    """No satellite of a 53 deg shell is in view near the South Pole; no PoP without gateways."""
    network = hypatia_network(big_shell())
    pole = (-89.9, 0.0)
    start = route_on(network, big_shell().epoch, pole, PARIS)
    assert not start.reachable
    assert start.reason == "no satellite in view of the start (within 1089.69 km)"
    end = route_on(network, big_shell().epoch, PARIS, pole)
    assert end.reason == "no satellite in view of the destination (within 1089.69 km)"
    internet = route_on(network, big_shell().epoch, PARIS)
    assert (
        internet.reason == "no gateways or PoPs in the network: give a destination, or use gateways"
    )
    record = start.as_dict()
    assert record["rtt_ms"] is None
    assert record["path"] == []
    assert json.loads(json.dumps(record))["reachable"] is False
    masked = build_network(
        big_shell().catalog, neighbours=big_shell().neighbours, gateways=False, pops=False
    )
    assert route_on(masked, big_shell().epoch, pole, PARIS).reason == (
        "no satellite in view of the start (above 25 deg elevation)"
    )


def test_route_facade_and_bad_input() -> None:
    """`route` builds the network and routes; it refuses malformed points with the value."""
    s = big_shell()
    options = {
        "neighbours": s.neighbours,
        "gateways": False,
        "pops": False,
        "min_elevation_deg": None,
        "max_gsl_km": s.max_gsl_km,
    }
    at = s.epoch + np.timedelta64(46_800, "ms")
    result = route(s.catalog, at, PARIS, LUANDA, **options)  # type: ignore[arg-type]
    assert 117.0 <= result.rtt_ms < 118.0  # default max_isl_km is Hypatia's
    record = result.as_dict()
    assert record["at"] == "2000-01-01T00:00:46.8Z"
    assert set(record) == {"at", "reachable", "rtt_ms", "one_way_ms", "hops", "path", "reason"}
    assert json.loads(json.dumps(record))["hops"] == result.hops
    with pytest.raises(InputError, match="latitude must be in"):
        route(s.catalog, at, (95.0, 0.0), LUANDA, **options)  # type: ignore[arg-type]
    graph = graph_from_positions(
        hypatia_network(s), propagate(s.catalog, at).r_itrs_km[:, 0, :], ground_sites([0.0], [0.0])
    )
    with pytest.raises(InputError, match=r"must be in \[0, 1\)"):
        route_in(graph, 0, 3)


def test_internet_rtt_for_many_terminals_is_each_routes_rtt() -> None:
    """One search for all terminals gives each one's `route_in` RTT (NaN where unreachable)."""
    s = small_shell()
    gateways = ground_sites(
        [40.0, -5.0, 35.0], [10.0, 20.0, 140.0], max_links=[2, 3, 1], kind="gateway"
    )
    pops = ground_sites([45.0, -10.0], [9.0, 25.0], kind="pop")
    network = hypatia_network(
        s, gateways=gateways, pops=pops, min_elevation_deg=10.0, max_gsl_km=None
    )
    rng = np.random.default_rng(11)
    terminals = ground_sites(
        np.append(rng.uniform(-60, 60, 40), -89.9), np.append(rng.uniform(-180, 180, 40), 0.0)
    )
    for t in (0, 1500, 3000):
        graph = network_graph(network, s.epoch + np.timedelta64(t, "s"), terminals)
        rtt = internet_rtt_ms(graph)
        assert rtt.shape == (41,)
        assert math.isnan(rtt[-1])  # no satellite of a 53 deg shell sees the South Pole
        for e in range(41):
            result = route_in(graph, e)
            if result.reachable:
                assert rtt[e] == pytest.approx(result.rtt_ms, abs=SUMMATION_TOLERANCE_MS)
            else:
                assert math.isnan(rtt[e])
    no_pops = hypatia_network(
        s, gateways=gateways, pops=False, min_elevation_deg=10.0, max_gsl_km=None
    )
    assert np.all(np.isnan(internet_rtt_ms(network_graph(no_pops, s.epoch, terminals))))
