"""``leolink availability import|compare``, in process (Typer's runner) on a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import geobuf
import numpy as np
from typer.testing import CliRunner

from leolink.cli.main import app
from leolink.policy.availability import MapSnapshot, load_vendored_snapshot, snapshot_to_geojson
from leolink.store import Store
from leolink.store.signing import load_or_create_key

RUNNER = CliRunner()


def _pb_of_categories(path: Path, categories: list[str]) -> Path:
    """A real availability-cells.pb of some categories of the vendored map, by geobuf's encoder."""
    snapshot = load_vendored_snapshot()
    keep = np.isin(np.asarray(snapshot.categories), categories)
    part = MapSnapshot(
        snapshot.cells[keep],
        tuple(np.asarray(snapshot.categories)[keep].tolist()),
        snapshot.published,
        snapshot.source,
    )
    path.write_bytes(geobuf.encode(snapshot_to_geojson(part)))
    return path


def test_import_a_pb_then_compare_with_the_vendored_map(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    key = str(tmp_path / "key.pem")
    load_or_create_key(key)  # --signing-key must name an existing key
    pb = _pb_of_categories(
        tmp_path / "availability-cells.pb",
        ["blacklisted", "waitlisted_Service_date_is_unknown_at_this_time", "test"],
    )
    imported = RUNNER.invoke(
        app,
        [
            "availability", "import", str(pb), "--published", "2025-01",
            "--effective-from", "2025-01-01T00:00:00Z", "--db", db, "--signing-key", key,
            "--format", "json",
        ],
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    rows = {r["category"]: r for r in json.loads(imported.stdout)}
    assert rows["blacklisted"]["state"] == "proposed"
    assert rows["blacklisted"]["cell_count"] == 297
    assert rows["test"]["state"] == "active"  # no effect on service: no second operator
    with Store.open(db, signing_key=key) as store:
        for r in rows.values():
            if r["state"] == "proposed":
                store.approve_cell_statuses(r["id"], actor="op:bob", reason="checked")
    compared = RUNNER.invoke(
        app,
        [
            "availability", "compare", "vendored", "--at", "2025-02-01T00:00:00Z",
            "--out-dir", str(tmp_path), "--db", db, "--signing-key", key, "--format", "json",
        ],
    )  # fmt: skip
    assert compared.exit_code == 0, compared.output
    result = json.loads(compared.stdout)
    categories = {c["key"]: c for c in result["categories"]}
    assert categories["blacklisted"]["agree"] == 297
    assert result["full_agreement"]
    assert json.loads((tmp_path / "availability-differences.geojson").read_text()) == {
        "type": "FeatureCollection",
        "features": [],
    }
    assert (tmp_path / "availability-compare.png").read_bytes()[:4] == b"\x89PNG"


def test_a_missing_snapshot_is_refused_with_exit_2(tmp_path: Path) -> None:
    result = RUNNER.invoke(
        app, ["availability", "compare", str(tmp_path / "nope.pb"), "--db", "sqlite://"]
    )
    assert result.exit_code != 0
    assert "is not a file" in str(result.exception) + result.output
