"""Shortest paths by propagation delay, routes with their hops, and forwarding state.

Paths minimise one-way delay: link lengths over c in vacuum for lasers and radio links, over
2/3 c for fibre.  The search is Dijkstra's algorithm (Dijkstra 1959, "A note on two problems in
connexion with graphs", Numer. Math. 1, 269-271) as implemented in
`scipy.sparse.csgraph.dijkstra`, over the `NetworkGraph` of one instant.  The round-trip time
is twice the one-way delay, as Hypatia's (the path back is as long as the path there).

`forwarding_state` is what Hypatia's ``satgen`` computes at every time step: for every node
and every destination, the next hop and the remaining delay.  Hypatia gets it from
Floyd–Warshall over all satellite pairs; one Dijkstra per destination over the reversed graph
gives the same tables, and is what makes leolink ~100x faster per step (``benchmarks/``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import dijkstra

from leolink.arrays import FloatArray, IntArray
from leolink.errors import InputError
from leolink.network.graph import (
    FIBRE_VELOCITY_FACTOR,
    LinkKind,
    Network,
    NetworkGraph,
    NodeKind,
    build_network,
    graph_from_positions,
)
from leolink.network.links import SPEED_OF_LIGHT_KM_S, gsl_links
from leolink.network.sites import GroundSites, ground_sites
from leolink.orbits.catalog import Catalog
from leolink.orbits.frames import itrs_to_geodetic
from leolink.orbits.propagate import propagate
from leolink.time import format_instant, parse_instant

__all__ = [
    "RTT_STATS",
    "ForwardingState",
    "Hop",
    "InternetAccess",
    "InternetTree",
    "Route",
    "delays_between",
    "forwarding_state",
    "internet_rtt_ms",
    "internet_tree",
    "route",
    "route_in",
    "route_on",
    "shortest_delays",
]


_C_KM_PER_MS = SPEED_OF_LIGHT_KM_S / 1000.0

#: The columns of `InternetAccess.rtt_stats_ms`: RTT statistics over the satellites that may
#: serve a point, and the components of its median sample (`leolink.network.latency`).
RTT_STATS = (
    "min_rtt_ms",
    "median_rtt_ms",
    "p90_rtt_ms",
    "propagation_space_ms",
    "propagation_ground_ms",
    "access_ms",
    "processing_ms",
)
# SciPy marks "no predecessor" with this value.
_NO_PREDECESSOR = -9999


@dataclass(frozen=True)
class Hop:
    """One node of a route, with the link that reaches it.

    ``kind`` is ``satellite``, ``gateway``, ``pop`` or the endpoints' kind (``terminal``,
    ``city``); ``id`` the NORAD id for a satellite, else the site id.  ``link`` is the kind of
    link from the previous hop (``gsl``, ``isl``, ``fibre``; empty for the first hop),
    ``link_km`` its length, and ``delay_ms`` the one-way delay from the start up to here.
    """

    kind: str
    id: str
    name: str
    lat_deg: float
    lon_deg: float
    alt_km: float
    link: str
    link_km: float
    delay_ms: float


@dataclass(frozen=True)
class Route:
    """The lowest-delay path between two points at one instant, or why there is none.

    ``rtt_ms`` is twice ``one_way_ms``; ``hops`` is the number of links on the path.  An
    unreachable destination is a result, not an error: ``reachable`` is False, the delays NaN,
    the path empty and ``reason`` says what was missing.
    """

    at: np.datetime64 | None
    reachable: bool
    rtt_ms: float
    one_way_ms: float
    hops: int
    path: tuple[Hop, ...]
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record: ``{at, reachable, rtt_ms, one_way_ms, hops, path, reason}``."""
        return {
            "at": None if self.at is None else format_instant(self.at),
            "reachable": self.reachable,
            "rtt_ms": None if math.isnan(self.rtt_ms) else self.rtt_ms,
            "one_way_ms": None if math.isnan(self.one_way_ms) else self.one_way_ms,
            "hops": self.hops,
            "path": [asdict(h) for h in self.path],
            "reason": self.reason,
        }


