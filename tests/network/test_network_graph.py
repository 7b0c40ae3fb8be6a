"""The graph of one instant: node layout, which links exist, and relaying barred by construction."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from leolink.errors import InputError
from leolink.network import (
    FIBRE_VELOCITY_FACTOR,
    SPEED_OF_LIGHT_KM_S,
    HypatiaShell,
    Network,
    NetworkGraph,
    NodeKind,
    build_network,
    graph_from_positions,
    great_circle_km,
    ground_sites,
    gsl_links,
    hypatia_compatible_shell,
    network_graph,
)
from leolink.orbits.propagate import propagate

C_KM_PER_MS = SPEED_OF_LIGHT_KM_S / 1000.0


@cache
def shell() -> HypatiaShell:
    return hypatia_compatible_shell()


def sites() -> tuple:
    """Two terminals, three gateways (2, 1, 5 antennas) and two PoPs in western Europe."""
    endpoints = ground_sites([48.85, 51.51], [2.35, -0.13], ids=["paris", "london"])
    gateways = ground_sites(
        [50.0, 45.0, 40.4], [8.0, 0.0, -3.7], max_links=[2, 1, 5], kind="gateway"
    )
    pops = ground_sites([50.1, 40.42], [8.68, -3.7], ids=["FRA", "MAD"], kind="pop")
    return endpoints, gateways, pops


def make_network(*, relays: bool = False, isl: str = "plus-grid", **options: float) -> Network:
    _, gateways, pops = sites()
    return build_network(
        shell().catalog,
        isl=isl,
        neighbours=shell().neighbours,
        gateways=gateways,
        pops=pops,
        ground_relays=relays,
        **options,
    )


def make_graph(network: Network, seconds: float = 0.0) -> NetworkGraph:
    endpoints, _, _ = sites()
    return network_graph(
        network, shell().epoch + np.timedelta64(int(seconds * 1e9), "ns"), endpoints
    )


def kinds(graph: NetworkGraph, nodes: np.ndarray) -> np.ndarray:
    return np.array([graph.node_kind(int(n))[0] for n in nodes])


def test_node_layout() -> None:
    graph = make_graph(make_network())
    s = 1584
    assert graph.n_satellites == s
    assert graph.n_nodes == s + 2 * 2 + 3 + 2
    assert (graph.source_node(1), graph.sink_node(1)) == (s + 1, s + 3)
    assert (graph.gateway_node(0), graph.pop_node(1)) == (s + 4, s + 8)
    assert graph.node_kind(0) == (NodeKind.SATELLITE, 0)
    assert graph.node_kind(s + 3) == (NodeKind.SINK, 1)
    assert graph.node_kind(s + 6) == (NodeKind.GATEWAY, 2)
    assert graph.node_kind(s + 8) == (NodeKind.POP, 1)
    with pytest.raises(InputError, match="not in this graph"):
        graph.node_kind(graph.n_nodes)


def test_ground_sites_cannot_relay_by_default() -> None:
    """Sources only send up, sinks only receive, gateways only pass on to their PoP."""
    graph = make_graph(make_network())
    a = graph.adjacency.tocoo()
    tail, head = kinds(graph, a.row), kinds(graph, a.col)
    assert not np.any(head == NodeKind.SOURCE)
    assert not np.any(tail == NodeKind.SINK)
    assert not np.any(tail == NodeKind.POP)
    assert set(head[tail == NodeKind.GATEWAY].tolist()) <= {NodeKind.POP}
    assert set(tail[head == NodeKind.GATEWAY].tolist()) == {NodeKind.SATELLITE}
    assert np.count_nonzero(tail == NodeKind.SOURCE) == graph.gsl_endpoint
    assert np.count_nonzero(head == NodeKind.GATEWAY) == graph.gsl_gateway


def test_ground_relays_add_the_links_back_up() -> None:
    barred, free = make_graph(make_network()), make_graph(make_network(relays=True))
    a = free.adjacency.tocoo()
    tail, head = kinds(free, a.row), kinds(free, a.col)
    assert np.count_nonzero((tail == NodeKind.SINK) & (head == NodeKind.SATELLITE)) == (
        barred.gsl_endpoint
    )
    assert np.count_nonzero((tail == NodeKind.GATEWAY) & (head == NodeKind.SATELLITE)) == (
        barred.gsl_gateway
    )
    assert free.adjacency.nnz == barred.adjacency.nnz + barred.gsl_endpoint + barred.gsl_gateway


def test_links_have_the_right_delays() -> None:
    network = make_network()
    graph = make_graph(network, 30.0)
    r = graph.r_sat_itrs_km
    a = graph.adjacency.tocoo()
    for i, j, ms in zip(a.row, a.col, a.data, strict=True):
        ki, kj = graph.node_kind(int(i)), graph.node_kind(int(j))
        if kj[0] is NodeKind.POP:
            gw, pop = network.gateways, network.pops
            km = great_circle_km(
                gw.lat_deg[ki[1]], gw.lon_deg[ki[1]], pop.lat_deg[kj[1]], pop.lon_deg[kj[1]]
            )
            assert ms == pytest.approx(km / (C_KM_PER_MS * FIBRE_VELOCITY_FACTOR), rel=1e-12)
            continue
        ends = []
        for kind, index in (ki, kj):
            if kind is NodeKind.SATELLITE:
                ends.append(r[index])
            elif kind is NodeKind.GATEWAY:
                ends.append(network.gateways.r_itrs_km[index])
            else:
                ends.append(graph.endpoints.r_itrs_km[index])
        assert ms == pytest.approx(np.linalg.norm(ends[0] - ends[1]) / C_KM_PER_MS, rel=1e-12)
    assert graph.delay_ms(graph.n_nodes - 1, 0) == math.inf


def test_each_gateway_is_homed_to_its_nearest_pop() -> None:
    network = make_network()
    assert network.gateway_pop.tolist() == [0, 1, 1]  # Frankfurt; Madrid for 45 N 0 E and Madrid
    graph = make_graph(network)
    for g in range(3):
        assert math.isfinite(
            graph.delay_ms(int(graph.gateway_node(g)), int(graph.pop_node(network.gateway_pop[g])))
        )
    no_pops = build_network(
        shell().catalog, neighbours=shell().neighbours, pops=False, gateways=sites()[1]
    )
    assert no_pops.gateway_pop.tolist() == [-1, -1, -1]


def test_gateway_antennas_limit_its_links() -> None:
    """Each gateway links to min(antennas, satellites in view), at every one of 20 instants."""
    network = make_network()
    for seconds in range(0, 200, 10):
        graph = make_graph(network, seconds)
        a = graph.adjacency.tocoo()
        first = int(graph.gateway_node(0))
        per_gateway = np.bincount(
            a.col[(a.col >= first) & (a.col < first + 3)] - first, minlength=3
        )
        in_view = gsl_links(graph.r_sat_itrs_km, network.gateways, limit_links=False)
        expected = np.minimum(network.gateways.max_links, np.bincount(in_view.site, minlength=3))
        assert per_gateway.tolist() == expected.tolist()
        assert graph.gsl_gateway == per_gateway.sum()


def test_bent_pipe_has_no_lasers() -> None:
    graph = make_graph(make_network(isl="none"))
    a = graph.adjacency.tocoo()
    assert not np.any((a.row < graph.n_satellites) & (a.col < graph.n_satellites))
    assert graph.lasers_up == 0
    assert len(graph.network.isl_pairs) == 0


def test_lasers_beyond_their_range_are_down() -> None:
    """In-plane lasers of the 22-satellite planes are ~1,960 km: a 1,000 km limit drops them."""
    full = make_graph(make_network())
    short = make_graph(make_network(max_isl_km=1000.0))
    assert full.lasers_up == 2 * 1584
    assert 0 < short.lasers_up <= 1584  # only cross-plane lasers are short enough
    pairs = short.network.isl_pairs
    d = np.linalg.norm(short.r_sat_itrs_km[pairs[:, 0]] - short.r_sat_itrs_km[pairs[:, 1]], axis=1)
    assert short.lasers_up == np.count_nonzero(d <= 1000.0)


def test_a_satellite_without_position_has_no_links() -> None:
    network = make_network(min_elevation_deg=-90.0)  # every ground link in view but for range
    endpoints, _, _ = sites()
    r = propagate(network.catalog, shell().epoch).r_itrs_km[:, 0, :].copy()
    r[5] = np.nan
    graph = graph_from_positions(network, r, endpoints)
    a = graph.adjacency.tocoo()
    assert not np.any((a.row == 5) | (a.col == 5))
    assert graph.lasers_up == 2 * 1584 - 4
    with pytest.raises(InputError, match=r"expected \(1584, 3\)"):
        graph_from_positions(network, r[:10], endpoints)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"isl": "mesh"}, "choose one of plus-grid, none"),
        ({"min_elevation_deg": None}, "ground links need a rule"),
        ({"min_elevation_deg": 95.0}, r"must be in \[-90, 90\]"),
        ({"max_gsl_km": 0.0}, "max_gsl_km=0.0 must be a positive"),
        ({"max_isl_km": -5.0}, "max_isl_km=-5.0 must be a positive"),
        ({"neighbours": np.zeros((3, 4), dtype=np.int64)}, "has 3 rows but the catalog has 1584"),
        ({"gateways": "yes"}, "give True"),
    ],
)
def test_build_network_refuses(options: dict, message: str) -> None:
    arguments = {"neighbours": shell().neighbours, **options}
    with pytest.raises(InputError, match=message):
        build_network(shell().catalog, **arguments)
