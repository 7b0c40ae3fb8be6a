"""RTT as a user measures it to their PoP, by component, place by place and country by country.

The propagation floor (`leolink.network.countries`) is the physical minimum: the best satellite,
the nearest PoP in delay, light only.  A user's ping to their PoP (the dish's own
``pop_ping_latency_ms``) is made of more, and this module adds each part with its source:

``propagation_space_ms``
    up to the satellite the scheduler assigns, along the +Grid lasers, down to a gateway, and
    back; the path after the first satellite is the lowest-delay one to the user's PoP.
``propagation_ground_ms``
    gateway to the user's PoP and back over terrestrial fibre: great circle times
    `TERRESTRIAL_ROUTE_FACTOR`, at `FIBRE_VELOCITY_FACTOR` c.
``access_ms``
    the frame timing and uplink scheduling of the radio links (`access_ms`).
``processing_ms``
    store-and-forward of one packet at every node that forwards it (`PACKET_BITS`).

The user's PoP is the one Starlink's GeoIP feed assigns to the place
(`leolink.network.homing.pop_for_places`), not the nearest.

**Which satellite.**  Starlink's scheduler assigns each terminal a satellite for a 15-second
slot (reconfigurations at :12, :27, :42, :57 past the minute: Tanveer et al., "Making Sense of
Constellations: Methodologies for Understanding Starlink's Scheduling Algorithms", CoNEXT
2023 companion; Mohan et al., "A Multifaceted Look at Starlink Performance", WWW 2024), and
that satellite is often not the highest nor the one of least delay (Tanveer et al. 2023 find a
preference for the northern sky and for sunlit satellites that geometry alone does not give).
leolink does not know the scheduler's rule, so it treats every satellite in view above the
elevation mask (25 deg, the FCC-authorised minimum of Gen1, `DEFAULT_MIN_ELEVATION_DEG`) as
equally likely: a terminal's RTT distribution at an instant is over the satellites in view,
and statistics weight each (terminal, satellite) pair equally.  The minimum over that set is
the best-satellite case; the median is what a user of a scheduler indifferent to delay sees.

Nothing here is fitted to Starlink's published latencies; those are for evaluation only.  For
context (not used): Starlink stated a US median of 25.7 ms in June 2025 ("Starlink network
update"), and Michel et al., "A First Look at Starlink Performance", IMC 2022, measured idle
RTTs to the PoP mostly between 20 and 50 ms.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import numpy.typing as npt
import scipy.sparse
from scipy.sparse.csgraph import dijkstra

from leolink.arrays import FloatArray, IntArray
from leolink.errors import InputError
from leolink.geo.countries import all_countries, get_country
from leolink.geo.grid import cells_to_latlng
from leolink.geo.regions import country_to_cells
from leolink.network.graph import FIBRE_VELOCITY_FACTOR, Network, graph_from_positions
from leolink.network.homing import PopAssignment, load_pops_2026, pop_for_places
from leolink.network.links import SPEED_OF_LIGHT_KM_S, gsl_links
from leolink.network.routing import Route, route_on
from leolink.network.sites import GroundSites, great_circle_km, ground_sites
from leolink.orbits.propagate import propagate
from leolink.time import parse_instant

__all__ = [
    "ACCESS_FRAME_S",
    "COMPONENTS",
    "ISL_RATE_BPS",
    "PACKET_BITS",
    "TERRESTRIAL_ROUTE_FACTOR",
    "LatencyRow",
    "RttSamples",
    "access_ms",
    "internet_route",
    "latency_table",
    "rtt_samples",
    "terrestrial_ms",
    "to_assigned_pop",
    "via_pop",
]


_C_KM_PER_MS: Final = SPEED_OF_LIGHT_KM_S / 1000.0

#: Terrestrial paths are longer than the great circle.  Shortest paths through the fibre
#: conduits of the US long-haul map (InterTubes, Durairajan et al., SIGCOMM 2015) are 1.3 times
#: the line-of-sight distance in the median over all pairs of the 120 largest US population
#: centres (Bozkurt et al., "Dissecting Latency in the Internet's Fiber Infrastructure", 2018,
#: arXiv:1811.10737).  Starlink's backhaul is its own leased long-haul capacity, routed for it
#: rather than by Internet routing policy, so the conduit factor applies, not the 2.1 of public
#: Internet paths that the same paper quotes as a rule of thumb.
TERRESTRIAL_ROUTE_FACTOR: Final = 1.3

#: Frame period of Starlink's Ku-band radio links, s: 1/750 s = 1.333 ms (Humphreys et al.,
#: "Signal Structure of the Starlink Ku-Band Downlink", IEEE Trans. Aerosp. Electron. Syst. 59(5),
#: 2023).  Leolink assumes the gateway (Ka) links keep the same frame.
ACCESS_FRAME_S: Final = 1.0 / 750.0

#: One full-size packet (1500-byte Ethernet MTU), bits: what a node receives before forwarding.
PACKET_BITS: Final = 1500 * 8

#: Laser link rate, bit/s: "up to 100 Gbps" per link (SpaceX, Starlink network update, Jan 2024).
ISL_RATE_BPS: Final = 100e9

#: The RTT components, in the order they are reported.
COMPONENTS: Final = (
    "propagation_space_ms",
    "propagation_ground_ms",
    "access_ms",
    "processing_ms",
)


def terrestrial_ms(km: npt.ArrayLike) -> FloatArray:
    """One-way delay over terrestrial fibre for great-circle distances ``km``, ms.

    ``km`` × `TERRESTRIAL_ROUTE_FACTOR` at `FIBRE_VELOCITY_FACTOR` × c.
    """
    path_km = TERRESTRIAL_ROUTE_FACTOR * np.asarray(km, dtype=np.float64)
    return np.asarray(path_km / (_C_KM_PER_MS * FIBRE_VELOCITY_FACTOR))


def access_ms(user_slant_km: npt.ArrayLike) -> FloatArray:
    """Mean frame and scheduling delay of one round trip over the radio links, ms.

    Each of the four radio traversals of a ping (user up, gateway down, gateway up, user down)
    waits for its slot in the next frame (uniform over one frame: half a frame on average) and
    is received when its frame ends (one frame): 1.5 frames each, 6 frames in all.  The user's
    uplink is scheduled by the network: leolink assumes a request–grant access as in DVB-RCS2
    (ETSI EN 301 545-2), one user-link round trip plus a frame before the data may be sent;
    Garcia, Sundberg and Brunstrom ("A Detailed Characterization of Starlink One-way Delay",
    LEO-NET 2025) find uplink delay shaped by scheduling in a way downlink delay is not.
    ``user_slant_km`` is the slant range to the serving satellite.
    """
    frame_ms = 1000.0 * ACCESS_FRAME_S
    grant_ms = 2.0 * np.asarray(user_slant_km, dtype=np.float64) / _C_KM_PER_MS + frame_ms
    return np.asarray(6.0 * frame_ms + grant_ms)


def processing_ms(forwarding_nodes: npt.ArrayLike) -> FloatArray:
    """Store-and-forward of one packet (`PACKET_BITS`) at each node, both ways, ms.

    Per node the time to receive a packet at `ISL_RATE_BPS`; on-board switching latency is not
    published, so this is the least a store-and-forward node adds (0.12 us a node).
    """
    per_node_ms = 1000.0 * PACKET_BITS / ISL_RATE_BPS
    return np.asarray(2.0 * np.asarray(forwarding_nodes, dtype=np.float64) * per_node_ms)


@dataclass(frozen=True, eq=False)
class RttSamples:
    """RTT samples at one instant: one per (point, satellite that may serve it), ``(K,)`` each.

    The satellites that may serve a point are those in view with a path to its PoP; a point
    without any has no sample.  ``point`` indexes the points, ``satellite`` the catalog,
    ``gateway`` the network's gateways; ``rtt_ms`` is the sum of the four components (see
    `COMPONENTS`).
    """

    point: IntArray
    satellite: IntArray
    gateway: IntArray
    propagation_space_ms: FloatArray
    propagation_ground_ms: FloatArray
    access_ms: FloatArray
    processing_ms: FloatArray

    @property
    def rtt_ms(self) -> FloatArray:
        """Total RTT of each sample, ms."""
        return np.asarray(
            self.propagation_space_ms
            + self.propagation_ground_ms
            + self.access_ms
            + self.processing_ms
        )


def _gateway_on_path(pred: IntArray, roots: IntArray) -> tuple[IntArray, IntArray]:
    """For each tree ``(P, N)`` the node just below the root on each node's path, and its depth."""
    rows = np.arange(pred.shape[0])[:, None]
    cur = np.broadcast_to(np.arange(pred.shape[1]), pred.shape).copy()
    depth = np.zeros(pred.shape, dtype=np.int64)
    root = roots[:, None]
    while True:
        parent = pred[rows, cur]
        moving = (parent >= 0) & (parent != root)
        if not np.any(moving):
            break
        cur = np.where(moving, parent, cur)
        depth += moving
    below_root = pred[rows, cur] == root
    return np.where(below_root, cur, -1), depth


