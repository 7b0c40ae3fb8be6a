"""Compiled geofence areas, and the vertices of each geofence's region.

Revision ID: 0007_compiled_areas
Revises: 0006_witnessed_checkpoints
Create Date: 2026-12-03

``compiled_areas`` keeps each geofence area compiled at a resolution (its interior and edge
cells, its repaired region as WKB), keyed by the area's content, so that a restarted server does
not parse and repair every region again (`leolink.policy._areas`).  ``geofences.vertices``
counts the positions of a region's rings, for the per-operator daily budget; rows written
before are counted as 0 (their proposals are older than a day).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_compiled_areas"
down_revision: str | None = "0006_witnessed_checkpoints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "compiled_areas",
        sa.Column("area_key", sa.String(length=64), nullable=False),
        sa.Column("resolution", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("interior", sa.LargeBinary(), nullable=False),
        sa.Column("boundary", sa.LargeBinary(), nullable=False),
        sa.Column("geometry_wkb", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("area_key", "resolution", name="pk_compiled_areas"),
    )
    with op.batch_alter_table("geofences") as batch:
        batch.add_column(sa.Column("vertices", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("geofences") as batch:
        batch.drop_column("vertices")
    op.drop_table("compiled_areas")
