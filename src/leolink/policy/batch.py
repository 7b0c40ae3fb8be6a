"""Decisions for arrays of positions and instants, vectorised: the same rules as `decide`.

`compile_policy` turns a `PolicyHistory` (everything ever in force) into arrays once; then
`decide_batch` decides N rows, each with its own position, instant and terminal, in a fixed
number of NumPy passes:

- countries by `leolink.geo.countries.countries_at` and cells by `grid.latlng_to_cells`;
- geofences by cell-set membership: one sorted table of (cell, geofence) pairs at the
  decision resolution, searched once per row (``searchsorted``); a cell wholly inside a
  geofence needs no more, a cell on its edge sends its few points to the exact test
  (`leolink.policy._areas`); windows and customer classes are compared per (row, geofence)
  pair, allow-list membership by a sorted key table;
- cell statuses (Starlink's map categories) by the same kind of sorted (cell, change) table at
  resolution 5, the map's; windows compared per (row, change) pair;
- country statuses by their history: one sorted key (country, effective-from) table, so the
  status in force for a row at its own instant is one ``searchsorted``;
- roaming by the terminals' position reports: the start of each away run is computed once
  per report, and each row finds its terminal's last report before it in one merged sort of
  rows and reports.

The serving satellite is checked only with ``sky`` (`leolink.policy.sky.Sky`): one
propagation per *distinct* instant (~5 ms each) and a k-d tree query per row, so it pays for
batches with few instants; without it the decisions are policy only (``sky_checked`` False).
The rows that keep service also get their route to the Internet (`Sky.internet_many`): one
network graph and one search per distinct instant, then a ground-link test per row.

`BatchDecisions.decisions` gives the rows as full `Decision`s, with every rule and reason, from
`leolink.policy.decide.explain` over what the batch located (cells, countries, satellites are
not looked up again); the batch and the reference `decide` are tested to agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Final

import numpy as np
import numpy.typing as npt

from leolink.arrays import BoolArray, IndexArray, IntArray
from leolink.errors import InputError
from leolink.geo import grid
from leolink.geo.countries import NO_COUNTRY, all_countries, countries_at, get_country
from leolink.network import InternetAccess
from leolink.policy._areas import (
    AreaCellsStore,
    FenceArea,
    area_contains,
    compiled_area_cells,
    fence_area,
)
from leolink.policy.decide import (
    CELL_STATUS_RESOLUTION,
    DEFAULT_SETTINGS,
    PRECEDENCE,
    STATUS_CODES,
    Code,
    Decision,
    DecisionSettings,
    explain,
    geofence_code,
)
from leolink.policy.records import (
    CellEffect,
    CellStatusChange,
    CountryStatus,
    CountryStatusChange,
    CustomerClass,
    Geofence,
    GeofenceEffect,
    Plan,
    PolicyHistory,
    PolicySnapshot,
    PositionReport,
    Terminal,
    TerminalState,
)
from leolink.policy.sky import Serving, Sky, SkyCheck

__all__ = ["BatchDecisions", "CompiledPolicy", "compile_policy", "decide_batch"]


_RANK: Final = {code: np.int8(i) for i, code in enumerate(PRECEDENCE)}
_OKAY: Final = _RANK[Code.OKAY]
_CLASSES: Final = tuple(CustomerClass)
_STATUSES: Final = tuple(CountryStatus)
_INT64_MIN: Final = np.iinfo(np.int64).min
_INT64_MAX: Final = np.iinfo(np.int64).max
#: Keys of (country, instant) for the status history: the instant in µs since 1800-01-01 in the
#: low 54 bits (good to the year 2370), the country's index (248 of them) in the 9 bits above.
_KEY_SHIFT: Final = np.int64(54)
_KEY_BASE_US: Final = np.datetime64("1800-01-01T00:00:00", "us").astype(np.int64)
_KEY_SPAN_US: Final = np.int64(1) << _KEY_SHIFT


def _key_time(t_ns: IntArray) -> IntArray:
    """Instants (ns since 1970) as the time part of a key: µs since 1800, clipped to the span."""
    us = np.floor_divide(t_ns, 1000) - _KEY_BASE_US
    return np.clip(us, 0, _KEY_SPAN_US - 1)


def _ns(t: np.datetime64 | None, open_value: int) -> int:
    return open_value if t is None else int(t.astype("datetime64[ns]").astype(np.int64))


@dataclass(frozen=True, eq=False)
class CompiledPolicy:
    """A `PolicyHistory` as arrays for `decide_batch` (build it with `compile_policy`)."""

    history: PolicyHistory
    resolution: int
    fences: tuple[Geofence, ...]  # sorted by id
    fence_areas: tuple[FenceArea, ...]
    fence_start_ns: IntArray  # (F,) int64 min for an open start
    fence_end_ns: IntArray  # (F,) int64 max for an open end
    fence_rank: npt.NDArray[np.int8]  # (F,) rank of the code a non-member gets
    fence_is_allowlist: BoolArray  # (F,)
    fence_class_mask: npt.NDArray[np.uint8]  # (F,) bit c: applies to _CLASSES[c]
    table_cells: npt.NDArray[np.uint64]  # (M,) sorted
    table_fence: npt.NDArray[np.int32]  # (M,)
    table_boundary: BoolArray  # (M,)
    status_keys: IntArray  # (C,) sorted (country << 54 | time)
    status_country: npt.NDArray[np.int16]  # (C,)
    status_value: npt.NDArray[np.int8]  # (C,) index into CountryStatus
    status_changes: tuple[CountryStatusChange, ...]  # (C,) in key order
    cell_changes: tuple[CellStatusChange, ...]  # (K,) with an effect on service
    cell_start_ns: IntArray  # (K,)
    cell_end_ns: IntArray  # (K,) int64 max for an open end
    cell_effect: npt.NDArray[np.int8]  # (K,) index into CellEffect
    cell_table_cells: npt.NDArray[np.uint64]  # (L,) sorted, resolution 5
    cell_table_change: npt.NDArray[np.int32]  # (L,)

    @property
    def version(self) -> int:
        """The policy version the history was read at."""
        return self.history.version

    @cached_property
    def status_ids(self) -> IntArray:
        """The ids of ``status_changes``."""
        return np.asarray([c.id for c in self.status_changes], dtype=np.int64)

    @cached_property
    def fence_index(self) -> dict[str, int]:
        """Each geofence's index in ``fences``, by id."""
        return {f.id: k for k, f in enumerate(self.fences)}


