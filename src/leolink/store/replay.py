"""The policy tables as they are, in the shape the log's replay gives (`leolink.policy.replay`).

`tables_state` reads every row the log determines, through the same record types the store
hands out (so a row reads exactly as the record that wrote it did), inside the caller's
snapshot.  `Store.verify` compares it with `leolink.policy.replay.replay` of the records.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from leolink.policy.records import PositionReport
from leolink.policy.replay import TableState, membership_key, report_key
from leolink.store import repository as repo
from leolink.store.models import (
    AllowlistMembershipRow,
    ApiKeyRow,
    CellStatusRow,
    CountryStatusRow,
    GeofenceRow,
    PositionReportRow,
    TerminalRow,
)

__all__ = ["tables_state"]


def tables_state(session: Session) -> TableState:
    """Every row of the tables the log determines, as JSON-ready dicts keyed by id."""
    state = TableState()
    for change in session.scalars(select(CountryStatusRow)):
        state.put("country_statuses", str(change.id), repo.row_to_country_change(change).to_dict())
    for cs in session.scalars(select(CellStatusRow).options(selectinload(CellStatusRow.cells))):
        state.put("cell_statuses", str(cs.id), repo.row_to_cell_status(cs).to_dict())
    for fence in session.scalars(select(GeofenceRow).options(selectinload(GeofenceRow.cells))):
        state.put("geofences", fence.id, repo.geofence_as_logged(fence))
    for t in session.scalars(select(TerminalRow).options(selectinload(TerminalRow.allowlists))):
        state.put("terminals", t.id, repo.row_to_terminal(t).to_dict())
    for m in session.scalars(select(AllowlistMembershipRow)):
        member = {
            "geofence_id": m.geofence_id,
            "terminal_id": m.terminal_id,
            "added_by": m.added_by,
        }
        state.put("allowlist_memberships", membership_key(m.geofence_id, m.terminal_id), member)
    for r in session.scalars(select(PositionReportRow)):
        report = PositionReport(r.terminal_id, r.reported_at, r.lat_deg, r.lon_deg, r.cell)
        fields = report.to_dict()
        state.put("position_reports", report_key(r.terminal_id, fields["reported_at"]), fields)
    for key in session.scalars(select(ApiKeyRow)):
        state.put("api_keys", key.id, repo.row_to_api_key(key).to_dict())
    return state
