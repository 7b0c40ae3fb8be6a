"""Findings against the log: was each restriction the terminals saw on the record, and was each
restriction on the record enforced?

The log is given, not read: `PolicyLog` holds the policy history (country-status changes and
geofences, as `leolink.store.Store.policy_history` returns them) and the audit records about
them (`Store.audit_log`), so that this module stays pure; the CLI and the service read the store.

- A ``policy_restriction`` finding is ``logged`` when at least half of its cells lie in areas
  the log restricted during its window: a deny geofence in force (its interior and boundary
  cells), an allow-list geofence in force (terminals outside the list are refused there), a
  cell status in force whose category disables service (``blacklisted``: what dishes report as
  ``CELL_IS_DISABLED``), or a country whose status in force was not ``available``.
  ``log_records`` are the ``seq`` of the audit records of those geofences, cell-status changes
  and status changes.  Otherwise ``logged`` is false: an unlogged restriction.
- A deny geofence or a disabling cell status in force over the reports' span is *not enforced*
  when at least 3 distinct dishes were served inside it during its window and they are at least
  half of the dishes that reported from its cells then.  (Reports do not say a dish's customer
  class: a geofence that applies to some classes only is reported with that caveat.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from leolink.arrays import CellArray
from leolink.forensics.infer import (
    MIN_TERMINALS,
    Finding,
    FindingKind,
    Inference,
    _Events,
    _Symptom,
)
from leolink.forensics.reports import ReportsRead, instant_ns, ns_to_instant
from leolink.geo import grid
from leolink.geo.countries import countries_at
from leolink.policy._areas import area_cells, fence_area
from leolink.policy.audit import AuditRecord
from leolink.policy.records import (
    CellEffect,
    CellStatusChange,
    CountryStatus,
    Geofence,
    GeofenceEffect,
    PolicyHistory,
    statuses_in_force,
)
from leolink.time import format_instant

__all__ = ["LogMatch", "NotEnforced", "PolicyLog", "findings_document", "match_log"]

LOGGED_SHARE: Final = 0.5


@dataclass(frozen=True)
class PolicyLog:
    """The policy records and their audit records, as read from a store (or a scenario's)."""

    history: PolicyHistory
    records: Sequence[AuditRecord]

    def record_ids(self, entity: str, entity_ids: set[str]) -> list[int]:
        """``seq`` of the audit records about these entities."""
        return [r.seq for r in self.records if r.entity == entity and r.entity_id in entity_ids]


@dataclass(frozen=True)
class NotEnforced:
    """A logged deny geofence (or disabling cell status) inside which dishes were served while
    it was in force; one of ``geofence`` and ``cell_status`` is given."""

    geofence: Geofence | None
    log_records: tuple[int, ...]
    cells: CellArray
    start: np.datetime64
    end: np.datetime64
    terminals: int
    served_share: float
    cell_status: CellStatusChange | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        note = None
        fence, status = self.geofence, self.cell_status
        if fence is not None and fence.customer_classes is not None:
            classes = ", ".join(c.value for c in fence.customer_classes)
            note = f"applies to {classes} only; reports do not say a dish's class"
        name = fence.name if fence is not None else (status.words if status is not None else "")
        return {
            "geofence": fence.id if fence is not None else None,
            "cell_status": status.id if status is not None else None,
            "name": name,
            "log_records": list(self.log_records),
            "cells": grid.cells_to_hex(self.cells),
            "start": format_instant(self.start),
            "end": format_instant(self.end),
            "terminals": self.terminals,
            "served_share": self.served_share,
            "note": note,
        }


@dataclass(frozen=True)
class LogMatch:
    """The findings with ``logged`` and ``log_records`` filled; the restrictions not enforced."""

    findings: tuple[Finding, ...]
    not_enforced: tuple[NotEnforced, ...]


def _ns(t: np.datetime64 | None, default: int) -> int:
    return default if t is None else instant_ns(t)


def _fence_cells(fence: Geofence, resolution: int) -> CellArray:
    inner, edge = area_cells(fence_area(fence.area_geojson, fence.cells), resolution)
    return np.union1d(inner, edge)


def _fences_in_force(log: PolicyLog, start: int, end: int) -> list[tuple[Geofence, int, int]]:
    out = []
    for fence in log.history.geofences:
        interval = fence.in_force_interval(log.history.known_at)
        if interval is None:
            continue
        s = max(_ns(interval[0], start), start)
        e = min(_ns(interval[1], end), end)
        if s < e:
            out.append((fence, s, e))
    return out


def _cell_statuses_in_force(
    log: PolicyLog, start: int, end: int
) -> list[tuple[CellStatusChange, int, int]]:
    """Cell-status changes that disable service (``blacklisted``) in force within the span."""
    out = []
    for change in log.history.cell_statuses:
        if change.effect is not CellEffect.DISABLED:
            continue
        interval = change.in_force_interval(log.history.known_at)
        if interval is None:
            continue
        s = max(_ns(interval[0], start), start)
        e = min(_ns(interval[1], end), end)
        if s < e:
            out.append((change, s, e))
    return out


def _status_cells(change: CellStatusChange, resolution: int) -> CellArray:
    """The change's cells (resolution 5) at ``resolution``: children or parents."""
    cells = grid.hex_to_cells(sorted(change.cells))
    if resolution == grid.DEFAULT_RESOLUTION or cells.size == 0:
        return cells
    if resolution > grid.DEFAULT_RESOLUTION:
        return grid.cells_to_children(cells, resolution)
    return np.unique(grid.cells_to_parents(cells, resolution))


def _restricted_statuses(log: PolicyLog, at: np.datetime64) -> dict[str, Any]:
    changes = (c for c in log.history.status_changes if c.effective_from <= at)
    return {
        code: change
        for code, change in statuses_in_force(changes, log.history.known_at).items()
        if change.status is not CountryStatus.AVAILABLE
    }


def _match(finding: Finding, log: PolicyLog, resolution: int) -> Finding:
    start = _ns(finding.start, 0)
    end = _ns(finding.end, 0)
    cells = finding.cells
    covered = np.zeros(cells.size, dtype=bool)
    fences: list[str] = []
    for fence, _, _ in _fences_in_force(log, start, end):
        if fence.effect not in (GeofenceEffect.DENY, GeofenceEffect.ALLOWLIST):
            continue
        hit = np.isin(cells, _fence_cells(fence, resolution))
        if hit.any():
            covered |= hit
            fences.append(fence.id)
    blacklists: list[str] = []
    for change, _, _ in _cell_statuses_in_force(log, start, end):
        hit = np.isin(cells, _status_cells(change, resolution))
        if hit.any():
            covered |= hit
            blacklists.append(str(change.id))
    lat, lon = grid.cells_to_latlng(cells)
    codes = countries_at(lat, lon).codes()
    restricted = _restricted_statuses(log, ns_to_instant(start))
    statuses: list[str] = []
    for i, code in enumerate(codes):
        if code is not None and code in restricted:
            covered[i] = True
            statuses.append(str(restricted[code].id))
    share = float(covered.mean()) if cells.size else 0.0
    records = (
        log.record_ids("geofence", set(fences))
        + log.record_ids("cell_status", set(blacklists))
        + log.record_ids("country_status", set(statuses))
    )
    logged = share >= LOGGED_SHARE
    return finding.with_log(
        logged,
        records if logged else [],
        log={
            "geofences": sorted(fences),
            "cell_status_changes": sorted(blacklists, key=int),
            "country_status_changes": sorted(set(statuses)),
            "share_of_cells_logged": round(share, 3),
        },
    )


def _not_enforced(inference: Inference, log: PolicyLog, resolution: int) -> list[NotEnforced]:
    loc = inference.located
    t = loc.column(loc.reports.time_ns)
    if t.size == 0:
        return []
    served = _Events.of(loc, loc.served)
    refused = _Events.of(loc, loc.symptom[_Symptom.RESTRICTION])
    out = []
    span = (int(t.min()), int(t.max()) + 1)
    areas: list[tuple[Geofence | None, CellStatusChange | None, int, int]] = [
        (fence, None, s, e)
        for fence, s, e in _fences_in_force(log, *span)
        if fence.effect is GeofenceEffect.DENY
    ]
    areas += [(None, change, s, e) for change, s, e in _cell_statuses_in_force(log, *span)]
    for fence, change, s, e in areas:
        if fence is not None:
            cells = _fence_cells(fence, resolution)
            entity, entity_id = "geofence", fence.id
        else:
            assert change is not None
            cells = _status_cells(change, resolution)
            entity, entity_id = "cell_status", str(change.id)
        well = served.terminals_in(cells, s, e)
        sick = refused.terminals_in(cells, s, e)
        well_terms = set().union(*well.values()) if well else set()
        sick_terms = set().union(*sick.values()) if sick else set()
        n = len(well_terms)
        if n < MIN_TERMINALS or n < len(sick_terms):
            continue
        in_cells = np.isin(served.cell, cells) & (served.t_ns >= s) & (served.t_ns < e)
        times = served.t_ns[in_cells]
        out.append(
            NotEnforced(
                geofence=fence,
                cell_status=change,
                log_records=tuple(log.record_ids(entity, {entity_id})),
                cells=np.sort(np.fromiter(well, dtype=np.uint64, count=len(well))),
                start=ns_to_instant(int(times.min()), "m"),
                end=ns_to_instant(int(times.max()) + 60_000_000_000, "m"),
                terminals=n,
                served_share=round(n / (n + len(sick_terms)), 3),
            )
        )
    return out


def match_log(inference: Inference, log: PolicyLog) -> LogMatch:
    """Each policy restriction matched to the log; each logged deny geofence checked for use."""
    resolution = int(inference.summary["resolution"])
    findings = tuple(
        _match(f, log, resolution) if f.kind is FindingKind.POLICY_RESTRICTION else f
        for f in inference.findings
    )
    return LogMatch(findings, tuple(_not_enforced(inference, log, resolution)))


def findings_document(read: ReportsRead, inference: Inference, matched: LogMatch) -> dict[str, Any]:
    """What the command line (``--format json``) and the HTTP API answer, JSON-ready."""
    return {
        "reports": read.summary(),
        "summary": inference.summary,
        "findings": [f.to_dict() for f in matched.findings],
        "not_enforced": [n.to_dict() for n in matched.not_enforced],
    }
