"""The API documentation served offline, and unknown query parameters refused by name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leolink import api
from leolink.service import create_app
from leolink.store import Store


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One service over an empty SQLite store for the whole module (nothing here writes)."""
    directory: Path = tmp_path_factory.mktemp("docs")
    with (
        Store.open(f"sqlite:///{directory}/leolink.db", signing_key=directory / "k.pem") as store,
        TestClient(
            create_app(store=store, catalog=api.load_catalog()), raise_server_exceptions=False
        ) as c,
    ):
        yield c


@pytest.mark.parametrize(
    ("page", "asset"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")]
)
def test_docs_pages_use_vendored_assets(client: TestClient, page: str, asset: str) -> None:
    html = client.get(page).text
    assert f"/docs-assets/{asset}" in html
    assert "cdn" not in html.lower()
    assert "fonts.googleapis" not in html
    script = client.get(f"/docs-assets/{asset}")
    assert script.status_code == 200
    assert len(script.content) > 500_000  # the real bundle, not a placeholder


def test_unknown_query_parameter_is_a_422_naming_it(client: TestClient) -> None:
    response = client.get("/v1/satellites", params={"at": "2026-05-13T12:00:00Z", "limt": "5"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert "'limt'" not in problem["detail"]
    assert problem["detail"].startswith("query.limt: unknown query parameter")
    assert "at" in problem["detail"].split("accepts:")[1]
    assert problem["errors"][0]["loc"] == ["query", "limt"]


def test_known_query_parameters_and_the_map_page_pass(client: TestClient) -> None:
    assert client.get("/v1/satellites", params={"at": "2026-05-13T12:00:00Z"}).status_code == 200
    assert client.get("/", params={"lat": "50", "lon": "30"}).status_code == 200