def shortest_delays(
    graph: NetworkGraph, source_nodes: npt.ArrayLike
) -> tuple[FloatArray, IntArray]:
    """One-way delay (ms) and predecessor from each source node to every node, ``(K, N)`` each.

    Unreachable nodes have delay inf and predecessor -1, as does each source itself.
    """
    sources = np.atleast_1d(np.asarray(source_nodes, dtype=np.int64))
    if len(sources) == 0:
        return np.zeros((0, graph.n_nodes)), np.zeros((0, graph.n_nodes), dtype=np.int64)
    dist, pred = dijkstra(graph.adjacency, directed=True, indices=sources, return_predecessors=True)
    pred = np.asarray(pred, dtype=np.int64)
    pred[pred == _NO_PREDECESSOR] = -1
    return np.asarray(dist, dtype=np.float64), pred


def delays_between(
    graph: NetworkGraph, source_nodes: npt.ArrayLike, target_nodes: npt.ArrayLike
) -> FloatArray:
    """One-way delay (ms) from each source node to each target node, ``(K, M)``, inf if none.

    A shortest-path search gives the delays from one node to every node, so K x M delays need
    only ``min(K, M)`` searches: from the sources over the graph, or from the targets over the
    reversed graph (100 cities to 23 PoPs is 23 searches, not 100).  The delays are the same
    either way: the one-way delay of the lowest-delay path.
    """
    sources = np.atleast_1d(np.asarray(source_nodes, dtype=np.int64))
    targets = np.atleast_1d(np.asarray(target_nodes, dtype=np.int64))
    if len(sources) == 0 or len(targets) == 0:
        return np.zeros((len(sources), len(targets)))
    if len(sources) <= len(targets):
        dist = dijkstra(graph.adjacency, directed=True, indices=sources)
        return np.asarray(dist, dtype=np.float64)[:, targets]
    dist = dijkstra(graph.adjacency.T.tocsr(), directed=True, indices=targets)
    return np.ascontiguousarray(np.asarray(dist, dtype=np.float64)[:, sources].T)


@dataclass(frozen=True, eq=False)
class ForwardingState:
    """For every node and each destination: the next hop and the delay left, ``(D, N)`` each.

    ``destinations`` ``(D,)`` are node indices; ``next_hop[d, n]`` is -1 where node ``n``
    cannot reach destination ``d`` (and at the destination itself), ``delay_ms[d, n]`` inf.
    """

    destinations: IntArray
    next_hop: IntArray
    delay_ms: FloatArray


def forwarding_state(graph: NetworkGraph, destination_nodes: npt.ArrayLike) -> ForwardingState:
    """Next hop and remaining one-way delay from every node to each destination node.

    One Dijkstra per destination over the reversed graph: the shortest-path tree into a
    destination, whose parent pointers are the next hops.  This is the forwarding state of
    Hypatia's ``satgen`` (``fstate_<t>.txt``) for the same graph.
    """
    destinations = np.atleast_1d(np.asarray(destination_nodes, dtype=np.int64))
    reverse = graph.adjacency.T.tocsr()
    dist, pred = dijkstra(reverse, directed=True, indices=destinations, return_predecessors=True)
    pred = np.asarray(pred, dtype=np.int64)
    pred[pred == _NO_PREDECESSOR] = -1
    return ForwardingState(
        destinations=destinations, next_hop=pred, delay_ms=np.asarray(dist, dtype=np.float64)
    )