def _fence_code(fence: Geofence) -> Code:
    """What a geofence gives the terminals it refuses (non-members, for an allow-list)."""
    return Code.BLOCKED_AREA if fence.effect is GeofenceEffect.ALLOWLIST else geofence_code(fence)


def compile_policy(
    history: PolicyHistory,
    resolution: int = grid.DEFAULT_RESOLUTION,
    area_store: AreaCellsStore | None = None,
) -> CompiledPolicy:
    """Precompute the cell tables and the status-history keys of a policy history.

    A geofence's cells cost about its size (a country-sized one at resolution 5: ~0.2 s, a
    region of a million vertices: seconds); they are computed once per area and resolution in
    this process and kept in ``area_store`` across processes (`compiled_area_cells`), so that a new
    policy version costs only its new geofences.  Keep the result for as long as the policy
    version does not change.
    """
    res = grid.check_resolution(resolution)
    fences = tuple(sorted(history.geofences, key=lambda f: f.id))
    areas = tuple(fence_area(f.area_geojson, f.cells) for f in fences)
    starts, ends = [], []
    for f in fences:
        interval = f.in_force_interval(history.known_at)
        assert interval is not None  # the history only holds approved geofences
        starts.append(_ns(interval[0], _INT64_MIN))
        ends.append(_ns(interval[1], _INT64_MAX))
    cells: list[npt.NDArray[np.uint64]] = []
    owner: list[npt.NDArray[np.int32]] = []
    edge: list[BoolArray] = []
    for k, area in enumerate(areas):
        inner, boundary = compiled_area_cells(area, res, area_store)
        cells += [inner, boundary]
        owner += [np.full(inner.size, k, np.int32), np.full(boundary.size, k, np.int32)]
        edge += [np.zeros(inner.size, bool), np.ones(boundary.size, bool)]
    table_cells = np.concatenate(cells) if cells else np.zeros(0, np.uint64)
    order = np.argsort(table_cells, kind="stable")
    changes: list[tuple[int, int, int, CountryStatusChange]] = []
    for c in history.status_changes:
        try:
            country = get_country(c.country_code).index
        except InputError:
            continue  # a code the borders do not know cannot be where a position is
        t_us = int(_key_time(np.asarray([_ns(c.effective_from, 0)], dtype=np.int64))[0])
        changes.append(((country << int(_KEY_SHIFT)) | t_us, c.id, country, c))
    changes.sort(key=lambda x: (x[0], x[1]))
    cell_changes = tuple(
        c
        for c in sorted(history.cell_statuses, key=lambda c: c.id)
        if c.effect is not CellEffect.NONE and c.in_force_interval(history.known_at) is not None
    )
    cell_intervals = [c.in_force_interval(history.known_at) for c in cell_changes]
    cell_cells = [grid.hex_to_cells(sorted(c.cells)) for c in cell_changes]
    cell_table = np.concatenate(cell_cells) if cell_cells else np.zeros(0, np.uint64)
    cell_owner = (
        np.concatenate([np.full(c.size, k, np.int32) for k, c in enumerate(cell_cells)])
        if cell_cells
        else np.zeros(0, np.int32)
    )
    cell_order = np.argsort(cell_table, kind="stable")
    assert len(all_countries()) < 1 << (63 - int(_KEY_SHIFT))  # the country index fits its bits
    return CompiledPolicy(
        history=history,
        resolution=res,
        fences=fences,
        fence_areas=areas,
        fence_start_ns=np.asarray(starts, dtype=np.int64),
        fence_end_ns=np.asarray(ends, dtype=np.int64),
        fence_rank=np.asarray(
            [
                _RANK[
                    Code.BLOCKED_AREA if f.effect is GeofenceEffect.ALLOWLIST else geofence_code(f)
                ]
                for f in fences
            ],
            dtype=np.int8,
        ),
        fence_is_allowlist=np.asarray(
            [f.effect is GeofenceEffect.ALLOWLIST for f in fences], dtype=bool
        ),
        fence_class_mask=np.asarray(
            [sum(1 << i for i, c in enumerate(_CLASSES) if f.applies_to(c)) for f in fences],
            dtype=np.uint8,
        ),
        table_cells=table_cells[order],
        table_fence=(np.concatenate(owner) if owner else np.zeros(0, np.int32))[order],
        table_boundary=(np.concatenate(edge) if edge else np.zeros(0, bool))[order],
        status_keys=np.asarray([x[0] for x in changes], dtype=np.int64),
        status_country=np.asarray([x[2] for x in changes], dtype=np.int16),
        status_value=np.asarray([_STATUSES.index(x[3].status) for x in changes], dtype=np.int8),
        status_changes=tuple(x[3] for x in changes),
        cell_changes=cell_changes,
        cell_start_ns=np.asarray(
            [_ns(i[0], _INT64_MIN) for i in cell_intervals if i is not None], dtype=np.int64
        ),
        cell_end_ns=np.asarray(
            [_ns(i[1], _INT64_MAX) for i in cell_intervals if i is not None], dtype=np.int64
        ),
        cell_effect=np.asarray([list(CellEffect).index(c.effect) for c in cell_changes], np.int8),
        cell_table_cells=cell_table[cell_order],
        cell_table_change=cell_owner[cell_order],
    )


