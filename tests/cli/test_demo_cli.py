"""``leolink terminals load-demo``: the synthetic demo fleet, loaded through the audited store,
shows the operators' map every kind of terminal under the default policy."""

from __future__ import annotations

import json
import os
from pathlib import Path

from fastapi.testclient import TestClient

from leolink.cli.demo import DEMO_ACTOR, demo_fleet
from leolink.policy.defaults import seed_if_empty
from leolink.policy.records import Role
from leolink.service import create_app
from leolink.store import Store
from leolink.store.signing import load_or_create_key
from tests.leolink_cli import run_leolink

AT = "2026-05-13T12:00:00Z"


def _load(db: str, key: Path) -> dict[str, object]:
    load_or_create_key(key)  # --signing-key must name an existing key (kept if it does)
    result = run_leolink(
        *("terminals", "load-demo", "--db", db, "--signing-key", str(key), "--at", AT),
        env={**os.environ, "XDG_DATA_HOME": str(key.parent / "data")},
    )
    assert result.returncode == 0, result.stderr
    assert "synthetic" in result.stderr
    out: dict[str, object] = json.loads(result.stdout)
    return out


def test_the_demo_fleet_is_loaded_once_and_audited(tmp_path: Path) -> None:
    db, key = f"sqlite:///{tmp_path}/demo.db", tmp_path / "key.pem"
    fleet = demo_fleet()
    assert 20 <= len(fleet) <= 40
    assert {t.account for t in fleet} == {"demo"}
    first = _load(db, key)
    reports = sum(len(t.reports) for t in fleet)
    assert (first["registered"], first["skipped"], first["reports"]) == (len(fleet), 0, reports)
    assert first["at"] == AT
    again = _load(db, key)
    assert (again["registered"], again["skipped"], again["reports"]) == (0, len(fleet), 0)
    with Store.open(db, signing_key=key) as store:
        assert store.verify().ok
        records = [r for r in store.audit_log(limit=None) if r.actor == DEMO_ACTOR]
        assert len(records) == len(fleet) + sum(1 for t in fleet if t.reports) + sum(
            1 for t in fleet if t.suspended
        )
        assert all("demo" in r.reason for r in records if r.action == "terminal.register")


def test_the_map_sees_every_kind_of_terminal(tmp_path: Path) -> None:
    db, key = f"sqlite:///{tmp_path}/demo.db", tmp_path / "key.pem"
    _load(db, key)
    with Store.open(db, signing_key=key) as store:
        seed_if_empty(store)
        token = store.create_api_key(Role.VIEWER, name="v", actor="t", reason="t")[1]
        with TestClient(create_app(store=store)) as client:
            response = client.get(
                "/v1/terminals/positions",
                params={"at": AT, "limit": 1000},
                headers={"Authorization": f"Bearer {token}"},
            )
    assert response.status_code == 200, response.text
    items = {i["id"]: i for i in response.json()["items"]}
    assert set(items) == {t.id for t in demo_fleet() if t.reports}
    assert "DEMO-MT-VA" not in items  # never reported
    codes = {i["code"] for i in items.values()}
    assert {
        "OKAY",
        "BLOCKED_COUNTRY",
        "UNLICENSED_COUNTRY",
        "IN_OCEAN",
        "ROAM_RESTRICTED",
        "ACCOUNT_DISABLED",
    } <= codes
    assert {i for i, item in items.items() if item["violation"]} == {
        "DEMO-LT-KA",
        "DEMO-PL-MO",
        "DEMO-UA-RU",
        "DEMO-UA-BD",  # its cell is blacklisted on Starlink's map (the border band)
    }
    assert items["DEMO-UA-BD"]["code"] == "CELL_IS_DISABLED"
    assert {i for i, item in items.items() if item["state"] == "suspended"} == {
        "DEMO-PL-BY",
        "DEMO-UA-LV",
    }
    assert items["DEMO-FJ-LA"]["lon"] < 0 < items["DEMO-FJ-VL"]["lon"]
