"""Fixtures shared by the test packages: an empty database on SQLite and on PostgreSQL.

PostgreSQL comes from ``LEOLINK_TEST_POSTGRES_URL`` (``scripts/test`` sets it), a URL of a role
that may create databases.  When it is unset, a throw-away cluster is started with
``scripts/postgres.sh`` for the test session and stopped afterwards.  If neither works the
PostgreSQL tests fail, with the reason: they are never skipped.  Each test gets a database of
its own, dropped afterwards.

Scheduling under pytest-xdist (``-n 2``): the long tests (marked ``slow``) are collected first,
so that they start early and no worker runs a long tail alone; and the distribution defaults to
``loadgroup`` (unless ``--dist`` is given), so that tests marked ``xdist_group`` (the web map's,
grouped by the service they use: ``tests/web/conftest.py``) run on one worker, which starts
that service once.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

POSTGRES_ENV = "LEOLINK_TEST_POSTGRES_URL"
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "postgres.sh"


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


@pytest.fixture(autouse=True, scope="session")
def _own_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The user's data directory of the session, empty: kept catalog snapshots and the default
    store of whoever runs the tests must not change what the tests see."""
    previous = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    try:
        yield
    finally:
        if previous is None:
            del os.environ["XDG_DATA_HOME"]
        else:
            os.environ["XDG_DATA_HOME"] = previous


def pytest_configure(config: pytest.Config) -> None:
    """Under xdist, distribute by ``loadgroup`` unless the command line chose a ``--dist``."""
    chosen = any(a == "-d" or a.startswith("--dist") for a in config.invocation_params.args)
    if getattr(config.option, "dist", "no") == "load" and not chosen:
        config.option.dist = "loadgroup"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules that have ``slow`` tests first, then the others, each in collected order
    (a module is not split: its module-scoped fixtures are set up once)."""
    slow = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow)
