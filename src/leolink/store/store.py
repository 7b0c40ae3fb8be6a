"""`Store`: the service-control data and its audit log, on SQLite or PostgreSQL.

Every change is one transaction that (1) locks the head of the audit chain, (2) checks the
input against the current data, (3) makes the change, (4) appends its audit record (actor,
time, before, after, reason) to the hash chain, bumps the policy version when what is in force
changed, re-signs the chain's head and signs a checkpoint every ``checkpoint_every`` records,
and (5) commits.  If anything fails, nothing of it is written: data and log stay consistent.
The lock is ``SELECT ... FOR UPDATE`` on the head row in PostgreSQL and ``BEGIN IMMEDIATE`` in
SQLite, so concurrent writers, in threads or processes, queue up instead of forking the chain.

Reads run in one snapshot each (PostgreSQL ``REPEATABLE READ``; a SQLite read transaction),
so a `PolicySnapshot` or a verification never mixes data from before and after a change.

The two-person rule: a country-status change, and a geofence larger than `TwoPersonRule`
allows, are only *proposed* until a second operator, different from the one who proposed (or
last revised) it, approves it; until then they are not in force.  Proposal, revision,
approval, rejection and withdrawal are each an audit record.  It cannot be split or dodged:
what one operator switched off alone nearby within a day counts against the same limits
(`TwoPersonRule`); a geofence or cell statuses that two operators put in force take two to
lift (the first withdrawal only proposes it); and actor names are compared as people
(`leolink.store.checks.person_key`: NFKC, invisible characters dropped, case folded).
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy import Engine, func, select, tuple_
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from leolink.errors import (
    DuplicateError,
    InputError,
    LimitError,
    NotFoundError,
    PolicyStateError,
    StoreError,
    TwoPersonRuleError,
)
from leolink.geo import grid
from leolink.limits import SERVICE_LIMITS, WorkLimits
from leolink.network.sites import great_circle_km
from leolink.policy._areas import area_key, compiled_area_cells, fence_area
from leolink.policy.audit import (
    AuditRecord,
    ChainVerification,
    Checkpoint,
    public_key_from_hex,
    public_key_id,
    sign_checkpoint,
    verify_chain,
)
from leolink.policy.commitments import SEALED_REASON, new_salt
from leolink.policy.merkle import (
    Subtree,
    consistency_proof,
    hashes_by_subtree,
    inclusion_proof,
    root_hash,
    subtrees_for_consistency,
    subtrees_for_inclusion,
)
from leolink.policy.notes import SignedCheckpoint, Verifier, note_signature, parse_checkpoint
from leolink.policy.records import (
    ApiKey,
    CellEffect,
    CellStatusChange,
    ChangeState,
    CountryStatus,
    CountryStatusChange,
    CustomerClass,
    Geofence,
    GeofenceEffect,
    GeofenceSpec,
    Plan,
    PolicyHistory,
    PolicySnapshot,
    PositionReport,
    Role,
    Terminal,
    TerminalState,
    cell_category_effect,
    statuses_in_force,
)
from leolink.policy.replay import first_difference, replay
from leolink.policy.tiles import TILE_HEIGHT, TILE_WIDTH, entry_bundle
from leolink.policy.tlog import record_leaf, sign_log_checkpoint, verify_log
from leolink.store import apikeys
from leolink.store import repository as repo
from leolink.store.areas import CompiledAreas
from leolink.store.checks import (
    CheckedGeofence,
    TwoPersonRule,
    area_centre_deg,
    check_actor,
    check_cells,
    check_geofence_spec,
    check_id,
    check_positions,
    check_reason,
    check_window,
    choice,
    instant,
    iso_alpha2,
    person_key,
    require_proposed,
    require_proposer,
    require_second_person,
    same_person,
    to_us,
)
from leolink.store.engine import WRITE_OPTION, make_engine
from leolink.store.idempotency import IdempotencyKeys
from leolink.store.migrate import current_revision, head_revision, upgrade
from leolink.store.models import (
    AllowlistMembershipRow,
    ApiKeyRow,
    AuditCheckpointRow,
    AuditHeadRow,
    AuditRecordRow,
    AuditTreeNodeRow,
    CellStatusCellRow,
    CellStatusRow,
    CompiledAreaRow,
    CountryStatusRow,
    GeofenceCellRow,
    GeofenceRow,
    PolicyVersionRow,
    PositionReportRow,
    SigningKeyRow,
    TerminalRow,
)
from leolink.store.replay import tables_state
from leolink.store.signing import default_key_path, load_or_create_key
from leolink.store.telemetry import TelemetryReports
from leolink.store.tree_nodes import proof_engine, proof_nodes
from leolink.store.unit_of_work import UnitOfWork, lock_head, write
from leolink.store.witnessed import WitnessedCheckpoints
from leolink.time import format_instant, parse_instant

__all__ = ["UNCHANGED", "Store", "Unchanged"]

#: Geofence states that were in force at some time (withdrawn ones only if approved first).
_APPROVED_STATES: Final = (ChangeState.APPROVED, ChangeState.ACTIVE, ChangeState.WITHDRAWN)


class Unchanged(Enum):
    """Type of `UNCHANGED`, the default of `Store.update_terminal`'s fields."""

    UNCHANGED = "unchanged"


#: "Leave this field as it is" (None can be a value, e.g. no funding party).
UNCHANGED: Final = Unchanged.UNCHANGED


def _utc_now() -> np.datetime64:
    return parse_instant("now")


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


