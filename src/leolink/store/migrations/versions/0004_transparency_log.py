"""The audit log becomes a Merkle-tree transparency log: tree nodes, frontier, origin, note.

Revision ID: 0004_transparency_log
Revises: 0003_cell_statuses
Create Date: 2026-12-03

Adds ``audit_tree_nodes`` (every complete subtree of the RFC 9162 tree over the records) and,
on the head row, the log's ``origin``, the tree's ``frontier`` and the newest signed checkpoint
``note``.  Existing records are hashed into the tree here, in ``seq`` order; the first write
(or ``leolink audit checkpoint``) after the upgrade signs the first checkpoint note.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from leolink.policy.merkle import append_leaf, leaf_hash

revision: str = "0004_transparency_log"
down_revision: str | None = "0003_cell_statuses"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_ORIGIN = "leolink.local/audit"
_BATCH = 5_000


def upgrade() -> None:
    nodes = op.create_table(
        "audit_tree_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_audit_tree_nodes"),
    )
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(
            sa.Column("origin", sa.String(200), nullable=False, server_default=DEFAULT_ORIGIN)
        )
        batch.add_column(sa.Column("frontier", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))

    bind = op.get_bind()
    frontier: list[bytes] = []
    pending: list[dict[str, object]] = []
    result = bind.execute(sa.text("SELECT hash FROM audit_records ORDER BY seq")).all()
    for size, (hash_hex,) in enumerate(result):
        frontier, made = append_leaf(frontier, size, leaf_hash(bytes.fromhex(hash_hex)))
        pending += [{"level": lv, "idx": ix, "hash": h} for (lv, ix), h in made]
        if len(pending) >= _BATCH:
            bind.execute(nodes.insert(), pending)
            pending = []
    if pending:
        bind.execute(nodes.insert(), pending)
    bind.execute(
        sa.text("UPDATE audit_head SET frontier = :frontier WHERE id = 1"),
        {"frontier": b"".join(frontier)},
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("note")
        batch.drop_column("frontier")
        batch.drop_column("origin")
    op.drop_table("audit_tree_nodes")