@dataclass(frozen=True, eq=False)
class InternetAccess:
    """The way to the Internet from each of E ground points, ``(E,)`` each (see `InternetTree`).

    ``satellite`` is the first satellite of the route (catalog index), the one that serves the
    point, seen at ``elevation_deg`` (NaN without a route), ``one_way_ms`` the one-way delay to
    the PoP (NaN without a route), ``hops`` the number of links (-1),
    ``gateway`` and ``pop`` indices into the network's gateways and PoPs (-1), and ``in_view``
    whether any satellite is in view under the network's ground-link rule.

    From `leolink.network.latency.internet_access` (the PoP Starlink assigns), ``pop`` indexes
    the 2026 PoPs instead, ``pop_source`` says how the point was homed, ``samples`` counts the
    satellites that may serve it, and ``rtt_stats_ms`` ``(E, 7)`` holds the RTT a user
    measures (`RTT_STATS`: min, median, p90, then the median sample's four components; NaN
    where not computed), at an instant ``catalog_age_days`` from the catalog's epochs.
    """

    satellite: IntArray
    elevation_deg: FloatArray
    one_way_ms: FloatArray
    hops: IntArray
    gateway: IntArray
    pop: IntArray
    in_view: npt.NDArray[np.bool_]
    rtt_stats_ms: FloatArray
    samples: IntArray
    pop_source: npt.NDArray[np.object_]
    catalog_age_days: FloatArray

    @classmethod
    def none(cls, n: int) -> InternetAccess:
        """``n`` points without a route (and not looked at)."""
        return cls(
            satellite=np.full(n, -1, dtype=np.int64),
            elevation_deg=np.full(n, np.nan),
            one_way_ms=np.full(n, np.nan),
            hops=np.full(n, -1, dtype=np.int64),
            gateway=np.full(n, -1, dtype=np.int64),
            pop=np.full(n, -1, dtype=np.int64),
            in_view=np.zeros(n, dtype=bool),
            rtt_stats_ms=np.full((n, len(RTT_STATS)), np.nan),
            samples=np.zeros(n, dtype=np.int64),
            pop_source=np.full(n, "", dtype=object),
            catalog_age_days=np.full(n, np.nan),
        )

    def __len__(self) -> int:
        return len(self.satellite)

    def is_reachable(self) -> npt.NDArray[np.bool_]:
        """True where a PoP can be reached."""
        return np.asarray(self.pop >= 0)

    def put(self, rows: npt.NDArray[np.intp], part: InternetAccess) -> None:
        """Write ``part`` (one entry per row) into ``rows`` of these arrays, in place."""
        for name in (
            "satellite",
            "elevation_deg",
            "one_way_ms",
            "hops",
            "gateway",
            "pop",
            "in_view",
            "rtt_stats_ms",
            "samples",
            "pop_source",
            "catalog_age_days",
        ):
            getattr(self, name)[rows] = getattr(part, name)


@dataclass(frozen=True, eq=False)
class InternetTree:
    """Every node's lowest-delay way to the Internet at one instant, ``(N,)`` each.

    The shortest-path tree into the set of all PoPs of ``graph``: ``one_way_ms`` to the nearest
    PoP in delay (inf where none), ``next_hop`` (-1 at a PoP and where none), ``links`` the
    number of links left (-1 where none), ``gateway`` and ``pop`` the gateway the path comes
    down at and the PoP it ends at (indices into the network's gateways and PoPs, -1 where
    none).  Build it with `internet_tree`; `from_ground` then answers any number of ground
    points from the one search.
    """

    graph: NetworkGraph
    one_way_ms: FloatArray
    next_hop: IntArray
    links: IntArray
    gateway: IntArray
    pop: IntArray

    def from_ground(self, points: GroundSites) -> InternetAccess:
        """The route to the Internet from each of ``points``, through the tree, ``(E,)``.

        A point's route goes up to whichever satellite in view (under the network's rule)
        gives the least uplink delay plus that satellite's delay to its nearest PoP.  The
        points need not be endpoints of the graph: this is `route_in` to the nearest PoP for
        each of them at the cost of one ground-link test, without a search per point (paths
        that relay through another ground point are not considered).
        """
        network = self.graph.network
        e = len(points)
        access = InternetAccess.none(e)
        r_user = network.user_positions(self.graph.r_sat_itrs_km)
        links = gsl_links(
            r_user,
            points,
            min_elevation_deg=network.min_elevation_deg,
            max_range_km=network.max_gsl_km,
            limit_links=False,
        )
        access.in_view[links.site] = True
        total_ms = links.range_km / _C_KM_PER_MS + self.one_way_ms[links.satellite]
        order = np.lexsort((total_ms, links.site))
        site, first = np.unique(links.site[order], return_index=True)
        best = order[first]
        ok = np.isfinite(total_ms[best])
        site, best = site[ok], best[ok]
        satellite = links.satellite[best]
        access.satellite[site] = satellite
        # Elevation from the WGS84 normal, as `gsl_links` tests it.
        look = r_user[satellite] - points.r_itrs_km[site]
        sin_el = np.einsum("ij,ij->i", look, points.up[site]) / links.range_km[best]
        access.elevation_deg[site] = np.degrees(np.arcsin(np.clip(sin_el, -1.0, 1.0)))
        access.one_way_ms[site] = total_ms[best]
        access.hops[site] = self.links[satellite] + 1
        access.gateway[site] = self.gateway[satellite]
        access.pop[site] = self.pop[satellite]
        return access

    def why_unreachable(self, access: InternetAccess, i: int) -> str:
        """Why point ``i`` of ``access`` has no route to the Internet (in words)."""
        network = self.graph.network
        if len(network.pops) == 0 or len(network.gateways) == 0:
            return "the network has no gateways or PoPs"
        if not access.in_view[i]:
            return f"no satellite in view ({_ground_rule(network)})"
        return "no gateway linked to a PoP is reachable from the satellites in view"


