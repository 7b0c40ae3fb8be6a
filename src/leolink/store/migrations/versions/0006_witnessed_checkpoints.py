"""Checkpoints cosigned by witnesses: ``witnessed_checkpoints`` (size, note with cosignatures).

Revision ID: 0006_witnessed_checkpoints
Revises: 0005_reconstructions_and_lifts
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_witnessed_checkpoints"
down_revision: str | None = "0005_reconstructions_and_lifts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "witnessed_checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("size", name="pk_witnessed_checkpoints"),
    )


def downgrade() -> None:
    op.drop_table("witnessed_checkpoints")