def rtt_samples(
    network: Network,
    r_sat_itrs_km: FloatArray,
    points: GroundSites,
    assignment: PopAssignment,
) -> RttSamples:
    """The RTT of each point to its assigned PoP through each satellite in view, by component.

    ``network`` gives the satellites, lasers and gateways (its own PoPs are not used);
    ``assignment`` the PoP of each point (`pop_for_places`).  One Dijkstra per PoP in use over
    the satellites and gateways, each gateway joined to the PoP by `terrestrial_ms`: a gateway
    reaches every PoP (no PoP is unreachable by construction) and traffic lands at whichever
    gateway gives the least delay to the user's PoP.
    """
    bare = replace(
        network,
        pops=ground_sites([], [], kind="pop"),
        gateway_pop=np.full(len(network.gateways), -1, dtype=np.int64),
        gateway_pop_km=np.full(len(network.gateways), np.nan),
        ground_relays=False,
    )
    graph = graph_from_positions(bare, r_sat_itrs_km, ground_sites([], [], kind="terminal"))
    pops = assignment.pops
    used = np.unique(assignment.pop)
    n, g_count = graph.n_nodes, len(network.gateways)
    gateway0 = int(graph.gateway_node(0))
    pop_nodes = n + np.arange(len(used), dtype=np.int64)
    ground_km = great_circle_km(
        network.gateways.lat_deg[:, None],
        network.gateways.lon_deg[:, None],
        pops.lat_deg[used][None, :],
        pops.lon_deg[used][None, :],
    )
    fibre_ms = terrestrial_ms(ground_km)  # (G, U)
    a = graph.adjacency.tocoo()
    gw = np.repeat(np.arange(g_count), len(used))
    to = np.tile(np.arange(len(used)), g_count)
    adjacency = scipy.sparse.csr_array(
        (
            np.concatenate([a.data, fibre_ms.ravel()]),
            (np.concatenate([a.row, gateway0 + gw]), np.concatenate([a.col, pop_nodes[to]])),
        ),
        shape=(n + len(used), n + len(used)),
    )
    dist, pred = dijkstra(
        adjacency.T.tocsr(), directed=True, indices=pop_nodes, return_predecessors=True
    )
    pred = np.asarray(pred, dtype=np.int64)
    below, depth = _gateway_on_path(pred, pop_nodes)

    links = gsl_links(
        graph.r_sat_itrs_km,
        points,
        min_elevation_deg=network.min_elevation_deg,
        max_range_km=network.max_gsl_km,
        limit_links=False,
    )
    row = np.searchsorted(used, assignment.pop[links.site])
    one_way = dist[row, links.satellite]
    # The scheduler assigns only satellites with a way to the PoP (raising or decaying
    # satellites without lasers or a gateway in view serve no one).
    ok = np.isfinite(one_way)
    row, one_way, range_km = row[ok], one_way[ok], links.range_km[ok]
    site, sat = links.site[ok], links.satellite[ok]
    gateway = below[row, sat] - gateway0
    ground_one_way = fibre_ms[gateway, row]
    space_one_way = range_km / _C_KM_PER_MS + one_way - ground_one_way
    # Forwarding nodes: the satellites on the path and the gateway (the depth below the PoP).
    return RttSamples(
        point=site,
        satellite=sat,
        gateway=gateway,
        propagation_space_ms=2.0 * space_one_way,
        propagation_ground_ms=2.0 * ground_one_way,
        access_ms=access_ms(range_km),
        processing_ms=processing_ms(depth[row, sat]),
    )


