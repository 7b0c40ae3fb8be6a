"""Sealed geofences: the salt of a fence whose log records carry a commitment, not the text.

Revision ID: 0009_sealed_geofences
Revises: 0008_telemetry_reports
Create Date: 2026-12-10

``geofences.commitment_salt`` (64 hex digits) is set for a sealed (government) fence and NULL
otherwise; see `leolink.policy.commitments`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_sealed_geofences"
down_revision: str | None = "0008_telemetry_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("geofences") as batch:
        batch.add_column(sa.Column("commitment_salt", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("geofences") as batch:
        batch.drop_column("commitment_salt")