def internet_tree(graph: NetworkGraph) -> InternetTree:
    """The shortest-path tree of ``graph`` into its PoPs: one Dijkstra, whatever the endpoints.

    The search runs over the reversed graph from all PoPs at once (SciPy's ``min_only``), so
    each node gets its delay to the PoP nearest in delay, the PoP and its next hop towards
    it; the gateway and the number of links follow the next hops, level by level.
    """
    n = graph.n_nodes
    pops = np.asarray(graph.pop_node(np.arange(len(graph.network.pops))), dtype=np.int64)
    if len(pops) == 0:
        none = np.full(n, -1, dtype=np.int64)
        return InternetTree(graph, np.full(n, np.inf), none, none.copy(), none.copy(), none.copy())
    reverse = graph.adjacency.T.tocsr()
    dist, pred, source = dijkstra(
        reverse, directed=True, indices=pops, min_only=True, return_predecessors=True
    )
    one_way = np.asarray(dist, dtype=np.float64)
    next_hop = np.asarray(pred, dtype=np.int64)
    next_hop[next_hop < 0] = -1
    source = np.asarray(source, dtype=np.int64)
    pop0 = int(graph.pop_node(0))
    pop = np.where(source >= 0, source - pop0, -1)
    links = np.where(np.isfinite(one_way) & (next_hop < 0), 0, -1).astype(np.int64)
    gateway_node = np.full(n, -1, dtype=np.int64)
    pending = np.flatnonzero(next_hop >= 0)
    while pending.size:
        parent = next_hop[pending]
        ready = links[parent] >= 0
        if not np.any(ready):
            raise AssertionError("the shortest-path tree into the PoPs has a cycle")
        node, parent = pending[ready], parent[ready]
        links[node] = links[parent] + 1
        # Only gateways have fibre into a PoP: a node one link from its PoP is the gateway.
        gateway_node[node] = np.where(links[parent] == 0, node, gateway_node[parent])
        pending = pending[~ready]
    gateway0 = int(graph.gateway_node(0))
    gateway = np.where(gateway_node >= 0, gateway_node - gateway0, -1)
    return InternetTree(graph, one_way, next_hop, links, gateway, pop)


def internet_rtt_ms(graph: NetworkGraph) -> FloatArray:
    """RTT from every endpoint of ``graph`` to the Internet (its PoP nearest in delay), ``(E,)``.

    NaN where no PoP can be reached.  One search (`internet_tree`) gives every node's delay
    to its nearest PoP, so that the cost does not grow with the number of endpoints: a map of
    RTT over thousands of terminals costs one search.  Equal to `route_in` ``(graph,
    e).rtt_ms`` for each endpoint ``e``.
    """
    e = len(graph.endpoints)
    if len(graph.network.pops) == 0:
        return np.full(e, np.nan)
    one_way = internet_tree(graph).one_way_ms[
        np.asarray(graph.source_node(np.arange(e)), dtype=np.int64)
    ]
    return np.where(np.isfinite(one_way), 2.0 * one_way, np.nan)


def _node_path(predecessors: IntArray, source: int, target: int) -> list[int]:
    path = [target]
    while path[-1] != source:
        previous = int(predecessors[path[-1]])
        if previous < 0 or len(path) > len(predecessors):
            raise AssertionError(f"broken predecessor chain from {target} to {source}")
        path.append(previous)
    return path[::-1]


