"""`Store`: the service-control data and its audit log, on SQLite or PostgreSQL.

The one entry point the service, the command line and the tests use.  It is made of parts,
one per kind of record, behind one unit of work (`leolink.store.unit_of_work`):

    statuses.py       CountryStatuses   country statuses
    cell_statuses.py  CellStatuses      Starlink's availability-map categories per cell
    geofences.py      Geofences         geofences and the members of allow-lists
    terminals.py      Terminals         terminals and their position reports
    apikeys.py        ApiKeys           API keys
    snapshots.py      Policy            the policy in force, read in one snapshot
    log.py            AuditLog          the audit log: records, checkpoints, proofs, verify

and side tables reached as attributes: `Store.telemetry`, `Store.idempotency`,
`Store.compiled_areas`, `Store.witnessed`.  Each public method of `Store` below is one of its
parts' methods (`_part`), so that there is one way to call each.

Every change is one transaction that (1) locks the head of the audit chain, (2) checks the
input against the current data, (3) makes the change, (4) appends its audit record (actor,
time, before, after, reason) to the hash chain, bumps the policy version when what is in force
changed, re-signs the chain's head and signs a checkpoint every ``checkpoint_every`` records,
and (5) commits; then the policy's subscribers are told (`Store.subscribe`).  If anything
fails, nothing of it is written: data and log stay consistent.  The lock is ``SELECT ... FOR
UPDATE`` on the head row in PostgreSQL and ``BEGIN IMMEDIATE`` in SQLite, so concurrent
writers, in threads or processes, queue up instead of forking the chain.

The two-person rule (`leolink.store.approval`): a country-status change, cell statuses that
withdraw service, and a geofence larger than `TwoPersonRule` allows are only *proposed* until
a second operator, different from the one who proposed (or last revised) it, approves it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from leolink.errors import InputError, StoreError
from leolink.limits import SERVICE_LIMITS, WorkLimits
from leolink.store.apikeys import ApiKeys
from leolink.store.areas import CompiledAreas
from leolink.store.cell_statuses import CellStatuses
from leolink.store.checks import TwoPersonRule, iso_alpha2
from leolink.store.engine import make_engine
from leolink.store.geofences import Geofences
from leolink.store.idempotency import IdempotencyKeys
from leolink.store.log import AuditLog
from leolink.store.migrate import current_revision, head_revision, upgrade
from leolink.store.snapshots import Policy
from leolink.store.statuses import CountryStatuses
from leolink.store.telemetry import TelemetryReports
from leolink.store.terminals import UNCHANGED, Terminals, Unchanged
from leolink.store.unit_of_work import Transactions
from leolink.store.witnessed import WitnessedCheckpoints
from leolink.time import parse_instant

__all__ = ["UNCHANGED", "Store", "Unchanged"]

P = ParamSpec("P")
R = TypeVar("R")


def _utc_now() -> np.datetime64:
    return parse_instant("now")


class _part(Generic[P, R]):  # noqa: N801 - read as a function: ``name = _part(...)``
    """A method of `Store` that is the method ``method`` of its part ``attribute``."""

    def __init__(self, attribute: str, method: Callable[Concatenate[Any, P], R]) -> None:
        self._attribute, self._name = attribute, method.__name__
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, store: None, owner: type[Store]) -> _part[P, R]: ...
    @overload
    def __get__(self, store: Store, owner: type[Store]) -> Callable[P, R]: ...
    def __get__(self, store: Store | None, owner: type[Store]) -> _part[P, R] | Callable[P, R]:
        if store is None:
            return self
        bound: Callable[P, R] = getattr(getattr(store, self._attribute), self._name)
        return bound


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
        self._db = Transactions(
            engine, signing_key=signing_key, checkpoint_every=checkpoint_every, clock=clock
        )
        self._statuses = CountryStatuses(self._db, country_code)
        self._cell_statuses = CellStatuses(self._db)
        self._geofences = Geofences(self._db, self.two_person, limits)
        self._terminals = Terminals(self._db, country_code)
        self._keys = ApiKeys(self._db)
        self._policy = Policy(self._db)
        self._log = AuditLog(self._db)

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
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` after every commit that changed the policy (its version went
        up), whoever wrote it through this store; returns the function that unsubscribes it.
        A service process re-reads its cached policy so (`leolink.service.state`)."""
        return self._db.subscribe(callback)

    def _signing_key(self) -> Ed25519PrivateKey:
        return self._db.signing_key()

    # --- side tables -------------------------------------------------------------------------

    @property
    def idempotency(self) -> IdempotencyKeys:
        """The idempotency keys of POSTs made through the service (`leolink.store.idempotency`)."""
        return IdempotencyKeys(self._db.write_sessions, self._db.now)

    @property
    def telemetry(self) -> TelemetryReports:
        """What terminals reported about themselves, for forensics (`leolink.store.telemetry`)."""
        return TelemetryReports(self._db.write_sessions, self._db.read_sessions, self._db.now)

    @property
    def compiled_areas(self) -> CompiledAreas:
        """Geofence areas compiled once, kept across restarts (`leolink.store.areas`)."""
        return CompiledAreas(self._db.write_sessions)

    @property
    def witnessed(self) -> WitnessedCheckpoints:
        """Checkpoints pushed to witnesses and their cosignatures (`leolink.store.witnessed`)."""
        return WitnessedCheckpoints(self._db.write_sessions)

    # --- country statuses (`leolink.store.statuses`) -----------------------------------------

    propose_country_status = _part("_statuses", CountryStatuses.propose)
    approve_country_status = _part("_statuses", CountryStatuses.approve)
    reject_country_status = _part("_statuses", CountryStatuses.reject)
    withdraw_country_status = _part("_statuses", CountryStatuses.withdraw)
    country_status = _part("_statuses", CountryStatuses.in_force)
    country_status_changes = _part("_statuses", CountryStatuses.changes)

    # --- cell statuses (`leolink.store.cell_statuses`) ---------------------------------------

    propose_cell_statuses = _part("_cell_statuses", CellStatuses.propose)
    approve_cell_statuses = _part("_cell_statuses", CellStatuses.approve)
    reject_cell_statuses = _part("_cell_statuses", CellStatuses.reject)
    withdraw_cell_statuses = _part("_cell_statuses", CellStatuses.withdraw)
    cell_status_changes = _part("_cell_statuses", CellStatuses.changes)
    cell_statuses_at = _part("_cell_statuses", CellStatuses.at)

    # --- geofences and allow-lists (`leolink.store.geofences`) -------------------------------

    propose_geofence = _part("_geofences", Geofences.propose)
    revise_geofence = _part("_geofences", Geofences.revise)
    approve_geofence = _part("_geofences", Geofences.approve)
    reject_geofence = _part("_geofences", Geofences.reject)
    withdraw_geofence = _part("_geofences", Geofences.withdraw)
    geofence = _part("_geofences", Geofences.get)
    geofences = _part("_geofences", Geofences.find)
    geofence_opening = _part("_geofences", Geofences.opening)
    add_to_allowlist = _part("_geofences", Geofences.add_members)
    remove_from_allowlist = _part("_geofences", Geofences.remove_members)
    allowlist_members = _part("_geofences", Geofences.members)

    # --- terminals and position reports (`leolink.store.terminals`) --------------------------

    register_terminal = _part("_terminals", Terminals.register)
    update_terminal = _part("_terminals", Terminals.update)
    terminal = _part("_terminals", Terminals.get)
    terminals = _part("_terminals", Terminals.find)
    report_positions = _part("_terminals", Terminals.report)
    position_reports = _part("_terminals", Terminals.reports)
    last_position_reports = _part("_terminals", Terminals.last_reports)

    # --- API keys (`leolink.store.apikeys`) --------------------------------------------------

    create_api_key = _part("_keys", ApiKeys.create)
    revoke_api_key = _part("_keys", ApiKeys.revoke)
    authenticate = _part("_keys", ApiKeys.authenticate)
    api_keys = _part("_keys", ApiKeys.find)

    # --- the policy in force (`leolink.store.snapshots`) -------------------------------------

    policy_version = _part("_policy", Policy.version)
    policy_version_seq = _part("_policy", Policy.version_seq)
    policy_at = _part("_policy", Policy.at)
    policy_history = _part("_policy", Policy.history)

    # --- the audit log (`leolink.store.log`) -------------------------------------------------

    audit_log = _part("_log", AuditLog.records)
    audit_head = _part("_log", AuditLog.head)
    checkpoints = _part("_log", AuditLog.checkpoints)
    checkpoint = _part("_log", AuditLog.checkpoint)
    latest_checkpoint = _part("_log", AuditLog.latest_checkpoint)
    log_verifier = _part("_log", AuditLog.verifier)
    log_origin = _part("_log", AuditLog.origin)
    sign_note = _part("_log", AuditLog.sign_note)
    inclusion_proof = _part("_log", AuditLog.inclusion_proof)
    consistency_proof = _part("_log", AuditLog.consistency_proof)
    tree_root = _part("_log", AuditLog.tree_root)
    tile = _part("_log", AuditLog.tile)
    entry_tile = _part("_log", AuditLog.entry_tile)
    signing_keys = _part("_log", AuditLog.signing_keys)
    verify = _part("_log", AuditLog.verify)
    record_refusal = _part("_log", AuditLog.record_refusal)
