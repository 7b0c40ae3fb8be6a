"""``leolink audit verify`` accounts for every table that holds state (`leolink.store.replay`):
logged ones replayed, derived ones (witnessed checkpoints, compiled areas) computed again,
telemetry named as not logged; each with its first difference."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
import shapely
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from leolink.cli.main import app
from leolink.geo import grid
from leolink.policy._areas import CompiledCells, area_cells, fence_area
from leolink.policy.records import GeofenceEffect, GeofenceSpec
from leolink.policy.tlog import sign_log_checkpoint
from leolink.store import Store
from leolink.store.signing import load_or_create_key
from tests.store.test_store_audit import fill

runner = CliRunner()

# A 1° square around Kyiv (lon, lat): some thirty res-5 cells inside, more on its edge.
AREA = {
    "type": "Polygon",
    "coordinates": [[[30.0, 50.0], [31.0, 50.0], [31.0, 51.0], [30.0, 51.0], [30.0, 50.0]]],
}


@pytest.fixture
def log(tmp_path: Path) -> tuple[str, Path]:
    """A store with terminals, a fence with a polygon (so a compiled area) and a checkpoint
    kept for the witnesses."""
    db, key = f"sqlite:///{tmp_path / 'log.db'}", tmp_path / "key.pem"
    with Store.open(db, signing_key=key) as store:
        fill(store, 3)
        spec = GeofenceSpec(name="kyiv", effect=GeofenceEffect.DENY, reason="r", area_geojson=AREA)
        fence = store.propose_geofence(spec, actor="op:alice", geofence_id="gf-1")
        # The proposal kept its compiled area, unless this process had compiled the same area
        # before (its own cache): keep it as the proposal does.
        area = fence_area(fence.area_geojson, fence.cells)
        inner, edge = area_cells(area, grid.DEFAULT_RESOLUTION)
        store.compiled_areas.save(
            area.key, grid.DEFAULT_RESOLUTION, CompiledCells(inner, edge, area.geometry_wkb())
        )
        store.witnessed.add(store.latest_checkpoint(), [])
        store.register_terminal(  # the kept checkpoint is of an earlier size than the log
            "UT-LATE", account="a", home_country="UA", customer_class="residential",
            actor="op:alice", reason="after",
        )  # fmt: skip
    return db, key


def verify(db: str, key: Path) -> tuple[int, dict[str, object]]:
    result = runner.invoke(
        app, ["audit", "verify", "--db", db, "--signing-key", str(key), "--format", "json"]
    )
    return result.exit_code, json.loads(result.output)


def tables(result: dict[str, object]) -> dict[str, dict[str, object]]:
    listed = result["tables"]
    assert isinstance(listed, list)
    return {t["table"]: t for t in listed}


def test_every_table_is_accounted_for(log):
    code, result = verify(*log)
    assert code == 0, result
    kinds = {name: (t["kind"], t["ok"], t["rows"]) for name, t in tables(result).items()}
    assert kinds["terminals"] == ("logged", True, 4)
    assert kinds["geofences"] == ("logged", True, 1)
    assert kinds["witnessed_checkpoints"] == ("derived", True, 1)
    assert kinds["compiled_areas"][:2] == ("derived", True)
    assert kinds["compiled_areas"][2] >= 1
    assert kinds["telemetry_reports"] == ("not logged", True, 0)
    assert {"country_statuses", "cell_statuses", "allowlist_memberships"} <= set(kinds)
    assert {"position_reports", "api_keys"} <= set(kinds)


def test_a_compiled_area_changed_in_sql_is_named(log):
    db, key = log
    with create_engine(db).begin() as conn:
        interior = conn.execute(text("SELECT interior FROM compiled_areas")).scalar_one()
        assert len(interior) >= 8
        conn.execute(text("UPDATE compiled_areas SET interior = :b"), {"b": interior[8:]})
    code, result = verify(db, key)
    assert code == 1
    found = tables(result)["compiled_areas"]["first_difference"]
    assert isinstance(found, str)
    assert "geofence 'gf-1'" in found
    assert "cells are not those the fence's area compiles to" in found
    assert "compiled_areas" in str(result["reason"])
    assert tables(result)["geofences"]["ok"] is True  # the fence itself is as logged


def test_a_compiled_region_changed_in_sql_is_named(log):
    db, key = log
    with create_engine(db).begin() as conn:
        # The region of another fence's area (a shifted square), as WKB.
        other = shapely.box(30.0, 50.0, 31.0, 50.9)
        conn.execute(text("UPDATE compiled_areas SET geometry_wkb = :b"), {"b": other.wkb})
    code, result = verify(db, key)
    assert code == 1
    assert "its region is not the fence's area" in str(
        tables(result)["compiled_areas"]["first_difference"]
    )


def test_a_kept_checkpoint_of_another_history_is_named(log):
    """The operator holds the key, so the forged note is validly signed: its root gives it away."""
    db, key = log
    with create_engine(db).begin() as conn:
        size, note = conn.execute(text("SELECT size, note FROM witnessed_checkpoints")).one()
        origin = note.splitlines()[0]
        forged = sign_log_checkpoint(
            origin, size, hashlib.sha256(b"another history").digest(), load_or_create_key(key)
        )
        conn.execute(text("UPDATE witnessed_checkpoints SET note = :n"), {"n": forged.note()})
    code, result = verify(db, key)
    assert code == 1
    found = str(tables(result)["witnessed_checkpoints"]["first_difference"])
    assert f"row {size}: its root is not the root of the log's first {size} records" in found
    assert base64.b64encode(forged.root).decode() not in found  # words, not hashes


def test_each_table_names_its_own_first_difference(log):
    db, key = log
    with create_engine(db).begin() as conn:
        conn.execute(text("UPDATE terminals SET account = 'stolen' WHERE id = 'UT-0001'"))
        conn.execute(text("UPDATE geofences SET name = 'renamed' WHERE id = 'gf-1'"))
    code, result = verify(db, key)
    assert code == 1
    listed = tables(result)
    assert "row 'UT-0001': account" in str(listed["terminals"]["first_difference"])
    assert "row 'gf-1': name" in str(listed["geofences"]["first_difference"])
    assert listed["api_keys"]["ok"] is True
