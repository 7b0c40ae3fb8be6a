"""Decisions for the service: the engine of `leolink.policy` over the store's policy, cached.

Reading the policy from the store for every decision would cost more than deciding.  So the
service keeps the store's `PolicyHistory` (everything ever in force) in memory and derives the
snapshot at each instant from it (`PolicyHistory.snapshot`, cached per instant).  The history
is re-read when the policy version changes: at once after a change made through this process,
and within `POLICY_RECHECK_S` after one made elsewhere (another worker, the command line),
since the version is looked up at most that often.  Every decision names the version it was
made under (``policy_version``), so a decision is never ambiguous about its policy.

Every decision, single or in a batch, goes through the vectorised engine
(`leolink.policy.batch.decide_batch`) over the policy compiled once per version, and is put in
words by `leolink.policy.decide.explain` (the scalar `decide` is the engine's test oracle).
Decisions run in worker threads, at most `ServiceLimits.max_concurrent_decisions` at once and
a client's share of them (`leolink.service.shares`); no lock is held across a decision (the
caches below are thread-safe and compute outside their locks), so a small request waits
behind a large one only for a turn, not for its whole length.

Terminals and their position reports (for the roaming rule) are read from the store for each
decision that names a terminal.  The serving satellite comes from one `leolink.policy.sky.Sky`
over the service's catalog, shared by every decision and impact preview (its caches are safe to
share between threads).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Final

import numpy as np
from shapely.geometry import MultiPolygon, Polygon

from leolink import api
from leolink.api import (
    DEFAULT_RESOLUTION,
    SERVICE_LIMITS,
    AreaCellsStore,
    AsOf,
    BatchDecisions,
    CompiledPolicy,
    DecisionSettings,
    Geofence,
    GeofenceSpec,
    Impact,
    LruCache,
    Network,
    PolicyHistory,
    PolicySnapshot,
    PositionReport,
    Sky,
    Terminal,
    ViewedDecision,
    WorkLimits,
    average_cells,
    cells_to_hex,
    cells_to_latlng,
    check_impact,
    check_resolution,
    compile_policy,
    decide_batch,
    estimate_impact,
    fence_area,
    geofence_impact,
    known_at_for,
    parse_instant,
)
from leolink.api import Decision as EngineDecision
from leolink.service import boxes
from leolink.store import Store
from leolink.store.checks import check_geofence_spec

__all__ = [
    "POLICY_RECHECK_S",
    "CellQuery",
    "Decider",
]

#: How often (seconds) the policy version is looked up for changes made by other processes.
POLICY_RECHECK_S: Final = 0.5
_ONE_US: Final = np.timedelta64(1, "us")


@dataclass(frozen=True)
class _Policy:
    """One policy version, as read from the store, and what is derived from it."""

    version: int
    history: PolicyHistory
    areas: AreaCellsStore | None = None
    compiled: dict[int, CompiledPolicy] = field(default_factory=dict)
    rewound: LruCache[tuple[int, int], CompiledPolicy] = field(default_factory=lambda: LruCache(8))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self, at: np.datetime64) -> PolicySnapshot:
        """The policy in force at ``at`` (kept per interval between change points)."""
        return self.history.snapshot(at)

    def compiled_at(self, resolution: int, known_at: np.datetime64 | None = None) -> CompiledPolicy:
        """The history compiled for `decide_batch` at ``resolution`` (once per version; its
        geofences' areas once per content, kept in ``areas`` across restarts), or as it was on
        record at ``known_at`` (the last few kept)."""
        if known_at is not None:
            key = (int(known_at.astype("datetime64[ns]").astype(np.int64)), resolution)
            return self.rewound.get_or_compute(
                key,
                lambda: compile_policy(self.history.as_known_at(known_at), resolution, self.areas),
            )
        with self.lock:
            if resolution not in self.compiled:
                self.compiled[resolution] = compile_policy(self.history, resolution, self.areas)
            return self.compiled[resolution]


@dataclass(frozen=True)
class CellQuery:
    """The decisions for a prospective terminal at the centre of each cell of a box."""

    at: np.datetime64
    resolution: int
    policy_version: int
    cells: list[str]
    batch: BatchDecisions


class Decider:
    """Decisions over a store's policy, with the caches described in the module docstring."""

    def __init__(
        self,
        store: Store,
        catalog: api.Catalog,
        *,
        recheck_s: float = POLICY_RECHECK_S,
        network: Network | bool = True,
    ) -> None:
        """``network``: routes to the Internet for the serving satellites (`Sky`'s), shared by
        the decisions (built on first use when True)."""
        self.store = store
        self.catalog = catalog
        self.recheck_s = recheck_s
        self.sky = Sky(catalog, network=network)
        self._lock = threading.Lock()
        self._policy: _Policy | None = None
        self._checked_at = -math.inf
        self._stale = True

    def policy_changed(self) -> None:
        """Re-read the policy's version before the next decision (a change was just made)."""
        self._stale = True

    def policy(self) -> _Policy:
        """The current policy (re-read from the store when its version changed)."""
        now = time.monotonic()
        current = self._policy
        if current is not None and not self._stale and now - self._checked_at < self.recheck_s:
            return current
        with self._lock:
            current = self._policy
            if current is not None and not self._stale and now - self._checked_at < self.recheck_s:
                return current
            self._stale = False
            version = self.store.policy_version()
            if current is None or current.version != version:
                history = self.store.policy_history()
                current = _Policy(history.version, history, self.store.compiled_areas)
                self._policy = current
            self._checked_at = now
            return current

    # --- single decisions ------------------------------------------------------------------

    def terminal_and_reports(
        self, terminal_id: str | None, at: np.datetime64
    ) -> tuple[Terminal | None, list[PositionReport]]:
        """The terminal (`NotFoundError` if unknown) and its reports up to ``at`` (store reads)."""
        if terminal_id is None:
            return None, []
        terminal = self.store.terminal(terminal_id)
        reports = self.store.position_reports(terminal.id, end=at + _ONE_US)
        return terminal, reports

    def decide(
        self, lat_deg: float, lon_deg: float, at: np.datetime64, terminal_id: str | None = None
    ) -> EngineDecision:
        """One decision, every rule and reason, serving satellite included (a worker thread's
        work: see `decide_many`)."""
        return self.decide_many([(lat_deg, lon_deg, at, terminal_id)])[0]

    def decide_as(
        self,
        lat_deg: float,
        lon_deg: float,
        at: np.datetime64,
        terminal_id: str | None,
        view: AsOf,
    ) -> ViewedDecision:
        """One decision as recorded at ``at`` or as known now (`leolink.policy.asof`), with the
        other view's answer where it differs (policy only: the sky is the same in both)."""
        now = parse_instant("now")
        row = [(lat_deg, lon_deg, at, terminal_id)]
        asked = self.decide_many(row, known_at=known_at_for(view, at))[0]
        other = self.decide_many(row, known_at=known_at_for(view.other, at), sky=False)[0]
        return ViewedDecision.of(asked, view, at if view is AsOf.RECORDED else now, other)

    # --- impact -----------------------------------------------------------------------------

    def impact(
        self, spec: GeofenceSpec, *, step_s: float = 600.0, limits: WorkLimits = SERVICE_LIMITS
    ) -> Impact:
        """What ``spec`` would do (`leolink.policy.impact`), (worker thread).

        The spec is checked once (its region repaired once, within ``limits``' vertices), its
        cost estimated and refused beyond ``limits`` (`check_impact`) before the costly part;
        big areas get fewer time steps, within ``limits.max_impact_cell_steps``.
        """
        checked = check_geofence_spec(spec, limits)  # refuses a malformed spec first
        estimate = estimate_impact(
            vertices=checked.vertices, cells=average_cells(checked.size_km2), limits=limits
        )
        check_impact(estimate, limits)
        same = replace(spec, area_geojson=checked.area_geojson, cells=checked.cells)
        return self._impact(same, estimate.steps, step_s, checked.geometry)

    def impact_of(
        self, fence: Geofence, *, step_s: float = 600.0, limits: WorkLimits = SERVICE_LIMITS
    ) -> Impact:
        """What a stored geofence does, from its area as compiled at its proposal (its region
        is not parsed or repaired again); one never compiled is previewed as a new spec."""
        spec = fence.spec()
        area = fence_area(fence.area_geojson, fence.cells)
        found = self.store.compiled_areas.load(area.key, DEFAULT_RESOLUTION)
        if found is None:
            return self.impact(spec, step_s=step_s, limits=limits)
        estimate = estimate_impact(vertices=0, cells=sum(c.size for c in found), limits=limits)
        check_impact(estimate, limits)
        return self._impact(spec, estimate.steps, step_s, None)

    def _impact(
        self,
        spec: GeofenceSpec,
        max_steps: int,
        step_s: float,
        region: Polygon | MultiPolygon | None,
    ) -> Impact:
        return geofence_impact(
            spec,
            terminals=self.store.terminals(),
            last_reports=self.store.last_position_reports(),
            sky=self.sky,
            step_s=step_s,
            max_steps=max_steps,
            areas=self.store.compiled_areas,
            region=region,
        )

    # --- batches ---------------------------------------------------------------------------

    def decide_many(
        self,
        rows: Sequence[tuple[float, float, np.datetime64, str | None]],
        *,
        known_at: np.datetime64 | None = None,
        sky: bool = True,
    ) -> list[EngineDecision]:
        """Decisions for rows of (lat, lon, at, terminal id or None), in order: one pass of the
        vectorised engine, then each row in words (`BatchDecisions.decisions`).

        Blocking (store reads, NumPy): call it from a worker thread holding a turn
        (`leolink.service.shares`); `NotFoundError` for an unknown terminal.
        """
        policy = self.policy()
        ids = list(dict.fromkeys(tid for *_, tid in rows if tid is not None))
        last = max((t for _, _, t, tid in rows if tid is not None), default=None)
        terminals: list[Terminal] = []
        reports: list[PositionReport] = []
        for tid in ids:
            assert last is not None
            terminal, mine = self.terminal_and_reports(tid, last)
            assert terminal is not None
            terminals.append(terminal)
            reports += mine
        position = {tid: k for k, tid in enumerate(ids)}
        batch = decide_batch(
            policy.compiled_at(DEFAULT_RESOLUTION, known_at),
            np.asarray([r[0] for r in rows], dtype=np.float64),
            np.asarray([r[1] for r in rows], dtype=np.float64),
            np.asarray([r[2] for r in rows], dtype="datetime64[ns]"),
            terminals=terminals,
            terminal_index=[-1 if r[3] is None else position[r[3]] for r in rows],
            reports=reports,
            sky=self.sky if sky else None,
        )
        return batch.decisions()

    def cells(
        self,
        west: float,
        south: float,
        east: float,
        north: float,
        at: np.datetime64,
        resolution: int,
        max_cells: int,
    ) -> CellQuery:
        """Policy decisions at the centres of the box's cells (no sky), for the availability
        map; `leolink.service.boxes.TooManyCells` above ``max_cells``."""
        res = check_resolution(resolution)
        cells = boxes.box(west, south, east, north).cells(res, max_cells)
        policy = self.policy()
        lat, lon = cells_to_latlng(cells)
        batch = decide_batch(
            policy.compiled_at(res),
            lat,
            lon,
            at,
            settings=DecisionSettings(resolution=res),
        )
        return CellQuery(at, res, policy.version, cells_to_hex(cells), batch)
