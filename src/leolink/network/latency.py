"""RTT as a user measures it to their PoP, by component, place by place and country by country.

The propagation floor (`leolink.network.countries`) is the physical minimum: the best satellite,
the nearest PoP in delay, light only.  A user's ping to their PoP (the dish's own
``pop_ping_latency_ms``) is made of more, and this module adds each part with its source:

``propagation_space_ms``
    up to the satellite the scheduler assigns, along the +Grid lasers, down to a gateway, and
    back; the path after the first satellite is the lowest-delay one to the user's PoP.
``propagation_ground_ms``
    gateway to the user's PoP and back over terrestrial fibre: to the gateway's home PoP (its
    nearest), then PoP to PoP, each leg the great circle times `TERRESTRIAL_ROUTE_FACTOR`, at
    `FIBRE_VELOCITY_FACTOR` c (`backhaul_km`); every PoP has such a path from every gateway.
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
from dataclasses import asdict, dataclass, replace
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
from leolink.network.homing import (
    GEOIP_FEED_DATE,
    PopAssignment,
    load_pops_2026,
    pop_for_places,
    pop_rows,
)
from leolink.network.links import SPEED_OF_LIGHT_KM_S, gsl_links
from leolink.network.routing import RTT_STATS, InternetAccess, Route, route_on
from leolink.network.sites import GroundSites, great_circle_km, ground_sites, load_gateways
from leolink.orbits.propagate import propagate
from leolink.time import parse_instant

__all__ = [
    "ACCESS_FRAME_S",
    "COMPONENTS",
    "ISL_RATE_BPS",
    "LATENCY_ESTIMATE",
    "PACKET_BITS",
    "TERRESTRIAL_ROUTE_FACTOR",
    "LatencyRow",
    "PopPaths",
    "RttSamples",
    "access_ms",
    "backhaul_km",
    "ground_segment",
    "internet_access",
    "internet_route",
    "latency_record",
    "latency_table",
    "point_stats",
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

#: What every reported latency is: the label that travels with it (decisions, routes).
LATENCY_ESTIMATE: Final = (
    "model estimate, not a measurement: RTT to the PoP Starlink's GeoIP feed assigns, over "
    "every satellite that may serve (min, median, p90); components are the median sample's"
)

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
    #: Links from the terminal to the PoP: up, lasers, down, fibre.
    links: IntArray
    #: ``(E,)``: whether any satellite that serves users is in view of each point.
    in_view: npt.NDArray[np.bool_]

    @property
    def rtt_ms(self) -> FloatArray:
        """Total RTT of each sample, ms."""
        return np.asarray(
            self.propagation_space_ms
            + self.propagation_ground_ms
            + self.access_ms
            + self.processing_ms
        )


def backhaul_km(gateways: GroundSites, pops: GroundSites) -> tuple[IntArray, FloatArray]:
    """Each gateway's home PoP (nearest by great circle) and the ground path to every PoP, km.

    Returns ``home`` ``(G,)`` and ``path_km`` ``(G, P)``: great-circle distance to the home PoP
    plus, for another PoP, the great circle between the two PoPs, both times
    `TERRESTRIAL_ROUTE_FACTOR` (a gateway backhauls to its nearest PoP; PoPs reach each other
    over Starlink's terrestrial backbone, which leolink models by route factor, not by a map of
    cables).  Every PoP is reachable from every gateway: none is cut off by construction.
    """
    gw_km = great_circle_km(
        gateways.lat_deg[:, None],
        gateways.lon_deg[:, None],
        pops.lat_deg[None, :],
        pops.lon_deg[None, :],
    )
    home = np.argmin(gw_km, axis=1).astype(np.int64)
    pop_km = great_circle_km(
        pops.lat_deg[:, None], pops.lon_deg[:, None], pops.lat_deg[None, :], pops.lon_deg[None, :]
    )
    line_km = gw_km[np.arange(len(gateways)), home][:, None] + pop_km[home]
    return home, np.asarray(TERRESTRIAL_ROUTE_FACTOR * line_km, dtype=np.float64)


def _first_ground_node(pred: IntArray, n_satellites: int) -> tuple[IntArray, IntArray]:
    """For trees ``(U, N)``: the first non-satellite node on each satellite's path, and the
    number of links before it, ``(U, S)`` each (-1 and 0 without a path).

    Pointer jumping (Wyllie 1979): ``log2`` of the longest path in steps, not its length.
    """
    u_count, n = pred.shape
    nodes = np.arange(n)
    up = np.where((nodes[None, :] < n_satellites) & (pred >= 0), pred, nodes[None, :])
    links = (up != nodes[None, :]).astype(np.int64)
    rows = np.arange(u_count)[:, None]
    while True:
        nxt = up[rows, up]
        if np.array_equal(nxt, up):
            break
        links = links + links[rows, up]
        up = nxt
    ground = up[:, :n_satellites]
    ok = ground >= n_satellites
    return np.where(ok, ground, -1), np.where(ok, links[:, :n_satellites], 0)


class PopPaths:
    """The lowest-delay paths from every satellite into each PoP at one instant (lazily).

    Over the satellites, lasers and gateways of ``network`` at positions ``r_sat_itrs_km``
    ``(S, 3)``, with the 2026 PoPs (`load_pops_2026`): each gateway joined to its home PoP, PoPs
    to each other (`backhaul_km`).  `to` runs one Dijkstra per PoP not yet searched and keeps
    it, so that the decisions of one instant share their searches.  Safe to share between
    threads (a search done twice gives the same result).
    """

    def __init__(self, network: Network, r_sat_itrs_km: FloatArray) -> None:
        bare = replace(
            network,
            pops=ground_sites([], [], kind="pop"),
            gateway_pop=np.full(len(network.gateways), -1, dtype=np.int64),
            gateway_pop_km=np.full(len(network.gateways), np.nan),
            ground_relays=False,
        )
        graph = graph_from_positions(bare, r_sat_itrs_km, ground_sites([], [], kind="terminal"))
        self.network = network
        self.r_sat_itrs_km = graph.r_sat_itrs_km
        #: Positions of the satellites that serve user terminals (NaN for the others).
        self.r_user_itrs_km = network.user_positions(graph.r_sat_itrs_km)
        self.pops = load_pops_2026()
        n, g_count, p_count = graph.n_nodes, len(network.gateways), len(self.pops)
        self._n, self._gateway0 = n, int(graph.gateway_node(0))
        self.home, path_km = backhaul_km(network.gateways, self.pops)
        self.fibre_ms = path_km / (_C_KM_PER_MS * FIBRE_VELOCITY_FACTOR)  # (G, P)
        a = graph.adjacency.tocoo()
        # Reversed graph (searches run from the PoP); each PoP node reached from the
        # gateways directly at their backhaul delay to it.
        gw = np.repeat(np.arange(g_count), p_count)
        to = np.tile(np.arange(p_count), g_count)
        self._reverse = scipy.sparse.csr_array(
            (
                np.concatenate([a.data, self.fibre_ms.ravel()]),
                (np.concatenate([a.col, n + to]), np.concatenate([a.row, self._gateway0 + gw])),
            ),
            shape=(n + p_count, n + p_count),
        )
        self._searched: dict[int, tuple[FloatArray, IntArray, IntArray]] = {}

    def to(self, pops: npt.ArrayLike) -> tuple[FloatArray, IntArray, IntArray]:
        """For PoP indices ``pops`` ``(U,)``: one-way delay from each satellite ``(U, S)``, ms
        (inf without a path), the gateway it comes down at (-1) and its satellite links."""
        wanted = np.unique(np.asarray(pops, dtype=np.int64))
        missing = [int(p) for p in wanted if int(p) not in self._searched]
        s_count = len(self.network.catalog)
        if missing:
            dist, pred = dijkstra(
                self._reverse,
                directed=True,
                indices=self._n + np.asarray(missing, dtype=np.int64),
                return_predecessors=True,
            )
            ground, links = _first_ground_node(np.asarray(pred, dtype=np.int64), s_count)
            gateway = np.where(ground >= 0, ground - self._gateway0, -1)
            for k, p in enumerate(missing):
                self._searched[p] = (dist[k, :s_count], gateway[k], links[k])
        parts = [self._searched[int(p)] for p in np.asarray(pops, dtype=np.int64)]
        if not parts:
            empty = np.zeros((0, s_count))
            return empty, empty.astype(np.int64), empty.astype(np.int64)
        return tuple(np.stack(x) for x in zip(*parts, strict=True))  # type: ignore[return-value]

    def samples(self, points: GroundSites, pop: npt.ArrayLike) -> RttSamples:
        """The RTT of each of ``points`` to its PoP ``pop`` ``(E,)`` through each satellite in
        view that serves users and has a path, by component (see `rtt_samples`)."""
        pop_of = np.asarray(pop, dtype=np.int64).reshape(-1)
        used, row_of = np.unique(pop_of, return_inverse=True)
        dist, gateway_of, links_of = self.to(used)
        net = self.network
        links = gsl_links(
            self.r_user_itrs_km,
            points,
            min_elevation_deg=net.min_elevation_deg,
            max_range_km=net.max_gsl_km,
            limit_links=False,
        )
        row = row_of[links.site]
        one_way = dist[row, links.satellite]
        # The scheduler assigns only satellites with a way to the PoP (raising or decaying
        # satellites without lasers or a gateway in view serve no one).
        ok = np.isfinite(one_way)
        row, one_way, range_km = row[ok], one_way[ok], links.range_km[ok]
        site, sat = links.site[ok], links.satellite[ok]
        gateway = gateway_of[row, sat]
        target = used[row]
        ground_one_way = self.fibre_ms[gateway, target]
        space_one_way = range_km / _C_KM_PER_MS + one_way - ground_one_way
        # Forwarding nodes: the satellites on the path, the gateway, and the gateway's home
        # PoP when the traffic goes on over the backbone to another PoP.
        nodes = links_of[row, sat] + 1 + (self.home[gateway] != target)
        return RttSamples(
            point=site,
            satellite=sat,
            gateway=gateway,
            propagation_space_ms=2.0 * space_one_way,
            propagation_ground_ms=2.0 * ground_one_way,
            access_ms=access_ms(range_km),
            processing_ms=processing_ms(nodes),
            links=links_of[row, sat] + 2,
            in_view=np.bincount(links.site, minlength=len(points)) > 0,
        )


def rtt_samples(
    network: Network,
    r_sat_itrs_km: FloatArray,
    points: GroundSites,
    assignment: PopAssignment,
) -> RttSamples:
    """The RTT of each point to its assigned PoP through each satellite in view, by component.

    ``network`` gives the satellites, lasers and gateways (its own PoPs are not used);
    ``assignment`` the PoP of each point (`pop_for_places`).  One Dijkstra per PoP in use over
    the satellites, gateways and PoPs (`PopPaths`): traffic lands at whichever gateway gives
    the least delay to the user's PoP, over the gateway's backhaul (`backhaul_km`).
    """
    return PopPaths(network, r_sat_itrs_km).samples(points, assignment.pop)


def point_stats(samples: RttSamples, n_points: int) -> tuple[FloatArray, IntArray]:
    """Per point, `RTT_STATS` ``(E, 7)`` over its samples (NaN without any), and their count.

    The median and the 90th percentile interpolate linearly as `numpy.percentile` does; the
    components are those of the lower median sample, as in `LatencyRow`.
    """
    stats = np.full((n_points, len(RTT_STATS)), np.nan)
    rtt = samples.rtt_ms
    order = np.lexsort((rtt, samples.point))
    point, value = samples.point[order], rtt[order]
    count = np.bincount(point, minlength=n_points)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    has = np.flatnonzero(count > 0)
    b, c = start[has], count[has]

    def quantile(q: float) -> FloatArray:
        pos = q * (c - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, c - 1)
        return np.asarray(value[b + lo] + (pos - lo) * (value[b + hi] - value[b + lo]))

    stats[has, 0] = value[b]
    stats[has, 1] = quantile(0.5)
    stats[has, 2] = quantile(0.9)
    mid = order[b + (c - 1) // 2]
    for k, name in enumerate(COMPONENTS):
        stats[has, 3 + k] = getattr(samples, name)[mid]
    return stats, count


def internet_access(
    paths: PopPaths, points: GroundSites, assignment: PopAssignment
) -> InternetAccess:
    """Each point's way to the PoP Starlink assigns it, and the RTT a user measures there.

    The route (satellite, elevation, gateway, one-way delay, links) is the one of least
    propagation delay to the assigned PoP, as `internet_route` draws it; ``rtt_stats_ms`` the
    min, median and p90 over every satellite that may serve (`point_stats`).  ``pop`` indexes
    `load_pops_2026`.
    """
    samples = paths.samples(points, assignment.pop)
    access = InternetAccess.none(len(points))
    access.in_view[:] = samples.in_view
    access.pop_source[:] = assignment.source
    stats, count = point_stats(samples, len(points))
    access.rtt_stats_ms[:] = stats
    access.samples[:] = count
    one_way = 0.5 * (samples.propagation_space_ms + samples.propagation_ground_ms)
    order = np.lexsort((one_way, samples.point))
    site, first = np.unique(samples.point[order], return_index=True)
    best = order[first]
    sat = samples.satellite[best]
    look = paths.r_user_itrs_km[sat] - points.r_itrs_km[site]
    sin_el = np.einsum("ij,ij->i", look, points.up[site]) / np.linalg.norm(look, axis=1)
    access.satellite[site] = sat
    access.elevation_deg[site] = np.degrees(np.arcsin(np.clip(sin_el, -1.0, 1.0)))
    access.one_way_ms[site] = one_way[best]
    access.hops[site] = samples.links[best]
    access.gateway[site] = samples.gateway[best]
    access.pop[site] = assignment.pop[site]
    return access


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
    to it by its terrestrial path (`backhaul_km`: via the gateway's home PoP, route factor).

    `leolink.network.routing.route_on` over it gives the propagation path to that PoP through
    the best satellite.
    """
    pops = load_pops_2026()
    if code not in pops.ids:
        raise InputError(
            f"pop {code!r} is not a 2026 Starlink PoP; use a reverse-DNS code such as "
            f"frntdeu1, one of {', '.join(pops.ids)}"
        )
    index = pops.ids.index(code)
    gw = network.gateways
    _, path_km = backhaul_km(gw, pops)
    return replace(
        network,
        pops=pops.take([index]),
        gateway_pop=np.zeros(len(gw), dtype=np.int64),
        gateway_pop_km=np.asarray(path_km[:, index], dtype=np.float64),
    )