@dataclass(frozen=True, eq=False)
class BatchDecisions:
    """Decisions for N rows, as arrays; `decision` expands one row into a full `Decision`.

    ``rank`` indexes `PRECEDENCE` (the code), ``fired`` has bit r set when the rule of rank r
    fired (all that fired, not only the deciding one); ``country_index`` indexes
    `leolink.geo.countries.all_countries` (-1 at sea or for no position); ``status`` indexes
    `CountryStatus` (-1: none); ``status_change`` is the id of the status change in force
    (-1); ``fence`` the index in ``policy.fences`` of the deciding geofence for BLOCKED_AREA and
    CELL_IS_DISABLED (-1 otherwise); ``serving`` the catalog index of the serving satellite
    (-1: none or not checked) with its ``elevation_deg``, ``sky_checked`` whether the sky
    was looked at, and ``internet`` the route to the Internet of the rows with a serving
    satellite (None when the sky has no network or was not given).
    """

    policy: CompiledPolicy
    settings: DecisionSettings
    lat_deg: npt.NDArray[np.float64]
    lon_deg: npt.NDArray[np.float64]
    at: npt.NDArray[np.datetime64]
    terminals: tuple[Terminal, ...]
    terminal_index: npt.NDArray[np.intp]
    reports: tuple[PositionReport, ...]
    sky: Sky | None
    rank: npt.NDArray[np.int8]
    fired: npt.NDArray[np.uint16]
    cell: npt.NDArray[np.uint64]
    country_index: npt.NDArray[np.int16]
    status: npt.NDArray[np.int8]
    status_change: IntArray
    fence: npt.NDArray[np.int32]
    sky_checked: BoolArray
    serving: npt.NDArray[np.intp]
    elevation_deg: npt.NDArray[np.float64]
    internet: InternetAccess | None = None

    def __len__(self) -> int:
        return len(self.rank)

    @property
    def allowed(self) -> BoolArray:
        """True where service is allowed (code OKAY)."""
        return np.asarray(self.rank == _OKAY)

    @property
    def codes(self) -> list[Code]:
        """The code of every row."""
        return [PRECEDENCE[r] for r in self.rank.tolist()]

    def code_counts(self) -> dict[str, int]:
        """How many rows got each code (codes that occur only)."""
        values, counts = np.unique(self.rank, return_counts=True)
        return {
            PRECEDENCE[v].value: int(n)
            for v, n in zip(values.tolist(), counts.tolist(), strict=True)
        }

    def country_codes(self) -> list[str | None]:
        """The country code of every row (alpha-2, or alpha-3 where none), None at sea."""
        table = all_countries()
        return [table[i].code if i >= 0 else None for i in self.country_index.tolist()]

    def serving_of(self, i: int) -> Serving | None:
        """Row i's serving satellite, if the sky was checked and one is above the mask."""
        k = int(self.serving[i])
        if k < 0 or self.sky is None:
            return None
        return self.sky.serving_of(k, float(self.elevation_deg[i]), self.internet, i)

    def decision(self, i: int) -> Decision:
        """Row i as a full `Decision` (all rules and reasons)."""
        return self.decisions([i])[0]

    def decisions(self, rows: Sequence[int] | None = None) -> list[Decision]:
        """Rows ``rows`` (default: all) as full `Decision`s, every rule and reason in words.

        The rows are explained (`leolink.policy.decide.explain`) where this batch located
        them: their cells, countries and serving satellites are not looked up again, and the
        policy in force is read once per distinct instant.
        """
        index = range(len(self)) if rows is None else rows
        table = self.policy.table_cells
        lo = np.searchsorted(table, self.cell, side="left")
        hi = np.searchsorted(table, self.cell, side="right")
        snapshots: dict[np.datetime64, PolicySnapshot] = {}
        chosen = list(index)
        cells = grid.cells_to_hex(self.cell[chosen]) if chosen else []
        map_cells = cells
        if chosen and self.policy.resolution != CELL_STATUS_RESOLUTION:
            map_cells = grid.cells_to_hex(
                grid.latlng_to_cells(
                    self.lat_deg[chosen], self.lon_deg[chosen], CELL_STATUS_RESOLUTION
                )
            )
        out = []
        for i, cell, map_cell in zip(chosen, cells, map_cells, strict=True):
            k = int(self.terminal_index[i])
            t = self.at[i]
            snapshot = snapshots.get(t)
            if snapshot is None:
                snapshot = snapshots[t] = self.policy.history.snapshot(t)
            lat, lon = float(self.lat_deg[i]), float(self.lon_deg[i])
            located = self.cell[i] != 0  # no position: no cell (H3 has no cell 0)
            out.append(
                explain(
                    self.terminals[k] if k >= 0 else None,
                    (lat, lon),
                    t,
                    snapshot,
                    cell if located else None,
                    int(self.country_index[i]),
                    reports=self.reports,
                    sky_check=self._sky_check(i),
                    inside=self._inside(i, int(lo[i]), int(hi[i])),
                    map_cell=map_cell if located else None,
                    settings=self.settings,
                )
            )
        return out

    def _inside(self, i: int, lo: int, hi: int) -> Callable[[Geofence], bool]:
        """Whether row i is in a geofence: its cell in the fence's table (``lo:hi`` are the
        row's entries), exactly tested only on a cell at the fence's edge."""
        policy = self.policy
        entries = {
            int(policy.table_fence[k]): bool(policy.table_boundary[k]) for k in range(lo, hi)
        }
        index = policy.fence_index

        def inside(fence: Geofence) -> bool:
            f = index.get(fence.id, -1)
            if f not in entries:
                return False
            if not entries[f]:
                return True
            lat, lon = self.lat_deg[i], self.lon_deg[i]
            return bool(area_contains(policy.fence_areas[f], lat, lon)[0])

        return inside

    def _sky_check(self, i: int) -> Callable[[], SkyCheck | None]:
        sky = self.sky

        def check() -> SkyCheck | None:
            if sky is None:
                return None
            return sky.check_of(
                self.at[i],
                bool(self.sky_checked[i]),
                int(self.serving[i]),
                float(self.elevation_deg[i]),
                self.internet,
                i,
            )

        return check


