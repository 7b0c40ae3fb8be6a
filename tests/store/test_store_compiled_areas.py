"""A geofence's area is compiled once, at its proposal, and never again (issue 17).

A hostile region (10 self-crossing rings of many vertices over one cell) costs seconds of
parsing and ``make_valid``.  These tests count, through the real code, how often the region is
parsed, repaired and classified into cells: once at the proposal; not when the policy changes
elsewhere; not when a new process (new store, empty in-process caches) compiles the policy and
decides points in the region's edge cells.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import shapely

from leolink.errors import LimitError
from leolink.geo import grid
from leolink.limits import WorkLimits
from leolink.policy import _areas
from leolink.policy.batch import compile_policy, decide_batch
from leolink.policy.defaults import seed_if_empty
from leolink.policy.records import GeofenceEffect, GeofenceSpec
from leolink.store import Store

CENTRE_LAT_DEG, CENTRE_LON_DEG = 48.5, 35.0  # inland Ukraine
AT = np.datetime64("2026-05-14T12:00:00")  # a day after the store clock starts
RINGS = 10
VERTICES_PER_RING = 2_000  # 100,000 in the issue; the counts do not depend on the size


def hostile_region(rings: int = RINGS, vertices: int = VERTICES_PER_RING) -> dict[str, Any]:
    """``rings`` star-shaped rings that cross themselves (each needs ``make_valid``), all
    within ~3 km of one point, as one MultiPolygon."""
    rng = np.random.default_rng(17)
    polygons = []
    for k in range(rings):
        angle = np.sort(rng.uniform(0.0, 2.0 * np.pi, vertices))
        radius_deg = 0.02 + 0.005 * k / rings + 0.004 * rng.uniform(-1.0, 1.0, vertices)
        lon = CENTRE_LON_DEG + radius_deg * np.cos(angle) / np.cos(np.radians(CENTRE_LAT_DEG))
        lat = CENTRE_LAT_DEG + radius_deg * np.sin(angle)
        # Swap two positions: the ring crosses itself, whatever the random draw.
        lon[[1, 3]], lat[[1, 3]] = lon[[3, 1]], lat[[3, 1]]
        ring = np.column_stack([lon, lat]).round(7).tolist()
        polygons.append([[*ring, ring[0]]])
    return {"type": "MultiPolygon", "coordinates": polygons}


def fence(region: dict[str, Any] | None = None, cells: tuple[str, ...] = ()) -> GeofenceSpec:
    return GeofenceSpec(
        name="hostile" if region is not None else "elsewhere",
        effect=GeofenceEffect.DENY,
        reason="issue 17: a region that is costly to compile",
        area_geojson=None if region is None else json.dumps(region),
        cells=cells,
    )


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts of the costly steps, each still done by the real function."""
    counts: Counter[str] = Counter()

    def counting(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(shapely, "make_valid", counting("make_valid", shapely.make_valid))
    monkeypatch.setattr(_areas, "area_cells", counting("area_cells", _areas.area_cells))
    monkeypatch.setattr(
        _areas, "geojson_to_geometry", counting("parse", _areas.geojson_to_geometry)
    )
    return counts


def forget_process_caches() -> None:
    """What a restarted process would not have."""
    _areas.fence_area.cache_clear()
    _areas._COMPILED.clear()


def edge_points(store: Store) -> tuple[np.ndarray, np.ndarray]:
    """Points in the hostile region's edge cells (where the region itself must be tested)."""
    policy = compile_policy(store.policy_history(), grid.DEFAULT_RESOLUTION, store.compiled_areas)
    edge = policy.table_cells[policy.table_boundary]
    assert edge.size > 0
    lat, lon = grid.cells_to_latlng(edge)
    # Each edge cell's centre, and points across the rings around the region's centre.
    ring = np.linspace(0.0, 0.03, 13)
    return (
        np.concatenate([lat, CENTRE_LAT_DEG + ring]),
        np.concatenate([lon, np.full(ring.size, CENTRE_LON_DEG)]),
    )


def test_a_hostile_region_is_compiled_once_across_policy_changes_and_restarts(
    open_store: Callable[..., Store], calls: Counter[str]
) -> None:
    forget_process_caches()
    store = open_store()
    seed_if_empty(store)  # the public record: Ukraine is licensed, Crimea fenced, ...
    calls.clear()
    store.propose_geofence(fence(hostile_region()), actor="op:mallory")
    at_proposal = dict(calls)
    assert at_proposal["make_valid"] >= RINGS  # the check repaired each crossing ring ...
    assert at_proposal["area_cells"] == 1  # ... and the area was compiled, once
    assert at_proposal.get("parse", 0) == 0  # from the checked geometry, not parsed again

    lat, lon = edge_points(store)
    before = decide_batch(
        compile_policy(store.policy_history(), grid.DEFAULT_RESOLUTION, store.compiled_areas),
        lat,
        lon,
        AT,
    )
    assert "BLOCKED_AREA" in before.code_counts()
    assert len(before.code_counts()) > 1  # points outside the rings are not refused by it
    assert dict(calls) == at_proposal

    # A policy change elsewhere compiles the new fence, not the hostile one again.
    other = grid.cells_to_hex(grid.latlng_to_cells(np.array([50.45]), np.array([30.52]), 5))
    store.propose_geofence(fence(cells=tuple(other)), actor="op:alice")
    compile_policy(store.policy_history(), grid.DEFAULT_RESOLUTION, store.compiled_areas)
    assert calls["area_cells"] == 2
    assert calls["make_valid"] == at_proposal["make_valid"]

    # Her next proposal weighs her recent ones (two-person rule): from the stored region.
    near = grid.cells_to_hex(
        grid.latlng_to_cells(np.array([CENTRE_LAT_DEG]), np.array([CENTRE_LON_DEG + 0.5]), 5)
    )
    store.close()
    forget_process_caches()
    store = open_store()
    store.propose_geofence(fence(cells=tuple(near)), actor="op:mallory")
    assert calls["make_valid"] == at_proposal["make_valid"]
    assert calls["area_cells"] == 3  # her new, small fence

    # A new process: its caches are empty, the store has the compiled area.
    store.close()
    forget_process_caches()
    restarted = open_store()
    after = decide_batch(
        compile_policy(
            restarted.policy_history(), grid.DEFAULT_RESOLUTION, restarted.compiled_areas
        ),
        lat,
        lon,
        AT,
    )
    np.testing.assert_array_equal(after.rank, before.rank)
    assert calls["area_cells"] == 3
    assert calls["make_valid"] == at_proposal["make_valid"]
    assert calls.get("parse", 0) == 0  # the edge points used the stored WKB


def test_the_compiled_area_equals_the_area_compiled_from_its_text(
    open_store: Callable[..., Store],
) -> None:
    forget_process_caches()
    store = open_store()
    region = hostile_region(rings=3, vertices=300)
    store.propose_geofence(fence(region), actor="op:mallory")
    forget_process_caches()
    history = store.policy_history()
    stored = compile_policy(history, grid.DEFAULT_RESOLUTION, store.compiled_areas)
    forget_process_caches()
    fresh = compile_policy(history, grid.DEFAULT_RESOLUTION)  # from the GeoJSON text
    np.testing.assert_array_equal(stored.table_cells, fresh.table_cells)
    np.testing.assert_array_equal(stored.table_boundary, fresh.table_boundary)
    lat, lon = edge_points(store)
    np.testing.assert_array_equal(
        decide_batch(stored, lat, lon, AT).rank, decide_batch(fresh, lat, lon, AT).rank
    )


def test_vertices_are_limited_per_geofence_and_per_operator_per_day(
    open_store: Callable[..., Store],
) -> None:
    store = open_store(
        limits=WorkLimits(max_geofence_vertices=2_100, max_operator_vertices_per_day=5_000)
    )
    with pytest.raises(LimitError, match=r"4,000 vertices.*\(2,100, `max_geofence_vertices`\)"):
        store.propose_geofence(fence(hostile_region(rings=2)), actor="op:mallory")
    store.propose_geofence(fence(hostile_region(rings=1)), actor="op:mallory")
    store.propose_geofence(fence(hostile_region(rings=1)), actor="op:mallory")
    with pytest.raises(LimitError, match="4,000 vertices in the last 24 hours"):
        store.propose_geofence(fence(hostile_region(rings=1)), actor="op:mallory")
    store.propose_geofence(fence(hostile_region(rings=1)), actor="op:alice")  # her own budget
    assert len(store.geofences()) == 3
