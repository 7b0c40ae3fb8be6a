"""Stores for the policy tests that go through a database.

``store`` runs a test on both databases (``db_url`` of ``tests/conftest.py``: a SQLite file and
a fresh PostgreSQL database); ``memory_store`` is an in-memory SQLite store for tests about
the engine rather than the database.  Both have a clock the test moves and a signing key in
the test's temporary directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from leolink.policy.scenarios import ScenarioClock
from leolink.store import Store


@pytest.fixture
def clock() -> ScenarioClock:
    """A clock at 2026-05-13T12:00Z; ``clock.set(instant)`` moves it forward."""
    return ScenarioClock(np.datetime64("2026-05-13T12:00:00", "ns"))


@pytest.fixture
def store(db_url: str, tmp_path: Path, clock: ScenarioClock) -> Iterator[Store]:
    """A migrated, empty store on SQLite and on PostgreSQL."""
    with Store.open(db_url, signing_key=tmp_path / "key.pem", clock=clock) as opened:
        yield opened


@pytest.fixture
def memory_store(tmp_path: Path, clock: ScenarioClock) -> Iterator[Store]:
    """A migrated, empty in-memory SQLite store."""
    with Store.open("sqlite://", signing_key=tmp_path / "key.pem", clock=clock) as opened:
        yield opened
