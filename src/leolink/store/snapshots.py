"""The policy in force, read across the kinds of record in one snapshot.

What the decision engines need: everything in force at an instant (`Policy.at`, for
`leolink.policy.decide`), or all that was ever in force (`Policy.history`, for
`leolink.policy.batch`), and the policy version, which the unit of work bumps with every
change to what is in force (`leolink.store.unit_of_work`).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from sqlalchemy import select

from leolink.policy.records import (
    ChangeState,
    Geofence,
    GeofenceEffect,
    PolicyHistory,
    PolicySnapshot,
    statuses_in_force,
)
from leolink.store import repository as repo
from leolink.store.cell_statuses import cell_statuses_ever_in_force
from leolink.store.checks import instant
from leolink.store.models import CountryStatusRow, GeofenceRow, PolicyVersionRow
from leolink.store.unit_of_work import Transactions

__all__ = ["Policy"]

#: Geofence states that were in force at some time (withdrawn ones only if approved first).
_APPROVED_STATES: Final = (ChangeState.APPROVED, ChangeState.ACTIVE, ChangeState.WITHDRAWN)


class Policy:
    """The policy a store holds, as the decision engines read it."""

    def __init__(self, db: Transactions) -> None:
        self._db = db

    def version(self) -> int:
        """The current policy version: 0 for an empty store, +1 per change to what is in force."""
        with self._db.read() as session:
            return repo.policy_version(session)

    def at(
        self, at: str | np.datetime64 = "now", *, known_at: str | np.datetime64 | None = None
    ) -> PolicySnapshot:
        """Everything the decision engine needs at instant ``at``, read in one snapshot.

        ``known_at`` rewinds the approvals to what was known then (see `leolink.policy.records`).
        """
        t = instant(at, "at")
        known = None if known_at is None else instant(known_at, "known_at")
        with self._db.read() as session:
            version = repo.policy_version(session)
            status_rows = session.scalars(
                select(CountryStatusRow).where(
                    CountryStatusRow.state == ChangeState.APPROVED.value,
                    CountryStatusRow.effective_from <= t,
                )
            ).all()
            statuses = statuses_in_force(
                [repo.row_to_country_change(r) for r in status_rows], known
            )
            fence_rows = session.scalars(
                select(GeofenceRow)
                .where(
                    GeofenceRow.state.in_([s.value for s in _APPROVED_STATES]),
                    GeofenceRow.approved_at.is_not(None),
                    (GeofenceRow.window_start.is_(None)) | (GeofenceRow.window_start <= t),
                    (GeofenceRow.window_end.is_(None)) | (GeofenceRow.window_end > t),
                )
                .order_by(GeofenceRow.id)
            ).all()
            fences = tuple(
                f for f in map(Geofence.model_validate, fence_rows) if f.is_in_force(t, known)
            )
            allowlists = {
                f.id: frozenset(repo.allowlist_members(session, f.id))
                for f in fences
                if f.effect is GeofenceEffect.ALLOWLIST
            }
            cells = tuple(
                c for c in cell_statuses_ever_in_force(session, known) if c.is_in_force(t, known)
            )
        return PolicySnapshot(version, t, known, statuses, fences, allowlists, cells)

    def history(self, *, known_at: str | np.datetime64 | None = None) -> PolicyHistory:
        """All policy ever in force (as known at ``known_at``), read in one snapshot.

        What the batch decision engine (`leolink.policy.batch`) needs to decide at many
        instants at once; ``history().snapshot(at)`` equals ``at(at)``.
        """
        known = None if known_at is None else instant(known_at, "known_at")
        with self._db.read() as session:
            version = repo.policy_version(session)
            status_rows = session.scalars(
                select(CountryStatusRow)
                .where(CountryStatusRow.state == ChangeState.APPROVED.value)
                .order_by(CountryStatusRow.id)
            ).all()
            changes = tuple(
                c for c in map(repo.row_to_country_change, status_rows) if c.counts(known)
            )
            fence_rows = session.scalars(
                select(GeofenceRow)
                .where(
                    GeofenceRow.state.in_([s.value for s in _APPROVED_STATES]),
                    GeofenceRow.approved_at.is_not(None),
                )
                .order_by(GeofenceRow.id)
            ).all()
            fences = tuple(
                f
                for f in map(Geofence.model_validate, fence_rows)
                if f.in_force_interval(known) is not None
            )
            allowlists = {
                f.id: frozenset(repo.allowlist_members(session, f.id))
                for f in fences
                if f.effect is GeofenceEffect.ALLOWLIST
            }
            cells = tuple(cell_statuses_ever_in_force(session, known))
        return PolicyHistory(version, known, changes, fences, allowlists, cells)

    def version_seq(self, version: int) -> int | None:
        """The audit record that made policy ``version`` (None for version 0: no policy)."""
        with self._db.read() as session:
            row = session.get(PolicyVersionRow, version)
            return None if row is None else int(row.audit_seq)
