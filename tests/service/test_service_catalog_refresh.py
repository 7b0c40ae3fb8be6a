"""``leolink serve --catalog-refresh``: the service fetches a fresh catalog on a schedule from
a loopback HTTP server serving OMM fixtures (no Internet), keeping the source's usage rules."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.leolink_cli import run_leolink
from tests.orbits.test_archive import _omm_json

from leolink import api
from leolink.service import create_app
from leolink.service.catalog_refresh import parse_duration_s
from leolink.store import Store


@pytest.fixture
def source() -> Iterator[tuple[str, list[str]]]:
    """A loopback CelesTrak stand-in: 150 real element sets as OMM JSON; the requests it got."""
    body, asked = _omm_json(), []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("ETag", '"v1"')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            """Keep the test's output clean: no line per request on stderr."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/gp.php?GROUP=starlink&FORMAT=json", asked
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _wait_for(predicate: object, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the refresh did not happen"
        time.sleep(0.05)


def test_the_service_moves_to_the_fetched_catalog(
    store: Store, catalog: api.Catalog, source: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, asked = source
    app = create_app(
        store=store,
        catalog=catalog,
        catalog_refresh_s=0.1,
        catalog_source=url,
        catalog_dir=tmp_path,
    )
    state = app.state.leolink
    # The embedded catalog until the fetch is in: the refresher starts with the app (asserting
    # this inside the client raced the first fetch, which can land before the next line).
    assert len(state.catalog) == len(catalog)
    assert asked == []
    with TestClient(app) as client:
        _wait_for(lambda: len(state.catalog) == 150)
        refresher = state.catalog_refresher
        ticks = [refresher.last_result]
        _wait_for(lambda: refresher.last_result is not ticks[0])  # a later tick
        health = client.get("/v1/health").json()["catalog"]
        assert health["satellites"] == 150
        assert "is not asked again" in health["refresh"]
        sats = client.get("/v1/satellites").json()
        assert sats["count"] == len(sats["satellites"]["norad_id"]) <= 150
        # Ticks every 0.1 s, but the source was asked once: its data change at most every 2 h.
        assert len(asked) == 1
        assert state.decider.catalog is state.catalog
    assert not refresher._thread.is_alive()  # stopped with the app


def test_an_unreachable_source_keeps_the_catalog(
    store: Store, catalog: api.Catalog, tmp_path: Path
) -> None:
    app = create_app(
        store=store,
        catalog=catalog,
        catalog_refresh_s=3600,
        catalog_source="http://127.0.0.1:9/gp.php",
        catalog_dir=tmp_path,
    )
    state = app.state.leolink
    with TestClient(app) as client:
        _wait_for(lambda: state.catalog_refresher.last_error is not None)
        health = client.get("/v1/health").json()["catalog"]
        assert health["satellites"] == len(catalog)
        assert health["refresh"].startswith("the last refresh failed, the catalog in use stays")


def test_durations_and_bad_options() -> None:
    assert [parse_duration_s(t) for t in ("2h", "90m", "1d", "7200s", "30")] == [
        7200.0,
        5400.0,
        86400.0,
        7200.0,
        30.0,
    ]
    for bad in ("soon", "0h", "-2h", "2 weeks"):
        result = run_leolink("serve", "--catalog-refresh", bad, "--port", "0")
        assert result.returncode == 2
        assert "--catalog-refresh" in result.stderr
    both = run_leolink("serve", "--catalog-refresh", "2h", "--catalog", "x.tle", "--port", "0")
    assert both.returncode == 2
