"""The policy tables as they are, in the shape the log's replay gives (`leolink.policy.replay`).

`tables_state` reads every row the log determines, through the same record types the store
hands out (so a row reads exactly as the record that wrote it did), inside the caller's
snapshot.  `Store.verify` compares it with `leolink.policy.replay.replay` of the records.

`table_checks` accounts for every table that holds state, one `TableCheck` each, and names the
first difference in each (``leolink audit verify`` prints them):

* **logged** — the tables of `leolink.policy.replay.TABLES` (statuses, geofences, terminals,
  allow-lists, position reports, API keys): replayed from the records and compared row by row.
* **derived** — rows computed from logged state, checked by computing them again:
  ``witnessed_checkpoints`` (each note must be this log's: its origin, signed by the log key
  the verifier brings, its root the root of the log's first ``size`` records; the witnesses'
  cosignatures are their own claims, checked by whoever reads them with the witnesses' keys)
  and ``compiled_areas`` (the cells and region compiled from a geofence's area must be what
  compiling that fence's area gives now; rows of areas no fence has are never read for a
  decision of a stored fence and are only counted).
* **not logged** — ``telemetry_reports``: what terminals report about themselves, evidence
  about the operator rather than changes the operator made (`leolink.store.telemetry`);
  forensics matches it to the log.  Audit machinery (records, head, tree nodes, checkpoints,
  signing keys) is the log itself, checked by `Store.verify`; ``idempotency_keys`` and
  ``policy_versions`` only replay answers and count changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import shapely
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, selectinload

from leolink.errors import InputError
from leolink.policy._areas import area_cells, area_key, fence_area
from leolink.policy.merkle import append_leaf, root_from_frontier
from leolink.policy.notes import Verifier, parse_checkpoint
from leolink.policy.records import (
    ApiKey,
    CellStatusChange,
    CountryStatusChange,
    PositionReport,
    Terminal,
)
from leolink.policy.replay import (
    TABLES,
    TableState,
    first_difference,
    membership_key,
    replay,
    report_key,
)
from leolink.policy.tlog import record_leaf
from leolink.store import repository as repo
from leolink.store.models import (
    AllowlistMembershipRow,
    ApiKeyRow,
    AuditRecordRow,
    CellStatusRow,
    CompiledAreaRow,
    CountryStatusRow,
    GeofenceRow,
    PositionReportRow,
    TelemetryReportRow,
    TerminalRow,
    WitnessedCheckpointRow,
)

__all__ = ["TableCheck", "table_checks", "tables_state"]

Kind = Literal["logged", "derived", "not logged"]


@dataclass(frozen=True)
class TableCheck:
    """One table: how the log accounts for it, its rows, and the first difference (None: it
    matches, or it is not the log's to check)."""

    table: str
    kind: Kind
    rows: int
    first_difference: str | None

    @property
    def ok(self) -> bool:
        """No difference."""
        return self.first_difference is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "table": self.table,
            "kind": self.kind,
            "rows": self.rows,
            "ok": self.ok,
            "first_difference": self.first_difference,
        }


#: The cell arrays of ``compiled_areas``: sorted ``uint64``, little-endian (`store.areas`).
_CELL = np.dtype("<u8")


def table_checks(engine: Engine, verifier: Verifier) -> list[TableCheck]:
    """Every table of the module docstring, checked in one snapshot against the log, with
    ``verifier`` (the log key the verifier brings) for the checkpoints."""
    with Session(engine) as session, session.begin():
        rows = session.execute(repo.audit_select().order_by(AuditRecordRow.seq))
        records = [repo.row_to_audit_record(r) for r in rows]
        logged, found = replay(records), tables_state(session)
        out = [
            TableCheck(
                table,
                "logged",
                len(found.rows[table]),
                None if (d := first_difference(logged, found, (table,))) is None else d.describe(),
            )
            for table in TABLES
        ]
        out.append(_witnessed(session, [record_leaf(r) for r in records], verifier))
        out.append(_compiled_areas(session))
        telemetry = session.scalar(select(func.count()).select_from(TelemetryReportRow)) or 0
        out.append(TableCheck("telemetry_reports", "not logged", int(telemetry), None))
    return out