def _terminal_columns(
    terminals: Sequence[Terminal],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8], npt.NDArray[np.int16], npt.NDArray[np.int8]]:
    state = np.asarray([list(TerminalState).index(t.state) for t in terminals], dtype=np.int8)
    klass = np.asarray([_CLASSES.index(t.customer_class) for t in terminals], dtype=np.int8)
    home = np.asarray([get_country(t.home_country).index for t in terminals], dtype=np.int16)
    plan = np.asarray([list(Plan).index(t.plan) for t in terminals], dtype=np.int8)
    return state, klass, home, plan


def _away_runs(
    reports: Sequence[PositionReport],
    terminal_ids: Mapping[str, int],
    home: npt.NDArray[np.int16],
) -> tuple[IntArray, IntArray, BoolArray, IntArray]:
    """Reports sorted by (terminal, time): terminal, time (ns), whether at home, run start.

    An away run starts at the first report outside home after a report at home (or the first
    report); every report of the run carries that start (ns); reports at home carry 0.
    """
    mine = [(terminal_ids[r.terminal_id], r) for r in reports if r.terminal_id in terminal_ids]
    if not mine:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=bool), empty
    tidx = np.asarray([k for k, _ in mine], dtype=np.int64)
    t_ns = np.asarray([r.reported_at for _, r in mine], dtype="datetime64[ns]").astype(np.int64)
    lookup = countries_at([r.lat_deg for _, r in mine], [r.lon_deg for _, r in mine])
    order = np.lexsort((t_ns, tidx))
    tidx, t_ns = tidx[order], t_ns[order]
    at_home = np.asarray(lookup.index[order] == home[tidx], dtype=bool)
    first_of_terminal = np.r_[True, tidx[1:] != tidx[:-1]]
    previous_home = np.r_[True, at_home[:-1]]
    begins = ~at_home & (first_of_terminal | previous_home)
    run = np.cumsum(begins) - 1
    starts = t_ns[begins]
    run_start = np.where(at_home, 0, starts[np.maximum(run, 0)] if starts.size else 0)
    return tidx, t_ns, at_home, np.asarray(run_start, dtype=np.int64)


