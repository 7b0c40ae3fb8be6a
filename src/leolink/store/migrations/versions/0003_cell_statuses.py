"""Cell statuses: Starlink's availability-map categories per H3 resolution-5 cell.

Revision ID: 0003_cell_statuses
Revises: 0002_idempotency_keys
Create Date: 2026-12-03

One row per (category, validity window, source) in ``cell_statuses`` and its cells in
``cell_status_cells`` (indexed by cell, as geofence cells are).  The category is free text:
Starlink's map gains categories, and an importer must keep every one of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_cell_statuses"
down_revision: str | None = "0002_idempotency_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = ("proposed", "approved", "active", "rejected", "withdrawn")


def _instant(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _string(name: str, length: int, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def upgrade() -> None:
    allowed = ", ".join(f"'{v}'" for v in _STATES)
    op.create_table(
        "cell_statuses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _string("category", 200),
        _instant("effective_from"),
        _instant("effective_until", nullable=True),
        _string("published", 64),
        sa.Column("source", sa.Text(), nullable=False),
        _string("state", 16),
        _string("proposer", 200),
        _string("approver", 200, nullable=True),
        _instant("proposed_at"),
        _instant("approved_at", nullable=True),
        _instant("rejected_at", nullable=True),
        _instant("withdrawn_at", nullable=True),
        sa.CheckConstraint(f"state IN ({allowed})", name="ck_cell_statuses_state_valid"),
        sa.CheckConstraint(
            "effective_until IS NULL OR effective_until > effective_from",
            name="ck_cell_statuses_window_order",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cell_statuses"),
    )
    op.create_index("ix_cell_statuses_state", "cell_statuses", ["state"])
    op.create_table(
        "cell_status_cells",
        sa.Column("cell_status_id", sa.Integer(), nullable=False),
        _string("cell", 15),
        sa.ForeignKeyConstraint(
            ["cell_status_id"],
            ["cell_statuses.id"],
            name="fk_cell_status_cells_cell_status_id_cell_statuses",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cell_status_id", "cell", name="pk_cell_status_cells"),
    )
    op.create_index("ix_cell_status_cells_cell", "cell_status_cells", ["cell"])


def downgrade() -> None:
    op.drop_table("cell_status_cells")
    op.drop_table("cell_statuses")
