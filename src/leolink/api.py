"""The public facade of leolink: what the command line, the service and users' scripts call.

Everything here is re-exported from the implementation modules; import from here, not from
them.  Names follow docs/DESIGN.md: ``load_catalog``, ``propagate``, ``visible``, ...
"""

from __future__ import annotations

from leolink.coverage.aggregate import summarize as coverage_summary
from leolink.coverage.budget import (
    SweepEstimate,
    check_sweep,
    estimate_region_cells,
    estimate_sweep,
)
from leolink.coverage.maps import coverage_map
from leolink.coverage.sweep import (
    ShellMask,
    SweepPlan,
    SweepResult,
    coverage,
    plan_sweep,
    region_cells,
    sweep,
)
from leolink.geo.countries import Country, countries_at, get_country
from leolink.geo.grid import latlng_to_cells, world_cells
from leolink.geo.regions import bbox_to_cells, country_to_cells, geojson_to_cells
from leolink.limits import WorkLimits
from leolink.network import (
    CountryRtt,
    LatencyRow,
    Route,
    build_network,
    country_rtt_table,
    internet_route,
    latency_record,
    latency_table,
    route,
)
from leolink.orbits.archive import (
    CatalogSnapshot,
    UpdateResult,
    catalog_path_for,
    load_catalog_for,
    update_catalog,
)
from leolink.orbits.archive import (
    snapshots as catalog_snapshots,
)
from leolink.orbits.catalog import Catalog
from leolink.orbits.frames import (
    geodetic_to_itrs,
    itrs_to_geodetic,
    itrs_to_topocentric,
    teme_to_itrs,
)
from leolink.orbits.loading import load_catalog
from leolink.orbits.propagate import Ephemeris, propagate, propagate_teme
from leolink.orbits.snapshot import SatellitePosition, VisibleSatellite
from leolink.orbits.snapshot import positions_at as positions
from leolink.orbits.snapshot import visible_from as visible
from leolink.orbits.structure import ShellSummary, Structure, catalog_summary, infer_structure
from leolink.orbits.walker import ShellSpec, WalkerShell, starlink_shells, walker_shell
from leolink.policy.batch import BatchDecisions, compile_policy, decide_batch
from leolink.policy.decide import Code, Decision, DecisionSettings, decide
from leolink.policy.enforcement import find_violations
from leolink.policy.impact import geofence_impact
from leolink.policy.scenarios import load_scenario, run_scenario, scenario_names
from leolink.policy.sky import Sky
from leolink.policy.sources import decide_from
from leolink.time import count_instants, format_instant, parse_instant, time_grid

__all__ = [
    "BatchDecisions",
    "Catalog",
    "CatalogSnapshot",
    "Code",
    "Country",
    "CountryRtt",
    "Decision",
    "DecisionSettings",
    "Ephemeris",
    "LatencyRow",
    "Route",
    "SatellitePosition",
    "ShellMask",
    "ShellSpec",
    "ShellSummary",
    "Sky",
    "Structure",
    "SweepEstimate",
    "SweepPlan",
    "SweepResult",
    "UpdateResult",
    "VisibleSatellite",
    "WalkerShell",
    "WorkLimits",
    "bbox_to_cells",
    "build_network",
    "catalog_path_for",
    "catalog_snapshots",
    "catalog_summary",
    "check_sweep",
    "compile_policy",
    "count_instants",
    "countries_at",
    "country_rtt_table",
    "country_to_cells",
    "coverage",
    "coverage_map",
    "coverage_summary",
    "decide",
    "decide_batch",
    "decide_from",
    "estimate_region_cells",
    "estimate_sweep",
    "find_violations",
    "format_instant",
    "geodetic_to_itrs",
    "geofence_impact",
    "geojson_to_cells",
    "get_country",
    "infer_structure",
    "internet_route",
    "itrs_to_geodetic",
    "itrs_to_topocentric",
    "latency_record",
    "latency_table",
    "latlng_to_cells",
    "load_catalog",
    "load_catalog_for",
    "load_scenario",
    "parse_instant",
    "plan_sweep",
    "positions",
    "propagate",
    "propagate_teme",
    "region_cells",
    "route",
    "run_scenario",
    "scenario_names",
    "starlink_shells",
    "sweep",
    "teme_to_itrs",
    "time_grid",
    "update_catalog",
    "visible",
    "walker_shell",
    "world_cells",
]