def _last_report(
    report_tidx: IntArray, report_t: IntArray, row_tidx: IntArray, row_t: IntArray
) -> IntArray:
    """For each row, the index of its terminal's last report at or before its instant (-1).

    Rows and reports are merged and sorted by (terminal, time, report before row); the last
    report so far is a running maximum, kept when it belongs to the row's terminal.  No
    packed keys, so any number of terminals and any instants work.
    """
    n_reports = report_tidx.size
    kind = np.r_[np.zeros(n_reports, np.int8), np.ones(row_tidx.size, np.int8)]
    order = np.lexsort((kind, np.r_[report_t, row_t], np.r_[report_tidx, row_tidx]))
    running = np.maximum.accumulate(np.where(order < n_reports, order, -1))
    found = np.empty(row_tidx.size, dtype=np.int64)
    is_row = order >= n_reports
    found[order[is_row] - n_reports] = running[is_row]
    same = found >= 0
    same[same] = report_tidx[found[same]] == row_tidx[same]
    return np.where(same, found, -1)


def decide_batch(
    policy: PolicyHistory | CompiledPolicy,
    lat_deg: npt.ArrayLike,
    lon_deg: npt.ArrayLike,
    at: npt.ArrayLike,
    *,
    terminals: Sequence[Terminal] = (),
    terminal_index: npt.ArrayLike | None = None,
    reports: Sequence[PositionReport] = (),
    sky: Sky | None = None,
    settings: DecisionSettings = DEFAULT_SETTINGS,
    check_account: bool = True,
) -> BatchDecisions:
    """Decide N rows: positions ``lat_deg``, ``lon_deg`` at instants ``at`` (broadcast).

    ``terminal_index[i]`` is row i's terminal in ``terminals`` (-1, or no ``terminal_index``
    at all: a prospective terminal, as ``terminal=None`` in `decide`).  ``reports`` are the
    terminals' position reports, for the roaming rule.  ``sky`` checks serving satellites (see
    the module docstring for its cost).  ``check_account=False`` leaves the account rules out,
    to ask where a suspended terminal *would* be refused (enforcement does).  The codes are
    those of `decide` row by row.
    """
    compiled = (
        policy
        if isinstance(policy, CompiledPolicy)
        else compile_policy(policy, settings.resolution)
    )
    if compiled.resolution != settings.resolution:
        raise InputError(
            f"the policy was compiled at resolution {compiled.resolution}, the settings ask "
            f"for {settings.resolution}: compile it with the settings' resolution"
        )
    lat, lon, times = np.broadcast_arrays(
        np.asarray(lat_deg, dtype=np.float64),
        np.asarray(lon_deg, dtype=np.float64),
        np.asarray(at, dtype="datetime64[ns]"),
    )
    lat, lon, times = lat.ravel().copy(), lon.ravel().copy(), times.ravel().copy()
    n = lat.size
    t_ns = times.astype(np.int64)
    terms = tuple(terminals)
    if terminal_index is None:
        tidx = np.full(n, -1, dtype=np.intp)
    else:
        tidx = np.broadcast_to(np.asarray(terminal_index, dtype=np.intp), (n,)).copy()
        if np.any((tidx < -1) | (tidx >= len(terms))):
            bad = int(tidx[(tidx < -1) | (tidx >= len(terms))][0])
            raise InputError(
                f"terminal_index {bad} does not name one of the {len(terms)} terminals given "
                "(use -1 for a prospective terminal)"
            )
    known = tidx >= 0
    state, klass_of, home_of, plan_of = _terminal_columns(terms)
    klass = np.full(n, _CLASSES.index(settings.prospective_class), dtype=np.int8)
    klass[known] = klass_of[tidx[known]]

    fired = np.zeros(n, dtype=np.uint16)

    def fire(mask: BoolArray, code: Code) -> None:
        fired[mask] |= np.uint16(1 << int(_RANK[code]))

    if check_account and known.any():
        row_state = np.full(n, -1, dtype=np.int8)
        row_state[known] = state[tidx[known]]
        fire(
            row_state == list(TerminalState).index(TerminalState.DEACTIVATED),
            Code.NO_ACTIVE_ACCOUNT,
        )
        fire(row_state == list(TerminalState).index(TerminalState.SUSPENDED), Code.ACCOUNT_DISABLED)

    valid = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0)
    fire(~valid, Code.UNKNOWN_LOCATION)
    lat_v = np.where(valid, lat, np.nan)
    lon_v = np.where(valid, lon, np.nan)
    cell = grid.latlng_to_cells(lat_v, lon_v, compiled.resolution)
    country = countries_at(lat_v, lon_v).index.astype(np.int16)

    fence = np.full(n, -1, dtype=np.int32)
    _geofences(compiled, lat_v, lon_v, t_ns, cell, klass, tidx, terms, fired, fence)

    _cell_statuses(compiled, lat_v, lon_v, cell, t_ns, tidx, fired)

    status = np.full(n, -1, dtype=np.int8)
    status_change = np.full(n, -1, dtype=np.int64)
    on_land = country != NO_COUNTRY
    if compiled.status_keys.size and on_land.any():
        rows = np.flatnonzero(on_land)
        keys = (country[rows].astype(np.int64) << _KEY_SHIFT) | _key_time(t_ns[rows])
        k = np.searchsorted(compiled.status_keys, keys, side="right") - 1
        hit = (k >= 0) & (compiled.status_country[np.maximum(k, 0)] == country[rows])
        status[rows[hit]] = compiled.status_value[k[hit]]
        status_change[rows[hit]] = compiled.status_ids[k[hit]]
    for refusal in sorted(set(STATUS_CODES.values())):
        refusing = [
            -1 if s is None else _STATUSES.index(s) for s, c in STATUS_CODES.items() if c is refusal
        ]
        fire(on_land & np.isin(status, refusing), refusal)
    ocean_ok = np.zeros(len(_CLASSES), dtype=bool)
    ocean_ok[[_CLASSES.index(c) for c in settings.ocean_classes]] = True
    fire(valid & ~on_land & ~ocean_ok[klass], Code.IN_OCEAN)

    _roaming(settings, country, status, t_ns, tidx, home_of, plan_of, terms, reports, fired)

    rank = np.full(n, _OKAY, dtype=np.int8)
    for r in range(int(_OKAY) - 1, -1, -1):
        rank[(fired & np.uint16(1 << r)) != 0] = r
    fence[(rank != _RANK[Code.BLOCKED_AREA]) & (rank != _RANK[Code.CELL_IS_DISABLED])] = -1

    sky_checked = np.zeros(n, dtype=bool)
    serving = np.full(n, -1, dtype=np.intp)
    elevation = np.full(n, np.nan)
    internet: InternetAccess | None = None
    if sky is not None:
        open_rows = np.flatnonzero(rank == _OKAY)
        checked, index, el = sky.best_many(lat[open_rows], lon[open_rows], times[open_rows])
        sky_checked[open_rows] = checked
        serving[open_rows] = index
        elevation[open_rows] = el
        dark = open_rows[checked & (index < 0)]
        fired[dark] |= np.uint16(1 << int(_RANK[Code.NO_SATELLITE_IN_VIEW]))
        rank[dark] = _RANK[Code.NO_SATELLITE_IN_VIEW]
        # Routes only for the rows that keep service: one graph and one search per instant.
        lit = open_rows[index >= 0]
        part = sky.internet_many(lat[lit], lon[lit], times[lit])
        if part is not None:
            internet = InternetAccess.none(n)
            internet.put(lit, part)

    return BatchDecisions(
        policy=compiled,
        settings=settings,
        lat_deg=lat,
        lon_deg=lon,
        at=times,
        terminals=terms,
        terminal_index=tidx,
        reports=tuple(reports),
        sky=sky,
        rank=rank,
        fired=fired,
        cell=cell,
        country_index=country,
        status=status,
        status_change=status_change,
        fence=fence,
        sky_checked=sky_checked,
        serving=serving,
        elevation_deg=elevation,
        internet=internet,
    )


