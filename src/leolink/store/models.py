"""The database schema: SQLAlchemy 2 declarative models, the same on SQLite and PostgreSQL.

The Alembic migrations in ``migrations/versions`` create exactly this schema; a test compares
the two on both databases.  Rows are an implementation detail of `leolink.store.Store`, which
hands out the frozen records of `leolink.policy.records` instead.

Choices worth knowing:

- Vocabularies (statuses, states, roles) are short strings with CHECK constraints rather
  than native enums: readable in raw SQL, identical on both databases, and a new value is
  a constraint change rather than an ``ALTER TYPE``.
- Geofence cells live in a child table, one row per (geofence, cell) as 15-digit hex, not in
  a JSON list: the decision engine asks "which geofences hold this cell?", which an index on
  ``geofence_cells.cell`` answers on both databases, and the primary key removes duplicates.
- Instants are ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL and ISO text on SQLite, always UTC,
  read back as ``numpy.datetime64``; both keep microseconds.
- The audit tables have no foreign keys to the rest, nor to each other: the log must stay
  readable, and its checkpoints must survive, when rows elsewhere (or the log's own tail) are
  deleted, because that is exactly what verification has to detect.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final

import numpy as np
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from leolink.policy.records import (
    ChangeState,
    CountryStatus,
    CustomerClass,
    GeofenceEffect,
    Plan,
    Role,
    TerminalState,
)

__all__ = [
    "AllowlistMembershipRow",
    "ApiKeyRow",
    "AuditCheckpointRow",
    "AuditHeadRow",
    "AuditRecordRow",
    "AuditTreeNodeRow",
    "Base",
    "CellStatusCellRow",
    "CellStatusRow",
    "CountryStatusRow",
    "GeofenceCellRow",
    "GeofenceRow",
    "IdempotencyRow",
    "PolicyVersionRow",
    "PositionReportRow",
    "SigningKeyRow",
    "TelemetryReportRow",
    "TerminalRow",
    "UTCInstant",
]

#: Constraint names that do not depend on the database, so migrations can name them.
NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ACTOR_LENGTH: Final = 200
ID_LENGTH: Final = 64
CELL_LENGTH: Final = 15
ORIGIN_LENGTH: Final = 200


class UTCInstant(TypeDecorator[np.datetime64]):
    """A UTC instant: ``numpy.datetime64`` in Python, microseconds in the database.

    PostgreSQL keeps ``timestamptz``; SQLite, which has no time type, keeps SQLAlchemy's
    fixed-width ISO text of the naive UTC time, which sorts and compares correctly as text.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> _dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, np.datetime64):
            raise TypeError(f"expected a numpy.datetime64 UTC instant, got {value!r}")
        naive: _dt.datetime = value.astype("datetime64[us]").item()
        return naive if dialect.name == "sqlite" else naive.replace(tzinfo=_dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> np.datetime64 | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(_dt.UTC).replace(tzinfo=None)
        return np.datetime64(value, "ns")


def _one_of(column: str, values: type[Any]) -> CheckConstraint:
    """CHECK that ``column`` holds one of the values of the StrEnum ``values``."""
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_valid")


class Base(DeclarativeBase):
    """Declarative base with the naming convention and the instant type."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        np.datetime64: UTCInstant(),
        dict[str, Any]: JSON(none_as_null=True),
        list[Any]: JSON(none_as_null=True),
    }


# --- the audit log -------------------------------------------------------------------------


class SigningKeyRow(Base):
    """Public keys that have signed checkpoints, so verification needs no private key."""

    __tablename__ = "signing_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))  # raw Ed25519 key, hex
    created_at: Mapped[np.datetime64]


class AuditRecordRow(Base):
    """One record of the hash-chained log (see `leolink.policy.audit`)."""

    __tablename__ = "audit_records"
    __table_args__ = (Index(None, "entity", "entity_id"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ts: Mapped[np.datetime64]
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    before: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    after: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    reason: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The single row naming the newest record, signed; writers lock it to append.

    Row 1 is created by the first migration with ``seq`` 0 and no signature.
    """

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    ts: Mapped[np.datetime64 | None]
    key_id: Mapped[str | None] = mapped_column(String(16))
    signature: Mapped[str | None] = mapped_column(String(128))
    # The Merkle tree over the records (see `leolink.policy.merkle`): the log's origin line,
    # the tree's frontier (its parentless complete subtrees, largest first, 32 bytes each) and
    # the newest signed checkpoint note over (origin, seq, root).
    origin: Mapped[str] = mapped_column(String(ORIGIN_LENGTH))
    frontier: Mapped[bytes | None] = mapped_column(LargeBinary)
    note: Mapped[str | None] = mapped_column(Text)


class AuditTreeNodeRow(Base):
    """Every complete subtree of the Merkle tree, so that any proof reads O(log n) rows."""

    __tablename__ = "audit_tree_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditCheckpointRow(Base):
    """A kept signature over one record's (seq, hash), every N records and on demand."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    ts: Mapped[np.datetime64]
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(128))


class PolicyVersionRow(Base):
    """One row per policy version: bumped by every change to what is in force."""

    __tablename__ = "policy_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[np.datetime64]
    audit_seq: Mapped[int] = mapped_column(BigInteger)


# --- policy ---------------------------------------------------------------------------------


class CountryStatusRow(Base):
    """A proposed or decided change of one country's status, effective from an instant."""

    __tablename__ = "country_statuses"
    __table_args__ = (
        _one_of("status", CountryStatus),
        _one_of("state", ChangeState),
        Index(None, "country_code", "effective_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    country_code: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(32))
    effective_from: Mapped[np.datetime64]
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    proposer: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    approver: Mapped[str | None] = mapped_column(String(ACTOR_LENGTH))
    proposed_at: Mapped[np.datetime64]
    approved_at: Mapped[np.datetime64 | None]
    rejected_at: Mapped[np.datetime64 | None]
    withdrawn_at: Mapped[np.datetime64 | None]
    #: It describes the past (a reconstruction of the public record), recorded later.
    reconstruction: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CellStatusRow(Base):
    """A set of cells in one category of Starlink's availability map, from an instant on.

    The category is free text (the map gains categories; an importer must take them all);
    its effect on service is derived from it (`leolink.policy.records.cell_category_effect`).
    """

    __tablename__ = "cell_statuses"
    __table_args__ = (
        _one_of("state", ChangeState),
        CheckConstraint(
            "effective_until IS NULL OR effective_until > effective_from",
            name="window_order",
        ),
        Index(None, "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[np.datetime64]
    effective_until: Mapped[np.datetime64 | None]
    published: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    proposer: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    approver: Mapped[str | None] = mapped_column(String(ACTOR_LENGTH))
    proposed_at: Mapped[np.datetime64]
    approved_at: Mapped[np.datetime64 | None]
    rejected_at: Mapped[np.datetime64 | None]
    withdrawn_at: Mapped[np.datetime64 | None]
    #: The first of two operators lifting statuses that two put in force (see the store).
    withdrawal_proposer: Mapped[str | None] = mapped_column(String(ACTOR_LENGTH))
    withdrawal_proposed_at: Mapped[np.datetime64 | None]

    cells: Mapped[list[CellStatusCellRow]] = relationship(
        cascade="all, delete-orphan", order_by="CellStatusCellRow.cell", lazy="selectin"
    )


class CellStatusCellRow(Base):
    """One H3 resolution-5 cell of a cell-status change."""

    __tablename__ = "cell_status_cells"
    __table_args__ = (Index(None, "cell"),)

    cell_status_id: Mapped[int] = mapped_column(
        ForeignKey("cell_statuses.id", ondelete="CASCADE"), primary_key=True
    )
    cell: Mapped[str] = mapped_column(String(CELL_LENGTH), primary_key=True)


class GeofenceRow(Base):
    """A geofence; ``version`` is SQLAlchemy's optimistic-concurrency counter."""

    __tablename__ = "geofences"
    __table_args__ = (
        _one_of("effect", GeofenceEffect),
        _one_of("state", ChangeState),
        CheckConstraint(
            "window_start IS NULL OR window_end IS NULL OR window_end > window_start",
            name="window_order",
        ),
        Index(None, "state"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    effect: Mapped[str] = mapped_column(String(16))
    area_geojson: Mapped[str | None] = mapped_column(Text)
    customer_classes: Mapped[list[Any] | None]
    window_start: Mapped[np.datetime64 | None]
    window_end: Mapped[np.datetime64 | None]
    reason: Mapped[str] = mapped_column(Text)
    size_km2: Mapped[float] = mapped_column(Double)
    #: Positions of its GeoJSON region's rings (the per-operator daily budget counts them).
    vertices: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    needs_approval: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    proposer: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    approver: Mapped[str | None] = mapped_column(String(ACTOR_LENGTH))
    proposed_at: Mapped[np.datetime64]
    approved_at: Mapped[np.datetime64 | None]
    rejected_at: Mapped[np.datetime64 | None]
    withdrawn_at: Mapped[np.datetime64 | None]
    version: Mapped[int] = mapped_column(Integer)
    #: It describes the past (a reconstruction of the public record), recorded later.
    reconstruction: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The first of two operators lifting a geofence that two put in force (see the store).
    withdrawal_proposer: Mapped[str | None] = mapped_column(String(ACTOR_LENGTH))
    withdrawal_proposed_at: Mapped[np.datetime64 | None]
    #: Set for a sealed fence: its records hold a commitment (`leolink.policy.commitments`).
    commitment_salt: Mapped[str | None] = mapped_column(String(64))

    cell_rows: Mapped[list[GeofenceCellRow]] = relationship(
        cascade="all, delete-orphan", order_by="GeofenceCellRow.cell", lazy="selectin"
    )

    @property
    def cells(self) -> tuple[str, ...]:
        """Its H3 cells, sorted (what `leolink.policy.records.Geofence` reads)."""
        return tuple(sorted(c.cell for c in self.cell_rows))

    @property
    def sealed(self) -> bool:
        """Whether its records hold a commitment to its area and reason (it has a salt)."""
        return self.commitment_salt is not None

    # The store sets ``version`` itself (+1 per change, cells included); SQLAlchemy adds
    # ``WHERE version = <old>`` to each UPDATE as a second guard against lost updates.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012


class GeofenceCellRow(Base):
    """One H3 cell of a geofence's area."""

    __tablename__ = "geofence_cells"
    __table_args__ = (Index(None, "cell"),)

    geofence_id: Mapped[str] = mapped_column(
        ForeignKey("geofences.id", ondelete="CASCADE"), primary_key=True
    )
    cell: Mapped[str] = mapped_column(String(CELL_LENGTH), primary_key=True)


class TerminalRow(Base):
    """A user terminal and its account; ``version`` counts its changes."""

    __tablename__ = "terminals"
    __table_args__ = (
        _one_of("customer_class", CustomerClass),
        _one_of("plan", Plan),
        _one_of("state", TerminalState),
        Index(None, "account"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    account: Mapped[str] = mapped_column(String(200))
    home_country: Mapped[str] = mapped_column(String(2))
    customer_class: Mapped[str] = mapped_column(String(16))
    plan: Mapped[str] = mapped_column(String(16))
    funding_party: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[np.datetime64]
    updated_at: Mapped[np.datetime64]
    version: Mapped[int] = mapped_column(Integer)

    allowlist_rows: Mapped[list[AllowlistMembershipRow]] = relationship(
        cascade="all, delete-orphan",
        order_by="AllowlistMembershipRow.geofence_id",
        lazy="selectin",
    )

    @property
    def allowlists(self) -> tuple[str, ...]:
        """The allow-list geofences it is in, sorted (what `leolink.policy.records.Terminal`
        reads)."""
        return tuple(sorted(m.geofence_id for m in self.allowlist_rows))

    # The store sets ``version`` itself (+1 per change, cells included); SQLAlchemy adds
    # ``WHERE version = <old>`` to each UPDATE as a second guard against lost updates.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012


class AllowlistMembershipRow(Base):
    """A terminal registered in an allow-list geofence."""

    __tablename__ = "allowlist_memberships"
    __table_args__ = (Index(None, "geofence_id"),)

    terminal_id: Mapped[str] = mapped_column(
        ForeignKey("terminals.id", ondelete="CASCADE"), primary_key=True
    )
    geofence_id: Mapped[str] = mapped_column(
        ForeignKey("geofences.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[np.datetime64]
    added_by: Mapped[str] = mapped_column(String(ACTOR_LENGTH))


class PositionReportRow(Base):
    """A position a terminal reported, with the H3 cell it falls in."""

    __tablename__ = "position_reports"
    __table_args__ = (Index(None, "terminal_id", "reported_at"), Index(None, "cell"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id", ondelete="CASCADE"))
    reported_at: Mapped[np.datetime64]
    lat_deg: Mapped[float] = mapped_column(Double)
    lon_deg: Mapped[float] = mapped_column(Double)
    cell: Mapped[str] = mapped_column(String(CELL_LENGTH))


class TelemetryReportRow(Base):
    """A terminal's own report in the dish API's vocabulary (`leolink.forensics.reports`).

    One per (terminal, instant): the primary key drops a report sent twice.  Names
    (``state``, ``disablement_code``, ``outage_cause``) are kept as the dish sends them, checked
    against the vocabularies on the way in.
    """

    __tablename__ = "telemetry_reports"
    __table_args__ = (Index(None, "reported_at"),)

    terminal_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("terminals.id", ondelete="CASCADE"), primary_key=True
    )
    reported_at: Mapped[np.datetime64] = mapped_column(primary_key=True)
    lat_deg: Mapped[float | None] = mapped_column(Double)
    lon_deg: Mapped[float | None] = mapped_column(Double)
    gps_valid: Mapped[bool] = mapped_column(Boolean)
    gps_sats: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str | None] = mapped_column(String(32))
    disablement_code: Mapped[str | None] = mapped_column(String(40))
    outage_cause: Mapped[str | None] = mapped_column(String(40))
    pop_ping_latency_ms: Mapped[float | None] = mapped_column(Double)
    pop_ping_drop_rate: Mapped[float | None] = mapped_column(Double)
    received_at: Mapped[np.datetime64]


class ApiKeyRow(Base):
    """An API key: its role and an HMAC-SHA256 of its secret under a per-key salt."""

    __tablename__ = "api_keys"
    __table_args__ = (_one_of("role", Role),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    salt: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[np.datetime64]
    created_by: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    revoked_at: Mapped[np.datetime64 | None]


class IdempotencyRow(Base):
    """A POST sent with an ``Idempotency-Key``: who sent it, a fingerprint of the request and,
    once answered, the response to replay (``status`` None while the first is in flight)."""

    __tablename__ = "idempotency_keys"

    #: SHA-256 of the request's credentials (empty for none): keys are per client.
    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    #: SHA-256 of the method, path, query and body.
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[np.datetime64]
    status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)


class CompiledAreaRow(Base):
    """A geofence area compiled at one resolution (`leolink.policy._areas.compiled_area_cells`):
    its interior and edge cells (sorted ``uint64``, little-endian) and its repaired region as
    WKB, keyed by the area's content, so that no process parses or repairs it again."""

    __tablename__ = "compiled_areas"

    area_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    resolution: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    interior: Mapped[bytes] = mapped_column(LargeBinary)
    boundary: Mapped[bytes] = mapped_column(LargeBinary)
    geometry_wkb: Mapped[bytes | None] = mapped_column(LargeBinary)


class WitnessedCheckpointRow(Base):
    """A checkpoint note pushed to the witnesses, with the cosignatures gathered so far (the
    service publishes the newest one whose cosignatures meet its witness policy)."""

    __tablename__ = "witnessed_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    note: Mapped[str] = mapped_column(Text)
