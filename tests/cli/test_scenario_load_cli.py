"""``leolink scenario load`` and ``leolink check --as recorded|known``, in process.

The crimea-2022 scenario loaded into a SQLite store is a reconstruction: recorded today, in
force in September 2022.  Asked about the night of the attack as recorded then, the store had
nothing (Ukraine had no status on record yet); as known now, the geofence applies; each
answer shows the other.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from leolink.store import Store
from tests.leolink_cli import CliResult, run_leolink

SEVASTOPOL = ("--lat", "44.6167", "--lon", "33.5254", "--at", "2022-09-16T22:00:00Z")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "COLUMNS": "250"}


def run(env: dict[str, str], *args: str, code: int = 0) -> CliResult:
    result = run_leolink(*args, env=env)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def test_load_then_ask_as_recorded_and_as_known(env: dict[str, str], tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'replay.db'}"
    loaded = json.loads(
        run(env, "scenario", "load", "crimea-2022", "--db", db, "--format", "json").stdout
    )
    written = [s["do"] for s in loaded["steps"] if s["written"]]
    assert written == ["set_status", "register_terminal", "propose_geofence", "approve_geofence"]
    assert {s["skipped"] for s in loaded["steps"] if not s["written"]} == {
        "a question: writes nothing"
    }

    ask = ("check", *SEVASTOPOL, "--terminal", "UA-NAVY-0042", "--db", db, "--no-satellites")
    recorded = json.loads(run(env, *ask, "--as", "recorded").stdout)
    assert (recorded["as"], recorded["known_at"]) == ("recorded", "2022-09-16T22:00:00Z")
    assert recorded["code"] == "UNLICENSED_COUNTRY"
    assert recorded["other_view"]["code"] == "BLOCKED_AREA"
    known = json.loads(run(env, *ask, "--as", "known").stdout)
    assert known["code"] == "BLOCKED_AREA"
    assert "a reconstruction of the public record" in known["reasons"][0]
    assert known["other_view"]["code"] == "UNLICENSED_COUNTRY"
    table = run(env, *ask, "--as", "recorded", "--format", "table").stdout
    assert "as recorded then" in table

    with Store.open(
        db, signing_key=tmp_path / "data" / "leolink" / "audit-signing-key.pem"
    ) as store:
        fence = store.geofence("gf-crimea-coast-2022")
        status = store.country_status_changes("UA")[0]
        assert fence.reconstruction
        assert status.reconstruction
        assert (fence.proposer, fence.approver) == (
            "spacex:network-engineering",
            "spacex:leadership",
        )
        assert status.proposer == "record:crimea-2022"  # the scenario names no one
        assert str(status.approver).startswith("cli:")
        reasons = [r.reason for r in store.audit_log()]
        assert all("reconstruction of scenarios/crimea-2022.yaml" in r for r in reasons)
        assert store.verify().ok

    # Loading twice is refused before anything is written; --as and --known-at exclude each other.
    again = run(env, "scenario", "load", "crimea-2022", "--db", db, code=2)
    assert "already in this store" in again.stderr
    both = run(env, *ask, "--as", "known", "--known-at", "2023-01-01T00:00:00Z", code=2)
    assert "give one of them" in both.stderr
    bad = run(env, *ask, "--as", "then", code=2)
    assert "--as" in bad.stderr