@dataclass(frozen=True)
class LatencyRow:
    """RTT statistics of one country or place to its PoP over its samples.

    ``samples`` counts (point, instant, satellite in view) triples; ``reachable_pct`` the share
    of (point, instant) with a satellite in view and a path to the PoP.  ``median_rtt_ms`` is
    the median RTT a user would measure to their PoP; the four components are those of the
    median sample (they add up to it).  ``pop`` is the PoP most of the points are homed to and
    ``pop_source`` how (``geoip`` or ``nearest``, see `leolink.network.homing`).
    """

    code: str
    name: str
    pop: str
    pop_source: str
    points: int
    samples: int
    reachable_pct: float
    min_rtt_ms: float
    median_rtt_ms: float
    p90_rtt_ms: float
    propagation_space_ms: float
    propagation_ground_ms: float
    access_ms: float
    processing_ms: float


def _row(
    code: str,
    name: str,
    assignment: PopAssignment,
    points: IntArray,
    reached: int,
    looked: int,
    rtt: FloatArray,
    comp: FloatArray,
) -> LatencyRow:
    """The row of one group of ``points`` from its finite samples ``rtt`` and components."""
    pops = Counter(assignment.pops.ids[assignment.pop[i]] for i in points.tolist())
    sources = Counter(assignment.source[i] for i in points.tolist())
    nan = math.nan
    if len(rtt):
        order = np.argsort(rtt, kind="stable")
        mid = comp[order[(len(rtt) - 1) // 2]]
        stats = (float(rtt.min()), float(np.median(rtt)), float(np.percentile(rtt, 90)))
    else:
        mid, stats = np.full(len(COMPONENTS), nan), (nan, nan, nan)
    return LatencyRow(
        code=code,
        name=name,
        pop=pops.most_common(1)[0][0] if pops else "",
        pop_source=sources.most_common(1)[0][0] if sources else "",
        points=len(points),
        samples=len(rtt),
        reachable_pct=100.0 * reached / looked if looked else nan,
        min_rtt_ms=stats[0],
        median_rtt_ms=stats[1],
        p90_rtt_ms=stats[2],
        propagation_space_ms=float(mid[0]),
        propagation_ground_ms=float(mid[1]),
        access_ms=float(mid[2]),
        processing_ms=float(mid[3]),
    )


def _rows(
    groups: list[tuple[str, str, IntArray]],
    assignment: PopAssignment,
    parts: list[RttSamples],
) -> list[LatencyRow]:
    """Pool the samples of every instant by group (each point is in one group)."""
    group_of = np.full(len(assignment.pop), -1, dtype=np.int64)
    for g, (_, _, idx) in enumerate(groups):
        group_of[idx] = g
    rtt = np.concatenate([p.rtt_ms for p in parts])
    comp = np.concatenate([np.stack([getattr(p, c) for c in COMPONENTS], axis=1) for p in parts])
    instant = np.concatenate([np.full(len(p.point), k) for k, p in enumerate(parts)])
    point = np.concatenate([p.point for p in parts])
    good = np.isfinite(rtt) & (group_of[point] >= 0)
    rtt, comp, point, instant = rtt[good], comp[good], point[good], instant[good]
    group = group_of[point]
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(len(groups) + 1))
    # (point, instant) pairs with a path, per group: each pair counted once.
    pair = np.unique(point * len(parts) + instant)
    reached = np.bincount(group_of[pair // len(parts)], minlength=len(groups))
    rows = []
    for g, (code, name, idx) in enumerate(groups):
        take = order[bounds[g] : bounds[g + 1]]
        looked = len(idx) * len(parts)
        rows.append(
            _row(code, name, assignment, idx, int(reached[g]), looked, rtt[take], comp[take])
        )
    return rows


def latency_table(
    network: Network,
    times: str | np.datetime64 | Sequence[str | np.datetime64] | npt.NDArray[np.datetime64],
    *,
    countries: Sequence[str] | None = None,
    places: Sequence[tuple[float, float]] | None = None,
    resolution: int = 3,
) -> list[LatencyRow]:
    """RTT to the assigned PoP per country (cell centres at H3 ``resolution``) or per place.

    With ``places`` (``(lat_deg, lon_deg)`` each) one row per place; else one row per country
    of ``countries`` (ISO codes; all of `leolink.geo.countries.all_countries` by default).
    ``times`` is one UTC instant or several: statistics pool every instant.
    """
    if len(network.gateways) == 0:
        raise InputError(
            "the network has no gateways, so nothing reaches a PoP; build it with gateways=True"
        )
    raw = np.atleast_1d(np.asarray(times, dtype=object))
    instants = np.array([parse_instant(t) for t in raw], dtype="datetime64[ns]")
    groups: list[tuple[str, str, IntArray]] = []
    known: list[str] | None = None
    if places is not None:
        lat = np.array([p[0] for p in places], dtype=np.float64)
        lon = np.array([p[1] for p in places], dtype=np.float64)
        for i, (la, lo) in enumerate(places):
            groups.append((f"{la:.4f},{lo:.4f}", "", np.array([i], dtype=np.int64)))
    else:
        chosen = [get_country(c) for c in countries] if countries is not None else all_countries()
        cells = [country_to_cells(c, resolution) for c in chosen]
        bounds = np.cumsum([0] + [len(c) for c in cells])
        lat, lon = cells_to_latlng(np.concatenate(cells)) if cells else (np.zeros(0),) * 2
        known = []
        for i, country in enumerate(chosen):
            groups.append((country.code, country.name, np.arange(bounds[i], bounds[i + 1])))
            known += [country.code] * len(cells[i])
    points = ground_sites(lat, lon, kind="terminal")
    assignment = pop_for_places(lat, lon, None if places is not None else known)
    if places is not None:
        groups = [(code, assignment.country[int(idx[0])], idx) for code, _, idx in groups]
    r = propagate(network.catalog, instants).r_itrs_km
    parts = [rtt_samples(network, r[:, k, :], points, assignment) for k in range(len(instants))]
    return _rows(groups, assignment, parts)


def via_pop(network: Network, code: str) -> Network:
    """``network`` with one PoP, the 2026 PoP ``code`` (e.g. ``frntdeu1``), every gateway joined
    to it by its terrestrial path (great circle × `TERRESTRIAL_ROUTE_FACTOR`).

    `leolink.network.routing.route_on` over it gives the propagation path to that PoP through
    the best satellite.
    """
    pops = load_pops_2026()
    if code not in pops.ids:
        raise InputError(
            f"pop {code!r} is not a 2026 Starlink PoP; use a reverse-DNS code such as "
            f"frntdeu1, one of {', '.join(pops.ids)}"
        )
    pop = pops.take([pops.ids.index(code)])
    gw = network.gateways
    km = great_circle_km(gw.lat_deg, gw.lon_deg, pop.lat_deg, pop.lon_deg)
    return replace(
        network,
        pops=pop,
        gateway_pop=np.zeros(len(gw), dtype=np.int64),
        gateway_pop_km=np.asarray(TERRESTRIAL_ROUTE_FACTOR * km, dtype=np.float64),
    )


def to_assigned_pop(network: Network, lat_deg: float, lon_deg: float) -> Network:
    """`via_pop` with the PoP Starlink's GeoIP feed assigns to the place (`pop_for_places`)."""
    return via_pop(network, pop_for_places(lat_deg, lon_deg).codes()[0])


def internet_route(
    network: Network, at: str | np.datetime64, src: tuple[float, float], pop: str | None = None
) -> tuple[Route, LatencyRow | None]:
    """The route from ``src`` ``(lat_deg, lon_deg)`` to its PoP at ``at``, and its RTT by component.

    The PoP is ``pop`` (a 2026 code) or the one the GeoIP feed assigns to ``src``; the route is
    the propagation path through the best satellite (`via_pop`), the `LatencyRow` the RTT a
    user measures there (every satellite that may serve, four components; None with ``pop``,
    since Starlink homes a place to one PoP).
    """
    code = pop if pop is not None else pop_for_places(*src).codes()[0]
    route = route_on(via_pop(network, code), at, src)
    if pop is not None:
        return route, None
    (row,) = latency_table(network, parse_instant(at), places=[src])
    return route, row
