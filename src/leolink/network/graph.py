"""The network as a graph at one instant: nodes, directed links weighted by one-way delay.

A `Network` holds what does not change from one instant to the next — the satellites, which
lasers exist (the +Grid of `plus_grid_pairs`), the gateways and PoPs with each gateway's fibre
to its nearest PoP, and the link rules.  `network_graph` turns it, with the satellites'
Earth-fixed positions at one instant and a set of endpoints (user terminals, cities), into a
`NetworkGraph`: a SciPy compressed sparse row matrix whose entry ``(i, j)`` is the one-way delay
in ms of the link from node ``i`` to node ``j``.

Ground sites are barred from relaying by the shape of the graph rather than by a rule in the
search: each endpoint is two nodes, a *source* with links only up to satellites and a *sink*
with links only down from them, and a gateway has links down from satellites and one fibre out
to its PoP, none back up.  No path can then pass through a ground site, which is Hypatia's
``only_over_isls`` routing (only the endpoints are ground stations).  With ``ground_relays``
sinks and gateways also get the links back up, so that a path may bounce through them
(Hypatia's ``gs_relays``).

Node order: satellites ``[0, S)``, endpoint sources ``[S, S+E)``, endpoint sinks
``[S+E, S+2E)``, gateways ``[S+2E, S+2E+G)``, PoPs ``[S+2E+G, S+2E+G+P)``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Final

import numpy as np
import numpy.typing as npt
import scipy.sparse

from leolink.arrays import BoolArray, FloatArray, IntArray
from leolink.errors import InputError
from leolink.network.links import (
    DEFAULT_MIN_ELEVATION_DEG,
    ISL_MIN_GRAZING_ALTITUDE_KM,
    SPEED_OF_LIGHT_KM_S,
    IslPattern,
    gsl_links,
    isl_up,
    plus_grid_pairs,
)
from leolink.network.sites import GroundSites, great_circle_km, load_gateways, load_pops
from leolink.orbits.catalog import Catalog
from leolink.orbits.payload import serves_dishes
from leolink.orbits.propagate import propagate
from leolink.orbits.structure import infer_structure
from leolink.time import parse_instant

__all__ = [
    "DEFAULT_MAX_ISL_KM",
    "FIBRE_VELOCITY_FACTOR",
    "LinkKind",
    "Network",
    "NetworkGraph",
    "NodeKind",
    "build_network",
    "graph_from_positions",
    "inferred_isl_pairs",
    "network_graph",
]


#: Light in optical fibre travels at about 2/3 of c (refractive index ~1.47 of silica).
FIBRE_VELOCITY_FACTOR: Final = 2.0 / 3.0

#: Longest laser link unless told otherwise, km: SpaceX's stated range of its lasers, "more
#: than 5,400 km" (T. Brashears, SpaceX, SPIE Photonics West, January 2024, as reported by PCMag,
#: 31 Jan 2024; see `leolink.network.lasers`).  Hypatia's geometric limit for Starlink-550
#: (`max_isl_range_km` at 550 km, 5,016.591 km) is shorter; give it to compare with Hypatia.
#: The +Grid links of settled shells are much shorter (in-plane ~1,960 km for 22 satellites a
#: plane, cross-plane less); only sparsely filled planes come near either.
DEFAULT_MAX_ISL_KM: Final = 5_400.0

_C_KM_PER_MS: Final = SPEED_OF_LIGHT_KM_S / 1000.0


class NodeKind(enum.IntEnum):
    """What a node of a `NetworkGraph` is (see the module docstring for the node order)."""

    SATELLITE = 0
    SOURCE = 1
    SINK = 2
    GATEWAY = 3
    POP = 4


class LinkKind(enum.StrEnum):
    """What a link is: ground–satellite radio, inter-satellite laser, or terrestrial fibre."""

    GSL = "gsl"
    ISL = "isl"
    FIBRE = "fibre"


@dataclass(frozen=True, eq=False)
class Network:
    """What stays fixed over time: satellites, lasers, gateways, PoPs, and the link rules.

    ``isl_pairs`` ``(L, 2)`` are the lasers (satellite indices, each link once); they are up at
    an instant when both ends have positions, are at most ``max_isl_km`` apart and the line
    between them clears WGS84 by ``min_isl_clearance_km`` (`leolink.network.links.isl_up`).  Each
    gateway is backhauled by fibre to its nearest PoP by great circle: ``gateway_pop`` ``(G,)``
    (-1 without PoPs) at ``gateway_pop_km``.  Ground links follow ``min_elevation_deg`` and
    ``max_gsl_km`` as in `leolink.network.links.gsl_links`.  ``serves_users`` ``(S,)`` says
    which satellites may carry a user terminal's link (not Direct-to-Cell ones, by default:
    `leolink.orbits.payload.serves_dishes`); the others still relay over lasers and reach
    gateways.  Build one with `build_network`.
    """

    catalog: Catalog
    isl_pairs: IntArray
    gateways: GroundSites
    pops: GroundSites
    gateway_pop: IntArray
    gateway_pop_km: FloatArray
    min_elevation_deg: float | None
    max_gsl_km: float | None
    max_isl_km: float
    min_isl_clearance_km: float
    ground_relays: bool
    serves_users: BoolArray

    def user_positions(self, r_sat_itrs_km: FloatArray) -> FloatArray:
        """Positions ``(S, 3)`` with NaN for the satellites that do not serve user terminals."""
        return np.where(self.serves_users[:, None], r_sat_itrs_km, np.nan)

    def __repr__(self) -> str:
        return (
            f"Network({len(self.catalog)} satellites, {len(self.isl_pairs)} lasers, "
            f"{len(self.gateways)} gateways, {len(self.pops)} PoPs)"
        )


def _no_sites(kind: str) -> GroundSites:
    empty = np.zeros(0, dtype=np.float64)
    return GroundSites(
        ids=(),
        names=(),
        lat_deg=empty,
        lon_deg=empty,
        alt_km=empty,
        max_links=np.zeros(0, dtype=np.int64),
        kind=kind,
    )


def _sites(
    choice: GroundSites | bool, vendored: Callable[[], GroundSites], kind: str
) -> GroundSites:
    if isinstance(choice, GroundSites):
        return choice
    if choice is True:
        return vendored()
    if choice is False:
        return _no_sites(kind)
    raise InputError(f"{kind}s={choice!r}: give True (the vendored sites), False or GroundSites")


def inferred_isl_pairs(
    catalog: Catalog,
    at: str | np.datetime64 | None,
    max_isl_km: float,
    min_isl_clearance_km: float = ISL_MIN_GRAZING_ALTITUDE_KM,
) -> IntArray:
    """The +Grid lasers of ``catalog``'s structure inferred at ``at`` (None: its median epoch).

    Only partners that can be up at that instant (`isl_up`): a cross-plane neighbour across a
    gap in a sparse shell, or one behind the Earth, is no partner (`leolink.network.lasers`).
    """
    structure = infer_structure(catalog, at)
    pairs = plus_grid_pairs(structure.neighbours)
    return pairs[isl_up(structure.r_teme_km, pairs, max_isl_km, min_isl_clearance_km)[0]]


def build_network(
    catalog: Catalog,
    *,
    isl: IslPattern | str = IslPattern.PLUS_GRID,
    neighbours: npt.ArrayLike | None = None,
    isl_pairs: npt.ArrayLike | None = None,
    gateways: GroundSites | bool = True,
    pops: GroundSites | bool = True,
    min_elevation_deg: float | None = DEFAULT_MIN_ELEVATION_DEG,
    max_gsl_km: float | None = None,
    max_isl_km: float = DEFAULT_MAX_ISL_KM,
    min_isl_clearance_km: float = ISL_MIN_GRAZING_ALTITUDE_KM,
    ground_relays: bool = False,
    serves_users: npt.ArrayLike | None = None,
) -> Network:
    """Prepare the time-independent part of the network of ``catalog``.

    ``isl`` is ``plus-grid`` (lasers to the next satellite in the plane and to the neighbour in
    the plane to the east) or ``none`` (bent pipe only).  The +Grid comes from ``neighbours``
    (``(S, 4)`` as `Structure.neighbours`), inferred from the catalog with
    `leolink.orbits.structure.infer_structure` when not given; satellites not settled in an
    inferred shell (raising, lowering or decaying) then have no lasers.  ``isl_pairs``
    (``(L, 2)`` satellite indices, e.g. from a Hypatia ``isls.txt`` read with
    `leolink.network.hypatia.parse_isls`) gives the lasers instead.  ``gateways`` and ``pops`` are
    True for the vendored Starlink sets (`load_gateways`, `load_pops`), False for none, or the
    sites to use.  Ground links need ``min_elevation_deg`` and/or ``max_gsl_km`` (None to drop
    one of them).  A laser is up within ``max_isl_km`` while its line of sight clears the
    Earth by ``min_isl_clearance_km`` (`leolink.network.links.isl_up`).  ``ground_relays``
    lets paths pass through endpoints and gateways.
    ``serves_users`` (``(S,)`` booleans) names the satellites a user terminal may link to; by
    default those with a broadband payload (`leolink.orbits.payload.serves_dishes`: no
    Direct-to-Cell satellite serves a dish unless asked).
    """
    try:
        pattern = IslPattern(isl)
    except ValueError:
        choices = ", ".join(p.value for p in IslPattern)
        raise InputError(f"isl={isl!r} is not an ISL pattern; choose one of {choices}") from None
    if min_elevation_deg is None and max_gsl_km is None:
        raise InputError(
            "ground links need a rule: give min_elevation_deg (e.g. 25) or max_gsl_km, or both"
        )
    if not (isinstance(max_isl_km, int | float) and math.isfinite(max_isl_km) and max_isl_km > 0):
        raise InputError(f"max_isl_km={max_isl_km!r} must be a positive number of km")
    if not (isinstance(min_isl_clearance_km, int | float) and math.isfinite(min_isl_clearance_km)):
        raise InputError(
            f"min_isl_clearance_km={min_isl_clearance_km!r} must be a number of km above WGS84 "
            "(e.g. 80; negative lets lasers pass through the Earth)"
        )
    if max_gsl_km is not None and not (math.isfinite(max_gsl_km) and max_gsl_km > 0):
        raise InputError(f"max_gsl_km={max_gsl_km!r} must be a positive number of km")
    if min_elevation_deg is not None and not (
        math.isfinite(min_elevation_deg) and -90.0 <= min_elevation_deg <= 90.0
    ):
        raise InputError(f"min_elevation_deg={min_elevation_deg!r} must be in [-90, 90] degrees")

    if pattern is IslPattern.NONE:
        if isl_pairs is not None:
            raise InputError("isl='none' leaves out the lasers; drop isl_pairs or use plus-grid")
        pairs = np.zeros((0, 2), dtype=np.int64)
    elif isl_pairs is not None:
        pairs = np.asarray(isl_pairs, dtype=np.int64).reshape(-1, 2)
        bad = (pairs < 0) | (pairs >= len(catalog))
        if np.any(bad) or np.any(pairs[:, 0] == pairs[:, 1]):
            raise InputError(
                f"isl_pairs must link two different satellites of the catalog's {len(catalog)} "
                "(indices from 0, in catalog order)"
            )
    elif neighbours is None:
        pairs = inferred_isl_pairs(catalog, None, max_isl_km, min_isl_clearance_km)
    else:
        table = np.asarray(neighbours, dtype=np.int64)
        if table.shape[0] != len(catalog):
            raise InputError(
                f"neighbours has {table.shape[0]} rows but the catalog has {len(catalog)} "
                "satellites; give one row per satellite, in catalog order"
            )
        pairs = plus_grid_pairs(table)

    if serves_users is None:
        users = serves_dishes(catalog.names)
    else:
        users = np.asarray(serves_users, dtype=bool).reshape(-1)
        if users.shape != (len(catalog),):
            raise InputError(
                f"serves_users has {users.size} values but the catalog has {len(catalog)} "
                "satellites; give one boolean per satellite, in catalog order"
            )

    gw = _sites(gateways, load_gateways, "gateway")
    pp = _sites(pops, load_pops, "pop")
    if len(pp) and len(gw):
        km = great_circle_km(
            gw.lat_deg[:, None], gw.lon_deg[:, None], pp.lat_deg[None, :], pp.lon_deg[None, :]
        )
        gateway_pop = np.argmin(km, axis=1).astype(np.int64)
        gateway_pop_km = km[np.arange(len(gw)), gateway_pop]
    else:
        gateway_pop = np.full(len(gw), -1, dtype=np.int64)
        gateway_pop_km = np.full(len(gw), np.nan)
    return Network(
        catalog=catalog,
        isl_pairs=pairs,
        gateways=gw,
        pops=pp,
        gateway_pop=gateway_pop,
        gateway_pop_km=np.asarray(gateway_pop_km, dtype=np.float64),
        min_elevation_deg=None if min_elevation_deg is None else float(min_elevation_deg),
        max_gsl_km=None if max_gsl_km is None else float(max_gsl_km),
        max_isl_km=float(max_isl_km),
        min_isl_clearance_km=float(min_isl_clearance_km),
        ground_relays=bool(ground_relays),
        serves_users=users,
    )


@dataclass(frozen=True, eq=False)
class NetworkGraph:
    """The network at one instant, as a directed graph weighted by one-way delay in ms.

    ``adjacency`` is a SciPy CSR matrix ``(N, N)``; node order is in the module docstring
    (helpers `source_node`, `sink_node`, `gateway_node`, `pop_node`).  ``r_sat_itrs_km``
    ``(S, 3)`` are the positions it was built from (NaN for a satellite SGP4 could not place).
    ``lasers_up`` counts the lasers within range, ``gsl_endpoint`` and ``gsl_gateway`` the
    ground links of endpoints and gateways.
    """

    network: Network
    at: np.datetime64 | None
    endpoints: GroundSites
    r_sat_itrs_km: FloatArray
    adjacency: scipy.sparse.csr_array
    lasers_up: int
    gsl_endpoint: int
    gsl_gateway: int

    @property
    def n_satellites(self) -> int:
        """Number of satellites S (nodes ``0 .. S-1``)."""
        return len(self.network.catalog)

    @property
    def n_nodes(self) -> int:
        """Number of nodes N = S + 2E + G + P."""
        return int(self.adjacency.shape[0])

    def source_node(self, endpoint: int | IntArray) -> int | IntArray:
        """Node of endpoint ``endpoint`` as the start of a path."""
        return self.n_satellites + endpoint

    def sink_node(self, endpoint: int | IntArray) -> int | IntArray:
        """Node of endpoint ``endpoint`` as the end of a path."""
        return self.n_satellites + len(self.endpoints) + endpoint

    def gateway_node(self, gateway: int | IntArray) -> int | IntArray:
        """Node of gateway ``gateway``."""
        return self.n_satellites + 2 * len(self.endpoints) + gateway

    def pop_node(self, pop: int | IntArray) -> int | IntArray:
        """Node of PoP ``pop``."""
        return self.n_satellites + 2 * len(self.endpoints) + len(self.network.gateways) + pop

    @cached_property
    def _bounds(self) -> IntArray:
        s, e, g = self.n_satellites, len(self.endpoints), len(self.network.gateways)
        return np.cumsum([s, e, e, g, len(self.network.pops)]).astype(np.int64)

    def node_kind(self, node: int) -> tuple[NodeKind, int]:
        """The kind of ``node`` and its index among the satellites, endpoints, gateways or PoPs."""
        if not 0 <= node < self.n_nodes:
            raise InputError(f"node {node} is not in this graph of {self.n_nodes} nodes")
        k = int(np.searchsorted(self._bounds, node, side="right"))
        start = 0 if k == 0 else int(self._bounds[k - 1])
        return NodeKind(k), node - start

    def delay_ms(self, a: int, b: int) -> float:
        """One-way delay of the link from node ``a`` to node ``b``, ms (inf when there is none)."""
        row = slice(self.adjacency.indptr[a], self.adjacency.indptr[a + 1])
        hit = np.flatnonzero(self.adjacency.indices[row] == b)
        return float(self.adjacency.data[row][hit[0]]) if len(hit) else math.inf


def network_graph(
    network: Network, at: str | np.datetime64, endpoints: GroundSites
) -> NetworkGraph:
    """The network at UTC instant ``at`` with ``endpoints`` as sources and sinks of paths.

    Propagates the satellites with SGP4 (`leolink.orbits.propagate`) and calls
    `graph_from_positions`.
    """
    instant = parse_instant(at)
    r = propagate(network.catalog, instant).r_itrs_km[:, 0, :]
    return graph_from_positions(network, r, endpoints, at=instant)


def graph_from_positions(
    network: Network,
    r_sat_itrs_km: npt.ArrayLike,
    endpoints: GroundSites,
    *,
    at: np.datetime64 | None = None,
) -> NetworkGraph:
    """The network with satellites at ``r_sat_itrs_km`` ``(S, 3)`` and these ``endpoints``.

    Lasers are up within ``max_isl_km`` and clear of the Earth (`isl_up`); ground links as
    `gsl_links` (endpoints without a link
    limit, gateways with their antenna count); fibre from each gateway to its PoP at 2/3 c.
    """
    r = np.asarray(r_sat_itrs_km, dtype=np.float64)
    s_count = len(network.catalog)
    if r.shape != (s_count, 3):
        raise InputError(
            f"r_sat_itrs_km has shape {r.shape}; expected ({s_count}, 3) for the network's "
            "satellites in catalog order"
        )
    e_count, g_count = len(endpoints), len(network.gateways)
    n_nodes = s_count + 2 * e_count + g_count + len(network.pops)
    source0, sink0 = s_count, s_count + e_count
    gateway0 = s_count + 2 * e_count
    pop0 = gateway0 + g_count
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    delays: list[FloatArray] = []

    def add(a: IntArray, b: IntArray, ms: FloatArray) -> None:
        rows.append(a)
        cols.append(b)
        delays.append(ms)

    up, lengths = isl_up(r, network.isl_pairs, network.max_isl_km, network.min_isl_clearance_km)
    a, b, ms = network.isl_pairs[up, 0], network.isl_pairs[up, 1], lengths[up] / _C_KM_PER_MS
    add(a, b, ms)
    add(b, a, ms)

    rules = {"min_elevation_deg": network.min_elevation_deg, "max_range_km": network.max_gsl_km}
    user = gsl_links(network.user_positions(r), endpoints, limit_links=False, **rules)
    ms = user.range_km / _C_KM_PER_MS
    add(source0 + user.site, user.satellite, ms)
    add(user.satellite, sink0 + user.site, ms)
    if network.ground_relays:
        add(sink0 + user.site, user.satellite, ms)

    gateway = gsl_links(r, network.gateways, limit_links=True, **rules)
    ms = gateway.range_km / _C_KM_PER_MS
    add(gateway.satellite, gateway0 + gateway.site, ms)
    if network.ground_relays:
        add(gateway0 + gateway.site, gateway.satellite, ms)
    homed = np.flatnonzero(network.gateway_pop >= 0)
    add(
        gateway0 + homed,
        pop0 + network.gateway_pop[homed],
        network.gateway_pop_km[homed] / (_C_KM_PER_MS * FIBRE_VELOCITY_FACTOR),
    )

    adjacency = scipy.sparse.csr_array(
        (np.concatenate(delays), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_nodes, n_nodes),
    )
    return NetworkGraph(
        network=network,
        at=at,
        endpoints=endpoints,
        r_sat_itrs_km=r,
        adjacency=adjacency,
        lasers_up=int(np.count_nonzero(up)),
        gsl_endpoint=len(user),
        gsl_gateway=len(gateway),
    )
