"""From what terminals reported to what happened: restrictions, coverage gaps, GNSS interference,
ground outages — each an area of H3 cells, a window to the minute and a confidence.

The steps, all over arrays:

1. **Where each dish was.**  A dish's fixes are cut where it would have moved faster than
   1,000 km/h over more than 50 km (faster than any Starlink customer class but aviation's
   cruise, and no dish in these data is on a plane); its longest run of fixes is its track,
   the other runs are *inconsistent* (spoofed).  Each report is placed at the dish's own fix
   when consistent, else at the nearest consistent fix of the same dish before (or after) it;
   a dish with no consistent fix at all (stale GPS all along) is left out of the areas.
2. **What each report says.**  A policy code of an area (``CELL_IS_DISABLED``, ``BLOCKED_AREA``,
   ``BLOCKED_COUNTRY``, ``INVALID_COUNTRY``, ``UNLICENSED_COUNTRY``) is a *restriction*;
   ``UNKNOWN_LOCATION`` or a missing/inconsistent fix is *GNSS*; ``NO_SATS``/``SEARCHING`` is
   *no satellite*; ``NO_PINGS`` or a connected dish dropping ≥ 95 % of PoP pings is *ground*;
   ``NO_DOWNLINK``, ``NO_SCHEDULE``, ``UNKNOWN`` and ``DISABLED`` without a code are
   *unexplained*; connected with < 50 % drops and no code is *served*.  Account codes
   (``NO_ACTIVE_ACCOUNT``, ...) and the dish's own troubles (obstruction, booting, stowed,
   heat) concern one dish and are not area evidence.
3. **Areas and windows.**  Per symptom, each cell's reports are cut into runs at gaps of more
   than 45 minutes; runs whose windows overlap are joined (connected components) when their
   cells are neighbours, or two steps apart with a cell between them where no dish was served
   (at ~2 dishes a cell, one cell in seven or so has none, and it must not cut an area in
   two).  A cell stays in an area only if at least as many distinct dishes there reported the
   symptom as were served in the area's window.  An unobserved cell next to the area (no dish
   there said anything either way) joins it when at least two of its neighbours are in it and
   at least half of its observed neighbours are (adding a cell in the area with probability p
   raises the expected IoU whenever p > IoU / (1 + IoU) ≤ 1/2), or when it bridges separate
   parts of the area.  The window is the first to the last report of the symptom, to the
   minute.
4. **Kind.**  A restriction where the coverage model (`CoverageModel`) sees a satellite is a
   ``policy_restriction``; no satellite reported where the model sees none is ``no_coverage``;
   either contradicting the model is ``unexplained``.  With a catalog too far from the reports'
   epochs the model is not asked, and the evidence says so.
5. **Confidence** = agreement x (1 - exp(-n / 4)), with n the distinct dishes that reported
   the symptom and agreement the share of them among all the dishes that reported from the
   area in the window (served ones contradict).  A heuristic, not a calibrated probability:
   one dish gives at most 0.22, four 0.63, twelve 0.95.  Areas with fewer than 3 dishes are
   not reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from leolink.arrays import BoolArray, CellArray, FloatArray, IntArray
from leolink.forensics.reports import DISABLEMENT_CODES, OUTAGE_CAUSES, Reports, ns_to_instant
from leolink.forensics.sky import CoverageModel
from leolink.geo import grid
from leolink.network.homing import pop_for_places
from leolink.network.sites import great_circle_km, load_gateways
from leolink.time import format_instant

__all__ = [
    "AREA_CODES",
    "Finding",
    "FindingKind",
    "Inference",
    "infer",
]


#: Disablement codes that withdraw service over an area (not one account or one dish).
AREA_CODES: Final = (
    "CELL_IS_DISABLED",
    "BLOCKED_AREA",
    "BLOCKED_COUNTRY",
    "INVALID_COUNTRY",
    "UNLICENSED_COUNTRY",
)
MAX_SPEED_KMH: Final = 1000.0
MIN_JUMP_KM: Final = 50.0
RUN_GAP_S: Final = 45 * 60
MIN_TERMINALS: Final = 3
GROUND_DROP_RATE: Final = 0.95
SERVED_DROP_RATE: Final = 0.5
_MIN_NS: Final = 60_000_000_000
_COVERAGE_SAMPLES: Final = (24, 12)  # at most this many cells x instants per area
_IN_VIEW_SHARE: Final = 0.5


class FindingKind(StrEnum):
    """What an outage seen by terminals was."""

    POLICY_RESTRICTION = "policy_restriction"
    NO_COVERAGE = "no_coverage"
    GNSS_INTERFERENCE = "gnss_interference"
    GROUND_SEGMENT = "ground_segment"
    UNEXPLAINED = "unexplained"


class _Symptom(StrEnum):
    RESTRICTION = "restriction"
    GNSS = "gnss"
    NO_SATS = "no_sats"
    GROUND = "ground"
    UNEXPLAINED = "unexplained"


_KIND_OF: Final = {
    _Symptom.RESTRICTION: FindingKind.POLICY_RESTRICTION,
    _Symptom.GNSS: FindingKind.GNSS_INTERFERENCE,
    _Symptom.NO_SATS: FindingKind.NO_COVERAGE,
    _Symptom.GROUND: FindingKind.GROUND_SEGMENT,
    _Symptom.UNEXPLAINED: FindingKind.UNEXPLAINED,
}


@dataclass(frozen=True)
class Finding:
    """One inferred event: what, where (res-5 cells), when (``[start, end)``, minutes), how sure.

    ``logged`` and ``log_records`` are filled by `leolink.forensics.match_log` for policy
    restrictions (None before matching, and for the other kinds).
    """

    kind: FindingKind
    cells: CellArray
    start: np.datetime64
    end: np.datetime64
    confidence: float
    terminals: int
    evidence: dict[str, Any]
    logged: bool | None = None
    log_records: tuple[int, ...] = ()
    terminal_ids: tuple[str, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields; cells as hex strings, times ISO 8601 ``Z``."""
        return {
            "kind": self.kind.value,
            "cells": grid.cells_to_hex(self.cells),
            "start": format_instant(self.start),
            "end": format_instant(self.end),
            "confidence": self.confidence,
            "terminals": self.terminals,
            "evidence": self.evidence,
            "logged": self.logged,
            "log_records": list(self.log_records),
        }

    def with_log(self, logged: bool, records: Sequence[int], **evidence: Any) -> Finding:
        """The finding matched against the log."""
        return replace(
            self,
            logged=logged,
            log_records=tuple(sorted(set(records))),
            evidence={**self.evidence, **evidence},
        )


