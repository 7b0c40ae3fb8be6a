"""Terminal telemetry: the reports terminals post about themselves, evidence for forensics.

Revision ID: 0008_telemetry_reports
Revises: 0007_compiled_areas
Create Date: 2026-12-03

One row per (terminal, instant) in ``telemetry_reports`` (the primary key drops a report sent
twice), indexed by instant for the windows that `leolink forensics infer --db` reads.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_telemetry_reports"
down_revision: str | None = "0007_compiled_areas"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instant(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "telemetry_reports",
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        _instant("reported_at"),
        sa.Column("lat_deg", sa.Double(), nullable=True),
        sa.Column("lon_deg", sa.Double(), nullable=True),
        sa.Column("gps_valid", sa.Boolean(), nullable=False),
        sa.Column("gps_sats", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=True),
        sa.Column("disablement_code", sa.String(length=40), nullable=True),
        sa.Column("outage_cause", sa.String(length=40), nullable=True),
        sa.Column("pop_ping_latency_ms", sa.Double(), nullable=True),
        sa.Column("pop_ping_drop_rate", sa.Double(), nullable=True),
        _instant("received_at"),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["terminals.id"],
            name="fk_telemetry_reports_terminal_id_terminals",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("terminal_id", "reported_at", name="pk_telemetry_reports"),
    )
    op.create_index("ix_telemetry_reports_reported_at", "telemetry_reports", ["reported_at"])


def downgrade() -> None:
    op.drop_table("telemetry_reports")