def _hop(graph: NetworkGraph, node: int, previous: int | None, delay_ms: float) -> Hop:
    kind, index = graph.node_kind(node)
    network = graph.network
    if kind is NodeKind.SATELLITE:
        lat, lon, alt = (float(x) for x in itrs_to_geodetic(graph.r_sat_itrs_km[index]))
        name = network.catalog.names[index]
        hop_kind, hop_id = "satellite", str(int(network.catalog.norad_ids[index]))
    else:
        sites: GroundSites = {
            NodeKind.SOURCE: graph.endpoints,
            NodeKind.SINK: graph.endpoints,
            NodeKind.GATEWAY: network.gateways,
            NodeKind.POP: network.pops,
        }[kind]
        lat, lon = float(sites.lat_deg[index]), float(sites.lon_deg[index])
        alt, name = float(sites.alt_km[index]), sites.names[index]
        hop_kind, hop_id = sites.kind, sites.ids[index]
    if previous is None:
        link, link_km = "", 0.0
    else:
        step_ms = graph.delay_ms(previous, node)
        previous_kind, _ = graph.node_kind(previous)
        if kind is NodeKind.POP:
            link, link_km = LinkKind.FIBRE, step_ms * _C_KM_PER_MS * FIBRE_VELOCITY_FACTOR
        elif kind is NodeKind.SATELLITE and previous_kind is NodeKind.SATELLITE:
            link, link_km = LinkKind.ISL, step_ms * _C_KM_PER_MS
        else:
            link, link_km = LinkKind.GSL, step_ms * _C_KM_PER_MS
    return Hop(
        kind=hop_kind,
        id=hop_id,
        name=name,
        lat_deg=lat,
        lon_deg=lon,
        alt_km=alt,
        link=str(link),
        link_km=link_km,
        delay_ms=delay_ms,
    )


def _unreachable(graph: NetworkGraph, reason: str) -> Route:
    return Route(
        at=graph.at,
        reachable=False,
        rtt_ms=math.nan,
        one_way_ms=math.nan,
        hops=0,
        path=(),
        reason=reason,
    )


def _ground_rule(network: Network) -> str:
    rule = (
        f"above {network.min_elevation_deg:g} deg elevation"
        if network.min_elevation_deg is not None
        else ""
    )
    if network.max_gsl_km is not None:
        rule += (" and " if rule else "") + f"within {network.max_gsl_km:g} km"
    return rule


def _why_unreachable(graph: NetworkGraph, source: int, sink: int | None) -> str:
    network = graph.network
    rule = _ground_rule(network)
    a = graph.adjacency
    if a.indptr[source + 1] == a.indptr[source]:
        return f"no satellite in view of the start ({rule})"
    if sink is not None:
        if not np.any(a.indices == sink):
            return f"no satellite in view of the destination ({rule})"
        return "no path between the satellites that see the start and the destination"
    if len(network.pops) == 0 or len(network.gateways) == 0:
        return "no gateways or PoPs in the network: give a destination, or use gateways"
    return "no gateway linked to a PoP is reachable from the satellites that see the start"


def route_in(
    graph: NetworkGraph, src: int, dst: int | None = None, pop: str | None = None
) -> Route:
    """The lowest-delay route in ``graph`` from endpoint ``src`` to endpoint ``dst`` or to a PoP.

    With ``dst`` None the route goes to the Internet: down to a gateway, by fibre to the
    gateway's PoP; to the PoP with id ``pop`` when given, else to whichever PoP is nearest in
    delay.
    """
    e = len(graph.endpoints)
    if not 0 <= src < e or (dst is not None and not 0 <= dst < e):
        raise InputError(f"endpoints src={src!r}, dst={dst!r} must be in [0, {e})")
    source = int(graph.source_node(src))
    dist, pred = shortest_delays(graph, [source])
    if dst is not None:
        target: int | None = int(graph.sink_node(dst))
        sink: int | None = target
    else:
        sink = None
        pops = graph.network.pops
        if pop is not None:
            if pop not in pops.ids:
                raise InputError(
                    f"pop={pop!r} is not a PoP of this network; choose one of "
                    f"{', '.join(pops.ids[:30])}"
                )
            candidates = np.array([pops.ids.index(pop)], dtype=np.int64)
        else:
            candidates = np.arange(len(pops), dtype=np.int64)
        nodes = np.asarray(graph.pop_node(candidates), dtype=np.int64)
        target = int(nodes[np.argmin(dist[0, nodes])]) if len(nodes) else None
    if target is None or not math.isfinite(dist[0, target]):
        return _unreachable(graph, _why_unreachable(graph, source, sink))
    nodes_on_path = _node_path(pred[0], source, target)
    hops = [
        _hop(graph, node, nodes_on_path[i - 1] if i else None, float(dist[0, node]))
        for i, node in enumerate(nodes_on_path)
    ]
    hops[0] = Hop(**{**asdict(hops[0]), "delay_ms": 0.0})
    one_way = float(dist[0, target])
    return Route(
        at=graph.at,
        reachable=True,
        rtt_ms=2.0 * one_way,
        one_way_ms=one_way,
        hops=len(hops) - 1,
        path=tuple(hops),
    )


