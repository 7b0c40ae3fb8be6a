"""The checkpoints pushed to witnesses, each with the cosignatures gathered for it so far.

Keyed by size: the log has one checkpoint per size, so cosignatures given at different times
(a witness that was down comes back) add up on one row.  Which row is *published* is decided
by whoever reads them with the witnesses' keys (`leolink.service.witnessing`), never by a flag
stored here: a row's cosignatures are checked every time.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from leolink.policy.notes import SignedCheckpoint, parse_checkpoint
from leolink.store.models import WitnessedCheckpointRow

__all__ = ["WitnessedCheckpoints"]


class WitnessedCheckpoints:
    """The ``witnessed_checkpoints`` table of a store (`leolink.store.Store.witnessed`)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def add(self, checkpoint: SignedCheckpoint, lines: list[str]) -> SignedCheckpoint:
        """Keep ``checkpoint`` with the cosignature ``lines`` added to those already kept for
        its size; the merged note.  A row of the same size with another text is kept as it is
        (a log never signs two checkpoints of one size; the witnesses will say so)."""
        for _attempt in range(2):
            try:
                with self._sessions() as session, session.begin():
                    row = session.scalars(
                        select(WitnessedCheckpointRow)
                        .where(WitnessedCheckpointRow.size == checkpoint.size)
                        .with_for_update()
                    ).one_or_none()
                    kept = checkpoint if row is None else parse_checkpoint(row.note)
                    if kept.text != checkpoint.text:
                        return kept
                    have = set(kept.note().splitlines(keepends=True))
                    merged = kept.with_lines(*(x for x in dict.fromkeys(lines) if x not in have))
                    if row is None:
                        session.add(WitnessedCheckpointRow(size=merged.size, note=merged.note()))
                    else:
                        row.note = merged.note()
                    return merged
            except IntegrityError:  # another process added this size first: merge into it
                continue
        raise RuntimeError("unreachable: a second attempt finds the row")  # pragma: no cover

    def newest(self, limit: int = 20, *, below: int | None = None) -> list[SignedCheckpoint]:
        """Up to ``limit`` kept checkpoints, newest first (sizes below ``below`` if given)."""
        query = select(WitnessedCheckpointRow.note).order_by(WitnessedCheckpointRow.size.desc())
        if below is not None:
            query = query.where(WitnessedCheckpointRow.size < below)
        with self._sessions() as session, session.begin():
            return [parse_checkpoint(n) for n in session.scalars(query.limit(limit))]
