"""The service-control commands, run as a user runs them: in process (`run_leolink`), and the
first through the installed ``leolink`` script.

The user's data directory (the default store and signing key) is a temporary one
(``XDG_DATA_HOME``), so nothing touches the real one.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from leolink.geo import grid
from leolink.limits import COMMAND_LINE_LIMITS
from leolink.policy import _areas
from leolink.policy.defaults import load_default_dataset
from leolink.policy.records import GeofenceSpec
from leolink.store import Store
from tests.leolink_cli import CliResult, run_leolink
from tests.store.test_store_compiled_areas import (
    CENTRE_LAT_DEG,
    CENTRE_LON_DEG,
    forget_process_caches,
    hostile_region,
)

DATA = Path(__file__).resolve().parents[1] / "policy" / "data"
DECISION_FIELDS = {
    "allowed",
    "code",
    "reasons",
    "cell",
    "country",
    "country_status",
    "rules",
    "policy_version",
    "serving",
}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "COLUMNS": "250"}


def run(env: dict[str, str], *args: str, code: int = 0, installed: bool = False) -> CliResult:
    result = run_leolink(*args, env=env, installed=installed)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def refused(env: dict[str, str], *args: str) -> str:
    """Run a command that must refuse its input: exit 2, one clear message, no traceback."""
    result = run(env, *args, code=2)
    assert result.stderr.startswith("error: ")
    return result.stderr


def test_check_seeds_the_default_store_and_prints_the_decision(env: dict[str, str]) -> None:
    kyiv = run(
        env,
        "check",
        *("--lat", "50.4501", "--lon", "30.5234", "--at", "2026-05-13T12:00:00Z"),
        installed=True,
    )
    assert "seeded the default store with the default policy policy-defaults-2026-05" in kyiv.stderr
    decision = json.loads(kyiv.stdout)
    assert set(decision) == DECISION_FIELDS
    assert (decision["allowed"], decision["code"], decision["country"]) == (True, "OKAY", "UA")
    assert decision["serving"]["elevation_deg"] >= 25.0
    assert decision["cell"] == grid.cells_to_hex(grid.latlng_to_cells(50.4501, 30.5234, 5))[0]
    taipei = run(env, "check", "--lat", "25.033", "--lon", "121.5654", "--no-satellites")
    assert "seeded" not in taipei.stderr  # only the first use seeds
    decision = json.loads(taipei.stdout)
    assert (decision["code"], decision["country_status"]) == (
        "UNLICENSED_COUNTRY",
        "service_date_unknown",
    )
    assert decision["reasons"][0].startswith(
        "Taiwan (TW): service date unknown — Starlink has not been licensed there"
    )


def test_check_refuses_bad_input_with_one_message(env: dict[str, str], tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    assert "no terminal with id 'UT-404'" in refused(
        env, "check", "--lat", "50", "--lon", "30", "--terminal", "UT-404", "--db", db
    )
    assert "is not a position" in refused(env, "check", "--lat", "95", "--lon", "30", "--db", db)
    assert "not an ISO 8601 UTC instant" in refused(
        env, "check", "--lat", "50", "--lon", "30", "--at", "yesterday", "--db", db
    )


def test_load_defaults_is_idempotent_and_audit_verify_finds_tampering(
    env: dict[str, str], tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    n = len(load_default_dataset().statuses)
    first = json.loads(run(env, "policy", "load-defaults", "--db", db).stdout)
    assert (first["proposed"], first["approved"], first["unchanged"]) == (n, n, 0)
    second = json.loads(run(env, "policy", "load-defaults", "--db", db).stdout)
    assert (second["proposed"], second["unchanged"]) == (0, n)
    ok = json.loads(run(env, "audit", "verify", "--db", db).stdout)
    records = 2 * n + 2 * first["cell_categories"]  # each status and map category: propose, approve
    assert (ok["ok"], ok["records"], ok["first_bad"]) == (True, records, None)
    with sqlite3.connect(tmp_path / "p.db") as conn:
        conn.execute("UPDATE audit_records SET reason = 'nothing to see' WHERE seq = 7")
    bad = json.loads(run(env, "audit", "verify", "--db", db, code=1).stdout)
    assert (bad["ok"], bad["first_bad"]) == (False, 7)


def test_scenario_commands(env: dict[str, str]) -> None:
    listed = run(env, "scenario", "list", "--format", "json")
    assert "crimea-2022" in {row["name"] for row in json.loads(listed.stdout)}
    crimea = run(env, "scenario", "run", "crimea-2022", "--format", "table")
    assert "PASS: 9 of 9 steps run, 0 mismatch(es)" in crimea.stderr
    assert "BLOCKED_AREA (allowed=false)" in crimea.stdout
    wrong = run(
        env, "scenario", "run", str(DATA / "wrong-expectation.yaml"), "--format", "table", code=1
    )
    assert "FAIL: 4 of 4 steps run, 1 mismatch(es)" in wrong.stderr
    out = json.loads(
        run(
            env, "scenario", "run", str(DATA / "wrong-expectation.yaml"), "--format", "json", code=1
        ).stdout
    )
    assert [s["ok"] for s in out["steps"]] == [True, True, False, True]
    assert "no scenario 'atlantis'" in refused(env, "scenario", "run", "atlantis")
    duplicate = refused(env, "scenario", "run", str(DATA / "bad-step.yaml"))
    assert (
        "step 2 (register_terminal) was refused: terminal 'T-1' is already registered" in duplicate
    )
    unknown = refused(env, "scenario", "run", str(DATA / "bad-country.yaml"))
    assert "unknown country code 'XX'" in unknown
    effect = refused(env, "scenario", "run", str(DATA / "bad-geofence.yaml"))
    assert "bad-geofence.yaml step 1: effect: Input should be 'deny' or 'allowlist'" in effect


def test_enforce_reports_and_suspends(env: dict[str, str], tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'e.db'}"
    with Store.open(db, signing_key=tmp_path / "k.pem") as store:
        change = store.propose_country_status(
            "RU",
            "blocked",
            effective_from="2020-01-01T00:00:00Z",
            source="s",
            actor="a",
            reason="r",
        )
        store.approve_country_status(change.id, actor="b", reason="r")
        store.register_terminal(
            "KZ-1",
            account="x",
            home_country="KZ",
            customer_class="residential",
            actor="a",
            reason="r",
        )
        store.report_positions("KZ-1", "2026-02-01T00:00:00Z", 55.7558, 37.6173, actor="t")
    key = ["--signing-key", str(tmp_path / "k.pem")]
    found = json.loads(run(env, "terminals", "enforce", "--db", db, *key).stdout)
    assert [v["terminal_id"] for v in found["violations"]] == ["KZ-1"]
    assert found["violations"][0]["codes"] == ["BLOCKED_COUNTRY"]
    assert "--suspend needs --reason" in refused(
        env, "terminals", "enforce", "--db", db, "--suspend"
    )
    done = json.loads(
        run(
            env,
            "terminals",
            "enforce",
            "--db",
            db,
            *key,
            "--suspend",
            "--actor",
            "op:trust",
            "--reason",
            "reports from Russia",
        ).stdout
    )
    assert done["suspensions"] == [{"terminal_id": "KZ-1", "outcome": "suspended"}]
    with Store.open(db, signing_key=tmp_path / "k.pem") as store:
        assert store.terminal("KZ-1").state.value == "suspended"
        assert store.audit_log(entity_id="KZ-1", limit=None)[-1].actor == "op:trust"


def test_geofence_impact_and_its_refusals(env: dict[str, str], tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'i.db'}"
    with Store.open(db, signing_key=tmp_path / "k.pem") as store:
        store.register_terminal(
            "UA-1",
            account="x",
            home_country="UA",
            customer_class="residential",
            actor="a",
            reason="r",
        )
        store.report_positions("UA-1", "2026-05-01T00:00:00Z", 44.6167, 33.5254, actor="t")
        store.propose_geofence(
            GeofenceSpec("x", "deny", "r", cells=("852d2897fffffff",)), actor="a"
        )
    area = tmp_path / "crimea.json"
    area.write_text(
        json.dumps(
            {"type": "Polygon", "coordinates": [[[32, 44], [37, 44], [37, 46], [32, 46], [32, 44]]]}
        )
    )
    impact = json.loads(
        run(
            env,
            "geofence",
            "impact",
            "--geojson",
            str(area),
            "--db",
            db,
            "--start",
            "2026-05-13T12:00:00Z",
            "--end",
            "2026-05-13T13:00:00Z",
            "--step-s",
            "1800",
        ).stdout
    )
    assert impact["cells"] > 300
    assert impact["terminals_affected"] == 1
    assert impact["steps"] == 2
    assert impact["satellite_hours"] > 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}')
    assert "ring" in refused(env, "geofence", "impact", "--geojson", str(bad), "--db", db)
    assert "ends (2026-01-01T00:00:00Z) at or before it starts" in refused(
        env,
        "geofence",
        "impact",
        "--geojson",
        str(area),
        "--db",
        db,
        "--no-satellites",
        "--start",
        "2026-01-02T00:00:00Z",
        "--end",
        "2026-01-01T00:00:00Z",
    )
    assert "'pirates' is not one of" in refused(
        env, "geofence", "impact", "--geojson", str(area), "--classes", "pirates", "--db", db
    )
    assert "give the area" in refused(env, "geofence", "impact", "--db", db)


def test_check_and_impact_read_a_hostile_fence_as_compiled_at_its_proposal(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Issue 17: with a hostile region in the store, ``check --db`` and ``geofence impact
    --geofence`` load its compiled area; no run compiles it again (the real compile function's
    count, this process's caches emptied as a new process would have them)."""
    db = f"sqlite:///{tmp_path / 'h.db'}"
    with Store.open(db, signing_key=tmp_path / "k.pem") as store:
        fence = store.propose_geofence(
            GeofenceSpec("hostile", "deny", "r", area_geojson=json.dumps(hostile_region())),
            actor="op:mallory",
        )
    forget_process_caches()
    before = _areas.compilations
    at = ("--at", "2030-01-01T00:00:00Z", "--no-satellites", "--db", db)
    inside = run(env, "check", "--lat", f"{CENTRE_LAT_DEG}", "--lon", f"{CENTRE_LON_DEG}", *at)
    assert json.loads(inside.stdout)["code"] == "BLOCKED_AREA"
    # Beyond the rings, in the region's edge cell: the region itself is tested (stored WKB).
    beyond = run(
        env, "check", "--lat", f"{CENTRE_LAT_DEG + 0.04}", "--lon", f"{CENTRE_LON_DEG}", *at
    )
    assert json.loads(beyond.stdout)["code"] != "BLOCKED_AREA"
    impact = json.loads(
        run(env, "geofence", "impact", "--geofence", fence.id, "--no-satellites", "--db", db).stdout
    )
    assert (impact["name"], impact["cells"]) == ("hostile", 1)
    assert _areas.compilations == before