def _table_pairs(
    table: npt.NDArray[np.uint64], cell: npt.NDArray[np.uint64]
) -> tuple[IndexArray, IndexArray]:
    """Every (row, position in ``table``) where the sorted ``table`` holds the row's cell."""
    lo = np.searchsorted(table, cell, side="left")
    count = np.searchsorted(table, cell, side="right") - lo
    rows = np.flatnonzero(count)
    per = count[rows]
    pair_row = np.repeat(rows, per)
    first = np.repeat(np.cumsum(per) - per, per)
    return pair_row, np.repeat(lo[rows], per) + (np.arange(pair_row.size) - first)


def _geofences(
    compiled: CompiledPolicy,
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    t_ns: IntArray,
    cell: npt.NDArray[np.uint64],
    klass: npt.NDArray[np.int8],
    tidx: npt.NDArray[np.intp],
    terminals: tuple[Terminal, ...],
    fired: npt.NDArray[np.uint16],
    fence: npt.NDArray[np.int32],
) -> None:
    """Fire the geofence rules: rows whose cell is in the table, then windows, classes, edges."""
    pair_row, pair_pos = _table_pairs(compiled.table_cells, cell)
    if pair_row.size == 0:
        return
    pair_fence = compiled.table_fence[pair_pos]
    keep = (
        (compiled.fence_start_ns[pair_fence] <= t_ns[pair_row])
        & (t_ns[pair_row] < compiled.fence_end_ns[pair_fence])
        & ((compiled.fence_class_mask[pair_fence] >> klass[pair_row].astype(np.uint8)) & 1 == 1)
    )
    edge = keep & compiled.table_boundary[pair_pos]
    if edge.any():
        for f in np.unique(pair_fence[edge]).tolist():
            sel = np.flatnonzero(edge & (pair_fence == f))
            r = pair_row[sel]
            keep[sel] = area_contains(compiled.fence_areas[f], lat[r], lon[r])
    pair_row, pair_fence = pair_row[keep], pair_fence[keep]
    allow = compiled.fence_is_allowlist[pair_fence]
    if allow.any():
        members = []
        index_of = {t.id: i for i, t in enumerate(terminals)}
        for f, geofence in enumerate(compiled.fences):
            if compiled.fence_is_allowlist[f]:
                ids = compiled.history.allowlists.get(geofence.id, frozenset())
                members += [f * (len(terminals) + 1) + index_of[m] for m in ids if m in index_of]
        member_keys = np.unique(np.asarray(members, dtype=np.int64))
        pair_keys = pair_fence.astype(np.int64) * (len(terminals) + 1) + tidx[pair_row]
        admitted = allow & (tidx[pair_row] >= 0) & np.isin(pair_keys, member_keys)
        pair_row, pair_fence = pair_row[~admitted], pair_fence[~admitted]
    ranks = compiled.fence_rank[pair_fence]
    for code in (Code.BLOCKED_AREA, Code.CELL_IS_DISABLED):
        sel = ranks == _RANK[code]
        fired[pair_row[sel]] |= np.uint16(1 << int(_RANK[code]))
    # The deciding geofence: the first by id among those of the row's best area code.
    best_rank = np.full(len(fence), np.iinfo(np.int8).max, dtype=np.int8)
    np.minimum.at(best_rank, pair_row, ranks)
    on_best = ranks == best_rank[pair_row]
    first_fence = np.full(len(fence), np.iinfo(np.int32).max, dtype=np.int32)
    np.minimum.at(first_fence, pair_row[on_best], pair_fence[on_best])
    hit = first_fence != np.iinfo(np.int32).max
    fence[hit] = first_fence[hit]


