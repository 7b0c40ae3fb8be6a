"""Reconstructions of the past, and two-person lifts of what two people imposed.

Revision ID: 0005_reconstructions_and_lifts
Revises: 0004_transparency_log
Create Date: 2026-12-03

``reconstruction`` on geofences and country-status changes marks a record that describes the
past (a scenario of the public record loaded into a store): its valid time is history, its
recording is today.  ``withdrawal_proposer`` / ``withdrawal_proposed_at`` on geofences and
cell statuses hold the first of the two operators who lift a change that two operators put in
force (the second one withdraws it).  Existing rows are no reconstructions and have no
pending withdrawal.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_reconstructions_and_lifts"
down_revision: str | None = "0004_transparency_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTOR_LENGTH = 200


def _reconstruction() -> sa.Column[bool]:
    return sa.Column("reconstruction", sa.Boolean(), nullable=False, server_default=sa.false())


def upgrade() -> None:
    for table in ("geofences", "country_statuses"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(_reconstruction())
    for table in ("geofences", "cell_statuses"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("withdrawal_proposer", sa.String(_ACTOR_LENGTH)))
            batch.add_column(sa.Column("withdrawal_proposed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    for table in ("geofences", "cell_statuses"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("withdrawal_proposed_at")
            batch.drop_column("withdrawal_proposer")
    for table in ("geofences", "country_statuses"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("reconstruction")
