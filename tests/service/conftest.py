"""The service under test: the app over an empty store (SQLite and PostgreSQL) and API keys.

``client`` talks to the app in process (Starlette's TestClient, no network); ``keys`` holds a
token per role, plus a second operator (``bob``) for the two-person rule and a terminal key
named after terminal ``UT-0001``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.service.service_helpers import Keys

from leolink import api
from leolink.policy.records import Role
from leolink.service import create_app
from leolink.store import Store, TwoPersonRule


@pytest.fixture(scope="session")
def catalog() -> api.Catalog:
    """The embedded real catalog (parsed once per process)."""
    return api.load_catalog()


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    """An empty, migrated store whose signing key is in the test's directory."""
    with Store.open(
        db_url,
        signing_key=tmp_path / "audit-signing-key.pem",
        two_person=TwoPersonRule(max_area_km2=2_500.0, max_cells=10),
    ) as opened:
        yield opened


@pytest.fixture
def app(store: Store, catalog: api.Catalog) -> FastAPI:
    """The service over ``store``.

    Tests change the store directly as well as through the API, so the service looks the
    policy version up before every decision here (in production: at most every 0.5 s).
    """
    application = create_app(store=store, catalog=catalog)
    application.state.leolink.decider.recheck_s = 0.0
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An in-process client of ``app`` (its lifespan runs around the test)."""
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def keys(store: Store) -> Keys:
    """One key per role (named after it), a second operator ``bob``, a terminal key UT-0001."""
    tokens = {
        role.value: store.create_api_key(role, name=role.value, actor="test", reason="fixture")[1]
        for role in Role
    }
    tokens["bob"] = store.create_api_key(Role.OPERATOR, name="bob", actor="test", reason="t")[1]
    tokens["UT-0001"] = store.create_api_key(
        Role.TERMINAL, name="UT-0001", actor="test", reason="fixture"
    )[1]
    return Keys(tokens)
