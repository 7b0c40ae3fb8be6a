"""Catalog snapshots: ``update_catalog`` against a loopback HTTP server serving OMM fixtures.

The fixtures are real element sets (the first 150 of the embedded catalog) exported as
CelesTrak OMM JSON with the ``sgp4`` package's own exporter; a "later" fixture moves their
epochs 200 days on, as a catalog fetched 200 days later would have them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from sgp4.exporter import export_omm

from leolink import api
from leolink.errors import CatalogError
from leolink.orbits.archive import EMBEDDED_EPOCH, MIN_REFETCH_INTERVAL_S

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _omm_json(shift_days: float = 0.0, count: int = 150) -> bytes:
    catalog = api.load_catalog()
    records = []
    for name, satrec in zip(catalog.names[:count], catalog.satrecs[:count], strict=True):
        record = export_omm(satrec, name)
        epoch = datetime.fromisoformat(record["EPOCH"]) + timedelta(days=shift_days)
        record["EPOCH"] = epoch.strftime("%Y-%m-%dT%H:%M:%S.%f")
        records.append(record)
    return json.dumps(records).encode()


@dataclass
class Fixture:
    """What the loopback server serves and what it was asked."""

    body: bytes
    etag: str = '"v1"'
    status: int = 200
    requests: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[tuple[str, Fixture]]:
    fixture = Fixture(_omm_json())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fixture.requests.append(dict(self.headers))
            if fixture.status != 200:
                self.send_response(fixture.status)
                self.end_headers()
                self.wfile.write(b"GP data has not updated since your last successful download")
                return
            if self.headers.get("If-None-Match") == fixture.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("ETag", fixture.etag)
            self.send_header("Last-Modified", "Thu, 03 Dec 2026 10:00:00 GMT")
            self.end_headers()
            self.wfile.write(fixture.body)

        def log_message(self, *args: object) -> None:
            """Keep the test's output clean: no line per request on stderr."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/gp.php?GROUP=starlink&FORMAT=json", fixture
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_update_keeps_a_verified_dated_snapshot(
    server: tuple[str, Fixture], tmp_path: Path
) -> None:
    url, _fixture = server
    result = api.update_catalog(url, directory=tmp_path, now=NOW)
    assert result.outcome == "fetched"
    snapshot = result.snapshot
    assert snapshot is not None
    assert snapshot.path.is_file()
    assert snapshot.path.name == "starlink-20261203T120000Z.json.gz"
    assert snapshot.satellites == 150
    assert snapshot.etag == '"v1"'
    kept = api.load_catalog(snapshot.path)
    assert len(kept) == 150
    assert api.catalog_snapshots(tmp_path) == [snapshot]


def test_no_refetch_within_the_interval_then_a_conditional_request(
    server: tuple[str, Fixture], tmp_path: Path
) -> None:
    url, fixture = server
    api.update_catalog(url, directory=tmp_path, now=NOW)
    soon = api.update_catalog(url, directory=tmp_path, now=NOW + timedelta(minutes=30))
    assert soon.outcome == "too_soon"
    assert "90 min" in soon.message
    assert len(fixture.requests) == 1  # the source was not asked again
    later = NOW + timedelta(seconds=MIN_REFETCH_INTERVAL_S + 1)
    unchanged = api.update_catalog(url, directory=tmp_path, now=later)
    assert unchanged.outcome == "unchanged"
    assert fixture.requests[1]["If-None-Match"] == '"v1"'
    assert fixture.requests[1]["If-Modified-Since"] == "Thu, 03 Dec 2026 10:00:00 GMT"
    assert len(api.catalog_snapshots(tmp_path)) == 1


def test_a_refused_or_bad_answer_keeps_nothing(server: tuple[str, Fixture], tmp_path: Path) -> None:
    url, fixture = server
    fixture.status = 403
    with pytest.raises(CatalogError, match=r"HTTP 403.*has not updated"):
        api.update_catalog(url, directory=tmp_path, now=NOW)
    fixture.status, fixture.body = 200, _omm_json(count=20)
    later = NOW + timedelta(hours=3)
    with pytest.raises(CatalogError, match=r"holds 20 satellites.*not kept"):
        api.update_catalog(url, directory=tmp_path, now=later)
    assert api.catalog_snapshots(tmp_path) == []


def test_an_unreachable_source_says_the_catalog_in_use_stays(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"cannot reach .* the catalog in use is unchanged"):
        api.update_catalog("http://127.0.0.1:9/gp.php", directory=tmp_path, now=NOW)


def test_a_question_uses_the_snapshot_closest_to_its_instant(
    server: tuple[str, Fixture], tmp_path: Path
) -> None:
    url, fixture = server
    first = api.update_catalog(url, directory=tmp_path, now=NOW).snapshot
    fixture.body, fixture.etag = _omm_json(shift_days=200), '"v2"'
    second = api.update_catalog(url, directory=tmp_path, now=NOW + timedelta(days=1)).snapshot
    assert first is not None
    assert second is not None
    assert abs(first.epoch - EMBEDDED_EPOCH) < np.timedelta64(1, "D")
    assert api.catalog_path_for(None, tmp_path) == second  # newest by default
    late = second.epoch + np.timedelta64(3, "D")
    assert api.catalog_path_for(late, tmp_path) == second
    # At the embedded catalog's own date the embedded one is (at least) as close: it wins.
    assert api.catalog_path_for(EMBEDDED_EPOCH, tmp_path) in (None, first)
    catalog = api.load_catalog_for(late, tmp_path)
    assert catalog.source == str(second.path)
    assert catalog.days_from_epochs(late) == pytest.approx(3.0, abs=0.5)


def test_a_file_source_is_verified_and_kept(tmp_path: Path) -> None:
    source = tmp_path / "starlink.json"
    source.write_bytes(_omm_json())
    result = api.update_catalog(str(source), directory=tmp_path / "kept", now=NOW)
    assert result.outcome == "fetched"
    again = api.update_catalog(str(source), directory=tmp_path / "kept", now=NOW)
    assert again.outcome == "unchanged"


def test_embedded_epoch_is_the_embedded_catalogs_median() -> None:
    epochs = api.load_catalog().epochs.astype(np.int64)
    median = np.datetime64(int(np.median(epochs)), "ns")
    assert abs(median - EMBEDDED_EPOCH) < np.timedelta64(1, "s")