def route_on(
    network: Network,
    at: str | np.datetime64,
    src: tuple[float, float],
    dst: tuple[float, float] | None = None,
    *,
    pop: str | None = None,
) -> Route:
    """The lowest-delay route over ``network`` at ``at`` from ``src`` to ``dst`` or a PoP.

    ``src`` and ``dst`` are ``(lat_deg, lon_deg)`` user terminals on the ground; see
    `route_in` for the route to the Internet when ``dst`` is None.
    """
    instant = parse_instant(at)
    points = [src] if dst is None else [src, dst]
    endpoints = ground_sites(
        [p[0] for p in points],
        [p[1] for p in points],
        ids=["from", "to"][: len(points)],
        kind="terminal",
    )
    r = propagate(network.catalog, instant).r_itrs_km[:, 0, :]
    graph = graph_from_positions(network, r, endpoints, at=instant)
    return route_in(graph, 0, None if dst is None else 1, pop=pop)


def route(
    catalog: Catalog,
    at: str | np.datetime64,
    src: tuple[float, float],
    dst: tuple[float, float] | None = None,
    *,
    pop: str | None = None,
    isl: str = "plus-grid",
    neighbours: npt.ArrayLike | None = None,
    isl_pairs: npt.ArrayLike | None = None,
    gateways: GroundSites | bool = True,
    pops: GroundSites | bool = True,
    min_elevation_deg: float | None = 25.0,
    max_gsl_km: float | None = None,
    max_isl_km: float | None = None,
    ground_relays: bool = False,
) -> Route:
    """The lowest-delay route at UTC ``at`` from ``src`` to ``dst`` over ``catalog``'s satellites.

    ``src`` and ``dst`` are ``(lat_deg, lon_deg)``; without ``dst`` the route ends at a PoP
    through a gateway: with ``pops`` True (the default) the 2026 PoP ``pop`` (a reverse-DNS
    code such as ``frntdeu1``) or the one Starlink's GeoIP feed assigns to ``src``
    (`leolink.network.latency.via_pop`, `leolink.network.homing.pop_for_places`), each gateway
    reaching it over its terrestrial backhaul; with ``pops`` given as sites, the one with id
    ``pop`` or the nearest in delay.  The keyword options are those of `build_network`
    (``max_isl_km`` None for its default); for many routes over one catalog build the network
    once and call `route_on`.  The result carries the propagation RTT, the number of links
    and the path; an unreachable destination gives ``reachable`` False.
    """
    options: dict[str, Any] = {} if max_isl_km is None else {"max_isl_km": max_isl_km}
    to_2026 = dst is None and pops is True
    network = build_network(
        catalog,
        isl=isl,
        neighbours=neighbours,
        isl_pairs=isl_pairs,
        gateways=gateways,
        pops=False if to_2026 else pops,
        min_elevation_deg=min_elevation_deg,
        max_gsl_km=max_gsl_km,
        ground_relays=ground_relays,
        **options,
    )
    if to_2026:
        # Deferred: the latency module builds on this one.
        from leolink.network.homing import pop_for_places
        from leolink.network.latency import via_pop

        code = pop if pop is not None else pop_for_places(*src).codes()[0]
        return route_on(via_pop(network, code), at, src)
    return route_on(network, at, src, dst, pop=pop)