class Store:
    """The service-control store: statuses, geofences, terminals, API keys, the audit log.

    Build one with `Store.open` (a URL; default a SQLite file in the user's data directory),
    or from an engine.  ``signing_key`` is the Ed25519 key for checkpoints: a key, a key file
    (created with mode 0600 if missing), or None for ``<data dir>/audit-signing-key.pem``;
    it is only loaded (or created) by the first write.  ``country_code`` checks and normalises
    an ISO alpha-2 code (default: against the vendored borders, `leolink.geo.countries`).
    ``clock`` gives "now" (a UTC ``datetime64``); tests and replays pass their own.

    Methods that change something take ``actor`` (who) and ``reason`` (why), keyword-only.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        signing_key: Ed25519PrivateKey | str | Path | None = None,
        checkpoint_every: int = 100,
        two_person: TwoPersonRule | None = None,
        country_code: Callable[[str], str] = iso_alpha2,
        clock: Callable[[], np.datetime64] = _utc_now,
        limits: WorkLimits = SERVICE_LIMITS,
    ) -> None:
        if checkpoint_every < 1:
            raise InputError(f"checkpoint_every={checkpoint_every} must be at least 1")
        self.engine = engine
        self.checkpoint_every = checkpoint_every
        self.two_person = two_person if two_person is not None else TwoPersonRule()
        #: The vertices a geofence, and one operator in a day, may have (`leolink.limits`).
        self.limits = limits
        self._country_code = country_code
        self._clock = clock
        self._key_source = signing_key
        self._key = signing_key if isinstance(signing_key, Ed25519PrivateKey) else None
        self._key_lock = threading.Lock()
        writer = engine.execution_options(**{WRITE_OPTION: True})
        reader = (
            engine.execution_options(isolation_level="REPEATABLE READ")
            if engine.dialect.name == "postgresql"
            else engine
        )
        self._proof_engine = proof_engine(engine)
        self._write_sessions = sessionmaker(writer, expire_on_commit=False)
        self._read_sessions = sessionmaker(reader, expire_on_commit=False)

    @classmethod
    def open(
        cls,
        url: str | URL | None = None,
        *,
        migrate: bool = True,
        signing_key: Ed25519PrivateKey | str | Path | None = None,
        checkpoint_every: int = 100,
        two_person: TwoPersonRule | None = None,
        country_code: Callable[[str], str] = iso_alpha2,
        clock: Callable[[], np.datetime64] = _utc_now,
        limits: WorkLimits = SERVICE_LIMITS,
    ) -> Store:
        """Open the store at ``url``, migrating its schema to the newest unless ``migrate=False``.

        With ``migrate=False`` a database at an older schema is refused rather than used.
        """
        engine = make_engine(url)
        try:
            if migrate:
                upgrade(engine)
            elif (found := current_revision(engine)) != (want := head_revision()):
                raise StoreError(
                    f"the database {engine.url!r} is at schema {found!r}, this leolink needs "
                    f"{want!r}: open it with migrate=True (or `leolink serve` once) to upgrade"
                )
        except OperationalError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
            raise StoreError(
                f"cannot open the database {engine.url!r}: {reason}; check that the server runs "
                "and that the URL (host, port, user, password, database) is right"
            ) from None
        except BaseException:
            engine.dispose()
            raise
        return cls(
            engine,
            signing_key=signing_key,
            checkpoint_every=checkpoint_every,
            two_person=two_person,
            country_code=country_code,
            clock=clock,
            limits=limits,
        )

    def close(self) -> None:
        """Release the database connections."""
        if self._proof_engine is not self.engine:
            self._proof_engine.dispose()
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions ----------------------------------------------------------------------

    def _signing_key(self) -> Ed25519PrivateKey:
        with self._key_lock:
            if self._key is None:
                source = self._key_source
                assert not isinstance(source, Ed25519PrivateKey)
                self._key = load_or_create_key(source if source is not None else default_key_path())
            return self._key

    def _configured_public_key(self) -> Ed25519PublicKey | None:
        """The public half of this store's signing key, if it has one (never creates a key)."""
        if self._key is not None:
            return self._key.public_key()
        source = self._key_source
        assert not isinstance(source, Ed25519PrivateKey)
        path = Path(source) if source is not None else default_key_path()
        return self._signing_key().public_key() if path.exists() else None

    def _now(self) -> np.datetime64:
        return to_us(self._clock())

    @property
    def idempotency(self) -> IdempotencyKeys:
        """The idempotency keys of POSTs made through the service (`leolink.store.idempotency`)."""
        return IdempotencyKeys(self._write_sessions, self._now)

    @property
    def telemetry(self) -> TelemetryReports:
        """What terminals reported about themselves, for forensics (`leolink.store.telemetry`)."""
        return TelemetryReports(self._write_sessions, self._read_sessions, self._now)

    @property
    def compiled_areas(self) -> CompiledAreas:
        """Geofence areas compiled once, kept across restarts (`leolink.store.areas`)."""
        return CompiledAreas(self._write_sessions)

    def _compile_area(self, checked: CheckedGeofence) -> None:
        """Compile a checked geofence's area at the default resolution and keep it (once per
        content: a region is parsed and repaired here, at its proposal, and never again)."""
        area = fence_area(checked.area_geojson, checked.cells)
        if checked.geometry is not None:
            area.use_geometry(checked.geometry)  # checked (and repaired) once, just now
        compiled_area_cells(area, grid.DEFAULT_RESOLUTION, self.compiled_areas)

    @property
    def witnessed(self) -> WitnessedCheckpoints:
        """Checkpoints pushed to witnesses and their cosignatures (`leolink.store.witnessed`)."""
        return WitnessedCheckpoints(self._write_sessions)

    def sign_note(self, text: str) -> str:
        """The log key's signed-note signature line over ``text`` (under the log's origin), for
        statements the log vouches for besides checkpoints (decision receipts)."""
        return note_signature(text, self.log_origin(), self._signing_key())

    def policy_version_seq(self, version: int) -> int | None:
        """The audit record that made policy ``version`` (None for version 0: no policy)."""
        with self._read() as session:
            row = session.get(PolicyVersionRow, version)
            return None if row is None else int(row.audit_seq)

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._read_sessions() as session, session.begin():
            yield session

    @contextmanager
    def _write(self, actor: str) -> Iterator[UnitOfWork]:
        actor = check_actor(actor)
        key = self._signing_key()  # before taking the lock: creating a key file is slow-ish
        with write(
            self._write_sessions,
            actor=actor,
            now=self._now(),
            key=key,
            checkpoint_every=self.checkpoint_every,
        ) as uow:
            yield uow

    # --- country statuses ------------------------------------------------------------------

    def propose_country_status(
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
        with self._write(actor) as tx:
            row = CountryStatusRow(
                country_code=code,
                status=status.value,
                effective_from=effective,
                source=source,
                note=str(note),
                state=ChangeState.PROPOSED.value,
                proposer=tx.actor,
                proposed_at=tx.now,
                reconstruction=bool(reconstruction),
            )
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

    def approve_country_status(
        self, change_id: int, *, actor: str, reason: str
    ) -> CountryStatusChange:
        """Approve a proposed status change; it is then in force from its ``effective_from``."""
        return self._decide_country_status(change_id, ChangeState.APPROVED, actor, reason)

    def reject_country_status(
        self, change_id: int, *, actor: str, reason: str
    ) -> CountryStatusChange:
        """Refuse a proposed status change (a second operator's decision)."""
        return self._decide_country_status(change_id, ChangeState.REJECTED, actor, reason)

    def withdraw_country_status(
        self, change_id: int, *, actor: str, reason: str
    ) -> CountryStatusChange:
        """Take back one's own proposed status change."""
        return self._decide_country_status(change_id, ChangeState.WITHDRAWN, actor, reason)

    def _decide_country_status(
        self, change_id: int, decision: ChangeState, actor: str, reason: str
    ) -> CountryStatusChange:
        reason = check_reason(reason)
        with self._write(actor) as tx:
            # Ids are 32-bit integer keys; a larger one names no change (and PostgreSQL would
            # refuse to compare it with the column).
            in_range = 1 <= int(change_id) <= 2**31 - 1
            row = tx.session.get(CountryStatusRow, int(change_id)) if in_range else None
            if row is None:
                raise NotFoundError(f"there is no country-status change with id {change_id!r}")
            what = f"country-status change {row.id} ({row.country_code} -> {row.status})"
            require_proposed(what, ChangeState(row.state))
            if decision is ChangeState.WITHDRAWN:
                require_proposer(what, row.proposer, tx.actor)
            else:
                require_second_person(what, row.proposer, tx.actor, decision)
            before = repo.row_to_country_change(row).to_dict()
            row.state = decision.value
            if decision is ChangeState.APPROVED:
                row.approver, row.approved_at = tx.actor, tx.now
                tx.policy_changed = True
            elif decision is ChangeState.REJECTED:
                row.approver, row.rejected_at = tx.actor, tx.now
            else:
                row.withdrawn_at = tx.now
            change = repo.row_to_country_change(row)
            action = {"approved": "approve", "rejected": "reject", "withdrawn": "withdraw"}[
                decision
            ]
            tx.log(
                f"country_status.{action}",
                "country_status",
                str(row.id),
                before,
                change.to_dict(),
                reason,
            )
        return change

    def country_status(
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
        with self._read() as session:
            rows = session.scalars(
                select(CountryStatusRow).where(
                    CountryStatusRow.country_code == code,
                    CountryStatusRow.state == ChangeState.APPROVED.value,
                    CountryStatusRow.effective_from <= t,
                )
            ).all()
            return statuses_in_force([repo.row_to_country_change(r) for r in rows], known).get(code)

    def country_status_changes(
        self, country_code: str | None = None, *, state: ChangeState | str | None = None
    ) -> list[CountryStatusChange]:
        """Status changes, oldest first, optionally of one country and/or in one state."""
        query = select(CountryStatusRow).order_by(CountryStatusRow.id)
        if country_code is not None:
            query = query.where(CountryStatusRow.country_code == self._country_code(country_code))
        if state is not None:
            query = query.where(CountryStatusRow.state == choice(ChangeState, state, "state").value)
        with self._read() as session:
            return [repo.row_to_country_change(r) for r in session.scalars(query)]

    # --- cell statuses (Starlink's availability-map categories) ------------------------------

    def propose_cell_statuses(
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
        with self._write(actor) as tx:
            row = CellStatusRow(
                category=category,
                effective_from=start,
                effective_until=end,
                published=published,
                source=source,
                state=(ChangeState.PROPOSED if needs_second else ChangeState.ACTIVE).value,
                proposer=tx.actor,
                proposed_at=tx.now,
                approved_at=None if needs_second else tx.now,
                cells=[CellStatusCellRow(cell=h) for h in hexes],
            )
            tx.session.add(row)
            tx.session.flush()
            change = repo.row_to_cell_status(row)
            tx.policy_changed = not needs_second
            tx.log(
                "cell_status.propose" if needs_second else "cell_status.activate",
                "cell_status",
                str(row.id),
                None,
                change.to_dict(),
                reason,
            )
        return change

    def approve_cell_statuses(self, change_id: int, *, actor: str, reason: str) -> CellStatusChange:
        """Approve proposed cell statuses (a second operator); in force from their start."""
        return self._decide_cell_statuses(change_id, ChangeState.APPROVED, actor, reason)

    def reject_cell_statuses(self, change_id: int, *, actor: str, reason: str) -> CellStatusChange:
        """Refuse proposed cell statuses (a second operator's decision)."""
        return self._decide_cell_statuses(change_id, ChangeState.REJECTED, actor, reason)

    def withdraw_cell_statuses(
        self, change_id: int, *, actor: str, reason: str
    ) -> CellStatusChange:
        """Take back cell statuses: one's own proposal, or ones in force (they stop now)."""
        return self._decide_cell_statuses(change_id, ChangeState.WITHDRAWN, actor, reason)

    def _decide_cell_statuses(
        self, change_id: int, decision: ChangeState, actor: str, reason: str
    ) -> CellStatusChange:
        reason = check_reason(reason)
        with self._write(actor) as tx:
            in_range = 1 <= int(change_id) <= 2**31 - 1
            row = tx.session.get(CellStatusRow, int(change_id)) if in_range else None
            if row is None:
                raise NotFoundError(f"there is no cell-status change with id {change_id!r}")
            what = f"cell-status change {row.id} ({row.category}, {len(row.cells)} cells)"
            state = ChangeState(row.state)
            in_force = state in (ChangeState.APPROVED, ChangeState.ACTIVE)
            if decision is ChangeState.WITHDRAWN and state is ChangeState.APPROVED:
                before = repo.row_to_cell_status(row).to_dict()
                if _first_of_two_lifts(row, what, tx):
                    change = repo.row_to_cell_status(row)
                    tx.log(
                        "cell_status.propose_withdrawal",
                        "cell_status",
                        str(row.id),
                        before,
                        change.to_dict(),
                        reason,
                    )
                    return change
            elif decision is ChangeState.WITHDRAWN and in_force:
                pass  # statuses one operator put in force, one operator may end
            else:
                require_proposed(what, state)
                if decision is ChangeState.WITHDRAWN:
                    require_proposer(what, row.proposer, tx.actor)
                else:
                    require_second_person(what, row.proposer, tx.actor, decision)
            before = repo.row_to_cell_status(row).to_dict()
            row.state = decision.value
            if decision is ChangeState.APPROVED:
                row.approver, row.approved_at = tx.actor, tx.now
                tx.policy_changed = True
            elif decision is ChangeState.REJECTED:
                row.approver, row.rejected_at = tx.actor, tx.now
            else:
                row.withdrawn_at = tx.now
                tx.policy_changed = in_force
            change = repo.row_to_cell_status(row)
            action = {"approved": "approve", "rejected": "reject", "withdrawn": "withdraw"}[
                decision
            ]
            tx.log(
                f"cell_status.{action}",
                "cell_status",
                str(row.id),
                before,
                change.to_dict(),
                reason,
            )
        return change

    def cell_status_changes(
        self, *, state: ChangeState | str | None = None
    ) -> list[CellStatusChange]:
        """Cell-status changes, oldest first, optionally in one state."""
        query = select(CellStatusRow).order_by(CellStatusRow.id)
        if state is not None:
            query = query.where(CellStatusRow.state == choice(ChangeState, state, "state").value)
        with self._read() as session:
            return [repo.row_to_cell_status(r) for r in session.scalars(query)]

    def cell_statuses_at(
        self, at: str | np.datetime64 = "now", *, known_at: str | np.datetime64 | None = None
    ) -> list[CellStatusChange]:
        """The cell statuses in force at ``at``, each with ``audit_seq``: the audit record
        that put it in force (its approval, or its activation)."""
        t = instant(at, "at")
        known = None if known_at is None else instant(known_at, "known_at")
        with self._read() as session:
            changes = [c for c in _cell_statuses(session, known) if c.is_in_force(t, known)]
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

    # --- geofences ---------------------------------------------------------------------------

    def propose_geofence(
        self, spec: GeofenceSpec, *, actor: str, geofence_id: str | None = None
    ) -> Geofence:
        """Create a geofence from ``spec``; ``spec.reason`` is also the audit record's reason.

        A geofence within `TwoPersonRule` is ``active`` at once; a larger one is ``proposed``
        and waits for a second operator.  ``geofence_id`` defaults to a random ``gf-...`` id.
        """
        checked = check_geofence_spec(spec, self.limits)
        salt = _commitment_salt(spec, checked, None)
        gid = check_id(geofence_id, "geofence") if geofence_id is not None else _new_id("gf")
        self._compile_area(checked)
        with self._write(actor) as tx:
            if tx.session.get(GeofenceRow, gid) is not None:
                raise DuplicateError(f"geofence id {gid!r} is already taken: choose another id")
            self._check_vertex_budget(tx, checked, None)
            row = GeofenceRow(id=gid, proposer=tx.actor, proposed_at=tx.now, version=1)
            row.commitment_salt = salt
            self._apply_spec(row, checked, tx)
            tx.session.add(row)
            tx.session.flush()
            fence = repo.row_to_geofence(row)
            logged = repo.geofence_as_logged(row)
            why = checked.reason if salt is None else SEALED_REASON
            tx.log("geofence.propose", "geofence", gid, None, logged, why)
        return fence

    def revise_geofence(
        self, geofence_id: str, spec: GeofenceSpec, *, expected_version: int, actor: str
    ) -> Geofence:
        """Replace a *proposed* geofence's spec; the reviser becomes its proposer.

        Raises `ConflictError` if the geofence is no longer at ``expected_version``.  If the
        revised geofence is small enough, it becomes ``active`` at once.  Geofences in force
        cannot be revised: withdraw one and propose its successor.
        """
        checked = check_geofence_spec(spec, self.limits)
        self._compile_area(checked)
        with self._write(actor) as tx:
            row = repo.get_geofence(tx.session, geofence_id, expected_version)
            require_proposed(f"geofence {row.id!r}", ChangeState(row.state))
            before = repo.geofence_as_logged(row)
            self._check_vertex_budget(tx, checked, row.id)
            row.commitment_salt = _commitment_salt(spec, checked, row.commitment_salt)
            row.proposer, row.proposed_at, row.version = tx.actor, tx.now, row.version + 1
            self._apply_spec(row, checked, tx)
            tx.session.flush()
            fence = repo.row_to_geofence(row)
            why = checked.reason if row.commitment_salt is None else SEALED_REASON
            tx.log("geofence.revise", "geofence", row.id, before, repo.geofence_as_logged(row), why)
        return fence

    def approve_geofence(
        self, geofence_id: str, *, expected_version: int, actor: str, reason: str
    ) -> Geofence:
        """A second operator approves the proposed geofence at ``expected_version``."""
        return self._decide_geofence(
            geofence_id, ChangeState.APPROVED, expected_version, actor, reason
        )

    def reject_geofence(
        self, geofence_id: str, *, expected_version: int, actor: str, reason: str
    ) -> Geofence:
        """A second operator refuses the proposed geofence."""
        return self._decide_geofence(
            geofence_id, ChangeState.REJECTED, expected_version, actor, reason
        )

    def withdraw_geofence(
        self, geofence_id: str, *, expected_version: int, actor: str, reason: str
    ) -> Geofence:
        """End a geofence: its proposer takes back a proposal, or any operator ends one in force.

        A geofence in force stays on record as in force until now (``withdrawn_at``).
        """
        return self._decide_geofence(
            geofence_id, ChangeState.WITHDRAWN, expected_version, actor, reason
        )

    def _decide_geofence(
        self,
        geofence_id: str,
        decision: ChangeState,
        expected_version: int,
        actor: str,
        reason: str,
    ) -> Geofence:
        reason = check_reason(reason)
        with self._write(actor) as tx:
            row = repo.get_geofence(tx.session, geofence_id, expected_version)
            state, what = ChangeState(row.state), f"geofence {row.id!r}"
            if decision is ChangeState.WITHDRAWN and state is ChangeState.APPROVED:
                before = repo.geofence_as_logged(row)
                if _first_of_two_lifts(row, what, tx):
                    row.version += 1
                    tx.session.flush()
                    fence = repo.row_to_geofence(row)
                    tx.log(
                        "geofence.propose_withdrawal",
                        "geofence",
                        row.id,
                        before,
                        repo.geofence_as_logged(row),
                        reason,
                    )
                    return fence
                tx.policy_changed = True
            elif decision is ChangeState.WITHDRAWN and state is ChangeState.ACTIVE:
                tx.policy_changed = True  # what one operator put in force, one may end
            else:
                require_proposed(what, state)
                if decision is ChangeState.WITHDRAWN:
                    require_proposer(what, row.proposer, tx.actor)
                else:
                    require_second_person(what, row.proposer, tx.actor, decision)
            before = repo.geofence_as_logged(row)
            row.state, row.version = decision.value, row.version + 1
            if decision is ChangeState.APPROVED:
                row.approver, row.approved_at = tx.actor, tx.now
                tx.policy_changed = True
            elif decision is ChangeState.REJECTED:
                row.approver, row.rejected_at = tx.actor, tx.now
            else:
                row.withdrawn_at = tx.now
            tx.session.flush()
            fence = repo.row_to_geofence(row)
            action = {"approved": "approve", "rejected": "reject", "withdrawn": "withdraw"}[
                decision
            ]
            after = repo.geofence_as_logged(row)
            tx.log(f"geofence.{action}", "geofence", row.id, before, after, reason)
        return fence

    def _check_vertex_budget(
        self, tx: UnitOfWork, checked: CheckedGeofence, revised: str | None
    ) -> None:
        """Refuse a region that would take its proposer beyond the vertices one operator may
        propose in 24 hours (`leolink.limits.WorkLimits.max_operator_vertices_per_day`)."""
        if not checked.vertices:
            return
        limit = self.limits.max_operator_vertices_per_day
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
        needs = self.two_person.needs_second_operator(
            spec.size_km2, len(spec.cells), alone_km2, alone_cells
        )
        row.reconstruction = spec.reconstruction
        row.name, row.effect, row.reason = spec.name, spec.effect.value, spec.reason
        row.area_geojson = spec.area_geojson
        row.vertices = spec.vertices
        row.cells = [GeofenceCellRow(geofence_id=row.id, cell=c) for c in spec.cells]
        row.customer_classes = (
            None if spec.customer_classes is None else [c.value for c in spec.customer_classes]
        )
        row.window_start, row.window_end = spec.window_start, spec.window_end
        row.size_km2, row.needs_approval = spec.size_km2, needs
        row.state = (ChangeState.PROPOSED if needs else ChangeState.ACTIVE).value
        row.approver, row.approved_at = None, None if needs else tx.now
        if not needs:
            tx.policy_changed = True

    def _switched_off_alone(
        self, tx: UnitOfWork, exclude_id: str, spec: CheckedGeofence
    ) -> tuple[float, int]:
        """Area (km²) and cells that ``tx.actor`` put in force alone, within the rule's window
        of record and its distance of ``spec``'s centre (`TwoPersonRule`)."""
        rule = self.two_person
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
            hexes = [c.cell for c in r.cells]
            region = _compiled_region(tx.session, r.area_geojson, hexes)
            lat_deg, lon_deg = area_centre_deg(r.area_geojson, hexes, region)
            if float(great_circle_km(lat0_deg, lon0_deg, lat_deg, lon_deg)) <= rule.region_km:
                km2, cells = km2 + r.size_km2, cells + len(r.cells)
        return km2, cells

    def geofence(self, geofence_id: str) -> Geofence:
        """The geofence ``geofence_id``; `NotFoundError` if there is none."""
        with self._read() as session:
            return repo.row_to_geofence(repo.get_geofence(session, geofence_id))

    def geofences(
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
        with self._read() as session:
            return [repo.row_to_geofence(r) for r in session.scalars(query)]

    # --- terminals ---------------------------------------------------------------------------

    def register_terminal(
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
        with self._write(actor) as tx:
            if tx.session.get(TerminalRow, tid) is not None:
                raise DuplicateError(f"terminal {tid!r} is already registered: choose another id")
            row = TerminalRow(id=tid, created_at=tx.now, updated_at=tx.now, version=1, **fields)
            tx.session.add(row)
            tx.session.flush()
            terminal = repo.row_to_terminal(row)
            tx.log("terminal.register", "terminal", tid, None, terminal.to_dict(), reason)
            tx.policy_changed = True
        return terminal

    def update_terminal(
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
        with self._write(actor) as tx:
            row = repo.get_terminal(tx.session, terminal_id)
            repo.check_version(f"terminal {row.id!r}", row.version, expected_version)
            before = repo.row_to_terminal(row).to_dict()
            changed = {k: v for k, v in changes.items() if getattr(row, k) != v}
            if not changed:
                raise InputError(f"terminal {row.id!r} already has {changes}: nothing to change")
            for name, value in changed.items():
                setattr(row, name, value)
            row.updated_at, row.version = tx.now, row.version + 1
            tx.session.flush()
            terminal = repo.row_to_terminal(row)
            tx.log("terminal.update", "terminal", row.id, before, terminal.to_dict(), reason)
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

    def terminal(self, terminal_id: str) -> Terminal:
        """The terminal ``terminal_id``; `NotFoundError` if there is none."""
        with self._read() as session:
            return repo.row_to_terminal(repo.get_terminal(session, terminal_id))

    def terminals(
        self, *, account: str | None = None, state: TerminalState | str | None = None
    ) -> list[Terminal]:
        """Terminals by id, optionally of one account and/or in one state."""
        query = select(TerminalRow).order_by(TerminalRow.id)
        if account is not None:
            query = query.where(TerminalRow.account == account)
        if state is not None:
            query = query.where(TerminalRow.state == choice(TerminalState, state, "state").value)
        with self._read() as session:
            return [repo.row_to_terminal(r) for r in session.scalars(query)]

    def add_to_allowlist(
        self, geofence_id: str, terminal_ids: Sequence[str], *, actor: str, reason: str
    ) -> list[str]:
        """Register terminals in an allow-list geofence; returns its members afterwards."""
        return self._change_allowlist(geofence_id, terminal_ids, True, actor, reason)

    def remove_from_allowlist(
        self, geofence_id: str, terminal_ids: Sequence[str], *, actor: str, reason: str
    ) -> list[str]:
        """Take terminals out of an allow-list geofence; returns its members afterwards."""
        return self._change_allowlist(geofence_id, terminal_ids, False, actor, reason)

    def _change_allowlist(
        self, geofence_id: str, terminal_ids: Sequence[str], add: bool, actor: str, reason: str
    ) -> list[str]:
        reason = check_reason(reason)
        if isinstance(terminal_ids, str):
            terminal_ids = [terminal_ids]
        ids = sorted(set(terminal_ids))
        if not ids:
            raise InputError("give at least one terminal id")
        with self._write(actor) as tx:
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

    def allowlist_members(self, geofence_id: str) -> list[str]:
        """Ids of the terminals in an allow-list geofence, sorted."""
        with self._read() as session:
            return repo.allowlist_members(session, repo.get_geofence(session, geofence_id).id)

    # --- position reports ----------------------------------------------------------------

    def report_positions(
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
        with self._write(actor) as tx:
            terminal = repo.get_terminal(tx.session, terminal_id)
            given = [
                PositionReport(terminal.id, t, float(a), float(o), c)
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
                "reports": [
                    {k: v for k, v in r.to_dict().items() if k != "terminal_id"} for r in reports
                ]
            }
            tx.log("terminal.report_positions", "terminal", terminal.id, None, after, reason)
        return given

    def position_reports(
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
        with self._read() as session:
            if terminal_id is not None:
                repo.get_terminal(session, terminal_id)
            return [
                PositionReport(r.terminal_id, r.reported_at, r.lat_deg, r.lon_deg, r.cell)
                for r in session.scalars(query)
            ]

    # --- API keys --------------------------------------------------------------------------

    def create_api_key(
        self, role: Role | str, *, name: str, actor: str, reason: str
    ) -> tuple[ApiKey, str]:
        """A new API key with ``role``; returns it and its token, which is shown only now."""
        role = choice(Role, role, "role")
        name = str(name).strip()
        if not name or len(name) > 200:
            raise InputError(f"API key name {name!r} must be 1-200 characters")
        reason = check_reason(reason)
        key_id, secret, token = apikeys.new_token()
        salt = apikeys.new_salt()
        with self._write(actor) as tx:
            row = ApiKeyRow(
                id=key_id,
                name=name,
                role=role.value,
                salt=salt,
                secret_hash=apikeys.hash_secret(secret, salt),
                created_at=tx.now,
                created_by=tx.actor,
            )
            tx.session.add(row)
            key = repo.row_to_api_key(row)
            tx.log("api_key.create", "api_key", key_id, None, key.to_dict(), reason)
        return key, token

    def revoke_api_key(self, key_id: str, *, actor: str, reason: str) -> ApiKey:
        """Revoke a key: it authenticates no more."""
        reason = check_reason(reason)
        with self._write(actor) as tx:
            row = tx.session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFoundError(f"there is no API key with id {key_id!r}")
            if row.revoked_at is not None:
                raise PolicyStateError(f"API key {key_id!r} is already revoked")
            before = repo.row_to_api_key(row).to_dict()
            row.revoked_at = tx.now
            key = repo.row_to_api_key(row)
            tx.log("api_key.revoke", "api_key", key_id, before, key.to_dict(), reason)
        return key

    def authenticate(self, token: str) -> ApiKey | None:
        """The live API key a token belongs to, or None (unknown, malformed or revoked)."""
        parsed = apikeys.parse_token(token)
        if parsed is None:
            return None
        key_id, secret = parsed
        with self._read() as session:
            row = session.get(ApiKeyRow, key_id)
            # The hash is compared whether or not the key exists, so that the time taken does
            # not tell a caller which key ids exist.
            salt, expected = (
                (row.salt, row.secret_hash) if row is not None else apikeys.ABSENT_KEY_HASH
            )
            matches = apikeys.secret_matches(secret, salt, expected)
            if row is None or row.revoked_at is not None or not matches:
                return None
            return repo.row_to_api_key(row)

    def api_keys(self) -> list[ApiKey]:
        """All API keys (without secrets), oldest first."""
        with self._read() as session:
            rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id))
            return [repo.row_to_api_key(r) for r in rows]

    # --- policy as of a time ------------------------------------------------------------------

    def policy_version(self) -> int:
        """The current policy version: 0 for an empty store, +1 per change to what is in force."""
        with self._read() as session:
            return repo.policy_version(session)

    def policy_at(
        self, at: str | np.datetime64 = "now", *, known_at: str | np.datetime64 | None = None
    ) -> PolicySnapshot:
        """Everything the decision engine needs at instant ``at``, read in one snapshot.

        ``known_at`` rewinds the approvals to what was known then (see `leolink.policy.records`).
        """
        t = instant(at, "at")
        known = None if known_at is None else instant(known_at, "known_at")
        with self._read() as session:
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
                f for f in map(repo.row_to_geofence, fence_rows) if f.is_in_force(t, known)
            )
            allowlists = {
                f.id: frozenset(repo.allowlist_members(session, f.id))
                for f in fences
                if f.effect is GeofenceEffect.ALLOWLIST
            }
            cells = tuple(c for c in _cell_statuses(session, known) if c.is_in_force(t, known))
        return PolicySnapshot(version, t, known, statuses, fences, allowlists, cells)

    def policy_history(self, *, known_at: str | np.datetime64 | None = None) -> PolicyHistory:
        """All policy ever in force (as known at ``known_at``), read in one snapshot.

        What the batch decision engine (`leolink.policy.batch`) needs to decide at many
        instants at once; ``policy_history().snapshot(at)`` equals ``policy_at(at)``.
        """
        known = None if known_at is None else instant(known_at, "known_at")
        with self._read() as session:
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
                for f in map(repo.row_to_geofence, fence_rows)
                if f.in_force_interval(known) is not None
            )
            allowlists = {
                f.id: frozenset(repo.allowlist_members(session, f.id))
                for f in fences
                if f.effect is GeofenceEffect.ALLOWLIST
            }
            cells = tuple(_cell_statuses(session, known))
        return PolicyHistory(version, known, changes, fences, allowlists, cells)

    def last_position_reports(
        self, *, before: str | np.datetime64 | None = None
    ) -> list[PositionReport]:
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
        with self._read() as session:
            out: dict[str, PositionReport] = {}
            for r in session.scalars(query):
                out.setdefault(
                    r.terminal_id,
                    PositionReport(r.terminal_id, r.reported_at, r.lat_deg, r.lon_deg, r.cell),
                )
            return list(out.values())

    # --- the audit log --------------------------------------------------------------------

    def audit_log(
        self,
        *,
        after_seq: int = 0,
        before_seq: int | None = None,
        limit: int | None = 1000,
        entity: str | None = None,
        entity_id: str | None = None,
        actor: str | None = None,
        kind: str | None = None,
        since: str | np.datetime64 | None = None,
        until: str | np.datetime64 | None = None,
        newest_first: bool = False,
    ) -> list[AuditRecord]:
        """Audit records with ``after_seq < seq < before_seq``, oldest first (or newest first).

        Filters: ``entity`` / ``entity_id``; ``actor``, the same person however the name is
        spelt (`leolink.store.checks.person_key`); ``kind``, an action (``geofence.approve``)
        or every action on a kind of record (``geofence``); ``since`` / ``until``, the record's
        time in ``[since, until)``.  Page oldest first with ``after_seq``, newest first with
        ``before_seq``.
        """
        order = AuditRecordRow.seq.desc() if newest_first else AuditRecordRow.seq
        query = repo.audit_select().where(AuditRecordRow.seq > after_seq).order_by(order)
        if before_seq is not None:
            query = query.where(AuditRecordRow.seq < before_seq)
        if entity is not None:
            query = query.where(AuditRecordRow.entity == entity)
        if entity_id is not None:
            query = query.where(AuditRecordRow.entity_id == entity_id)
        if kind is not None:
            kind = str(kind).strip()
            if not re.fullmatch(r"[a-z_]+(\.[a-z_]+)?", kind):
                raise InputError(
                    f"kind {kind!r} is not an audit action: give one such as 'geofence.approve', "
                    "or a kind of record such as 'geofence' for all its actions"
                )
            query = query.where(
                (AuditRecordRow.action == kind) | AuditRecordRow.action.startswith(f"{kind}.")
            )
        if since is not None:
            query = query.where(AuditRecordRow.ts >= instant(since, "since"))
        if until is not None:
            query = query.where(AuditRecordRow.ts < instant(until, "until"))
        if limit is not None:
            query = query.limit(limit)
        with self._read() as session:
            if actor is not None:
                who = person_key(actor)
                names = session.scalars(select(AuditRecordRow.actor).distinct()).all()
                query = query.where(
                    AuditRecordRow.actor.in_([n for n in names if person_key(n) == who])
                )
            return [repo.row_to_audit_record(r) for r in session.execute(query)]

    def audit_head(self) -> Checkpoint | None:
        """The signed head of the log (None while the log is empty)."""
        with self._read() as session:
            return repo.head_row_to_checkpoint(session.get(AuditHeadRow, 1))

    def checkpoints(self) -> list[Checkpoint]:
        """The kept signed checkpoints, oldest first."""
        with self._read() as session:
            rows = session.scalars(select(AuditCheckpointRow).order_by(AuditCheckpointRow.seq))
            return [repo.row_to_checkpoint(r) for r in rows]

    def checkpoint(self) -> Checkpoint:
        """Sign a checkpoint at the newest record now (or return the one already there).

        Export it (`Checkpoint.to_dict`) and keep it elsewhere: passed back to `verify`, it
        also catches a log deleted as a whole.
        """
        key = self._signing_key()
        with self._write_sessions() as session, session.begin():
            head = lock_head(session)
            if head.seq == 0:
                raise PolicyStateError("the audit log is empty: there is nothing to checkpoint")
            existing = session.get(AuditCheckpointRow, head.seq)
            if existing is not None:
                return repo.row_to_checkpoint(existing)
            cp = sign_checkpoint(key, "checkpoint", head.seq, head.hash, self._now())
            session.add(repo.checkpoint_to_row(cp))
            return cp

    # --- the transparency log (see `leolink.policy.tlog`) ----------------------------------

    def latest_checkpoint(self) -> SignedCheckpoint:
        """The newest signed checkpoint note (signed now if the log has none yet, e.g. right
        after the migration that made the log a Merkle tree)."""
        with self._read() as session:
            head = session.get(AuditHeadRow, 1)
            if head is not None and head.note is not None:
                return parse_checkpoint(head.note)
        key = self._signing_key()
        with self._write_sessions() as session, session.begin():
            head = lock_head(session)
            if head.note is None:
                root = root_hash(head.seq, _frontier_subtrees(session, head.seq))
                head.note = sign_log_checkpoint(head.origin, head.seq, root, key).note()
            return parse_checkpoint(head.note)

    def log_verifier(self) -> Verifier:
        """The verifier key of this store's own signing key under the log's origin; refused when
        the store was given no existing key (a verifier must bring the key, see `verify`)."""
        key = self._configured_public_key()
        if key is None:
            raise InputError(
                "this store has no signing key file to take the public key from: give the "
                "log's public key (--public-key) instead"
            )
        return Verifier(self.log_origin(), key)

    def log_origin(self) -> str:
        """The log's origin line (the key name its checkpoints are signed under)."""
        with self._read() as session:
            head = session.get(AuditHeadRow, 1)
            if head is None:
                raise StoreError("the audit log has no head row")
            return head.origin

    def inclusion_proof(self, seq: int, size: int | None = None) -> tuple[int, list[bytes]]:
        """``(size, proof)``: the RFC 9162 audit path of record ``seq`` in the tree of the first
        ``size`` records (default: the whole log); O(log n) rows read in one statement
        (`leolink.store.tree_nodes`)."""

        def wanted(n: int) -> list[Subtree]:
            if not 1 <= seq <= n:
                raise NotFoundError(f"record {seq} is not in a log of {n} records (1..{n})")
            return subtrees_for_inclusion(seq - 1, n)

        total, size, nodes = proof_nodes(self._proof_engine, size, wanted)
        _check_size(size, total)
        return size, inclusion_proof(seq - 1, size, nodes.__getitem__)

    def consistency_proof(self, size1: int, size2: int | None = None) -> tuple[int, list[bytes]]:
        """``(size2, proof)``: the RFC 9162 proof that the log of ``size2`` records (default: the
        whole log) extends its first ``size1``."""

        def wanted(n: int) -> list[Subtree]:
            if not 0 <= size1 <= n:
                raise InputError(
                    f"size1={size1} must be between 0 and the log's size {n}: a consistency "
                    "proof goes from an older, smaller log to a newer one"
                )
            return subtrees_for_consistency(size1, n)

        total, size2, nodes = proof_nodes(self._proof_engine, size2, wanted)
        _check_size(size2, total)
        return size2, consistency_proof(size1, size2, nodes.__getitem__)

    def tree_root(self, size: int | None = None) -> tuple[int, bytes]:
        """``(size, root)`` of the tree of the first ``size`` records (default: all)."""
        with self._read() as session:
            size = self._tree_size(session, size)
            return size, root_hash(size, _frontier_subtrees(session, size))

    def tile(self, tile_level: int, index: int, width: int) -> bytes:
        """The C2SP hash tile ``(tile_level, index)`` of ``width`` hashes, concatenated (see
        `leolink.policy.tiles`); refused unless the log is large enough to fill it."""
        level = TILE_HEIGHT * tile_level
        first = index * TILE_WIDTH
        with self._read() as session:
            size = self._tree_size(session, None)
            if (first + width) << level > size or level > 62:
                raise NotFoundError(
                    f"tile {tile_level}/{index} of width {width} is not in a log of {size} records"
                )
            rows = session.execute(
                select(AuditTreeNodeRow.hash)
                .where(AuditTreeNodeRow.level == level)
                .where(AuditTreeNodeRow.idx >= first, AuditTreeNodeRow.idx < first + width)
                .order_by(AuditTreeNodeRow.idx)
            ).all()
        if len(rows) != width:
            raise StoreError(
                f"the audit log's Merkle tree lacks nodes of tile {tile_level}/{index}"
            )
        return b"".join(bytes(r[0]) for r in rows)

    def entry_tile(self, index: int, width: int) -> bytes:
        """The C2SP entry tile ``index``: the records' 32-byte hashes (the tree's entries)."""
        first = index * TILE_WIDTH
        with self._read() as session:
            size = self._tree_size(session, None)
            if first + width > size:
                raise NotFoundError(
                    f"entry tile {index} of width {width} is not in a log of {size}"
                )
            hashes = session.scalars(
                select(AuditRecordRow.hash)
                .where(AuditRecordRow.seq > first, AuditRecordRow.seq <= first + width)
                .order_by(AuditRecordRow.seq)
            ).all()
        return entry_bundle(bytes.fromhex(h) for h in hashes)

    @staticmethod
    def _tree_size(session: Session, size: int | None) -> int:
        head = session.get(AuditHeadRow, 1)
        total = head.seq if head is not None else 0
        if size is None:
            return total
        if not 0 <= size <= total:
            raise InputError(f"size={size} must be between 0 and the log's size {total}")
        return size

    def signing_keys(self) -> dict[str, Ed25519PublicKey]:
        """The public keys recorded as having signed, by key id."""
        with self._read() as session:
            return {
                r.key_id: public_key_from_hex(r.public_key)
                for r in session.scalars(select(SigningKeyRow))
            }

    def verify(
        self,
        trusted_keys: Iterable[Ed25519PublicKey] | None = None,
        *,
        anchors: Iterable[Checkpoint] = (),
        log_key: Verifier | None = None,
        earlier: Sequence[SignedCheckpoint] = (),
    ) -> ChainVerification:
        """Check the whole log: chain, checkpoints, signed head (see `leolink.policy.audit`).

        Signatures are trusted if made by ``trusted_keys``; by default by this store's own
        signing key when it has one, else by the keys recorded in the database (which someone
        able to rewrite the database could also replace: the result says so).  ``anchors``
        are checkpoints kept outside the database, checked like the ones inside.

        The Merkle tree is checked too: the records must hash to the root of the newest signed
        checkpoint note and extend every checkpoint note in ``earlier`` (saved by a verifier or
        a witness), all signed by ``log_key`` (by default the trusted key under this log's
        origin).  Only ``earlier`` catches a history rebuilt by someone holding the key.
        """
        note = ""
        if trusted_keys is not None:
            keys = {public_key_id(k): k for k in trusted_keys}
        elif (own := self._configured_public_key()) is not None:
            keys = {public_key_id(own): own}
        else:
            keys = self.signing_keys()
            note = " (signatures checked against the keys recorded in the database itself)"
        with self._read() as session:
            head = repo.head_row_to_checkpoint(session.get(AuditHeadRow, 1))
            cps = [
                repo.row_to_checkpoint(r)
                for r in session.scalars(
                    select(AuditCheckpointRow).order_by(AuditCheckpointRow.seq)
                )
            ]
            rows = session.execute(
                repo.audit_select().order_by(AuditRecordRow.seq).execution_options(yield_per=500)
            )
            records = [repo.row_to_audit_record(r) for r in rows]
            result = verify_chain(
                records, checkpoints=[*cps, *anchors], head=head, public_keys=keys
            )
            head_row = session.get(AuditHeadRow, 1)
            difference = first_difference(replay(records), tables_state(session))
            stored = session.execute(
                select(AuditTreeNodeRow.idx, AuditTreeNodeRow.hash)
                .where(AuditTreeNodeRow.level == 0)
                .order_by(AuditTreeNodeRow.idx)
                .execution_options(yield_per=5000)
            )
            leaf_problem = _stored_leaf_problem(records, ((int(i), bytes(h)) for i, h in stored))
        if leaf_problem is not None:
            result = _combine(result, False, *leaf_problem)
        if head_row is not None and (keys or log_key is not None):
            verifier = log_key or Verifier(head_row.origin, next(iter(keys.values())))
            latest = parse_checkpoint(head_row.note) if head_row.note else None
            tree = verify_log(records, latest=latest, earlier=earlier, verifier=verifier)
            result = _combine(result, tree.ok, tree.first_bad, tree.reason)
        if difference is not None:
            # The log itself may be sound: the tables were changed behind its back.
            result = _combine(result, False, difference.seq, difference.describe())
        return replace(result, reason=result.reason + note) if note else result

    def record_refusal(
        self,
        *,
        actor: str,
        role: str,
        method: str,
        path: str,
        status: int,
        problem: str,
        detail: str,
        suppressed: int = 0,
    ) -> AuditRecord:
        """Log a write the service refused (403/409): who (``actor``, ``role``), what
        (``method`` ``path``), and why (``problem``, ``detail``); ``suppressed`` counts this
        caller's refusals left out since (`leolink.service.refusals` bounds them).  It changes
        no policy state."""
        what = f"{method} {path}"[:200]
        why = detail.strip()[:2000] or problem
        with self._write(actor) as tx:
            after: dict[str, Any] = {
                "role": role,
                "method": method,
                "path": path[:2000],
                "status": int(status),
                "problem": problem,
                "suppressed_before": int(suppressed),
            }
            rec = tx.log("request.refuse", "request", what, None, after, why)
        return rec

    def geofence_opening(self, geofence_id: str) -> dict[str, Any]:
        """What an auditor is shown of a sealed fence: its commitment as logged, the salt and
        the text it commits to (check them with `leolink.policy.commitments.opening_matches`).
        """
        with self._read() as session:
            row = repo.get_geofence(session, geofence_id)
            if row.commitment_salt is None:
                raise PolicyStateError(
                    f"geofence {row.id!r} is not sealed: its records hold its area and reason"
                )
            fence = repo.row_to_geofence(row)
            opening: dict[str, Any] = {
                "id": fence.id,
                "commitment": repo.geofence_as_logged(row)["commitment"],
                "salt": row.commitment_salt,
                "area_geojson": fence.area_geojson,
                "cells": list(fence.cells),
                "reason": fence.reason,
            }
        return opening


# --- helpers ----------------------------------------------------------------------------------


def _combine(
    chain: ChainVerification, ok: bool, first_bad: int | None, reason: str
) -> ChainVerification:
    """The chain's verdict joined with the Merkle tree's."""
    if ok:
        return chain
    if chain.ok:
        return ChainVerification(False, chain.records, first_bad, reason)
    # The chain names the first bad record more sharply than a root mismatch ("one of 1..n").
    return ChainVerification(False, chain.records, chain.first_bad, f"{chain.reason}; {reason}")


def _stored_leaf_problem(
    records: Sequence[AuditRecord], stored: Iterable[tuple[int, bytes]]
) -> tuple[int, str] | None:
    """The first record whose leaf differs from the one the tree stored when it was appended:
    a record rewritten afterwards (chain recomputed and re-signed, but the tree's nodes left)
    is named exactly.  Whoever rewrites the nodes too is caught by an earlier checkpoint."""
    leaves = dict(stored)
    for rec in records:
        leaf = leaves.get(rec.seq - 1)
        if leaf is not None and leaf != record_leaf(rec):
            return rec.seq, (
                f"record {rec.seq} is not the record that was appended there: its leaf differs "
                "from the one the Merkle tree stored for it (it was rewritten afterwards)"
            )
    return None


def _check_size(size: int, total: int) -> None:
    if not 0 <= size <= total:
        raise InputError(f"size={size} must be between 0 and the log's size {total}")


def _nodes(session: Session, wanted: list[Subtree]) -> dict[Subtree, bytes]:
    """The stored hashes of complete subtrees ``wanted``, in one query."""
    if not wanted:
        return {}
    pairs = tuple_(AuditTreeNodeRow.level, AuditTreeNodeRow.idx)
    rows = session.execute(
        select(AuditTreeNodeRow.level, AuditTreeNodeRow.idx, AuditTreeNodeRow.hash).where(
            pairs.in_(sorted(set(wanted)))
        )
    )
    try:
        return dict(hashes_by_subtree(wanted, ((r[0], r[1], bytes(r[2])) for r in rows)))
    except LookupError as exc:
        raise StoreError(f"the audit log's Merkle tree is incomplete: {exc}") from exc


def _frontier_subtrees(session: Session, size: int) -> Callable[[Subtree], bytes]:
    """A subtree lookup holding the complete subtrees that make up the first ``size`` leaves."""
    wanted = [
        (level, (size >> (level + 1)) << 1)
        for level in range(size.bit_length())
        if size >> level & 1
    ]
    return _nodes(session, wanted).__getitem__


def _cell_statuses(session: Session, known: np.datetime64 | None) -> list[CellStatusChange]:
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


def _first_of_two_lifts(row: GeofenceRow | CellStatusRow, what: str, tx: UnitOfWork) -> bool:
    """Two operators put ``row`` in force, so two lift it: True (and the first recorded on the
    row) if ``tx.actor`` is the first; False if a different operator proposed the withdrawal
    and ``tx.actor`` completes it; `TwoPersonRuleError` if the same person asks again."""
    first = row.withdrawal_proposer
    if first is None:
        row.withdrawal_proposer, row.withdrawal_proposed_at = tx.actor, tx.now
        return True
    if same_person(first, tx.actor):
        since = format_instant(row.withdrawal_proposed_at or tx.now)
        raise TwoPersonRuleError(
            f"{tx.actor!r} already proposed to withdraw {what} (at {since}); two operators put "
            "it in force, so a second, different operator must confirm its withdrawal "
            "(two-person rule)"
        )
    return False


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"
