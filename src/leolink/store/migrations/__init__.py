"""Alembic migrations of the store, run in code by `leolink.store.migrate` (no alembic.ini)."""
