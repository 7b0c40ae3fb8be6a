"""The network: gateways, PoPs, ground and laser links, routing by delay, and latency.

Import from `leolink.api` (``route``) or from here; the modules behind are `sites` (the ground
segment), `links` (which links exist at an instant), `graph` (the network as a sparse graph),
`routing` (shortest paths, routes, forwarding state), `countries` (the propagation-only RTT
floor country by country), `homing` (the 2026 PoPs and Starlink's GeoIP PoP assignment),
`latency` (RTT as users measure it, by component)
and `hypatia` (Hypatia's shells, to check leolink against).
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
from leolink.network.homing import (
    GEOIP_FEED_DATE,
    PopAssignment,
    feed_pops_by_country,
    load_pops_2026,
    pop_for_places,
)
from leolink.network.hypatia import (
    HYPATIA_EPOCH,
    STARLINK_550_MAX_GSL_KM,
    STARLINK_550_MAX_ISL_KM,
    HypatiaShell,
    hypatia_compatible_shell,
    hypatia_tle_lines,
)
from leolink.network.latency import (
    COMPONENTS,
    TERRESTRIAL_ROUTE_FACTOR,
    LatencyRow,
    RttSamples,
    latency_table,
    rtt_samples,
    terrestrial_ms,
)
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
    EARTH_MEAN_RADIUS_KM,
    GroundSites,
    great_circle_km,
    ground_sites,
    load_cities,
    load_gateways,
    load_pops,
    parse_lat_lon,
)

__all__ = [
    "COMPONENTS",
    "DEFAULT_MAX_ISL_KM",
    "DEFAULT_MIN_ELEVATION_DEG",
    "EARTH_MEAN_RADIUS_KM",
    "FIBRE_VELOCITY_FACTOR",
    "GEOIP_FEED_DATE",
    "HYPATIA_EPOCH",
    "SPEED_OF_LIGHT_KM_S",
    "STARLINK_550_MAX_GSL_KM",
    "STARLINK_550_MAX_ISL_KM",
    "TERRESTRIAL_ROUTE_FACTOR",
    "CountryRtt",
    "ForwardingState",
    "GroundSites",
    "GslLinks",
    "Hop",
    "HypatiaShell",
    "InternetAccess",
    "InternetTree",
    "IslPattern",
    "LatencyRow",
    "LinkKind",
    "Network",
    "NetworkGraph",
    "NodeKind",
    "PopAssignment",
    "Route",
    "RttSamples",
    "build_network",
    "country_rtt_table",
    "feed_pops_by_country",
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
    "latency_table",
    "load_cities",
    "load_gateways",
    "load_pops",
    "load_pops_2026",
    "max_gsl_range_km",
    "max_isl_range_km",
    "network_graph",
    "parse_lat_lon",
    "plus_grid_pairs",
    "pop_for_places",
    "route",
    "route_in",
    "route_on",
    "rtt_samples",
    "shortest_delays",
    "terrestrial_ms",
]
