"""The ``compiled_areas`` table: geofence areas compiled once, kept across restarts.

It is the store's `leolink.policy._areas.AreaCellsStore`: rows are keyed by the area's content
and never change, so a save that finds the row already there (another process compiled the
same area) is a no-op on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from leolink.policy._areas import CompiledCells
from leolink.store.models import CompiledAreaRow

__all__ = ["CompiledAreas"]

_CELL = np.dtype("<u8")


class CompiledAreas:
    """The ``compiled_areas`` table of a store (`leolink.store.Store.compiled_areas`)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def load(self, key: str, resolution: int) -> CompiledCells | None:
        """The area ``key`` compiled at ``resolution``, if it was."""
        with self._sessions() as session, session.begin():
            row = session.get(CompiledAreaRow, (key, resolution))
            if row is None:
                return None
            return CompiledCells(
                np.frombuffer(row.interior, dtype=_CELL).astype(np.uint64),
                np.frombuffer(row.boundary, dtype=_CELL).astype(np.uint64),
                row.geometry_wkb,
            )

    def save(self, key: str, resolution: int, compiled: CompiledCells) -> None:
        """Keep the area ``key`` compiled at ``resolution`` (a no-op if it is kept already)."""
        try:
            with self._sessions() as session, session.begin():
                session.add(
                    CompiledAreaRow(
                        area_key=key,
                        resolution=resolution,
                        interior=np.ascontiguousarray(compiled.interior, dtype=_CELL).tobytes(),
                        boundary=np.ascontiguousarray(compiled.boundary, dtype=_CELL).tobytes(),
                        geometry_wkb=compiled.geometry_wkb,
                    )
                )
        except IntegrityError:
            pass  # compiled meanwhile by another process: the same content
