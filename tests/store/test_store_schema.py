"""The migrations create exactly the models' schema, on SQLite and PostgreSQL; URLs; pragmas."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from leolink.errors import StoreError
from leolink.store import Store, default_url, make_engine, upgrade
from leolink.store.engine import normalise_url
from leolink.store.migrate import alembic_config, current_revision, head_revision
from leolink.store.models import Base


def schema_diffs(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_upgrade_on_an_empty_database_gives_the_models_schema(db_url: str):
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert tables == set(Base.metadata.tables) | {"alembic_version"}
        with engine.connect() as conn:
            head = conn.exec_driver_sql("SELECT id, seq, hash, signature FROM audit_head").all()
        assert head == [(1, 0, "0" * 64, None)]
    finally:
        engine.dispose()
    assert schema_diffs(db_url) == []


def test_upgrade_is_idempotent_and_downgrade_undoes_it(db_url: str):
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        upgrade(engine)  # a second open of the same store changes nothing
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
    assert schema_diffs(db_url) == []


def test_open_without_migrating_refuses_an_old_schema(db_url: str, tmp_path: Path):
    with pytest.raises(StoreError, match="migrate=True"):
        Store.open(db_url, migrate=False, signing_key=tmp_path / "k.pem")
    Store.open(db_url, signing_key=tmp_path / "k.pem").close()
    Store.open(db_url, migrate=False, signing_key=tmp_path / "k.pem").close()


def test_sqlite_has_foreign_keys_and_write_ahead_logging(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 30_000
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_one_database_for_the_whole_store(tmp_path: Path):
    with Store.open("sqlite://", signing_key=tmp_path / "k.pem") as store:
        store.create_api_key("viewer", name="map", actor="admin", reason="test")
        assert len(store.api_keys()) == 1
        assert store.verify().ok


def test_default_url_is_a_sqlite_file_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    url = default_url()
    assert url == f"sqlite:///{tmp_path}/xdg/leolink/leolink.db"
    assert (tmp_path / "xdg" / "leolink").is_dir()


def test_urls_are_normalised_and_other_databases_refused():
    assert normalise_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"
    with pytest.raises(StoreError, match="not supported"):
        normalise_url("mysql://u:p@h/db")
    with pytest.raises(StoreError, match="not a database URL"):
        normalise_url("leolink.db")