def _witnessed(session: Session, leaves: list[bytes], verifier: Verifier) -> TableCheck:
    """Each kept checkpoint against the log's own tree (module docstring)."""
    kept = session.execute(
        select(WitnessedCheckpointRow.size, WitnessedCheckpointRow.note).order_by(
            WitnessedCheckpointRow.size
        )
    ).all()
    frontier: list[bytes] = []
    size = 0
    problem = None
    for row_size, note in kept:
        where = f"table witnessed_checkpoints, row {int(row_size)}"
        try:
            cp = parse_checkpoint(note)
        except InputError as exc:
            problem = f"{where}: the note is not a checkpoint ({exc})"
            break
        if cp.size != row_size or cp.origin != verifier.name:
            problem = f"{where}: the note is of {cp.origin!r} size {cp.size}, not this log's"
            break
        if not cp.signed_by(verifier):
            problem = f"{where}: the note is not signed by the log key {verifier.vkey()}"
            break
        if cp.size > len(leaves):
            problem = f"{where}: the log has only {len(leaves)} records (it was truncated)"
            break
        while size < cp.size:
            frontier, _ = append_leaf(frontier, size, leaves[size])
            size += 1
        if root_from_frontier(frontier) != cp.root:
            problem = (
                f"{where}: its root is not the root of the log's first {cp.size} records: the "
                "log shown to the witnesses is not the log in this store"
            )
            break
    return TableCheck("witnessed_checkpoints", "derived", len(kept), problem)


def _compiled_areas(session: Session) -> TableCheck:
    """Each compiled area of a stored fence against compiling that fence's area again."""
    areas: dict[str, Any] = {}
    for fence in session.scalars(select(GeofenceRow).options(selectinload(GeofenceRow.cell_rows))):
        cells = fence.cells
        areas.setdefault(area_key(fence.area_geojson, cells), (fence.id, fence.area_geojson, cells))
    rows = session.scalars(
        select(CompiledAreaRow).order_by(CompiledAreaRow.area_key, CompiledAreaRow.resolution)
    ).all()
    for row in rows:
        if row.area_key not in areas:
            continue  # no stored fence has this area (module docstring)
        fence_id, text, cells = areas[row.area_key]
        where = (
            f"table compiled_areas, row {row.area_key[:12]}… at resolution {row.resolution} "
            f"(geofence {fence_id!r})"
        )
        area = fence_area(text, cells)
        interior, boundary = area_cells(area, row.resolution)
        if not np.array_equal(np.frombuffer(row.interior, _CELL), interior):
            return TableCheck("compiled_areas", "derived", len(rows), f"{where}: {_cells_differ}")
        if not np.array_equal(np.frombuffer(row.boundary, _CELL), boundary):
            return TableCheck("compiled_areas", "derived", len(rows), f"{where}: {_cells_differ}")
        wkb = area.geometry_wkb()
        if (row.geometry_wkb is None) != (wkb is None) or (
            wkb is not None
            and row.geometry_wkb is not None
            and not shapely.equals(shapely.from_wkb(row.geometry_wkb), shapely.from_wkb(wkb))
        ):
            return TableCheck(
                "compiled_areas",
                "derived",
                len(rows),
                f"{where}: its region is not the fence's area: decisions near its edge would "
                "follow another line than the logged fence",
            )
    return TableCheck("compiled_areas", "derived", len(rows), None)


_cells_differ = (
    "its cells are not those the fence's area compiles to: decisions would follow another "
    "area than the logged fence"
)


def tables_state(session: Session) -> TableState:
    """Every row of the tables the log determines, as JSON-ready dicts keyed by id."""
    state = TableState()
    for change in session.scalars(select(CountryStatusRow)):
        state.put(
            "country_statuses",
            str(change.id),
            CountryStatusChange.model_validate(change).as_logged(),
        )
    for cs in session.scalars(select(CellStatusRow).options(selectinload(CellStatusRow.cell_rows))):
        state.put("cell_statuses", str(cs.id), CellStatusChange.model_validate(cs).as_logged())
    for fence in session.scalars(select(GeofenceRow).options(selectinload(GeofenceRow.cell_rows))):
        state.put("geofences", fence.id, repo.geofence_as_logged(fence))
    for t in session.scalars(select(TerminalRow).options(selectinload(TerminalRow.allowlist_rows))):
        state.put("terminals", t.id, Terminal.model_validate(t).as_logged())
    for m in session.scalars(select(AllowlistMembershipRow)):
        member = {
            "geofence_id": m.geofence_id,
            "terminal_id": m.terminal_id,
            "added_by": m.added_by,
        }
        state.put("allowlist_memberships", membership_key(m.geofence_id, m.terminal_id), member)
    for r in session.scalars(select(PositionReportRow)):
        fields = PositionReport.model_validate(r).as_logged()
        state.put("position_reports", report_key(r.terminal_id, fields["reported_at"]), fields)
    for key in session.scalars(select(ApiKeyRow)):
        state.put("api_keys", key.id, ApiKey.model_validate(key).as_logged())
    return state
