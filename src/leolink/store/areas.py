"""The ``compiled_areas`` table: geofence areas compiled once, kept across restarts.

It is the store's `leolink.policy._areas.AreaCellsStore`: rows are keyed by the area's content
and never change, so a save that finds the row already there (another process compiled the
same area) is a no-op on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from leolink.arrays import CellArray
from leolink.policy._areas import CompiledCells
from leolink.store.models import CompiledAreaRow

__all__ = ["CompiledAreas"]

_CELL = np.dtype("<u8")


class CompiledAreas:
    """The ``compiled_areas`` table of a store (`leolink.store.Store.compiled_areas`)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def load(self, key: str, resolution: int) -> tuple[CellArray, CellArray] | None:
        """The (interior, boundary) cells of the area ``key`` compiled at ``resolution``, if it
        was (the region, as large as its GeoJSON, is not read: `region_wkb`)."""
        with self._sessions() as session, session.begin():
            row = session.execute(
                select(CompiledAreaRow.interior, CompiledAreaRow.boundary).where(
                    CompiledAreaRow.area_key == key, CompiledAreaRow.resolution == resolution
                )
            ).first()
        if row is None:
            return None
        return (
            np.frombuffer(row.interior, dtype=_CELL).astype(np.uint64),
            np.frombuffer(row.boundary, dtype=_CELL).astype(np.uint64),
        )

    def region_wkb(self, key: str, resolution: int) -> bytes | None:
        """The region of the area ``key`` as compiled at ``resolution`` (valid WKB), if any."""
        with self._sessions() as session, session.begin():
            wkb = session.scalar(
                select(CompiledAreaRow.geometry_wkb).where(
                    CompiledAreaRow.area_key == key, CompiledAreaRow.resolution == resolution
                )
            )
        return None if wkb is None else bytes(wkb)

    def keys(self) -> list[tuple[str, int]]:
        """The (area key, resolution) of every area kept."""
        with self._sessions() as session, session.begin():
            rows = session.execute(
                select(CompiledAreaRow.area_key, CompiledAreaRow.resolution).order_by(
                    CompiledAreaRow.area_key, CompiledAreaRow.resolution
                )
            ).all()
        return [(str(k), int(r)) for k, r in rows]

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