@dataclass(frozen=True)
class Located:
    """Reports sorted by (terminal, time), with where each was made and what it says."""

    reports: Reports
    order: IntArray
    cell: CellArray
    located: BoolArray
    fix_bad: BoolArray
    inconsistent: BoolArray
    symptom: dict[_Symptom, BoolArray]
    served: BoolArray

    def column(self, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """A column of the reports in this order."""
        return values[self.order]


@dataclass(frozen=True)
class Inference:
    """The findings, newest evidence first by kind then start, and how the reports were used."""

    findings: tuple[Finding, ...]
    located: Located
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the summary and the findings."""
        return {"summary": self.summary, "findings": [f.to_dict() for f in self.findings]}


def _group_starts(keys: IntArray) -> BoolArray:
    start = np.ones(keys.size, dtype=bool)
    start[1:] = keys[1:] != keys[:-1]
    return start


def _fill(values_index: IntArray, group_start: BoolArray, has: BoolArray) -> IntArray:
    """Forward-fill within groups: for each row, the last row at or before it with ``has``."""
    n = has.size
    idx = np.where(has, np.arange(n), -1)
    # reset at group starts: a row before the group's start must not leak into it
    filled = np.maximum.accumulate(idx)
    group_first = np.maximum.accumulate(np.where(group_start, np.arange(n), 0))
    filled[filled < group_first] = -1
    return filled


def _place_weights(
    seg_term: IntArray, first_row: IntArray, seg_size: IntArray, lat: FloatArray, lon: FloatArray
) -> IntArray:
    """Per segment, the fixes of its dish's segments that start within `MIN_JUMP_KM` of it.

    A dish spoofed for a while comes back to where it was: the place its segments share the
    most fixes at is its track, however long the spoofed stretch alone is.
    """
    weight = seg_size.astype(np.int64).copy()
    if seg_term.size == 0:  # no dish has a valid fix
        return weight
    starts = np.flatnonzero(_group_starts(seg_term))
    ends = np.append(starts[1:], seg_term.size)
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if b - a < 2:
            continue
        rows = first_row[a:b]
        d = great_circle_km(
            lat[rows][:, None], lon[rows][:, None], lat[rows][None, :], lon[rows][None, :]
        )
        weight[a:b] = (d <= MIN_JUMP_KM).astype(np.int64) @ seg_size[a:b]
    return weight


def _reachable(
    seg: IntArray, main: IntArray, fi: IntArray, t_ns: IntArray, lat: FloatArray, lon: FloatArray
) -> BoolArray:
    """Per segment: could the dish have gone between it and its main segment (or is it that)?

    A segment before the main one is compared by its last fix with the main one's first fix, a
    segment after it by its first fix with the main one's last fix.
    """
    if seg.size == 0:  # no dish has a valid fix
        return np.zeros(0, dtype=bool)
    first = np.flatnonzero(_group_starts(seg))
    last = np.append(first[1:] - 1, seg.size - 1)
    f_row, l_row = fi[first], fi[last]
    m_first, m_last = f_row[main], l_row[main]
    is_before = t_ns[l_row] < t_ns[m_first]
    here = np.where(is_before, l_row, f_row)
    there = np.where(is_before, m_first, m_last)
    d_km = great_circle_km(lat[here], lon[here], lat[there], lon[there])
    dt_h = np.abs(t_ns[there] - t_ns[here]) / 3.6e12
    ok = (d_km <= MIN_JUMP_KM) | (d_km <= MAX_SPEED_KMH * dt_h)
    ok[main == np.arange(main.size)] = True
    return np.asarray(ok, dtype=bool)


def _terminal_time_order(terminal: IntArray, time_ns: IntArray) -> IntArray:
    """The order that sorts reports by (terminal, time); files written per dish already are."""
    if terminal.size > 1:
        step = np.diff(terminal)
        if (step >= 0).all() and (np.diff(time_ns)[step == 0] >= 0).all():
            return np.arange(terminal.size)
    return np.lexsort((time_ns, terminal))


def _points_to_cells(lat_deg: FloatArray, lon_deg: FloatArray, resolution: int) -> CellArray:
    """`grid.latlng_to_cells` over the distinct points only: h3 is called once per point, and
    a dish that stays put reports the same fix all day."""
    points, inverse = np.unique(lat_deg + 1j * lon_deg, return_inverse=True)
    return grid.latlng_to_cells(points.real, points.imag, resolution)[inverse.ravel()]


def locate(reports: Reports, resolution: int = grid.DEFAULT_RESOLUTION) -> Located:
    """Place each report (steps 1 and 2 of the module docstring)."""
    order = _terminal_time_order(reports.terminal, reports.time_ns)
    term = reports.terminal[order]
    t_ns = reports.time_ns[order]
    lat = reports.lat_deg[order]
    lon = reports.lon_deg[order]
    n = term.size
    first = _group_starts(term)

    # 1. tracks: cut fixes at impossible jumps, keep each dish's longest run
    fix = reports.gps_valid[order] & np.isfinite(lat)
    fi = np.flatnonzero(fix)
    f_term = term[fi]
    jump = np.ones(fi.size, dtype=bool)
    if fi.size > 1:
        same = f_term[1:] == f_term[:-1]
        a, b = fi[:-1], fi[1:]
        moved = np.flatnonzero(same & ((lat[a] != lat[b]) | (lon[a] != lon[b])))
        d_km = np.zeros(fi.size - 1)  # a dish that stays put repeats its fix: no trigonometry
        d_km[moved] = great_circle_km(lat[a[moved]], lon[a[moved]], lat[b[moved]], lon[b[moved]])
        dt_h = np.maximum((t_ns[fi[1:]] - t_ns[fi[:-1]]) / 3.6e12, 1e-9)
        jump[1:] = ~same | ((d_km > MIN_JUMP_KM) & (d_km / dt_h > MAX_SPEED_KMH))
    seg = np.cumsum(jump) - 1
    seg_size = np.bincount(seg) if seg.size else np.zeros(0, dtype=np.int64)
    seg_term = f_term[jump]
    weight = _place_weights(seg_term, fi[jump], seg_size, lat, lon)
    best = np.lexsort((-weight, seg_term))  # per terminal, best-supported place first
    best_first = _group_starts(seg_term[best])
    main = np.empty(seg_size.size, dtype=np.int64)  # each segment's dish's longest segment
    main_of_term = best[best_first]
    main[best] = np.repeat(main_of_term, np.diff(np.append(np.flatnonzero(best_first), best.size)))
    consistent = np.zeros(n, dtype=bool)
    consistent[fi] = _reachable(seg, main, fi, t_ns, lat, lon)[seg]
    inconsistent = fix & ~consistent

    # place each report at its dish's nearest consistent fix: before, else after
    before = _fill(np.arange(n), first, consistent)
    rev = slice(None, None, -1)
    last = _group_starts(term[rev])
    after_rev = _fill(np.arange(n), last, consistent[rev])
    after = np.where(after_rev >= 0, n - 1 - after_rev, -1)[rev]
    src = np.where(before >= 0, before, after)
    located = src >= 0
    cell = np.zeros(n, dtype=np.uint64)
    cell[located] = _points_to_cells(lat[src[located]], lon[src[located]], resolution)

    # 2. what each report says
    state = reports.state[order]
    code = reports.disablement[order]
    cause = reports.outage[order]
    drop = reports.pop_ping_drop_rate[order]
    states = Reports.STATE_NAMES
    area_code = np.isin(code, [DISABLEMENT_CODES.index(c) for c in AREA_CODES])
    fix_bad = ~fix | inconsistent
    gnss = ~area_code & located & ((code == DISABLEMENT_CODES.index("UNKNOWN_LOCATION")) | fix_bad)
    connected = state == states.index("CONNECTED")
    no_sats = (cause == OUTAGE_CAUSES.index("NO_SATS")) | (state == states.index("SEARCHING"))
    ground = (cause == OUTAGE_CAUSES.index("NO_PINGS")) | (connected & (drop >= GROUND_DROP_RATE))
    odd_causes = [OUTAGE_CAUSES.index(c) for c in ("UNKNOWN", "NO_SCHEDULE", "NO_DOWNLINK")]
    unexplained = np.isin(cause, odd_causes) | (
        (state == states.index("DISABLED")) & np.isin(code, [-1, 0])
    )
    no_code = np.isin(code, [-1, DISABLEMENT_CODES.index("OKAY")])
    served = connected & (drop < SERVED_DROP_RATE) & no_code & ~fix_bad & located
    others = area_code | gnss
    symptom = {
        _Symptom.RESTRICTION: area_code & located,
        _Symptom.GNSS: gnss,
        _Symptom.NO_SATS: no_sats & ~others & located,
        _Symptom.GROUND: ground & ~others & ~no_sats & located,
        _Symptom.UNEXPLAINED: unexplained & ~others & ~no_sats & ~ground & located,
    }
    return Located(reports, order, cell, located, fix_bad, inconsistent, symptom, served)


@dataclass(frozen=True)
class _Events:
    """Rows (of a `Located`) of one kind, sorted by (cell, time)."""

    rows: IntArray
    cell: CellArray
    t_ns: IntArray
    term: IntArray

    @classmethod
    def of(cls, loc: Located, mask: BoolArray) -> _Events:
        rows = np.flatnonzero(mask)
        cell = loc.cell[rows]
        t_ns = loc.column(loc.reports.time_ns)[rows]
        o = np.lexsort((t_ns, cell))
        return cls(rows[o], cell[o], t_ns[o], loc.column(loc.reports.terminal)[rows][o])

    def any_in(self, cell: int, start: int, end: int) -> bool:
        """True if ``cell`` has an event in ``[start, end)``."""
        key = np.uint64(cell)
        lo = int(np.searchsorted(self.cell, key, side="left"))
        hi = int(np.searchsorted(self.cell, key, side="right"))
        if lo == hi:
            return False
        k = int(np.searchsorted(self.t_ns[lo:hi], start, side="left"))
        return k < hi - lo and int(self.t_ns[lo + k]) < end

    def terminals_in(self, cells: CellArray, start: int, end: int) -> dict[int, set[int]]:
        """Per cell, the distinct terminals with an event in ``[start, end)``."""
        out: dict[int, set[int]] = {}
        lo = np.searchsorted(self.cell, cells, side="left")
        hi = np.searchsorted(self.cell, cells, side="right")
        for c, a, b in zip(cells.tolist(), lo.tolist(), hi.tolist(), strict=True):
            if a == b:
                continue
            t = self.t_ns[a:b]
            sel = (t >= start) & (t < end)
            if sel.any():
                out[c] = set(self.term[a:b][sel].tolist())
        return out


def _components(ev: _Events, served: _Events) -> list[IntArray]:
    """Runs per cell joined across nearby cells with overlapping windows: event indices.

    Runs in neighbouring cells are joined; so are runs two grid steps apart when a cell between
    them had no served dish in their common window (an unobserved cell does not cut an area in
    two: with dishes spread at random, ~2 a cell, e^-2 ≈ one cell in seven has none).
    """
    if ev.rows.size == 0:
        return []
    gap = np.ones(ev.rows.size, dtype=bool)
    gap[1:] = (ev.cell[1:] != ev.cell[:-1]) | (ev.t_ns[1:] - ev.t_ns[:-1] > RUN_GAP_S * 10**9)
    run = np.cumsum(gap) - 1
    starts = np.flatnonzero(gap)
    r_cell = ev.cell[starts]
    r_start = ev.t_ns[starts]
    r_end = np.maximum.reduceat(ev.t_ns, starts)
    by_cell: dict[int, list[int]] = {}
    for i, c in enumerate(r_cell.tolist()):
        by_cell.setdefault(c, []).append(i)
    cells = np.unique(r_cell)
    ring = _rings(cells)
    origins, members = grid.cells_to_disks(cells, 2)
    a_list: list[int] = []
    b_list: list[int] = []
    slack = RUN_GAP_S * 10**9
    for o, m in zip(origins.tolist(), members.tolist(), strict=True):
        if o >= m or m not in by_cell:
            continue
        between = None if m in ring[o] else ring[o] & _ring_of(m, ring)
        for i in by_cell[o]:
            for j in by_cell[m]:
                if not (r_start[i] <= r_end[j] + slack and r_start[j] <= r_end[i] + slack):
                    continue
                if between is not None:
                    lo, hi = sorted((max(r_start[i], r_start[j]), min(r_end[i], r_end[j])))
                    if all(served.any_in(c, lo, hi + 1) for c in between):
                        continue
                a_list.append(i)
                b_list.append(j)
    n = r_cell.size
    graph = coo_matrix((np.ones(len(a_list)), (a_list, b_list)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    ev_label = label[run]
    o = np.argsort(ev_label, kind="stable")
    bounds = np.flatnonzero(_group_starts(ev_label[o]))
    return np.split(o, bounds[1:])


def _rings(cells: CellArray) -> dict[int, set[int]]:
    """Each cell's six (five at a pentagon) neighbours."""
    origins, members = grid.cells_to_disks(cells, 1)
    out: dict[int, set[int]] = {c: set() for c in cells.tolist()}
    for o, m in zip(origins.tolist(), members.tolist(), strict=True):
        if o != m:
            out[o].add(m)
    return out


def _ring_of(cell: int, known: dict[int, set[int]]) -> set[int]:
    if cell not in known:
        known.update(_rings(np.array([cell], dtype=np.uint64)))
    return known[cell]


def _is_bridge(cell: int, inside: set[int], ring: set[int]) -> bool:
    """True if ``inside`` meets the ring around ``cell`` in two or more separate arcs."""
    nbrs = np.fromiter(ring, dtype=np.uint64, count=len(ring))
    lat, lon = grid.cells_to_latlng(nbrs)
    c_lat, c_lon = grid.cells_to_latlng(np.array([cell], dtype=np.uint64))
    bearing = np.arctan2((lon - c_lon) * np.cos(np.radians(c_lat)), lat - c_lat)
    flags = np.isin(nbrs[np.argsort(bearing)], np.fromiter(inside, dtype=np.uint64))
    return int((flags & ~np.roll(flags, 1)).sum()) >= 2


def _fill_unobserved(
    kept: set[int], sick: set[int], served: _Events, start: int, end: int
) -> set[int]:
    """``kept`` and the unobserved cells next to it that its neighbours put in the area.

    An unobserved cell (no dish there said anything either way) is taken in when at least
    two of its neighbours are in the area and at least half of its observed neighbours are:
    including a cell that is in the area with probability p raises the expected IoU of the
    area whenever p > IoU / (1 + IoU), which is at most 1/2.  So is a cell that bridges parts
    of the area (its area neighbours form two or more separate arcs around it): restrictions
    are drawn as contiguous areas.  One pass, so that the area never grows into the unobserved
    country around it.
    """
    arr = np.fromiter(kept, dtype=np.uint64, count=len(kept))
    ring = _rings(arr)
    near = np.fromiter(set().union(*ring.values()), dtype=np.uint64)
    observed = set(served.terminals_in(near, start, end)) | sick | kept
    candidates = set(near.tolist()) - observed
    if not candidates:
        return set(kept)
    around = _rings(np.fromiter(candidates, dtype=np.uint64, count=len(candidates)))
    observed |= set(
        served.terminals_in(np.fromiter(set().union(*around.values()), dtype=np.uint64), start, end)
    )
    area = set(kept)
    for cell, nbrs in around.items():
        n_in = len(nbrs & kept)
        n_out = len((nbrs & observed) - kept)
        if n_in >= 2 and (n_in >= n_out or _is_bridge(cell, kept, nbrs)):
            area.add(cell)
    return area


def _round_minute(t_ns: int, up: bool) -> np.datetime64:
    q = -(-t_ns // _MIN_NS) if up else t_ns // _MIN_NS
    return ns_to_instant(q * _MIN_NS, "m")


def _coverage(
    model: CoverageModel | None, cells: CellArray, start: int, end: int
) -> dict[str, Any]:
    if model is None:
        return {"checked": False, "why": "no catalog given"}
    mid = ns_to_instant((start + end) // 2)
    if not model.is_valid_at(mid):
        return {
            "checked": False,
            "why": f"the catalog's element sets are {model.age_days(mid):.0f} days from the "
            f"window (more than {model.max_catalog_age_days:g}): give a contemporary --catalog",
        }
    n_cells, n_times = _COVERAGE_SAMPLES
    pick = cells[np.linspace(0, cells.size - 1, min(n_cells, cells.size)).astype(int)]
    times = (
        np.linspace(start, max(end - 1, start), n_times).astype(np.int64).astype("datetime64[ns]")
    )
    lat, lon = grid.cells_to_latlng(pick)
    counts = model.visible_counts(lat, lon, times)
    assert counts is not None
    return {
        "checked": True,
        "share_in_view": round(float((counts > 0).mean()), 3),
        "mean_visible": round(float(counts.mean()), 1),
        "min_elevation_deg": model.min_elevation_deg,
        "samples": int(counts.size),
    }


def _ground_sites(cells: CellArray) -> dict[str, Any]:
    """The gateway nearest to the area's centre and the PoP Starlink homes it to."""
    lat, lon = grid.cells_to_latlng(cells)
    c_lat, c_lon = float(np.mean(lat)), float(np.mean(lon))
    gws = load_gateways()
    d = great_circle_km(c_lat, c_lon, gws.lat_deg, gws.lon_deg)
    i = int(np.argmin(d))
    home = pop_for_places([c_lat], [c_lon])
    j = int(home.pop[0])
    return {
        "nearest_gateway": {
            "id": gws.ids[i],
            "name": gws.names[i],
            "distance_km": round(float(d[i]), 1),
        },
        "assigned_pop": {
            "id": home.pops.ids[j],
            "name": home.pops.names[j],
            "distance_km": round(
                float(great_circle_km(c_lat, c_lon, home.pops.lat_deg[j], home.pops.lon_deg[j])),
                1,
            ),
            "assignment": home.source[0],
        },
        "sites_source": "gateways: leolink.network.sites; PoP: Starlink's GeoIP feed "
        "(leolink.network.homing.pop_for_places)",
    }


def _evidence(loc: Located, rows: IntArray, symptom: _Symptom) -> dict[str, Any]:
    code = loc.column(loc.reports.disablement)[rows]
    cause = loc.column(loc.reports.outage)[rows]
    codes = Counter(DISABLEMENT_CODES[c] for c in code.tolist() if c >= 0)
    causes = Counter(OUTAGE_CAUSES[c] for c in cause.tolist() if c >= 0)
    out: dict[str, Any] = {"reports": int(rows.size)}
    if codes:
        out["disablement_codes"] = dict(codes.most_common())
    if causes:
        out["outage_causes"] = dict(causes.most_common())
    if symptom is _Symptom.GNSS:
        out["fixes_missing"] = int((~loc.column(loc.reports.gps_valid)[rows]).sum())
        out["fixes_inconsistent"] = int(loc.inconsistent[rows].sum())
    return out


def infer(
    reports: Reports,
    *,
    coverage: CoverageModel | None = None,
    resolution: int = grid.DEFAULT_RESOLUTION,
) -> Inference:
    """Findings from ``reports`` (see the module docstring), not yet matched against the log."""
    loc = locate(reports, resolution)
    served = _Events.of(loc, loc.served)
    findings: list[Finding] = []
    term_col = loc.column(reports.terminal)
    for symptom, mask in loc.symptom.items():
        ev = _Events.of(loc, mask)
        for comp in _components(ev, served):
            if np.unique(ev.term[comp]).size < MIN_TERMINALS:
                continue
            finding = _finding(loc, ev, comp, symptom, served, coverage, resolution)
            if finding is not None:
                findings.append(finding)
    findings.sort(key=lambda f: (f.kind.value, f.start, -f.terminals))
    summary = {
        "reports": len(reports),
        "terminals": len(reports.terminal_ids),
        "located_reports": int(loc.located.sum()),
        "unlocated_terminals": int(
            len(reports.terminal_ids) - np.unique(term_col[loc.located]).size
        ),
        "served_reports": int(loc.served.sum()),
        "symptoms": {s.value: int(m.sum()) for s, m in loc.symptom.items()},
        "resolution": resolution,
        "findings": dict(Counter(f.kind.value for f in findings)),
    }
    return Inference(tuple(findings), loc, summary)


def _finding(
    loc: Located,
    ev: _Events,
    comp: IntArray,
    symptom: _Symptom,
    served: _Events,
    coverage: CoverageModel | None,
    resolution: int,
) -> Finding | None:
    start = int(ev.t_ns[comp].min())
    end = int(ev.t_ns[comp].max()) + 1
    cells = np.unique(ev.cell[comp])
    sick = ev.terminals_in(cells, start, end)
    well = served.terminals_in(cells, start, end)
    kept = {c for c in sick if len(sick[c]) >= len(well.get(c, ()))}
    if not kept:
        return None
    area = _fill_unobserved(kept, set(sick), served, start, end)
    sick_terms = set().union(*(sick[c] for c in kept))
    well_terms = set().union(*(well.get(c, set()) for c in kept)) - sick_terms
    n = len(sick_terms)
    if n < MIN_TERMINALS:
        return None
    agreement = n / (n + len(well_terms))
    confidence = round(agreement * (1.0 - float(np.exp(-n / 4.0))), 2)
    area_cells = np.sort(np.fromiter(area, dtype=np.uint64, count=len(area)))
    rows = ev.rows[comp][np.isin(ev.cell[comp], area_cells)]
    evidence = _evidence(loc, rows, symptom)
    evidence.update(
        agreement=round(agreement, 3),
        contradicting_terminals=len(well_terms),
        observed_cells=len(kept),
        filled_cells=len(area) - len(kept),
    )
    kind = _KIND_OF[symptom]
    if symptom in (_Symptom.RESTRICTION, _Symptom.NO_SATS):
        cov = _coverage(coverage, area_cells, start, end)
        evidence["coverage"] = cov
        if cov["checked"]:
            in_view = cov["share_in_view"] >= _IN_VIEW_SHARE
            if symptom is _Symptom.RESTRICTION and not in_view:
                kind = FindingKind.UNEXPLAINED
                evidence["why"] = "dishes report a policy code where the model sees no satellite"
            if symptom is _Symptom.NO_SATS and in_view:
                kind = FindingKind.UNEXPLAINED
                evidence["why"] = "dishes report no satellite where the model sees some"
    if symptom is _Symptom.GROUND:
        evidence.update(_ground_sites(area_cells))
    ids = loc.reports.terminal_ids
    return Finding(
        kind=kind,
        cells=area_cells,
        start=_round_minute(start, up=False),
        end=_round_minute(end, up=True),
        confidence=confidence,
        terminals=n,
        evidence=evidence,
        terminal_ids=tuple(sorted(ids[t] for t in sick_terms)),
    )