def _cell_statuses(
    compiled: CompiledPolicy,
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    cell: npt.NDArray[np.uint64],
    t_ns: IntArray,
    tidx: npt.NDArray[np.intp],
    fired: npt.NDArray[np.uint16],
) -> None:
    """Fire the cell-status rules: blacklisted cells for all, closed cells for new terminals."""
    table = compiled.cell_table_cells
    if table.size == 0:
        return
    map_cell = (
        cell
        if compiled.resolution == CELL_STATUS_RESOLUTION
        else grid.latlng_to_cells(lat, lon, CELL_STATUS_RESOLUTION)
    )
    pair_row, pair_pos = _table_pairs(table, map_cell)
    if pair_row.size == 0:
        return
    pair_change = compiled.cell_table_change[pair_pos]
    live = (compiled.cell_start_ns[pair_change] <= t_ns[pair_row]) & (
        t_ns[pair_row] < compiled.cell_end_ns[pair_change]
    )
    effect = compiled.cell_effect[pair_change]
    disabled = live & (effect == list(CellEffect).index(CellEffect.DISABLED))
    closed = (
        live & (effect == list(CellEffect).index(CellEffect.CLOSED_TO_NEW)) & (tidx[pair_row] < 0)
    )
    fired[pair_row[disabled]] |= np.uint16(1 << int(_RANK[Code.CELL_IS_DISABLED]))
    fired[pair_row[closed]] |= np.uint16(1 << int(_RANK[Code.UNLICENSED_COUNTRY]))


