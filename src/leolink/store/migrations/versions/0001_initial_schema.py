"""The initial schema: audit log, policy versions, country statuses, geofences, terminals, keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Written from ``alembic revision --autogenerate`` against `leolink.store.models` and tidied; it
uses plain SQLAlchemy types (a migration must not change when the models' Python types do).
The audit head row (``id`` 1, ``seq`` 0, no signature) is created here, so that the first
writer has a row to lock.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64


def _instant(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _string(name: str, length: int, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _one_of(table: str, column: str, values: Sequence[str]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{table}_{column}_valid")


CHANGE_STATES = ("proposed", "approved", "active", "rejected", "withdrawn")


def upgrade() -> None:
    # The audit log and what signs it.
    op.create_table(
        "signing_keys",
        _string("key_id", 16),
        _string("public_key", 64),
        _instant("created_at"),
        sa.PrimaryKeyConstraint("key_id", name="pk_signing_keys"),
    )
    op.create_table(
        "audit_records",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        _instant("ts"),
        _string("actor", 200),
        _string("action", 64),
        _string("entity", 32),
        _string("entity_id", 200),
        sa.Column("before", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("after", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        _string("prev_hash", 64),
        _string("hash", 64),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_records"),
    )
    op.create_index("ix_audit_records_entity_entity_id", "audit_records", ["entity", "entity_id"])
    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        _string("hash", 64),
        _instant("ts", nullable=True),
        _string("key_id", 16, nullable=True),
        _string("signature", 128, nullable=True),
        sa.CheckConstraint("id = 1", name="ck_audit_head_single_row"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    op.bulk_insert(audit_head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])
    op.create_table(
        "audit_checkpoints",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        _string("hash", 64),
        _instant("ts"),
        _string("key_id", 16),
        _string("signature", 128),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_checkpoints"),
    )
    op.create_table(
        "policy_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        _instant("created_at"),
        sa.Column("audit_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_policy_versions"),
    )

    # Policy.
    op.create_table(
        "country_statuses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _string("country_code", 2),
        _string("status", 32),
        _instant("effective_from"),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _string("state", 16),
        _string("proposer", 200),
        _string("approver", 200, nullable=True),
        _instant("proposed_at"),
        _instant("approved_at", nullable=True),
        _instant("rejected_at", nullable=True),
        _instant("withdrawn_at", nullable=True),
        _one_of(
            "country_statuses",
            "status",
            ("available", "waitlist", "coming_soon", "service_date_unknown", "blocked"),
        ),
        _one_of("country_statuses", "state", CHANGE_STATES),
        sa.PrimaryKeyConstraint("id", name="pk_country_statuses"),
    )
    op.create_index(
        "ix_country_statuses_country_code_effective_from",
        "country_statuses",
        ["country_code", "effective_from"],
    )
    op.create_table(
        "geofences",
        _string("id", 64),
        _string("name", 200),
        _string("effect", 16),
        sa.Column("area_geojson", sa.Text(), nullable=True),
        sa.Column("customer_classes", sa.JSON(none_as_null=True), nullable=True),
        _instant("window_start", nullable=True),
        _instant("window_end", nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("size_km2", sa.Double(), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        _string("state", 16),
        _string("proposer", 200),
        _string("approver", 200, nullable=True),
        _instant("proposed_at"),
        _instant("approved_at", nullable=True),
        _instant("rejected_at", nullable=True),
        _instant("withdrawn_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _one_of("geofences", "effect", ("deny", "allowlist")),
        _one_of("geofences", "state", CHANGE_STATES),
        sa.CheckConstraint(
            "window_start IS NULL OR window_end IS NULL OR window_end > window_start",
            name="ck_geofences_window_order",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_geofences"),
    )
    op.create_index("ix_geofences_state", "geofences", ["state"])
    op.create_table(
        "geofence_cells",
        _string("geofence_id", 64),
        _string("cell", 15),
        sa.ForeignKeyConstraint(
            ["geofence_id"],
            ["geofences.id"],
            name="fk_geofence_cells_geofence_id_geofences",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("geofence_id", "cell", name="pk_geofence_cells"),
    )
    op.create_index("ix_geofence_cells_cell", "geofence_cells", ["cell"])

    # Terminals and API keys.
    op.create_table(
        "terminals",
        _string("id", 64),
        _string("account", 200),
        _string("home_country", 2),
        _string("customer_class", 16),
        _string("plan", 16),
        _string("funding_party", 200, nullable=True),
        _string("state", 16),
        _instant("created_at"),
        _instant("updated_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        _one_of(
            "terminals",
            "customer_class",
            ("residential", "business", "maritime", "aviation", "government"),
        ),
        _one_of("terminals", "plan", ("standard", "roam")),
        _one_of("terminals", "state", ("active", "suspended", "deactivated")),
        sa.PrimaryKeyConstraint("id", name="pk_terminals"),
    )
    op.create_index("ix_terminals_account", "terminals", ["account"])
    op.create_table(
        "allowlist_memberships",
        _string("terminal_id", 64),
        _string("geofence_id", 64),
        _instant("added_at"),
        _string("added_by", 200),
        sa.ForeignKeyConstraint(
            ["geofence_id"],
            ["geofences.id"],
            name="fk_allowlist_memberships_geofence_id_geofences",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["terminals.id"],
            name="fk_allowlist_memberships_terminal_id_terminals",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("terminal_id", "geofence_id", name="pk_allowlist_memberships"),
    )
    op.create_index(
        "ix_allowlist_memberships_geofence_id", "allowlist_memberships", ["geofence_id"]
    )
    op.create_table(
        "position_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _string("terminal_id", 64),
        _instant("reported_at"),
        sa.Column("lat_deg", sa.Double(), nullable=False),
        sa.Column("lon_deg", sa.Double(), nullable=False),
        _string("cell", 15),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["terminals.id"],
            name="fk_position_reports_terminal_id_terminals",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_position_reports"),
    )
    op.create_index(
        "ix_position_reports_terminal_id_reported_at",
        "position_reports",
        ["terminal_id", "reported_at"],
    )
    op.create_index("ix_position_reports_cell", "position_reports", ["cell"])
    op.create_table(
        "api_keys",
        _string("id", 32),
        _string("name", 200),
        _string("role", 16),
        _string("salt", 32),
        _string("secret_hash", 64),
        _instant("created_at"),
        _string("created_by", 200),
        _instant("revoked_at", nullable=True),
        _one_of("api_keys", "role", ("viewer", "terminal", "operator", "auditor", "admin")),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
    )


def downgrade() -> None:
    for table in (
        "api_keys",
        "position_reports",
        "allowlist_memberships",
        "terminals",
        "geofence_cells",
        "geofences",
        "country_statuses",
        "policy_versions",
        "audit_checkpoints",
        "audit_head",
        "audit_records",
        "signing_keys",
    ):
        op.drop_table(table)
