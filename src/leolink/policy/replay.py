"""The state is what the log says: the policy tables rebuilt from the audit records, and compared.

Every write appends one record holding the entity as it was left (``after``), so folding the
records in order gives every country-status change, cell-status change, geofence, terminal,
allow-list membership, position report and API key the tables should hold.  `replay` does the
folding; `first_difference` compares the result with the tables as read (`TableState` built by
`leolink.store.replay`) and names the first row that disagrees: a role changed in raw SQL, a
key row inserted behind the log's back, a proposed fence set to approved by hand.

Rows are keyed by table and id and held as JSON-ready dicts, the shape the records' ``after``
already has.  Only the fields a record names are compared (a log written by an older leolink
carries fewer), and a record whose entity no table keeps (a refused request, a witness's
cosignature) changes no state.  A sealed geofence (`leolink.policy.commitments`) is compared
in its sealed form: the table's text, sealed again with its salt, must give the commitment the
log holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from leolink.policy.audit import AuditRecord, JSONValue, canonical_json

__all__ = [
    "TABLES",
    "StateDifference",
    "TableState",
    "first_difference",
    "membership_key",
    "replay",
    "report_key",
]

#: The tables the log determines, in the order they are compared.
TABLES: Final = (
    "country_statuses",
    "cell_statuses",
    "geofences",
    "terminals",
    "allowlist_memberships",
    "position_reports",
    "api_keys",
)

#: Entity (as records name it) -> the table that keeps it.
_ENTITY_TABLE: Final = {
    "country_status": "country_statuses",
    "cell_status": "cell_statuses",
    "geofence": "geofences",
    "terminal": "terminals",
    "api_key": "api_keys",
}

#: Fields a table row shows that other records move: a terminal's allow-lists are the
#: memberships (compared as rows of their own), not what its last record listed.
_DERIVED: Final = {"terminals": frozenset({"allowlists"})}

Row = dict[str, Any]


@dataclass
class TableState:
    """Rows by table and key, and for each row the record that last set it (0 for table rows)."""

    rows: dict[str, dict[str, Row]] = field(default_factory=lambda: {t: {} for t in TABLES})
    set_by: dict[tuple[str, str], int] = field(default_factory=dict)

    def put(self, table: str, key: str, row: Mapping[str, Any], seq: int = 0) -> None:
        """Set one row (normalised through canonical JSON, as records are)."""
        clean = {k: v for k, v in row.items() if k not in _DERIVED.get(table, ())}
        self.rows[table][key] = _normalised(clean)
        self.set_by[(table, key)] = seq

    def drop(self, table: str, key: str, seq: int = 0) -> None:
        """Remove one row (an allow-list membership taken back)."""
        self.rows[table].pop(key, None)
        self.set_by[(table, key)] = seq


def membership_key(geofence_id: str, terminal_id: str) -> str:
    """The key of an allow-list membership row."""
    return f"{geofence_id}/{terminal_id}"


def report_key(terminal_id: str, reported_at: str) -> str:
    """The key of a position-report row (one per terminal and instant)."""
    return f"{terminal_id}@{reported_at}"


def _normalised(value: Mapping[str, Any]) -> Row:
    out: Row = json.loads(canonical_json(value))
    return out


def replay(records: Iterable[AuditRecord]) -> TableState:
    """The tables as the log says they are after ``records`` (ascending ``seq``)."""
    state = TableState()
    for rec in records:
        after: Mapping[str, Any] = rec.after if isinstance(rec.after, Mapping) else {}
        if rec.action in ("allowlist.add", "allowlist.remove"):
            added = rec.action == "allowlist.add"
            for tid in after.get("added" if added else "removed", ()) or ():
                key = membership_key(rec.entity_id, str(tid))
                if added:
                    row = {
                        "geofence_id": rec.entity_id,
                        "terminal_id": str(tid),
                        "added_by": rec.actor,
                    }
                    state.put("allowlist_memberships", key, row, rec.seq)
                else:
                    state.drop("allowlist_memberships", key, rec.seq)
        elif rec.action == "terminal.report_positions":
            for report in after.get("reports", ()) or ():
                if isinstance(report, Mapping):
                    row = {"terminal_id": rec.entity_id, **report}
                    key = report_key(rec.entity_id, str(report.get("reported_at")))
                    state.put("position_reports", key, row, rec.seq)
        elif (table := _ENTITY_TABLE.get(rec.entity)) is not None and "id" in after:
            state.put(table, str(after["id"]), after, rec.seq)
    return state


@dataclass(frozen=True)
class StateDifference:
    """One row where the tables and the log disagree.

    ``seq`` is the record that last set the row (None for a row no record mentions);
    ``field`` is None when the whole row is missing on one side.
    """

    table: str
    key: str
    field: str | None
    logged: JSONValue
    found: JSONValue
    seq: int | None

    def describe(self) -> str:
        """The difference in words, naming the table, the row and the record."""
        where = f"table {self.table}, row {self.key!r}"
        if self.seq is None:
            return (
                f"{where} is not in the log: no record ever wrote it (it was inserted behind "
                "the log's back)"
            )
        record = f"record {self.seq}"
        if self.field is None:
            return (
                f"{where} is missing from the table, but the log ({record}) says it exists "
                "(it was deleted behind the log's back)"
                if self.found is None
                else f"{where} exists, but the log ({record}) says it was removed"
            )
        return (
            f"{where}: {self.field} is {_show(self.found)} in the table but {_show(self.logged)} "
            f"in the log ({record} set it): the table was changed behind the log's back"
        )


def _show(value: JSONValue) -> str:
    text = canonical_json(value).decode()
    return text if len(text) <= 80 else text[:77] + "..."


def first_difference(
    logged: TableState, found: TableState, tables: Iterable[str] = TABLES
) -> StateDifference | None:
    """The first row where the tables (``found``) differ from the log (``logged``), among
    ``tables`` (default: every table the log determines).

    "First" is by the record that set the row, lowest first, so the difference reads as the
    earliest point where the tables and the history part; rows no record wrote come last.
    """
    diffs: list[StateDifference] = []
    for table in tables:
        mine, theirs = logged.rows[table], found.rows[table]
        for key in mine.keys() | theirs.keys():
            seq = logged.set_by.get((table, key))
            diff = _row_difference(table, key, mine.get(key), theirs.get(key), seq)
            if diff is not None:
                diffs.append(diff)
    if not diffs:
        return None
    order = {t: i for i, t in enumerate(TABLES)}
    return min(
        diffs,
        key=lambda d: (d.seq is None, d.seq or 0, order[d.table], d.key, d.field or ""),
    )


def _row_difference(
    table: str, key: str, logged: Row | None, found: Row | None, seq: int | None
) -> StateDifference | None:
    if logged is None and found is None:
        return None
    if logged is None:
        return StateDifference(table, key, None, None, found, seq)
    if found is None:
        return StateDifference(table, key, None, logged, None, seq)
    for name in sorted(logged):
        if name not in found:
            continue  # a field this leolink no longer shows: nothing to compare it with
        if logged[name] != found[name]:
            return StateDifference(table, key, name, logged[name], found[name], seq)
    return None
