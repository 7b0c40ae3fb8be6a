"""Terminals post their own telemetry; auditors ask for findings over the stored reports, each
restriction matched against geofences and cell statuses alike."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient
from tests.service.service_helpers import Keys, assert_problem

from leolink.forensics import (
    Restriction,
    Simulation,
    disk,
    reports_from_records,
    reports_to_jsonl,
    simulate,
)
from leolink.geo import grid
from leolink.policy.records import CustomerClass, Role
from leolink.service.routers import forensics as forensics_router
from leolink.store import Store

T0 = np.datetime64("2026-05-13T00:00:00", "ns")
REPORT = {
    "time": "2026-05-13T12:00:00Z",
    "lat": 48.5,
    "lon": 31.0,
    "gps_valid": True,
    "gps_sats": 11,
    "state": "CONNECTED",
    "pop_ping_latency_ms": 31.0,
    "pop_ping_drop_rate": 0.0,
}


def _register(store: Store, terminal_id: str) -> None:
    store.register_terminal(
        terminal_id,
        account="acct",
        home_country="UA",
        customer_class=CustomerClass.RESIDENTIAL,
        actor="op:test",
        reason="fixture",
    )


def test_a_terminal_posts_its_own_reports_once(
    client: TestClient, keys: Keys, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(store, "UT-0001")
    url = "/v1/terminals/UT-0001/telemetry"
    batch = {"reports": [REPORT, REPORT | {"time": "2026-05-13T12:05:00Z"}]}
    response = client.post(url, json=batch, headers=keys("UT-0001"))
    assert response.status_code == 201, response.text
    assert response.json() == {
        "terminal_id": "UT-0001",
        "received": 2,
        "stored": 2,
        "duplicates": 0,
    }
    again = client.post(url, json=batch, headers=keys("UT-0001"))
    assert again.json()["stored"] == 0
    assert again.json()["duplicates"] == 2
    assert store.telemetry.count() == 2
    # not another terminal's, nor an operator's or an admin's key
    for who in ("operator", "admin", "viewer"):
        assert_problem(client.post(url, json=batch, headers=keys(who)), 403, "forbidden")
    _register(store, "UT-0002")
    other = "/v1/terminals/UT-0002/telemetry"
    assert_problem(client.post(other, json=batch, headers=keys("UT-0001")), 403, "forbidden")
    named = {"reports": [REPORT | {"terminal_id": "UT-0002"}]}
    assert_problem(client.post(url, json=named, headers=keys("UT-0001")), 403, "forbidden")
    # a malformed report refuses the whole batch, naming it
    bad = {"reports": [REPORT | {"time": "2026-05-13T13:00:00Z"}, REPORT | {"lat": 123}]}
    body = assert_problem(client.post(url, json=bad, headers=keys("UT-0001")), 422)
    assert body["problems"][0]["line"] == 2
    assert "'lat'" in body["detail"]
    assert store.telemetry.count() == 2
    # more stored reports than one request reads: told to narrow the window or use the CLI
    monkeypatch.setattr(forensics_router, "MAX_STORED_REPORTS", 1)
    window = {"start": "2026-05-13T00:00:00Z", "end": "2026-05-14T00:00:00Z"}
    body = assert_problem(client.get("/v1/forensics", params=window, headers=keys("auditor")), 422)
    assert "leolink forensics infer --db" in body["detail"]


def test_an_unregistered_terminal_is_told_so(client: TestClient, keys: Keys) -> None:
    response = client.post(
        "/v1/terminals/UT-0001/telemetry", json={"reports": [REPORT]}, headers=keys("UT-0001")
    )
    assert_problem(response, 404, "not-found")


def test_findings_over_stored_reports_match_blacklisted_cells(
    client: TestClient, keys: Keys, store: Store
) -> None:
    restricted = disk(48.6, 31.1, 1)
    blacklisted = disk(48.2, 30.6, 1)
    sim = Simulation(
        disk(48.5, 31.0, 4),
        T0,
        T0 + np.timedelta64(3, "h"),
        terminals=300,
        seed=4,
        restrictions=[
            Restriction(restricted, T0 + np.timedelta64(1, "h"), T0 + np.timedelta64(2, "h")),
            Restriction(blacklisted, T0 + np.timedelta64(1, "h"), T0 + np.timedelta64(2, "h")),
        ],
    )
    reports = simulate(sim)
    for tid in reports.terminal_ids:
        _register(store, tid)
    records = [json.loads(line) for line in reports_to_jsonl(reports)]
    # one terminal posts over HTTP with its own key, the others straight into the store
    first = reports.terminal_ids[0]
    token = store.create_api_key(Role.TERMINAL, name=first, actor="test", reason="fixture")[1]
    own = [r for r in records if r["terminal_id"] == first]
    response = client.post(
        f"/v1/terminals/{first}/telemetry",
        json={"reports": own},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    rest = reports_from_records([r for r in records if r["terminal_id"] != first])
    assert store.telemetry.add(rest.reports).stored == len(records) - len(own)
    change = store.propose_cell_statuses(
        "blacklisted",
        grid.cells_to_hex(blacklisted),
        effective_from=T0,
        published="2025-01",
        source="test",
        actor="op:alice",
        reason="test",
    )
    store.approve_cell_statuses(change.id, actor="op:bob", reason="test")
    window = {"start": "2026-05-13T00:00:00Z", "end": "2026-05-13T03:00:00Z"}
    assert_problem(client.get("/v1/forensics", params=window, headers=keys("viewer")), 403)
    response = client.get("/v1/forensics", params=window, headers=keys("auditor"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["reports"]["lines"] == len(records)
    policy = [f for f in body["findings"] if f["kind"] == "policy_restriction"]
    assert len(policy) == 2
    by_logged = {f["logged"]: f for f in policy}
    logged, unlogged = by_logged[True], by_logged[False]
    assert set(logged["cells"]) <= set(grid.cells_to_hex(blacklisted)) | set(
        grid.cells_to_hex(grid.cells_to_disks(blacklisted, 1)[1])
    )
    assert logged["evidence"]["log"]["cell_status_changes"] == [str(change.id)]
    seqs = {r.seq for r in store.audit_log(limit=None) if r.entity == "cell_status"}
    assert set(logged["log_records"]) == seqs
    assert unlogged["log_records"] == []
    # an empty window has no findings; a reversed one is refused
    empty = {"start": "2026-05-14T00:00:00Z", "end": "2026-05-14T03:00:00Z"}
    response = client.get("/v1/forensics", params=empty, headers=keys("auditor"))
    assert response.json()["findings"] == []
    reversed_window = {"start": window["end"], "end": window["start"]}
    assert_problem(
        client.get("/v1/forensics", params=reversed_window, headers=keys("auditor")), 422
    )
