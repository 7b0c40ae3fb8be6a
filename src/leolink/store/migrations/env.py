"""Alembic's environment for the store: runs on the connection `leolink.store.migrate` gives.

There is no alembic.ini and no offline (SQL script) mode: migrations always run in code, on a
connection that is already in a transaction, so the whole upgrade commits or rolls back as one.
"""

from __future__ import annotations

from alembic import context

from leolink.errors import StoreError
from leolink.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise StoreError(
        "leolink's migrations run in code only: call leolink.store.migrate.upgrade(engine)"
    )
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    compare_type=True,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
)
with context.begin_transaction():
    context.run_migrations()
