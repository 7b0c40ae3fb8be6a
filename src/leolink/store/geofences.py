"""Geofences (a region or H3 cells, an effect, a window) and the members of allow-lists.

A geofence within `leolink.store.checks.TwoPersonRule` is ``active`` at once; a larger one is
``proposed`` and waits for a second operator (`leolink.store.approval`).  The rule cannot be
split or dodged: what one operator switched off alone nearby within a day counts against the
same limits, and one operator may propose only so many vertices a day
(`leolink.limits.WorkLimits.max_operator_vertices_per_day`).  A sealed (government) fence's
records hold a commitment to its area and reason instead (`leolink.policy.commitments`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leolink.errors import DuplicateError, InputError, LimitError, NotFoundError, PolicyStateError
from leolink.geo import grid
from leolink.limits import WorkLimits
from leolink.network.sites import great_circle_km
from leolink.policy._areas import area_key, fence_area, keep_compiled_area
from leolink.policy.commitments import SEALED_REASON, new_salt
from leolink.policy.records import (
    ChangeState,
    CustomerClass,
    Geofence,
    GeofenceEffect,
    GeofenceSpec,
)
from leolink.store import repository as repo
from leolink.store.approval import Approvable, open_change, require_proposed
from leolink.store.areas import CompiledAreas
from leolink.store.checks import (
    CheckedGeofence,
    TwoPersonRule,
    area_centre_deg,
    check_cells,
    check_geofence_spec,
    check_id,
    check_reason,
    choice,
    person_key,
)
from leolink.store.models import (
    AllowlistMembershipRow,
    CompiledAreaRow,
    GeofenceCellRow,
    GeofenceRow,
)
from leolink.store.unit_of_work import Transactions, UnitOfWork

__all__ = ["Geofences"]

_RULE: Final = Approvable[GeofenceRow, Geofence](
    entity="geofence",
    describe=lambda row: f"geofence {row.id!r}",
    to_record=Geofence.model_validate,
    logged=repo.geofence_as_logged,
    entity_id=lambda row: row.id,
)


class Geofences:
    """The ``geofences`` table of a store, its cells and its allow-lists' members."""

    def __init__(self, db: Transactions, two_person: TwoPersonRule, limits: WorkLimits) -> None:
        self._db = db
        self._two_person = two_person
        self._limits = limits

    def propose(
        self, spec: GeofenceSpec, *, actor: str, geofence_id: str | None = None
    ) -> Geofence:
        """Create a geofence from ``spec``; ``spec.reason`` is also the audit record's reason.

        A geofence within `TwoPersonRule` is ``active`` at once; a larger one is ``proposed``
        and waits for a second operator.  ``geofence_id`` defaults to a random ``gf-...`` id.
        """
        checked = check_geofence_spec(spec, self._limits)
        salt = _commitment_salt(spec, checked, None)
        gid = check_id(geofence_id, "geofence") if geofence_id is not None else _new_id("gf")
        self._compile_area(checked)
        with self._db.write(actor) as tx:
            if tx.session.get(GeofenceRow, gid) is not None:
                raise DuplicateError(f"geofence id {gid!r} is already taken: choose another id")
            self._check_vertex_budget(tx, checked, None)
            row = GeofenceRow(id=gid, proposer=tx.actor, proposed_at=tx.now, version=1)
            row.commitment_salt = salt
            self._apply_spec(row, checked, tx)
            tx.session.add(row)
            tx.session.flush()
            fence = Geofence.model_validate(row)
            logged = repo.geofence_as_logged(row)
            why = checked.reason if salt is None else SEALED_REASON
            tx.log("geofence.propose", "geofence", gid, None, logged, why)
        return fence

    def revise(
        self, geofence_id: str, spec: GeofenceSpec, *, expected_version: int, actor: str
    ) -> Geofence:
        """Replace a *proposed* geofence's spec; the reviser becomes its proposer.

        Raises `ConflictError` if the geofence is no longer at ``expected_version``.  If the
        revised geofence is small enough, it becomes ``active`` at once.  Geofences in force
        cannot be revised: withdraw one and propose its successor.
        """
        checked = check_geofence_spec(spec, self._limits)
        self._compile_area(checked)
        with self._db.write(actor) as tx:
            row = repo.get_geofence(tx.session, geofence_id, expected_version)
            require_proposed(f"geofence {row.id!r}", ChangeState(row.state))
            before = repo.geofence_as_logged(row)
            self._check_vertex_budget(tx, checked, row.id)
            row.commitment_salt = _commitment_salt(spec, checked, row.commitment_salt)
            row.proposer, row.proposed_at, row.version = tx.actor, tx.now, row.version + 1
            self._apply_spec(row, checked, tx)
            tx.session.flush()
            fence = Geofence.model_validate(row)
            why = checked.reason if row.commitment_salt is None else SEALED_REASON
            tx.log("geofence.revise", "geofence", row.id, before, repo.geofence_as_logged(row), why)
        return fence

    def approve(
        self, geofence_id: str, *, expected_version: int, actor: str, reason: str
    ) -> Geofence:
        """A second operator approves the proposed geofence at ``expected_version``."""
        return self._decide(geofence_id, ChangeState.APPROVED, expected_version, actor, reason)

    def reject(
        self, geofence_id: str, *, expected_version: int, actor: str, reason: str
    ) -> Geofence:
        """A second operator refuses the proposed geofence."""
        return self._decide(geofence_id, ChangeState.REJECTED, expected_version, actor, reason)

    def withdraw(
        self, geofence_id: str, *, expected_version: int, actor: str, reason: str
    ) -> Geofence:
        """End a geofence: its proposer takes back a proposal, or any operator ends one in force.

        A geofence in force stays on record as in force until now (``withdrawn_at``).
        """
        return self._decide(geofence_id, ChangeState.WITHDRAWN, expected_version, actor, reason)

    def _decide(
        self,
        geofence_id: str,
        decision: ChangeState,
        expected_version: int,
        actor: str,
        reason: str,
    ) -> Geofence:
        reason = check_reason(reason)
        with self._db.write(actor) as tx:
            row = repo.get_geofence(tx.session, geofence_id, expected_version)
            return _RULE.decide(tx, row, decision, reason)

    def get(self, geofence_id: str) -> Geofence:
        """The geofence ``geofence_id``; `NotFoundError` if there is none."""
        with self._db.read() as session:
            return Geofence.model_validate(repo.get_geofence(session, geofence_id))

    def find(
        self, *, state: ChangeState | str | None = None, cell: str | None = None
    ) -> list[Geofence]:
        """Geofences by id, optionally in one state and/or listing one H3 cell."""
        query = select(GeofenceRow).order_by(GeofenceRow.id)
        if state is not None:
            query = query.where(GeofenceRow.state == choice(ChangeState, state, "state").value)
        if cell is not None:
            (hexcell,), _ = check_cells([cell])
            query = query.where(
                GeofenceRow.id.in_(
                    select(GeofenceCellRow.geofence_id).where(GeofenceCellRow.cell == hexcell)
                )
            )
        with self._db.read() as session:
            return [Geofence.model_validate(r) for r in session.scalars(query)]

    def opening(self, geofence_id: str) -> dict[str, Any]:
        """What an auditor is shown of a sealed fence: its commitment as logged, the salt and
        the text it commits to (check them with `leolink.policy.commitments.opening_matches`).
        """
        with self._db.read() as session:
            row = repo.get_geofence(session, geofence_id)
            if row.commitment_salt is None:
                raise PolicyStateError(
                    f"geofence {row.id!r} is not sealed: its records hold its area and reason"
                )
            fence = Geofence.model_validate(row)
            opening: dict[str, Any] = {
                "id": fence.id,
                "commitment": repo.geofence_as_logged(row)["commitment"],
                "salt": row.commitment_salt,
                "area_geojson": fence.area_geojson,
                "cells": list(fence.cells),
                "reason": fence.reason,
            }
        return opening

    # --- allow-lists ---------------------------------------------------------------------

    def add_members(
        self, geofence_id: str, terminal_ids: Sequence[str], *, actor: str, reason: str
    ) -> list[str]:
        """Register terminals in an allow-list geofence; returns its members afterwards."""
        return self._change_members(geofence_id, terminal_ids, True, actor, reason)

    def remove_members(
        self, geofence_id: str, terminal_ids: Sequence[str], *, actor: str, reason: str
    ) -> list[str]:
        """Take terminals out of an allow-list geofence; returns its members afterwards."""
        return self._change_members(geofence_id, terminal_ids, False, actor, reason)

    def members(self, geofence_id: str) -> list[str]:
        """Ids of the terminals in an allow-list geofence, sorted."""
        with self._db.read() as session:
            return repo.allowlist_members(session, repo.get_geofence(session, geofence_id).id)

    def _change_members(
        self, geofence_id: str, terminal_ids: Sequence[str], add: bool, actor: str, reason: str
    ) -> list[str]:
        reason = check_reason(reason)
        if isinstance(terminal_ids, str):
            terminal_ids = [terminal_ids]
        ids = sorted(set(terminal_ids))
        if not ids:
            raise InputError("give at least one terminal id")
        with self._db.write(actor) as tx:
            fence = repo.get_geofence(tx.session, geofence_id)
            if fence.effect != GeofenceEffect.ALLOWLIST.value:
                raise PolicyStateError(
                    f"geofence {fence.id!r} is a {fence.effect} geofence: only allowlist "
                    "geofences have members"
                )
            if fence.state in (ChangeState.REJECTED.value, ChangeState.WITHDRAWN.value):
                raise PolicyStateError(
                    f"geofence {fence.id!r} is {fence.state}: it takes no members"
                )
            members = set(repo.allowlist_members(tx.session, fence.id))
            for tid in ids:
                repo.get_terminal(tx.session, tid)
                if add and tid in members:
                    raise DuplicateError(f"terminal {tid!r} is already in allow-list {fence.id!r}")
                if not add and tid not in members:
                    raise NotFoundError(f"terminal {tid!r} is not in allow-list {fence.id!r}")
            for tid in ids:
                if add:
                    tx.session.add(
                        AllowlistMembershipRow(
                            terminal_id=tid,
                            geofence_id=fence.id,
                            added_at=tx.now,
                            added_by=tx.actor,
                        )
                    )
                else:
                    tx.session.delete(tx.session.get_one(AllowlistMembershipRow, (tid, fence.id)))
            action = "allowlist.add" if add else "allowlist.remove"
            after = {"added" if add else "removed": list(ids)}
            tx.log(action, "geofence", fence.id, None, after, reason)
            tx.policy_changed = True
            tx.session.flush()
            return repo.allowlist_members(tx.session, fence.id)

    # --- the two-person rule's limits ---------------------------------------------------

    def _compile_area(self, checked: CheckedGeofence) -> None:
        """Compile a checked geofence's area at the default resolution and keep it (once per
        content: a region is parsed and repaired here, at its proposal, and never again)."""
        area = fence_area(checked.area_geojson, checked.cells)
        if checked.geometry is not None:
            area.use_geometry(checked.geometry)  # checked (and repaired) once, just now
        keep_compiled_area(area, grid.DEFAULT_RESOLUTION, CompiledAreas(self._db.write_sessions))

    def _check_vertex_budget(
        self, tx: UnitOfWork, checked: CheckedGeofence, revised: str | None
    ) -> None:
        """Refuse a region that would take its proposer beyond the vertices one operator may
        propose in 24 hours (`leolink.limits.WorkLimits.max_operator_vertices_per_day`)."""
        if not checked.vertices:
            return
        limit = self._limits.max_operator_vertices_per_day
        query = select(func.coalesce(func.sum(GeofenceRow.vertices), 0)).where(
            GeofenceRow.proposer == tx.actor,
            GeofenceRow.proposed_at > tx.now - np.timedelta64(1, "D"),
        )
        if revised is not None:
            query = query.where(GeofenceRow.id != revised)
        used = int(tx.session.scalar(query) or 0)
        if used + checked.vertices > limit:
            raise LimitError(
                f"{tx.actor!r} has proposed geofences of {used:,} vertices in the last 24 hours; "
                f"{checked.vertices:,} more would exceed the {limit:,} one operator may propose "
                "in a day (`max_operator_vertices_per_day`): simplify the region or give cells"
            )

    def _apply_spec(self, row: GeofenceRow, spec: CheckedGeofence, tx: UnitOfWork) -> None:
        alone_km2, alone_cells = self._switched_off_alone(tx, row.id, spec)
        needs = self._two_person.needs_second_operator(
            spec.size_km2, len(spec.cells), alone_km2, alone_cells
        )
        row.reconstruction = spec.reconstruction
        row.name, row.effect, row.reason = spec.name, spec.effect.value, spec.reason
        row.area_geojson = spec.area_geojson
        row.vertices = spec.vertices
        row.cell_rows = [GeofenceCellRow(geofence_id=row.id, cell=c) for c in spec.cells]
        row.customer_classes = (
            None if spec.customer_classes is None else [c.value for c in spec.customer_classes]
        )
        row.window_start, row.window_end = spec.window_start, spec.window_end
        row.size_km2, row.needs_approval = spec.size_km2, needs
        open_change(row, tx, needs_second=needs)

    def _switched_off_alone(
        self, tx: UnitOfWork, exclude_id: str, spec: CheckedGeofence
    ) -> tuple[float, int]:
        """Area (km²) and cells that ``tx.actor`` put in force alone, within the rule's window
        of record and its distance of ``spec``'s centre (`TwoPersonRule`)."""
        rule = self._two_person
        since = tx.now - np.timedelta64(int(rule.window_h * 3_600e6), "us")
        rows = tx.session.scalars(
            select(GeofenceRow).where(
                GeofenceRow.needs_approval.is_(False),
                GeofenceRow.approved_at.is_not(None),
                GeofenceRow.approved_at >= since,
                GeofenceRow.id != exclude_id,
            )
        ).all()
        me = person_key(tx.actor)
        mine = [r for r in rows if person_key(r.proposer) == me]
        if not mine:
            return 0.0, 0
        lat0_deg, lon0_deg = spec.centre_deg
        km2, cells = 0.0, 0
        for r in mine:
            hexes = list(r.cells)
            region = _compiled_region(tx.session, r.area_geojson, hexes)
            lat_deg, lon_deg = area_centre_deg(r.area_geojson, hexes, region)
            if float(great_circle_km(lat0_deg, lon0_deg, lat_deg, lon_deg)) <= rule.region_km:
                km2, cells = km2 + r.size_km2, cells + len(r.cells)
        return km2, cells


def _compiled_region(
    session: Session, area_geojson: str | None, cells: list[str]
) -> Polygon | MultiPolygon | None:
    """A stored geofence's region as compiled at its proposal (valid WKB), None if it has no
    region or was not compiled (then it is parsed again)."""
    if area_geojson is None:
        return None
    key = (area_key(area_geojson, tuple(cells)), grid.DEFAULT_RESOLUTION)
    row = session.get(CompiledAreaRow, key)
    if row is None or row.geometry_wkb is None:
        return None
    region = shapely.from_wkb(row.geometry_wkb)
    return region if isinstance(region, Polygon | MultiPolygon) else None


def _commitment_salt(spec: GeofenceSpec, checked: CheckedGeofence, kept: str | None) -> str | None:
    """The salt of a sealed fence (``kept`` if it had one), None for an open one; only a
    government fence may be sealed."""
    if not spec.sealed:
        return None
    if checked.customer_classes != (CustomerClass.GOVERNMENT,):
        raise InputError(
            f"geofence {checked.name!r}: only a government fence (customer_classes "
            "['government']) may be sealed; open it (sealed=False) or limit it to government"
        )
    return kept or new_salt()


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"
