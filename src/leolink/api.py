"""The public facade of leolink: what the command line, the service and users' scripts call.

Everything here is re-exported from the implementation modules; import from here, not from
them.  Names follow docs/DESIGN.md: ``load_catalog``, ``propagate``, ``visible``, ...

The facade is lazy (PEP 562): a name is imported from its implementation module the first time
it is used, so ``from leolink.api import decide`` loads the policy engine and not the orbit
propagator, and ``leolink --help`` starts without numpy.  ``_EXPORTS`` says where each name
lives; the imports under ``TYPE_CHECKING`` say the same for type checkers (tests/test_api.py
keeps the two equal).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leolink.arrays import CellArray
    from leolink.cache import LruCache
    from leolink.coverage.aggregate import summarize as coverage_summary
    from leolink.coverage.budget import (
        SweepEstimate,
        check_sweep,
        estimate_region_cells,
        estimate_sweep,
    )
    from leolink.coverage.maps import coverage_map, figure_label, map_figures
    from leolink.coverage.merit import AreaStatistics, region_statistics
    from leolink.coverage.sweep import (
        ShellMask,
        SweepPlan,
        SweepResult,
        coverage,
        plan_sweep,
        region_cells,
        sweep,
    )
    from leolink.forensics.infer import infer as infer_findings
    from leolink.forensics.log import PolicyLog, findings_document, match_log
    from leolink.forensics.reports import (
        ReportsRead,
        read_reports,
        reports_from_records,
        write_reports,
    )
    from leolink.forensics.simulate import (
        GroundOutage,
        Jamming,
        Restriction,
        Simulation,
        scenario_restrictions,
        study_area,
    )
    from leolink.forensics.simulate import disk as disk_cells
    from leolink.forensics.simulate import simulate as simulate_reports
    from leolink.forensics.sky import CoverageModel
    from leolink.geo.countries import (
        NO_COUNTRY,
        Country,
        all_countries,
        countries_at,
        country_geometry,
        country_representative_point,
        get_country,
    )
    from leolink.geo.grid import (
        DEFAULT_RESOLUTION,
        cells_to_hex,
        cells_to_latlng,
        cells_to_polygons,
        check_resolution,
        latlng_to_cells,
        world_cells,
    )
    from leolink.geo.places import MIN_POPULATION as PLACES_MIN_POPULATION
    from leolink.geo.places import all_places
    from leolink.geo.regions import (
        bbox_to_cells,
        bbox_to_geometry,
        country_to_cells,
        geojson_to_cells,
    )
    from leolink.jobs.executor import make_executor
    from leolink.limits import (
        CLIENT_SHARE,
        COMMAND_LINE_LIMITS,
        SERVICE_LIMITS,
        ClientShare,
        WorkLimits,
        describe_limits,
    )
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
    from leolink.network.graph import DEFAULT_MAX_ISL_KM, Network
    from leolink.network.homing import GEOIP_FEED_DATE
    from leolink.network.hypatia import parse_isls
    from leolink.network.latency import ground_segment
    from leolink.network.links import IslPattern, ground_link_elevation_deg
    from leolink.network.routing import route_on
    from leolink.network.sites import parse_lat_lon, parse_route_endpoints
    from leolink.orbits.archive import (
        CatalogSnapshot,
        UpdateResult,
        catalog_path_for,
        load_catalog_for,
        update_catalog,
    )
    from leolink.orbits.archive import snapshots as catalog_snapshots
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
    from leolink.policy._areas import AreaCellsStore, fence_area
    from leolink.policy.asof import ViewedDecision, known_at_for
    from leolink.policy.audit import AuditRecord, public_key_to_hex, record_from_dict
    from leolink.policy.availability import VENDORED_PUBLISHED, MapSnapshot, load_vendored_snapshot
    from leolink.policy.availability import compare as compare_availability
    from leolink.policy.availability import read_snapshot as read_availability_snapshot
    from leolink.policy.availability_map import comparison_map
    from leolink.policy.batch import BatchDecisions, CompiledPolicy, compile_policy, decide_batch
    from leolink.policy.commitments import SEALED_REASON
    from leolink.policy.decide import DEFAULT_SETTINGS, Code, Decision, DecisionSettings, decide
    from leolink.policy.decide import PRECEDENCE as DECISION_PRECEDENCE
    from leolink.policy.defaults import (
        DEFAULT_APPROVER,
        DEFAULT_PROPOSER,
        apply_defaults,
        load_default_dataset,
        seed_if_empty,
    )
    from leolink.policy.enforcement import VIOLATIONS, find_violations
    from leolink.policy.enforcement import suspend as suspend_violations
    from leolink.policy.impact import (
        Impact,
        ImpactEstimate,
        average_cells,
        check_impact,
        estimate_impact,
        geofence_impact,
        region_vertices,
    )
    from leolink.policy.merkle import MemoryTree, verify_consistency, verify_inclusion
    from leolink.policy.notes import (
        SignedCheckpoint,
        Verifier,
        parse_checkpoint,
        verifier_from_vkey,
    )
    from leolink.policy.notes import vkey as note_vkey
    from leolink.policy.receipts import Receipt, check_policy_included, parse_receipt
    from leolink.policy.records import (
        ApiKey,
        CellStatusChange,
        CountryStatusChange,
        Geofence,
        GeofenceSpec,
        PolicyHistory,
        PolicySnapshot,
        PositionReport,
        Terminal,
    )
    from leolink.policy.scenarios import (
        ScenarioClock,
        StepOutcome,
        load_scenario,
        run_scenario,
        scenario_names,
    )
    from leolink.policy.scenarios import load_into as load_scenario_into
    from leolink.policy.sky import DEFAULT_MIN_ELEVATION_DEG, Sky
    from leolink.policy.sources import decide_from
    from leolink.policy.tiles import parse_tile_index
    from leolink.policy.tlog import record_leaf, verify_log
    from leolink.policy.vocabulary import (
        AsOf,
        ChangeState,
        CountryStatus,
        CustomerClass,
        GeofenceEffect,
        Plan,
        Role,
        TerminalState,
    )
    from leolink.policy.witness import (
        SIZE_MEDIA_TYPE,
        AddCheckpoint,
        RefusedError,
        SplitViewError,
        WitnessState,
        add_checkpoint,
        add_checkpoint_body,
        parse_add_checkpoint,
    )
    from leolink.time import count_instants, format_instant, parse_instant, time_grid

#: Public name -> the module that defines it, with ``:attribute`` where the name differs there.
_EXPORTS: dict[str, str] = {
    "AddCheckpoint": "leolink.policy.witness",
    "ApiKey": "leolink.policy.records",
    "AreaCellsStore": "leolink.policy._areas",
    "AreaStatistics": "leolink.coverage.merit",
    "AsOf": "leolink.policy.vocabulary",
    "AuditRecord": "leolink.policy.audit",
    "BatchDecisions": "leolink.policy.batch",
    "CLIENT_SHARE": "leolink.limits",
    "COMMAND_LINE_LIMITS": "leolink.limits",
    "Catalog": "leolink.orbits.catalog",
    "CatalogSnapshot": "leolink.orbits.archive",
    "CellArray": "leolink.arrays",
    "CellStatusChange": "leolink.policy.records",
    "ChangeState": "leolink.policy.vocabulary",
    "ClientShare": "leolink.limits",
    "Code": "leolink.policy.decide",
    "CompiledPolicy": "leolink.policy.batch",
    "Country": "leolink.geo.countries",
    "CountryRtt": "leolink.network",
    "CountryStatus": "leolink.policy.vocabulary",
    "CountryStatusChange": "leolink.policy.records",
    "CoverageModel": "leolink.forensics.sky",
    "CustomerClass": "leolink.policy.vocabulary",
    "DECISION_PRECEDENCE": "leolink.policy.decide:PRECEDENCE",
    "DEFAULT_APPROVER": "leolink.policy.defaults",
    "DEFAULT_MAX_ISL_KM": "leolink.network.graph",
    "DEFAULT_MIN_ELEVATION_DEG": "leolink.policy.sky",
    "DEFAULT_PROPOSER": "leolink.policy.defaults",
    "DEFAULT_RESOLUTION": "leolink.geo.grid",
    "DEFAULT_SETTINGS": "leolink.policy.decide",
    "Decision": "leolink.policy.decide",
    "DecisionSettings": "leolink.policy.decide",
    "Ephemeris": "leolink.orbits.propagate",
    "GEOIP_FEED_DATE": "leolink.network.homing",
    "Geofence": "leolink.policy.records",
    "GeofenceEffect": "leolink.policy.vocabulary",
    "GeofenceSpec": "leolink.policy.records",
    "GroundOutage": "leolink.forensics.simulate",
    "Impact": "leolink.policy.impact",
    "ImpactEstimate": "leolink.policy.impact",
    "IslPattern": "leolink.network.links",
    "Jamming": "leolink.forensics.simulate",
    "LatencyRow": "leolink.network",
    "LruCache": "leolink.cache",
    "MapSnapshot": "leolink.policy.availability",
    "MemoryTree": "leolink.policy.merkle",
    "NO_COUNTRY": "leolink.geo.countries",
    "Network": "leolink.network.graph",
    "PLACES_MIN_POPULATION": "leolink.geo.places:MIN_POPULATION",
    "Plan": "leolink.policy.vocabulary",
    "PolicyHistory": "leolink.policy.records",
    "PolicyLog": "leolink.forensics.log",
    "PolicySnapshot": "leolink.policy.records",
    "PositionReport": "leolink.policy.records",
    "Receipt": "leolink.policy.receipts",
    "RefusedError": "leolink.policy.witness",
    "ReportsRead": "leolink.forensics.reports",
    "Restriction": "leolink.forensics.simulate",
    "Role": "leolink.policy.vocabulary",
    "Route": "leolink.network",
    "SEALED_REASON": "leolink.policy.commitments",
    "SERVICE_LIMITS": "leolink.limits",
    "SIZE_MEDIA_TYPE": "leolink.policy.witness",
    "SatellitePosition": "leolink.orbits.snapshot",
    "ScenarioClock": "leolink.policy.scenarios",
    "ShellMask": "leolink.coverage.sweep",
    "ShellSpec": "leolink.orbits.walker",
    "ShellSummary": "leolink.orbits.structure",
    "SignedCheckpoint": "leolink.policy.notes",
    "Simulation": "leolink.forensics.simulate",
    "Sky": "leolink.policy.sky",
    "SplitViewError": "leolink.policy.witness",
    "StepOutcome": "leolink.policy.scenarios",
    "Structure": "leolink.orbits.structure",
    "SweepEstimate": "leolink.coverage.budget",
    "SweepPlan": "leolink.coverage.sweep",
    "SweepResult": "leolink.coverage.sweep",
    "Terminal": "leolink.policy.records",
    "TerminalState": "leolink.policy.vocabulary",
    "UpdateResult": "leolink.orbits.archive",
    "VENDORED_PUBLISHED": "leolink.policy.availability",
    "VIOLATIONS": "leolink.policy.enforcement",
    "Verifier": "leolink.policy.notes",
    "ViewedDecision": "leolink.policy.asof",
    "VisibleSatellite": "leolink.orbits.snapshot",
    "WalkerShell": "leolink.orbits.walker",
    "WitnessState": "leolink.policy.witness",
    "WorkLimits": "leolink.limits",
    "add_checkpoint": "leolink.policy.witness",
    "add_checkpoint_body": "leolink.policy.witness",
    "all_countries": "leolink.geo.countries",
    "all_places": "leolink.geo.places",
    "apply_defaults": "leolink.policy.defaults",
    "average_cells": "leolink.policy.impact",
    "bbox_to_cells": "leolink.geo.regions",
    "bbox_to_geometry": "leolink.geo.regions",
    "build_network": "leolink.network",
    "catalog_path_for": "leolink.orbits.archive",
    "catalog_snapshots": "leolink.orbits.archive:snapshots",
    "catalog_summary": "leolink.orbits.structure",
    "cells_to_hex": "leolink.geo.grid",
    "cells_to_latlng": "leolink.geo.grid",
    "cells_to_polygons": "leolink.geo.grid",
    "check_impact": "leolink.policy.impact",
    "check_policy_included": "leolink.policy.receipts",
    "check_resolution": "leolink.geo.grid",
    "check_sweep": "leolink.coverage.budget",
    "compare_availability": "leolink.policy.availability:compare",
    "comparison_map": "leolink.policy.availability_map",
    "compile_policy": "leolink.policy.batch",
    "count_instants": "leolink.time",
    "countries_at": "leolink.geo.countries",
    "country_geometry": "leolink.geo.countries",
    "country_representative_point": "leolink.geo.countries",
    "country_rtt_table": "leolink.network",
    "country_to_cells": "leolink.geo.regions",
    "coverage": "leolink.coverage.sweep",
    "coverage_map": "leolink.coverage.maps",
    "coverage_summary": "leolink.coverage.aggregate:summarize",
    "decide": "leolink.policy.decide",
    "decide_batch": "leolink.policy.batch",
    "decide_from": "leolink.policy.sources",
    "describe_limits": "leolink.limits",
    "disk_cells": "leolink.forensics.simulate:disk",
    "estimate_impact": "leolink.policy.impact",
    "estimate_region_cells": "leolink.coverage.budget",
    "estimate_sweep": "leolink.coverage.budget",
    "fence_area": "leolink.policy._areas",
    "figure_label": "leolink.coverage.maps",
    "find_violations": "leolink.policy.enforcement",
    "findings_document": "leolink.forensics.log",
    "format_instant": "leolink.time",
    "geodetic_to_itrs": "leolink.orbits.frames",
    "geofence_impact": "leolink.policy.impact",
    "geojson_to_cells": "leolink.geo.regions",
    "get_country": "leolink.geo.countries",
    "ground_link_elevation_deg": "leolink.network.links",
    "ground_segment": "leolink.network.latency",
    "infer_findings": "leolink.forensics.infer:infer",
    "infer_structure": "leolink.orbits.structure",
    "internet_route": "leolink.network",
    "itrs_to_geodetic": "leolink.orbits.frames",
    "itrs_to_topocentric": "leolink.orbits.frames",
    "known_at_for": "leolink.policy.asof",
    "latency_record": "leolink.network",
    "latency_table": "leolink.network",
    "latlng_to_cells": "leolink.geo.grid",
    "load_catalog": "leolink.orbits.loading",
    "load_catalog_for": "leolink.orbits.archive",
    "load_default_dataset": "leolink.policy.defaults",
    "load_scenario": "leolink.policy.scenarios",
    "load_scenario_into": "leolink.policy.scenarios:load_into",
    "load_vendored_snapshot": "leolink.policy.availability",
    "make_executor": "leolink.jobs.executor",
    "map_figures": "leolink.coverage.maps",
    "match_log": "leolink.forensics.log",
    "note_vkey": "leolink.policy.notes:vkey",
    "parse_add_checkpoint": "leolink.policy.witness",
    "parse_checkpoint": "leolink.policy.notes",
    "parse_instant": "leolink.time",
    "parse_isls": "leolink.network.hypatia",
    "parse_lat_lon": "leolink.network.sites",
    "parse_receipt": "leolink.policy.receipts",
    "parse_route_endpoints": "leolink.network.sites",
    "parse_tile_index": "leolink.policy.tiles",
    "plan_sweep": "leolink.coverage.sweep",
    "positions": "leolink.orbits.snapshot:positions_at",
    "propagate": "leolink.orbits.propagate",
    "propagate_teme": "leolink.orbits.propagate",
    "public_key_to_hex": "leolink.policy.audit",
    "read_availability_snapshot": "leolink.policy.availability:read_snapshot",
    "read_reports": "leolink.forensics.reports",
    "record_from_dict": "leolink.policy.audit",
    "record_leaf": "leolink.policy.tlog",
    "region_cells": "leolink.coverage.sweep",
    "region_statistics": "leolink.coverage.merit",
    "region_vertices": "leolink.policy.impact",
    "reports_from_records": "leolink.forensics.reports",
    "route": "leolink.network",
    "route_on": "leolink.network.routing",
    "run_scenario": "leolink.policy.scenarios",
    "scenario_names": "leolink.policy.scenarios",
    "scenario_restrictions": "leolink.forensics.simulate",
    "seed_if_empty": "leolink.policy.defaults",
    "simulate_reports": "leolink.forensics.simulate:simulate",
    "starlink_shells": "leolink.orbits.walker",
    "study_area": "leolink.forensics.simulate",
    "suspend_violations": "leolink.policy.enforcement:suspend",
    "sweep": "leolink.coverage.sweep",
    "teme_to_itrs": "leolink.orbits.frames",
    "time_grid": "leolink.time",
    "update_catalog": "leolink.orbits.archive",
    "verifier_from_vkey": "leolink.policy.notes",
    "verify_consistency": "leolink.policy.merkle",
    "verify_inclusion": "leolink.policy.merkle",
    "verify_log": "leolink.policy.tlog",
    "visible": "leolink.orbits.snapshot:visible_from",
    "walker_shell": "leolink.orbits.walker",
    "world_cells": "leolink.geo.grid",
    "write_reports": "leolink.forensics.reports",
}

__all__ = [  # noqa: RUF022 - in sorted() order, which tests/test_api.py checks
    "AddCheckpoint",
    "ApiKey",
    "AreaCellsStore",
    "AreaStatistics",
    "AsOf",
    "AuditRecord",
    "BatchDecisions",
    "CLIENT_SHARE",
    "COMMAND_LINE_LIMITS",
    "Catalog",
    "CatalogSnapshot",
    "CellArray",
    "CellStatusChange",
    "ChangeState",
    "ClientShare",
    "Code",
    "CompiledPolicy",
    "Country",
    "CountryRtt",
    "CountryStatus",
    "CountryStatusChange",
    "CoverageModel",
    "CustomerClass",
    "DECISION_PRECEDENCE",
    "DEFAULT_APPROVER",
    "DEFAULT_MAX_ISL_KM",
    "DEFAULT_MIN_ELEVATION_DEG",
    "DEFAULT_PROPOSER",
    "DEFAULT_RESOLUTION",
    "DEFAULT_SETTINGS",
    "Decision",
    "DecisionSettings",
    "Ephemeris",
    "GEOIP_FEED_DATE",
    "Geofence",
    "GeofenceEffect",
    "GeofenceSpec",
    "GroundOutage",
    "Impact",
    "ImpactEstimate",
    "IslPattern",
    "Jamming",
    "LatencyRow",
    "LruCache",
    "MapSnapshot",
    "MemoryTree",
    "NO_COUNTRY",
    "Network",
    "PLACES_MIN_POPULATION",
    "Plan",
    "PolicyHistory",
    "PolicyLog",
    "PolicySnapshot",
    "PositionReport",
    "Receipt",
    "RefusedError",
    "ReportsRead",
    "Restriction",
    "Role",
    "Route",
    "SEALED_REASON",
    "SERVICE_LIMITS",
    "SIZE_MEDIA_TYPE",
    "SatellitePosition",
    "ScenarioClock",
    "ShellMask",
    "ShellSpec",
    "ShellSummary",
    "SignedCheckpoint",
    "Simulation",
    "Sky",
    "SplitViewError",
    "StepOutcome",
    "Structure",
    "SweepEstimate",
    "SweepPlan",
    "SweepResult",
    "Terminal",
    "TerminalState",
    "UpdateResult",
    "VENDORED_PUBLISHED",
    "VIOLATIONS",
    "Verifier",
    "ViewedDecision",
    "VisibleSatellite",
    "WalkerShell",
    "WitnessState",
    "WorkLimits",
    "add_checkpoint",
    "add_checkpoint_body",
    "all_countries",
    "all_places",
    "apply_defaults",
    "average_cells",
    "bbox_to_cells",
    "bbox_to_geometry",
    "build_network",
    "catalog_path_for",
    "catalog_snapshots",
    "catalog_summary",
    "cells_to_hex",
    "cells_to_latlng",
    "cells_to_polygons",
    "check_impact",
    "check_policy_included",
    "check_resolution",
    "check_sweep",
    "compare_availability",
    "comparison_map",
    "compile_policy",
    "count_instants",
    "countries_at",
    "country_geometry",
    "country_representative_point",
    "country_rtt_table",
    "country_to_cells",
    "coverage",
    "coverage_map",
    "coverage_summary",
    "decide",
    "decide_batch",
    "decide_from",
    "describe_limits",
    "disk_cells",
    "estimate_impact",
    "estimate_region_cells",
    "estimate_sweep",
    "fence_area",
    "figure_label",
    "find_violations",
    "findings_document",
    "format_instant",
    "geodetic_to_itrs",
    "geofence_impact",
    "geojson_to_cells",
    "get_country",
    "ground_link_elevation_deg",
    "ground_segment",
    "infer_findings",
    "infer_structure",
    "internet_route",
    "itrs_to_geodetic",
    "itrs_to_topocentric",
    "known_at_for",
    "latency_record",
    "latency_table",
    "latlng_to_cells",
    "load_catalog",
    "load_catalog_for",
    "load_default_dataset",
    "load_scenario",
    "load_scenario_into",
    "load_vendored_snapshot",
    "make_executor",
    "map_figures",
    "match_log",
    "note_vkey",
    "parse_add_checkpoint",
    "parse_checkpoint",
    "parse_instant",
    "parse_isls",
    "parse_lat_lon",
    "parse_receipt",
    "parse_route_endpoints",
    "parse_tile_index",
    "plan_sweep",
    "positions",
    "propagate",
    "propagate_teme",
    "public_key_to_hex",
    "read_availability_snapshot",
    "read_reports",
    "record_from_dict",
    "record_leaf",
    "region_cells",
    "region_statistics",
    "region_vertices",
    "reports_from_records",
    "route",
    "route_on",
    "run_scenario",
    "scenario_names",
    "scenario_restrictions",
    "seed_if_empty",
    "simulate_reports",
    "starlink_shells",
    "study_area",
    "suspend_violations",
    "sweep",
    "teme_to_itrs",
    "time_grid",
    "update_catalog",
    "verifier_from_vkey",
    "verify_consistency",
    "verify_inclusion",
    "verify_log",
    "visible",
    "walker_shell",
    "world_cells",
    "write_reports",
]

if not TYPE_CHECKING:  # type checkers see the imports above, and an unknown name is an error

    def __getattr__(name: str) -> object:
        target = _EXPORTS.get(name)
        if target is None:
            raise AttributeError(f"module 'leolink.api' has no attribute {name!r}")
        module_name, _, attribute = target.partition(":")
        value = getattr(importlib.import_module(module_name), attribute or name)
        globals()[name] = value  # later look-ups are plain module attributes
        return value


def __dir__() -> list[str]:
    return list(__all__)