def test_geofence_impact_refuses_beyond_the_limits_unless_forced(
    env: dict[str, str], tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    vertices = COMMAND_LINE_LIMITS.max_geofence_vertices + 1
    angle = np.linspace(0.0, 2.0 * np.pi, vertices, endpoint=False)
    ring = np.column_stack([35.0 + 0.05 * np.cos(angle), 48.5 + 0.03 * np.sin(angle)])
    ring = np.vstack([ring, ring[:1]]).round(7).tolist()
    area = tmp_path / "big.json"
    area.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    message = refused(env, "geofence", "impact", "--geojson", str(area), "--db", db)
    assert f"vertices {vertices:,} > max_geofence_vertices" in message
    assert "--force" in message
    assert "GB of memory" in message
    forced = run(
        env, "geofence", "impact", "--geojson", str(area), "--no-satellites", "--force", "--db", db
    )
    assert "--force: beyond the limits" in forced.stderr
    assert json.loads(forced.stdout)["cells"] >= 1
    world = tmp_path / "world.json"
    world.write_text(
        json.dumps(
            {
                "type": "Polygon",
                "coordinates": [[[-170, -60], [170, -60], [170, 60], [-170, 60], [-170, -60]]],
            }
        )
    )
    assert "> max_cells 200,000" in refused(
        env, "geofence", "impact", "--geojson", str(world), "--no-satellites", "--db", db
    )
