"""Database URLs and engines: a SQLite file by default, PostgreSQL by URL.

SQLite is set up for a store that several processes share: foreign keys on (SQLite leaves them
off), write-ahead logging so readers never block the writer, a 30 s busy timeout instead of
"database is locked", and write transactions that start with ``BEGIN IMMEDIATE``, which takes
the write lock at once: two writers can then not both read the audit chain's head and fork it.
Python's ``sqlite3`` issues its own ``BEGIN`` lazily, so it is switched off and SQLAlchemy's
``begin`` event issues the right one (the recipe of SQLAlchemy's SQLite dialect docs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import platformdirs
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from leolink.errors import StoreError

__all__ = ["WRITE_OPTION", "data_dir", "default_url", "make_engine", "normalise_url"]

#: Execution option that marks a connection as a writer (SQLite: ``BEGIN IMMEDIATE``).
WRITE_OPTION: Final = "leolink_write"

_BUSY_TIMEOUT_S: Final = 30.0


def data_dir() -> Path:
    """leolink's per-user data directory (``platformdirs.user_data_dir("leolink")``)."""
    return Path(platformdirs.user_data_dir("leolink", appauthor=False))


def default_url() -> str:
    """``sqlite:///<data dir>/leolink.db``, creating the directory if needed."""
    directory = data_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / 'leolink.db'}"


def normalise_url(url: str | URL) -> URL:
    """Parse a database URL; plain ``postgresql://`` gets the psycopg 3 driver.

    Anything but SQLite and PostgreSQL is refused: the store is tested on those two only.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"{url!r} is not a database URL: give e.g. 'sqlite:///path/to/leolink.db' or "
            "'postgresql+psycopg://user:password@host:5432/dbname'"
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"database {parsed.get_backend_name()!r} is not supported: use SQLite "
            "('sqlite:///path/to/leolink.db') or PostgreSQL ('postgresql+psycopg://...')"
        )
    return parsed


def make_engine(url: str | URL | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default: `default_url`), SQLite configured as described above."""
    parsed = normalise_url(url if url is not None else default_url())
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    in_memory = parsed.database in (None, "", ":memory:")
    if in_memory:
        # One shared connection, else every pooled connection would see its own empty database.
        kwargs.setdefault("poolclass", StaticPool)
    connect_args = {"timeout": _BUSY_TIMEOUT_S, "check_same_thread": False}
    engine = create_engine(parsed, connect_args=connect_args, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, see _sqlite_on_begin
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    writer = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")
