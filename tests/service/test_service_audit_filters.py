"""``GET /v1/audit``: newest first, paged both ways, filtered by actor, kind and time (SQLite
and PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.service.service_helpers import Keys, assert_problem

from leolink.store import GeofenceSpec, Store

CELL = "85283473fffffff"


def _records(client: TestClient, keys: Keys, **params: object) -> list[dict[str, object]]:
    response = client.get("/v1/audit", params=params, headers=keys("auditor"))
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


def test_newest_first_and_paged_back(client: TestClient, store: Store, keys: Keys) -> None:
    for k in range(4):
        store.propose_geofence(
            GeofenceSpec(name=f"f{k}", effect="deny", reason="r", cells=(CELL,)),
            actor="op:alice",
        )
    total = len(store.audit_log(limit=None))
    seqs: list[int] = []
    params: dict[str, object] = {"limit": 3}
    while True:
        page = client.get("/v1/audit", params=params, headers=keys("auditor")).json()
        seqs += [r["seq"] for r in page["items"]]
        if page["next"] is None:
            break
        params = {"limit": 3, "before_seq": page["next"]}
    assert seqs == list(range(total, 0, -1))


def test_filters_by_actor_kind_and_time(client: TestClient, store: Store, keys: Keys) -> None:
    big = GeofenceSpec(
        name="region",
        effect="deny",
        reason="r",
        area_geojson={
            "type": "Polygon",
            "coordinates": [[[30, 45], [35, 45], [35, 48], [30, 48], [30, 45]]],
        },
    )
    fence = store.propose_geofence(big, actor="alice", geofence_id="region")
    store.approve_geofence("region", expected_version=fence.version, actor="bob", reason="ok")
    store.propose_geofence(
        GeofenceSpec(name="town", effect="deny", reason="r", cells=(CELL,)),
        actor="Alice\u200b",  # the same person, spelt otherwise
        geofence_id="town",
    )
    by_alice = _records(client, keys, actor="ALICE")
    assert [(r["action"], r["entity_id"]) for r in by_alice] == [
        ("geofence.propose", "town"),
        ("geofence.propose", "region"),
    ]
    approvals = _records(client, keys, kind="geofence.approve")
    assert [r["actor"] for r in approvals] == ["bob"]
    geofences = _records(client, keys, kind="geofence")
    assert [r["entity_id"] for r in geofences] == ["town", "region", "region"]
    assert _records(client, keys, kind="geofence", actor="bob")[0]["action"] == "geofence.approve"

    first = str(geofences[-1]["ts"])
    last = str(geofences[0]["ts"])
    window = _records(client, keys, kind="geofence", since=first, until=last)
    assert [r["entity_id"] for r in window] == ["region", "region"]  # until is exclusive
    assert _records(client, keys, kind="geofence", since="2199-01-01T00:00:00Z") == []


def test_bad_filters_are_refused_naming_them(client: TestClient, keys: Keys) -> None:
    bad_kind = client.get("/v1/audit", params={"kind": "DROP TABLE"}, headers=keys("auditor"))
    assert "kind" in assert_problem(bad_kind, 422)["detail"]
    bad_since = client.get("/v1/audit", params={"since": "yesterday"}, headers=keys("auditor"))
    assert "since" in assert_problem(bad_since, 422)["detail"]
    bad_order = client.get("/v1/audit", params={"order": "random"}, headers=keys("auditor"))
    assert "order" in assert_problem(bad_order, 422)["detail"]
    unknown = client.get("/v1/audit", params={"who": "alice"}, headers=keys("auditor"))
    assert "who" in assert_problem(unknown, 422)["detail"]
