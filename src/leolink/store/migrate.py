"""Run the store's Alembic migrations in code: no alembic.ini, no ``alembic`` command needed.

`upgrade` brings a database to the newest schema (creating it when empty); `Store.open` calls
it.  Two processes opening a new store at once do not race: the upgrade runs under the write
lock (SQLite ``BEGIN IMMEDIATE``, PostgreSQL an advisory transaction lock), and the second finds
the schema already current.

For maintainers, after changing `leolink.store.models`::

    python -m leolink.store.migrate revision "what changed"

writes a new revision module into ``migrations/versions`` by comparing the models with a
scratch SQLite database upgraded to the current head; review it before committing.
"""

from __future__ import annotations

import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from leolink.store.engine import WRITE_OPTION, make_engine

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade"]

#: Key of PostgreSQL's advisory lock taken while migrating ("leolink" in ASCII).
_PG_LOCK_KEY: Final = 0x6C656F6C696E6B


def _script_location() -> str:
    return str(Path(str(resources.files("leolink.store") / "migrations")))


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic `Config` pointing at the packaged migrations, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", _script_location())
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision the package ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the package ships at least one migration"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision a database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision`` in one transaction."""
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        command.upgrade(alembic_config(conn), revision)


def _new_revision(message: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{scratch}/scratch.db")
        try:
            upgrade(engine)
            with engine.begin() as conn:
                command.revision(alembic_config(conn), message=message, autogenerate=True)
        finally:
            engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit('usage: python -m leolink.store.migrate revision "what changed"')
    _new_revision(sys.argv[2])
