"""Every store test runs twice: on a SQLite file and on a PostgreSQL database.

PostgreSQL comes from ``LEOLINK_TEST_POSTGRES_URL`` (``scripts/test`` sets it), a URL of a role
that may create databases.  When it is unset, a throw-away cluster is started with
``scripts/postgres.sh`` for the test session and stopped afterwards.  If neither works the
PostgreSQL tests fail, with the reason: they are never skipped.  Each test gets a database of
its own, dropped afterwards.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from leolink.store import Store, TwoPersonRule

POSTGRES_ENV = "LEOLINK_TEST_POSTGRES_URL"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres.sh"
T0 = np.datetime64("2026-05-13T12:00:00", "us")


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server whose role may create databases."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        yield url
        return
    env = {**os.environ, "LEOLINK_PG_DIR": f"{tempfile.gettempdir()}/leolink-pg-{uuid.uuid4().hex}"}
    started = subprocess.run(
        [str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if started.returncode != 0 or not started.stdout.strip():
        pytest.fail(
            f"PostgreSQL is needed for the store tests and could not be started with {SCRIPT} "
            f"(exit {started.returncode}):\n{started.stderr}\nSet {POSTGRES_ENV} to the URL of a "
            "server where the user may create databases, or fix the script's problem above.",
            pytrace=False,
        )
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(
            [str(SCRIPT), "stop"], env=env, capture_output=True, timeout=120, check=False
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/leolink.db"
        return
    server = make_url(request.getfixturevalue("postgres_server_url"))
    name = f"leolink_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


class Clock:
    """A clock for the store that starts at ``T0`` and ticks one second per reading."""

    def __init__(self, start: np.datetime64 = T0) -> None:
        self.now = start

    def __call__(self) -> np.datetime64:
        self.now = self.now + np.timedelta64(1, "s")
        return self.now

    def set(self, text: str) -> None:
        """Jump to an instant (the next reading is one second after it)."""
        self.now = np.datetime64(text.rstrip("Z"), "us") - np.timedelta64(1, "s")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "audit-signing-key.pem"


@pytest.fixture
def open_store(db_url: str, key_path: Path, clock: Clock) -> Iterator[Callable[..., Store]]:
    """Open (more) stores on the test's database; all are closed afterwards."""
    opened: list[Store] = []

    def _open(**options: object) -> Store:
        settings: dict[str, object] = {
            "signing_key": key_path,
            "checkpoint_every": 5,
            "clock": clock,
            "two_person": TwoPersonRule(max_area_km2=2_500.0, max_cells=10),
        }
        settings.update(options)
        store = Store.open(db_url, **settings)  # type: ignore[arg-type]
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[..., Store]) -> Store:
    """A migrated, empty store with a signing key in the test's temporary directory."""
    return open_store()


@pytest.fixture
def tamper(store: Store) -> Callable[..., None]:
    """Run SQL on the store's database behind its back, as someone tampering with it would."""

    def _tamper(*statements: str) -> None:
        with store.engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)

    return _tamper


@pytest.fixture
def fingerprint(store: Store) -> Callable[[], dict[str, object]]:
    """Rows per table plus the audit head: equal fingerprints mean nothing was written."""
    from leolink.store.models import Base

    def _fingerprint() -> dict[str, object]:
        with store.engine.connect() as conn:
            out: dict[str, object] = {
                t: conn.exec_driver_sql(f"SELECT COUNT(*) FROM {t}").scalar_one()
                for t in sorted(Base.metadata.tables)
            }
            out["head"] = tuple(conn.exec_driver_sql("SELECT seq, hash FROM audit_head").one())
        return out

    return _fingerprint
