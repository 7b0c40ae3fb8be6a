"""Country statuses: dated, sourced changes of a country's status, under the two-person rule.

A change is only *proposed* until a second operator approves it (`leolink.store.approval`);
only a proposal can be decided or withdrawn: a status in force is ended by the next change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
from sqlalchemy import select

from leolink.errors import InputError
from leolink.policy.records import (
    ChangeState,
    CountryStatus,
    CountryStatusChange,
    statuses_in_force,
)
from leolink.store import repository as repo
from leolink.store.approval import Approvable, SerialChanges, open_change
from leolink.store.checks import check_reason, choice, instant
from leolink.store.models import CountryStatusRow
from leolink.store.unit_of_work import Transactions

__all__ = ["CountryStatuses"]

_RULE: Final = Approvable[CountryStatusRow, CountryStatusChange](
    entity="country_status",
    describe=lambda row: f"country-status change {row.id} ({row.country_code} -> {row.status})",
    to_record=repo.row_to_country_change,
    logged=lambda row: repo.row_to_country_change(row).to_dict(),
    entity_id=lambda row: str(row.id),
    ends_in_force=False,
)


class CountryStatuses(SerialChanges[CountryStatusRow, CountryStatusChange]):
    """The ``country_statuses`` table of a store."""

    def __init__(self, db: Transactions, country_code: Callable[[str], str]) -> None:
        super().__init__(db, CountryStatusRow, _RULE)
        self._country_code = country_code

    def propose(
        self,
        country_code: str,
        status: CountryStatus | str,
        *,
        effective_from: str | np.datetime64,
        source: str,
        note: str = "",
        reconstruction: bool = False,
        actor: str,
        reason: str,
    ) -> CountryStatusChange:
        """Propose that ``country_code`` has ``status`` from ``effective_from`` on.

        ``source`` cites where the status comes from (a URL, a news report); it is required.
        The change is not in force until a second operator approves it.  ``reconstruction``
        marks a change that describes the past (see `leolink.policy.records.Geofence`).
        """
        code = self._country_code(country_code)
        status = choice(CountryStatus, status, "country status")
        effective = instant(effective_from, "effective_from")
        source = str(source).strip()
        if not source:
            raise InputError("give the source of the status (a URL or citation): it is required")
        reason = check_reason(reason)
        with self._db.write(actor) as tx:
            row = CountryStatusRow(
                country_code=code,
                status=status.value,
                effective_from=effective,
                source=source,
                note=str(note),
                proposer=tx.actor,
                proposed_at=tx.now,
                reconstruction=bool(reconstruction),
            )
            open_change(row, tx, needs_second=True)
            tx.session.add(row)
            tx.session.flush()
            change = repo.row_to_country_change(row)
            tx.log(
                "country_status.propose",
                "country_status",
                str(row.id),
                None,
                change.to_dict(),
                reason,
            )
        return change

    def in_force(
        self,
        country_code: str,
        at: str | np.datetime64 = "now",
        *,
        known_at: str | np.datetime64 | None = None,
    ) -> CountryStatusChange | None:
        """The status change in force for ``country_code`` at ``at`` (None if it has none)."""
        code = self._country_code(country_code)
        t = instant(at, "at")
        known = None if known_at is None else instant(known_at, "known_at")
        with self._db.read() as session:
            rows = session.scalars(
                select(CountryStatusRow).where(
                    CountryStatusRow.country_code == code,
                    CountryStatusRow.state == ChangeState.APPROVED.value,
                    CountryStatusRow.effective_from <= t,
                )
            ).all()
            return statuses_in_force([repo.row_to_country_change(r) for r in rows], known).get(code)

    def changes(
        self, country_code: str | None = None, *, state: ChangeState | str | None = None
    ) -> list[CountryStatusChange]:
        """Status changes, oldest first, optionally of one country and/or in one state."""
        query = select(CountryStatusRow).order_by(CountryStatusRow.id)
        if country_code is not None:
            query = query.where(CountryStatusRow.country_code == self._country_code(country_code))
        if state is not None:
            query = query.where(CountryStatusRow.state == choice(ChangeState, state, "state").value)
        with self._db.read() as session:
            return [repo.row_to_country_change(r) for r in session.scalars(query)]
