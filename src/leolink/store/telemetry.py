"""Terminal telemetry kept in the store: what terminals report about themselves, as evidence.

Reports come in batches from the terminals themselves (``POST /v1/terminals/{id}/telemetry``),
already checked by `leolink.forensics.reports`; one is kept per (terminal, instant), so that a
batch sent again after a lost answer adds nothing.  They are evidence about the operator, not
changes the operator made: they are not written to the audit log (which would grow by a record
per batch of every dish), and the log's integrity is not theirs.  `TelemetryReports.window`
reads them back as columns for `leolink.forensics.infer`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from leolink.errors import InputError
from leolink.forensics.reports import (
    Reports,
    reports_from_columns,
    reports_to_records,
)
from leolink.store import repository as repo
from leolink.store.models import TelemetryReportRow

__all__ = ["TelemetryAdded", "TelemetryReports"]


@dataclass(frozen=True)
class TelemetryAdded:
    """What a batch added: reports stored, and those already kept for (terminal, instant)."""

    stored: int
    duplicates: int


class TelemetryReports:
    """The ``telemetry_reports`` table of a store (`leolink.store.Store.telemetry`)."""

    def __init__(
        self,
        write_sessions: sessionmaker[Session],
        read_sessions: sessionmaker[Session],
        now: Callable[[], np.datetime64],
    ) -> None:
        self._write_sessions = write_sessions
        self._read_sessions = read_sessions
        self._now = now

    def add(self, reports: Reports) -> TelemetryAdded:
        """Keep the reports not kept yet; every terminal must be registered (`NotFoundError`)."""
        rows = list(reports_to_records(reports))
        if not rows:
            return TelemetryAdded(0, 0)
        now = self._now()
        with self._write_sessions() as session, session.begin():
            for tid in reports.terminal_ids:
                repo.get_terminal(session, tid)
            known: set[tuple[str, int]] = set()
            lo = np.datetime64(int(reports.time_ns.min()), "ns")
            hi = np.datetime64(int(reports.time_ns.max()), "ns")
            for tid, at in session.execute(
                select(TelemetryReportRow.terminal_id, TelemetryReportRow.reported_at).where(
                    TelemetryReportRow.terminal_id.in_(reports.terminal_ids),
                    TelemetryReportRow.reported_at >= lo,
                    TelemetryReportRow.reported_at <= hi,
                )
            ):
                known.add((tid, int(np.asarray(at, dtype="datetime64[ns]").astype(np.int64))))
            new: list[dict[str, object]] = []
            for row in rows:
                # the database keeps microseconds: compare what it will keep
                t_ns = int(row.pop("time_ns")) // 1000 * 1000
                key = (str(row["terminal_id"]), t_ns)
                if key in known:
                    continue
                known.add(key)
                new.append(
                    {
                        "terminal_id": row["terminal_id"],
                        "reported_at": np.datetime64(t_ns, "ns"),
                        "lat_deg": row["lat"],
                        "lon_deg": row["lon"],
                        "gps_valid": row["gps_valid"],
                        "gps_sats": row["gps_sats"],
                        "state": row["state"],
                        "disablement_code": row["disablement_code"],
                        "outage_cause": row["outage_cause"],
                        "pop_ping_latency_ms": row["pop_ping_latency_ms"],
                        "pop_ping_drop_rate": row["pop_ping_drop_rate"],
                        "received_at": now,
                    }
                )
            if new:
                dialect = session.get_bind().dialect.name
                insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
                # a concurrent batch with the same reports: the primary key keeps one
                session.execute(insert(TelemetryReportRow).on_conflict_do_nothing(), new)
        return TelemetryAdded(len(new), len(rows) - len(new))

    def window(
        self, start: np.datetime64, end: np.datetime64, terminal_ids: tuple[str, ...] = ()
    ) -> Reports:
        """The reports made in ``[start, end)`` (of these terminals only, when given)."""
        if not start < end:
            raise InputError(f"the window [{start}, {end}) is empty: give a start before its end")
        r = TelemetryReportRow
        query = select(
            r.terminal_id,
            r.reported_at,
            r.lat_deg,
            r.lon_deg,
            r.gps_valid,
            r.gps_sats,
            r.state,
            r.disablement_code,
            r.outage_cause,
            r.pop_ping_latency_ms,
            r.pop_ping_drop_rate,
        ).where(r.reported_at >= start, r.reported_at < end)
        if terminal_ids:
            query = query.where(r.terminal_id.in_(terminal_ids))
        with self._read_sessions() as session, session.begin():
            rows = session.execute(query.order_by(r.terminal_id, r.reported_at)).all()
        cols = list(zip(*rows, strict=True)) if rows else [()] * 11
        return reports_from_columns(
            cols[0],
            np.array(cols[1], dtype="datetime64[ns]"),
            lat_deg=cols[2],
            lon_deg=cols[3],
            gps_valid=cols[4],
            gps_sats=cols[5],
            state=cols[6],
            disablement_code=cols[7],
            outage_cause=cols[8],
            pop_ping_latency_ms=cols[9],
            pop_ping_drop_rate=cols[10],
        )

    def count(self, start: np.datetime64 | None = None, end: np.datetime64 | None = None) -> int:
        """Reports kept (made in ``[start, end)`` when given)."""
        r = TelemetryReportRow
        query = select(func.count()).select_from(r)
        if start is not None:
            query = query.where(r.reported_at >= start)
        if end is not None:
            query = query.where(r.reported_at < end)
        with self._read_sessions() as session, session.begin():
            return int(session.scalar(query) or 0)
