"""The network: gateways, PoPs, ground and laser links, routing by delay, and latency.

Import from `leolink.api` (``route``) or from here; the modules behind are `sites` (the ground
segment), `links` (which links exist at an instant), `graph` (the network as a sparse graph),
`routing` (shortest paths, routes, forwarding state), `lasers` (laser links over time),
`countries` (RTT country by country) and `hypatia` (Hypatia's shells and ``isls.txt``, to check
leolink against).
"""

from __future__ import annotations

from leolink.network.countries import CountryRtt, country_rtt_table
from leolink.network.graph import (
    DEFAULT_MAX_ISL_KM,
    FIBRE_VELOCITY_FACTOR,
    LinkKind,
    Network,
    NetworkGraph,
    NodeKind,
    build_network,
    graph_from_positions,
    network_graph,
)
from leolink.network.hypatia import (
    HYPATIA_EPOCH,
    STARLINK_550_MAX_GSL_KM,
    STARLINK_550_MAX_ISL_KM,
    HypatiaShell,
    format_isls,
    hypatia_compatible_shell,
    hypatia_tle_lines,
    parse_isls,
)
from leolink.network.lasers import SPACEX_LASERS_2024, LaserDay, laser_day
from leolink.network.links import (
    DEFAULT_MIN_ELEVATION_DEG,
    SPEED_OF_LIGHT_KM_S,
    GslLinks,
    IslPattern,
    gsl_links,
    isl_lengths_km,
    max_gsl_range_km,
    max_isl_range_km,
    plus_grid_pairs,
)
from leolink.network.routing import (
    ForwardingState,
    Hop,
    InternetAccess,
    InternetTree,
    Route,
    forwarding_state,
    internet_rtt_ms,
    internet_tree,
    route,
    route_in,
    route_on,
    shortest_delays,
)
from leolink.network.sites import (
    GroundSites,
    great_circle_km,
    ground_sites,
    load_cities,
    load_gateways,
    load_pops,
    parse_lat_lon,
)

__all__ = [
    "DEFAULT_MAX_ISL_KM",
    "DEFAULT_MIN_ELEVATION_DEG",
    "FIBRE_VELOCITY_FACTOR",
    "HYPATIA_EPOCH",
    "SPACEX_LASERS_2024",
    "SPEED_OF_LIGHT_KM_S",
    "STARLINK_550_MAX_GSL_KM",
    "STARLINK_550_MAX_ISL_KM",
    "CountryRtt",
    "ForwardingState",
    "GroundSites",
    "GslLinks",
    "Hop",
    "HypatiaShell",
    "InternetAccess",
    "InternetTree",
    "IslPattern",
    "LaserDay",
    "LinkKind",
    "Network",
    "NetworkGraph",
    "NodeKind",
    "Route",
    "build_network",
    "country_rtt_table",
    "format_isls",
    "forwarding_state",
    "graph_from_positions",
    "great_circle_km",
    "ground_sites",
    "gsl_links",
    "hypatia_compatible_shell",
    "hypatia_tle_lines",
    "internet_rtt_ms",
    "internet_tree",
    "isl_lengths_km",
    "laser_day",
    "load_cities",
    "load_gateways",
    "load_pops",
    "max_gsl_range_km",
    "max_isl_range_km",
    "network_graph",
    "parse_isls",
    "parse_lat_lon",
    "plus_grid_pairs",
    "route",
    "route_in",
    "route_on",
    "shortest_delays",
]