def _roaming(
    settings: DecisionSettings,
    country: npt.NDArray[np.int16],
    status: npt.NDArray[np.int8],
    t_ns: IntArray,
    tidx: npt.NDArray[np.intp],
    home_of: npt.NDArray[np.int16],
    plan_of: npt.NDArray[np.int8],
    terminals: tuple[Terminal, ...],
    reports: Sequence[PositionReport],
    fired: npt.NDArray[np.uint16],
) -> None:
    """Fire ROAM_RESTRICTED: away in a country visitors may not use, or away too long."""
    away = (tidx >= 0) & (country != NO_COUNTRY)
    away[away] = country[away] != home_of[tidx[away]]
    rows = np.flatnonzero(away)
    if rows.size == 0:
        return
    bit = np.uint16(1 << int(_RANK[Code.ROAM_RESTRICTED]))
    visitable = np.zeros(len(_STATUSES) + 1, dtype=bool)  # last slot: no status (-1)
    visitable[[_STATUSES.index(s) for s in settings.roaming_statuses]] = True
    fired[rows[~visitable[status[rows]]]] |= bit

    per_plan = [settings.abroad_days(p) for p in Plan]
    limit_days = np.asarray(
        [np.inf if x is None else float(x) for x in per_plan], dtype=np.float64
    )[plan_of[tidx[rows]]]
    limited = np.isfinite(limit_days)
    if not limited.any():
        return
    rows, limit_days = rows[limited], limit_days[limited]
    since = t_ns[rows].copy()
    report_tidx, report_t, at_home, run_start = _away_runs(
        reports, {t.id: i for i, t in enumerate(terminals)}, home_of
    )
    if report_tidx.size:
        j = _last_report(report_tidx, report_t, tidx[rows].astype(np.int64), t_ns[rows])
        away_then = j >= 0
        away_then[away_then] = ~at_home[j[away_then]]
        since[away_then] = run_start[j[away_then]]
    days = (t_ns[rows] - since) / 86_400e9
    fired[rows[days > limit_days]] |= bit
