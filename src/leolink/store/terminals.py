"""Terminals (account, home country, class, plan, funding party, state) and where they were.

Position reports are one per (terminal, instant), so a batch sent again adds nothing; a batch
is one audit record.  Registering and changing a terminal changes the policy (decisions read
its state); reporting a position does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select

from leolink.errors import DuplicateError, InputError
from leolink.geo import grid
from leolink.policy.records import CustomerClass, Plan, PositionReport, Terminal, TerminalState
from leolink.store import repository as repo
from leolink.store.checks import (
    check_cells,
    check_id,
    check_positions,
    check_reason,
    choice,
    instant,
)
from leolink.store.models import PositionReportRow, TerminalRow
from leolink.store.unit_of_work import Transactions
from leolink.time import format_instant

__all__ = ["UNCHANGED", "Terminals", "Unchanged"]


class Unchanged(Enum):
    """Type of `UNCHANGED`, the default of `Terminals.update`'s fields."""

    UNCHANGED = "unchanged"


#: "Leave this field as it is" (None can be a value, e.g. no funding party).
UNCHANGED: Final = Unchanged.UNCHANGED


class Terminals:
    """The ``terminals`` table of a store and its terminals' position reports."""

    def __init__(self, db: Transactions, country_code: Callable[[str], str]) -> None:
        self._db = db
        self._country_code = country_code

    def register(
        self,
        terminal_id: str,
        *,
        account: str,
        home_country: str,
        customer_class: CustomerClass | str,
        plan: Plan | str = Plan.STANDARD,
        funding_party: str | None = None,
        state: TerminalState | str = TerminalState.ACTIVE,
        actor: str,
        reason: str,
    ) -> Terminal:
        """Register a terminal; `DuplicateError` if the id is taken."""
        tid = check_id(terminal_id, "terminal")
        fields = self._terminal_fields(
            account=account,
            home_country=home_country,
            customer_class=customer_class,
            plan=plan,
            funding_party=funding_party,
            state=state,
        )
        reason = check_reason(reason)
        with self._db.write(actor) as tx:
            if tx.session.get(TerminalRow, tid) is not None:
                raise DuplicateError(f"terminal {tid!r} is already registered: choose another id")
            row = TerminalRow(id=tid, created_at=tx.now, updated_at=tx.now, version=1, **fields)
            tx.session.add(row)
            tx.session.flush()
            terminal = Terminal.model_validate(row)
            tx.log("terminal.register", "terminal", tid, None, terminal.as_logged(), reason)
            tx.policy_changed = True
        return terminal

    def update(
        self,
        terminal_id: str,
        *,
        actor: str,
        reason: str,
        expected_version: int | None = None,
        account: str | Unchanged = UNCHANGED,
        home_country: str | Unchanged = UNCHANGED,
        customer_class: CustomerClass | str | Unchanged = UNCHANGED,
        plan: Plan | str | Unchanged = UNCHANGED,
        funding_party: str | Unchanged | None = UNCHANGED,
        state: TerminalState | str | Unchanged = UNCHANGED,
    ) -> Terminal:
        """Change some of a terminal's fields (suspend it, say: ``state="suspended"``).

        With ``expected_version``, a terminal changed meanwhile raises `ConflictError`.
        """
        given = {
            "account": account,
            "home_country": home_country,
            "customer_class": customer_class,
            "plan": plan,
            "funding_party": funding_party,
            "state": state,
        }
        changes = self._terminal_fields(**{k: v for k, v in given.items() if v is not UNCHANGED})
        if not changes:
            raise InputError(f"nothing to change for terminal {terminal_id!r}: give some field")
        reason = check_reason(reason)
        with self._db.write(actor) as tx:
            row = repo.get_terminal(tx.session, terminal_id)
            repo.check_version(f"terminal {row.id!r}", row.version, expected_version)
            before = Terminal.model_validate(row).as_logged()
            changed = {k: v for k, v in changes.items() if getattr(row, k) != v}
            if not changed:
                raise InputError(f"terminal {row.id!r} already has {changes}: nothing to change")
            for name, value in changed.items():
                setattr(row, name, value)
            row.updated_at, row.version = tx.now, row.version + 1
            tx.session.flush()
            terminal = Terminal.model_validate(row)
            tx.log(
                "terminal.update",
                "terminal",
                row.id,
                before,
                terminal.as_logged(),
                reason,
            )
            tx.policy_changed = True
        return terminal

    def _terminal_fields(self, **given: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "account" in given:
            account = str(given["account"]).strip()
            if not account or len(account) > 200:
                raise InputError(f"account {given['account']!r} must be 1-200 characters")
            out["account"] = account
        if "home_country" in given:
            out["home_country"] = self._country_code(given["home_country"])
        if "customer_class" in given:
            out["customer_class"] = choice(
                CustomerClass, given["customer_class"], "customer class"
            ).value
        if "plan" in given:
            out["plan"] = choice(Plan, given["plan"], "plan").value
        if "funding_party" in given:
            party = given["funding_party"]
            out["funding_party"] = (
                None if party is None or not str(party).strip() else str(party).strip()
            )
        if "state" in given:
            out["state"] = choice(TerminalState, given["state"], "terminal state").value
        return out

    def get(self, terminal_id: str) -> Terminal:
        """The terminal ``terminal_id``; `NotFoundError` if there is none."""
        with self._db.read() as session:
            return Terminal.model_validate(repo.get_terminal(session, terminal_id))

    def find(
        self, *, account: str | None = None, state: TerminalState | str | None = None
    ) -> list[Terminal]:
        """Terminals by id, optionally of one account and/or in one state."""
        query = select(TerminalRow).order_by(TerminalRow.id)
        if account is not None:
            query = query.where(TerminalRow.account == account)
        if state is not None:
            query = query.where(TerminalRow.state == choice(TerminalState, state, "state").value)
        with self._db.read() as session:
            return [Terminal.model_validate(r) for r in session.scalars(query)]

    # --- position reports ----------------------------------------------------------------

    def report(
        self,
        terminal_id: str,
        reported_at: npt.ArrayLike,
        lat_deg: npt.ArrayLike,
        lon_deg: npt.ArrayLike,
        *,
        actor: str,
        reason: str = "position report",
        resolution: int = grid.DEFAULT_RESOLUTION,
    ) -> list[PositionReport]:
        """Record where a terminal was: arrays (or scalars) of instants, latitudes, longitudes.

        The H3 cell of each position is computed at ``resolution``.  A batch is one audit
        record listing its reports.  Positions must be finite, |lat| <= 90, |lon| <= 180.

        A report is one per (terminal, instant): one sent again (a retry after a write whose
        outcome the sender did not learn) is not stored twice, and a batch that adds nothing
        new writes nothing, not even an audit record; the same instant with another position
        is a `DuplicateError`.  Returns the reports as stored, in the order given.
        """
        times, lat, lon = check_positions(reported_at, lat_deg, lon_deg)
        cells = grid.cells_to_hex(grid.latlng_to_cells(lat, lon, resolution))
        reason = check_reason(reason)
        with self._db.write(actor) as tx:
            terminal = repo.get_terminal(tx.session, terminal_id)
            given = [
                PositionReport(terminal_id=terminal.id, reported_at=t, lat_deg=a, lon_deg=o, cell=c)
                for t, a, o, c in zip(times, lat.tolist(), lon.tolist(), cells, strict=True)
            ]
            known = {
                r.reported_at: r
                for r in tx.session.scalars(
                    select(PositionReportRow).where(
                        PositionReportRow.terminal_id == terminal.id,
                        PositionReportRow.reported_at >= min(times),
                        PositionReportRow.reported_at <= max(times),
                    )
                )
            }
            reports: list[PositionReport] = []
            for report in given:
                row = known.get(report.reported_at)
                if row is not None and (row.lat_deg, row.lon_deg) != (
                    report.lat_deg,
                    report.lon_deg,
                ):
                    raise DuplicateError(
                        f"terminal {terminal.id} already reported ({row.lat_deg}, "
                        f"{row.lon_deg}) at {format_instant(report.reported_at)}, not "
                        f"({report.lat_deg}, {report.lon_deg}): a terminal is in one place at "
                        "an instant"
                    )
                if row is None:
                    known[report.reported_at] = PositionReportRow(
                        terminal_id=report.terminal_id,
                        reported_at=report.reported_at,
                        lat_deg=report.lat_deg,
                        lon_deg=report.lon_deg,
                        cell=report.cell,
                    )
                    reports.append(report)
            if not reports:
                return given  # nothing new: the unit commits nothing and logs nothing
            tx.session.add_all(
                PositionReportRow(
                    terminal_id=r.terminal_id,
                    reported_at=r.reported_at,
                    lat_deg=r.lat_deg,
                    lon_deg=r.lon_deg,
                    cell=r.cell,
                )
                for r in reports
            )
            after = {
                "reports": [r.model_dump(mode="json", exclude={"terminal_id"}) for r in reports]
            }
            tx.log("terminal.report_positions", "terminal", terminal.id, None, after, reason)
        return given

    def reports(
        self,
        terminal_id: str | None = None,
        *,
        start: str | np.datetime64 | None = None,
        end: str | np.datetime64 | None = None,
        cells: Iterable[str] | None = None,
    ) -> list[PositionReport]:
        """Position reports in ``[start, end)``, oldest first, of one terminal and/or in cells."""
        query = select(PositionReportRow).order_by(
            PositionReportRow.reported_at, PositionReportRow.id
        )
        if terminal_id is not None:
            query = query.where(PositionReportRow.terminal_id == terminal_id)
        if start is not None:
            query = query.where(PositionReportRow.reported_at >= instant(start, "start"))
        if end is not None:
            query = query.where(PositionReportRow.reported_at < instant(end, "end"))
        if cells is not None:
            query = query.where(PositionReportRow.cell.in_(check_cells(cells)[0]))
        with self._db.read() as session:
            if terminal_id is not None:
                repo.get_terminal(session, terminal_id)
            return [PositionReport.model_validate(r) for r in session.scalars(query)]

    def last_reports(self, *, before: str | np.datetime64 | None = None) -> list[PositionReport]:
        """Each terminal's latest position report (before ``before``, when given), by terminal.

        Terminals that never reported are absent.  Impact analysis counts the terminals a
        geofence would affect by these.
        """
        latest = select(
            PositionReportRow.terminal_id, func.max(PositionReportRow.reported_at).label("t")
        )
        if before is not None:
            latest = latest.where(PositionReportRow.reported_at < instant(before, "before"))
        sub = latest.group_by(PositionReportRow.terminal_id).subquery()
        query = (
            select(PositionReportRow)
            .join(
                sub,
                (PositionReportRow.terminal_id == sub.c.terminal_id)
                & (PositionReportRow.reported_at == sub.c.t),
            )
            .order_by(PositionReportRow.terminal_id, PositionReportRow.id.desc())
        )
        with self._db.read() as session:
            out: dict[str, PositionReport] = {}
            for r in session.scalars(query):
                if r.terminal_id not in out:
                    out[r.terminal_id] = PositionReport.model_validate(r)
            return list(out.values())