def latency_record(row: LatencyRow, catalog_age_days: float) -> dict[str, object]:
    """``row`` as JSON for a route or a decision, labelled: ``estimate`` (`LATENCY_ESTIMATE`),
    the age of the catalog at the instant and the date of the GeoIP feed."""
    record: dict[str, object] = {"estimate": LATENCY_ESTIMATE}
    record.update(
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(row).items()}
    )
    record["catalog_age_days"] = round(float(catalog_age_days), 3)
    record["geoip_feed_date"] = GEOIP_FEED_DATE
    return record


def ground_segment(gateways: GroundSites | None = None) -> dict[str, object]:
    """The 2026 ground segment as JSON: PoPs named as Starlink names them and the gateways.

    ``pops``: ``{id, name, city, country, kind, dns, lat_deg, lon_deg}`` (`load_pops_2026`);
    ``gateways``: ``{id, name, lat_deg, lon_deg, antennas, home_pop, backhaul_km}`` (StarPerf
    2024 sites, which Starlink does not name; ``home_pop`` the PoP each backhauls to and
    ``backhaul_km`` the terrestrial path there, `backhaul_km`); ``gateways`` defaults to
    `load_gateways`.
    """
    pops = load_pops_2026()
    details = {d["code"]: d for d in pop_rows()}
    gw = load_gateways() if gateways is None else gateways
    home, path_km = backhaul_km(gw, pops)
    return {
        "geoip_feed_date": GEOIP_FEED_DATE,
        "route_factor": TERRESTRIAL_ROUTE_FACTOR,
        "pops": [
            {
                "id": code,
                "name": pops.names[i],
                "city": details[code]["city"],
                "country": details[code]["country"],
                "kind": details[code]["type"],
                "dns": details[code]["dns"],
                "lat_deg": float(pops.lat_deg[i]),
                "lon_deg": float(pops.lon_deg[i]),
            }
            for i, code in enumerate(pops.ids)
        ],
        "sources": {"gateways": gw.source, "pops": pops.source},
        "gateways": [
            {
                "id": gw.ids[g],
                "name": gw.names[g],
                "lat_deg": float(gw.lat_deg[g]),
                "lon_deg": float(gw.lon_deg[g]),
                "antennas": int(gw.max_links[g]),
                "home_pop": pops.ids[home[g]],
                "backhaul_km": round(float(path_km[g, home[g]]), 1),
            }
            for g in range(len(gw))
        ],
    }


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
