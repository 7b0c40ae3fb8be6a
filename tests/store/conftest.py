"""Every store test runs twice: on a SQLite file and on a PostgreSQL database.

The ``db_url`` fixture (one empty database per test, on both) lives in ``tests/conftest.py``,
shared with the service tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from leolink.store import Store, TwoPersonRule

T0 = np.datetime64("2026-05-13T12:00:00", "us")


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
