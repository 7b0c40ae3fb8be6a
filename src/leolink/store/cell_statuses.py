"""Cell statuses: H3 resolution-5 cells in one category of Starlink's availability map.

A category that withdraws service (`leolink.policy.records.CellEffect`) waits for a second
operator, as every change that withdraws service does; one without effect is ``active`` at
once.  Approval, rejection and withdrawal follow `leolink.store.approval`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Final

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leolink.errors import InputError
from leolink.geo import grid
from leolink.policy.records import (
    CellEffect,
    CellStatusChange,
    ChangeState,
    cell_category_effect,
)
from leolink.store import repository as repo
from leolink.store.approval import Approvable, SerialChanges, open_change
from leolink.store.checks import check_cells, check_reason, check_window, choice, instant
from leolink.store.models import AuditRecordRow, CellStatusCellRow, CellStatusRow
from leolink.store.unit_of_work import Transactions

__all__ = ["CellStatuses", "cell_statuses_ever_in_force"]

_RULE: Final = Approvable[CellStatusRow, CellStatusChange](
    entity="cell_status",
    describe=lambda row: f"cell-status change {row.id} ({row.category}, {len(row.cells)} cells)",
    to_record=repo.row_to_cell_status,
    logged=lambda row: repo.row_to_cell_status(row).to_dict(),
    entity_id=lambda row: str(row.id),
)


class CellStatuses(SerialChanges[CellStatusRow, CellStatusChange]):
    """The ``cell_statuses`` table of a store (and its cells)."""

    def __init__(self, db: Transactions) -> None:
        super().__init__(db, CellStatusRow, _RULE)

    def propose(
        self,
        category: str,
        cells: Iterable[str],
        *,
        effective_from: str | np.datetime64,
        effective_until: str | np.datetime64 | None = None,
        published: str,
        source: str,
        actor: str,
        reason: str,
    ) -> CellStatusChange:
        """Propose that ``cells`` (H3 resolution 5) are in map ``category`` in a time window.

        Any category is accepted (Starlink's map gains new ones).  A category that withdraws
        service (`leolink.policy.records.CellEffect`) waits for a second operator, as every
        change that withdraws service does; one without effect is ``active`` at once.
        ``published`` is the date of the map the cells come from, ``source`` where it was taken.
        """
        category = str(category).strip()
        if not category or len(category) > 200:
            raise InputError(
                f"the map category {category!r} must be 1 to 200 characters (e.g. blacklisted)"
            )
        hexes, _ = check_cells(cells)
        if not hexes:
            raise InputError(f"category {category!r}: give at least one H3 cell")
        bad = [
            h
            for h, r in zip(
                hexes, grid.cells_to_resolution(grid.hex_to_cells(hexes)).tolist(), strict=True
            )
            if r != 5
        ]
        if bad:
            raise InputError(
                f"cell {bad[0]} is not at resolution 5, the resolution of Starlink's availability "
                "map: give resolution-5 cells"
            )
        start = instant(effective_from, "effective_from")
        end = None if effective_until is None else instant(effective_until, "effective_until")
        check_window(start, end, f"cell status {category!r}")
        source, published = str(source).strip(), str(published).strip()
        if not source or not published:
            raise InputError(
                "give the source of the cell statuses and the date the map was published: "
                "both are required"
            )
        reason = check_reason(reason)
        needs_second = cell_category_effect(category) is not CellEffect.NONE
        with self._db.write(actor) as tx:
            row = CellStatusRow(
                category=category,
                effective_from=start,
                effective_until=end,
                published=published,
                source=source,
                proposer=tx.actor,
                proposed_at=tx.now,
                cells=[CellStatusCellRow(cell=h) for h in hexes],
            )
            open_change(row, tx, needs_second=needs_second)
            tx.session.add(row)
            tx.session.flush()
            change = repo.row_to_cell_status(row)
            tx.log(
                "cell_status.propose" if needs_second else "cell_status.activate",
                "cell_status",
                str(row.id),
                None,
                change.to_dict(),
                reason,
            )
        return change

    def changes(self, *, state: ChangeState | str | None = None) -> list[CellStatusChange]:
        """Cell-status changes, oldest first, optionally in one state."""
        query = select(CellStatusRow).order_by(CellStatusRow.id)
        if state is not None:
            query = query.where(CellStatusRow.state == choice(ChangeState, state, "state").value)
        with self._db.read() as session:
            return [repo.row_to_cell_status(r) for r in session.scalars(query)]

    def at(
        self, at: str | np.datetime64 = "now", *, known_at: str | np.datetime64 | None = None
    ) -> list[CellStatusChange]:
        """The cell statuses in force at ``at``, each with ``audit_seq``: the audit record
        that put it in force (its approval, or its activation)."""
        t = instant(at, "at")
        known = None if known_at is None else instant(known_at, "known_at")
        with self._db.read() as session:
            changes = [
                c for c in cell_statuses_ever_in_force(session, known) if c.is_in_force(t, known)
            ]
            if not changes:
                return []
            seqs: dict[str, int] = {
                entity_id: seq
                for entity_id, seq in session.execute(
                    select(AuditRecordRow.entity_id, func.max(AuditRecordRow.seq))
                    .where(
                        AuditRecordRow.entity == "cell_status",
                        AuditRecordRow.entity_id.in_([str(c.id) for c in changes]),
                        AuditRecordRow.action.in_(["cell_status.approve", "cell_status.activate"]),
                    )
                    .group_by(AuditRecordRow.entity_id)
                )
            }
        return [replace(c, audit_seq=seqs.get(str(c.id))) for c in changes]


def cell_statuses_ever_in_force(
    session: Session, known: np.datetime64 | None
) -> list[CellStatusChange]:
    """Cell-status changes ever put in force (by ``known``), oldest first."""
    rows = session.scalars(
        select(CellStatusRow)
        .where(
            CellStatusRow.state.in_(
                [s.value for s in (ChangeState.APPROVED, ChangeState.ACTIVE, ChangeState.WITHDRAWN)]
            ),
            CellStatusRow.approved_at.is_not(None),
        )
        .order_by(CellStatusRow.id)
    ).all()
    changes = (repo.row_to_cell_status(r) for r in rows)
    return [c for c in changes if c.in_force_interval(known) is not None]
