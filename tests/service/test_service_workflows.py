"""Operator workflows over HTTP: statuses and geofences under the two-person rule, terminals,
impact previews, the audit log and pagination; each change is one audited store write."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.service.service_helpers import Keys, assert_problem, audit_count, last_record

from leolink.store import Store

TW_STATUS = {
    "country": "TW",
    "status": "service_date_unknown",
    "effective_from": "2020-01-01T00:00:00Z",
    "source": "https://www.starlink.com/map",
    "note": "never activated",
    "reason": "public availability map",
}
KYIV_CELLS = ["851e6387fffffff", "851e6383fffffff"]


def test_country_status_two_person_rule(client: TestClient, store: Store, keys: Keys) -> None:
    proposed = client.post("/v1/country-statuses", json=TW_STATUS, headers=keys("operator"))
    assert proposed.status_code == 201
    change = proposed.json()
    assert (change["state"], change["proposer"], change["country_code"]) == (
        "proposed",
        "operator",
        "TW",
    )
    records = audit_count(store)
    own = client.post(
        f"/v1/country-statuses/{change['id']}/approve",
        json={"reason": "looks right"},
        headers=keys("operator"),
    )
    assert "two-person rule" in assert_problem(own, 409, "two-person-rule")["detail"]
    assert audit_count(store) == records  # refused: nothing written
    approved = client.post(
        f"/v1/country-statuses/{change['id']}/approve",
        json={"reason": "checked the map"},
        headers=keys("bob"),
    ).json()
    assert (approved["state"], approved["approver"]) == ("approved", "bob")
    record = last_record(store)
    assert (record.actor, record.action, record.reason) == (
        "bob",
        "country_status.approve",
        "checked the map",
    )
    again = client.post(
        f"/v1/country-statuses/{change['id']}/reject", json={"reason": "x"}, headers=keys("admin")
    )
    assert_problem(again, 409, "policy-state")
    missing = client.post(
        "/v1/country-statuses/999/approve", json={"reason": "x"}, headers=keys("bob")
    )
    assert_problem(missing, 404, "not-found")


def test_country_status_withdraw_and_reject(client: TestClient, keys: Keys) -> None:
    ids = [
        client.post("/v1/country-statuses", json=TW_STATUS, headers=keys("operator")).json()["id"]
        for _ in range(2)
    ]
    not_mine = client.post(
        f"/v1/country-statuses/{ids[0]}/withdraw", json={"reason": "x"}, headers=keys("bob")
    )
    assert_problem(not_mine, 409, "policy-state")
    withdrawn = client.post(
        f"/v1/country-statuses/{ids[0]}/withdraw", json={"reason": "dup"}, headers=keys("operator")
    )
    assert withdrawn.json()["state"] == "withdrawn"
    rejected = client.post(
        f"/v1/country-statuses/{ids[1]}/reject", json={"reason": "no"}, headers=keys("bob")
    )
    assert rejected.json()["state"] == "rejected"
    listed = client.get(
        "/v1/country-statuses", params={"country": "TW"}, headers=keys("viewer")
    ).json()
    assert [c["state"] for c in listed["items"]] == ["withdrawn", "rejected"]
    assert (
        client.get(
            "/v1/country-statuses", params={"state": "rejected"}, headers=keys("viewer")
        ).json()["items"][0]["id"]
        == ids[1]
    )


def test_bad_status_proposals_are_refused(client: TestClient, store: Store, keys: Keys) -> None:
    before = audit_count(store)
    for bad, slug in [
        ({**TW_STATUS, "country": "XX"}, "invalid-input"),
        ({**TW_STATUS, "status": "open"}, "invalid-request"),
        ({**TW_STATUS, "effective_from": "2020-01-01"}, "invalid-input"),
        ({**TW_STATUS, "source": ""}, "invalid-request"),
        ({**TW_STATUS, "reason": "   "}, "invalid-input"),
        ({**TW_STATUS, "extra": 1}, "invalid-request"),
    ]:
        response = client.post("/v1/country-statuses", json=bad, headers=keys("operator"))
        assert_problem(response, 422, slug)
    assert audit_count(store) == before


def test_pages(client: TestClient, keys: Keys) -> None:
    for _ in range(5):
        client.post("/v1/country-statuses", json=TW_STATUS, headers=keys("operator"))
    seen: list[int] = []
    after = None
    while True:
        params = {"limit": 2} if after is None else {"limit": 2, "after": after}
        page = client.get("/v1/country-statuses", params=params, headers=keys("viewer")).json()
        seen += [c["id"] for c in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == sorted(seen)
    assert len(seen) == 5
    bad = client.get("/v1/country-statuses", params={"after": "x"}, headers=keys("viewer"))
    assert "next" in assert_problem(bad, 422, "invalid-input")["detail"]


def test_geofence_lifecycle(client: TestClient, store: Store, keys: Keys) -> None:
    small = client.post(
        "/v1/geofences",
        json={
            "id": "gf-kyiv",
            "name": "Kyiv cells",
            "effect": "deny",
            "cells": KYIV_CELLS,
            "reason": "outage drill",
        },
        headers=keys("operator"),
    )
    assert small.status_code == 201
    assert (small.json()["state"], small.json()["needs_approval"]) == ("active", False)
    duplicate = client.post(
        "/v1/geofences",
        json={
            "id": "gf-kyiv",
            "name": "again",
            "effect": "deny",
            "cells": KYIV_CELLS,
            "reason": "x",
        },
        headers=keys("operator"),
    )
    assert_problem(duplicate, 409, "duplicate")
    big = client.post(
        "/v1/geofences",
        json={
            "id": "gf-ua",
            "name": "Ukraine allow-list",
            "effect": "allowlist",
            "area": {
                "type": "Feature",
                "properties": {"name": "east"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[36, 47], [40, 47], [40, 50], [36, 50], [36, 47]]],
                },
            },
            "customer_classes": ["residential", "business"],
            "window_start": "2026-02-01T00:00:00Z",
            "reason": "registered terminals only",
        },
        headers=keys("operator"),
    ).json()
    assert (big["state"], big["version"]) == ("proposed", 1)
    assert big["customer_classes"] == ["business", "residential"]
    stale = client.post(
        "/v1/geofences/gf-ua/approve",
        json={"expected_version": 2, "reason": "ok"},
        headers=keys("bob"),
    )
    assert_problem(stale, 409, "version-conflict")
    own = client.post(
        "/v1/geofences/gf-ua/approve",
        json={"expected_version": 1, "reason": "ok"},
        headers=keys("operator"),
    )
    assert_problem(own, 409, "two-person-rule")
    approved = client.post(
        "/v1/geofences/gf-ua/approve",
        json={"expected_version": 1, "reason": "ok"},
        headers=keys("bob"),
    ).json()
    assert (approved["state"], approved["approver"], approved["version"]) == ("approved", "bob", 2)
    assert client.get("/v1/geofences/gf-ua", headers=keys("viewer")).json() == approved
    assert_problem(client.get("/v1/geofences/gf-none", headers=keys("viewer")), 404, "not-found")
    listed = client.get(
        "/v1/geofences", params={"state": "approved"}, headers=keys("auditor")
    ).json()
    assert [g["id"] for g in listed["items"]] == ["gf-ua"]
    by_cell = client.get(
        "/v1/geofences", params={"cell": KYIV_CELLS[0]}, headers=keys("viewer")
    ).json()
    assert [g["id"] for g in by_cell["items"]] == ["gf-kyiv"]
    ended = client.post(
        "/v1/geofences/gf-kyiv/withdraw",
        json={"expected_version": 1, "reason": "drill over"},
        headers=keys("bob"),
    ).json()
    assert ended["state"] == "withdrawn"
    assert [r.action for r in store.audit_log(entity="geofence", limit=None)] == [
        "geofence.propose",
        "geofence.propose",
        "geofence.approve",
        "geofence.withdraw",
    ]


def test_bad_geofences_are_refused(client: TestClient, store: Store, keys: Keys) -> None:
    before = audit_count(store)
    base = {"name": "x", "effect": "deny", "reason": "r"}
    for bad in [
        base,  # no area
        {**base, "cells": ["not-a-cell"]},
        {**base, "cells": ["8f2830828052d25"] * 1 + ["ffffffffffffff0"]},
        {**base, "area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0], [0, 0]]]}},
        {**base, "area": {"type": "Point", "coordinates": [0, 0]}},
        {
            **base,
            "cells": KYIV_CELLS,
            "window_start": "2026-01-02T00:00:00Z",
            "window_end": "2026-01-01T00:00:00Z",
        },
        {**base, "cells": KYIV_CELLS, "customer_classes": []},
        {**base, "cells": KYIV_CELLS, "effect": "block"},
    ]:
        response = client.post("/v1/geofences", json=bad, headers=keys("operator"))
        assert_problem(response, 422)
    assert audit_count(store) == before


def test_impact_preview_writes_nothing(client: TestClient, store: Store, keys: Keys) -> None:
    store.register_terminal(
        "UT-0001",
        account="a",
        home_country="UA",
        customer_class="residential",
        actor="a",
        reason="t",
    )
    store.report_positions("UT-0001", ["2026-05-13T11:00:00Z"], [44.6], [33.5], actor="a")
    before = audit_count(store)
    proposal = {
        "name": "Crimean coast",
        "effect": "deny",
        "reason": "preview",
        "area": {
            "type": "Polygon",
            "coordinates": [[[32.0, 44.2], [36.8, 44.2], [36.8, 46.2], [32.0, 46.2], [32.0, 44.2]]],
        },
        "window_start": "2026-05-13T12:00:00Z",
        "window_end": "2026-05-13T18:00:00Z",
    }
    response = client.post(
        "/v1/geofences/impact",
        params={"list_cells": True},
        json=proposal,
        headers=keys("operator"),
    )
    assert response.status_code == 200, response.text
    impact = response.json()
    assert impact["cells"] == len(impact["cell_list"]) > 100
    assert impact["terminals_affected"] == 1
    assert impact["terminals"][0]["terminal_id"] == "UT-0001"
    assert impact["satellite_hours"] > 0
    assert "propagated over the window" in impact["basis"]
    huge = {
        **proposal,
        "area": {
            "type": "Polygon",
            "coordinates": [[[-170, -60], [170, -60], [170, 60], [-170, 60], [-170, -60]]],
        },
    }
    too_big = client.post("/v1/geofences/impact", json=huge, headers=keys("operator"))
    assert "in parts" in assert_problem(too_big, 422, "invalid-input")["detail"]
    assert audit_count(store) == before
    assert store.geofences() == []


def test_terminals(client: TestClient, store: Store, keys: Keys) -> None:
    body = {
        "id": "UT-0001",
        "account": "usaid-2022",
        "home_country": "UA",
        "customer_class": "government",
        "funding_party": "USAID",
        "reason": "donated",
    }
    created = client.post("/v1/terminals", json=body, headers=keys("operator"))
    assert created.status_code == 201
    terminal = created.json()
    assert (terminal["state"], terminal["plan"], terminal["funding_party"]) == (
        "active",
        "standard",
        "USAID",
    )
    assert_problem(client.post("/v1/terminals", json=body, headers=keys("operator")), 409)
    assert client.get("/v1/terminals/UT-0001", headers=keys("viewer")).json() == terminal
    assert_problem(client.get("/v1/terminals/UT-0002", headers=keys("viewer")), 404)
    reports = {
        "reports": [
            {"at": "2026-05-13T10:00:00Z", "lat": 50.45, "lon": 30.52},
            {"at": "2026-05-13T11:00:00Z", "lat": 48.0, "lon": 37.8},
        ]
    }
    stored = client.post("/v1/terminals/UT-0001/reports", json=reports, headers=keys("UT-0001"))
    assert stored.json()["reports"][0]["cell"] == "851e6387fffffff"
    assert last_record(store).action == "terminal.report_positions"
    too_many = {"reports": [{"at": "2026-05-13T10:00:00Z", "lat": 0, "lon": 0}] * 1001}
    assert_problem(
        client.post("/v1/terminals/UT-0001/reports", json=too_many, headers=keys("operator")), 422
    )
    off_globe = {"reports": [{"at": "2026-05-13T10:00:00Z", "lat": 0, "lon": 181}]}
    assert_problem(
        client.post("/v1/terminals/UT-0001/reports", json=off_globe, headers=keys("operator")), 422
    )
    stale = client.post(
        "/v1/terminals/UT-0001/suspend",
        json={"reason": "x", "expected_version": 7},
        headers=keys("operator"),
    )
    assert_problem(stale, 409, "version-conflict")
    suspended = client.post(
        "/v1/terminals/UT-0001/suspend",
        json={"reason": "reported from RU", "expected_version": 1},
        headers=keys("operator"),
    ).json()
    assert (suspended["state"], suspended["version"]) == ("suspended", 2)
    listed = client.get(
        "/v1/terminals", params={"state": "suspended"}, headers=keys("viewer")
    ).json()
    assert [t["id"] for t in listed["items"]] == ["UT-0001"]
    assert client.get(
        "/v1/terminals", params={"account": "nobody"}, headers=keys("viewer")
    ).json() == {"items": [], "next": None}


def test_audit_pages_and_verify(client: TestClient, store: Store, keys: Keys) -> None:
    client.post("/v1/country-statuses", json=TW_STATUS, headers=keys("operator"))
    total = audit_count(store)
    assert total > 5  # the fixture's keys and the proposal
    seqs: list[int] = []
    after = 0
    while True:
        page = client.get(
            "/v1/audit",
            params={"order": "oldest", "after_seq": after, "limit": 3},
            headers=keys("auditor"),
        ).json()
        seqs += [r["seq"] for r in page["items"]]
        if page["next"] is None:
            break
        after = page["next"]
    assert seqs == list(range(1, total + 1))
    last = client.get("/v1/audit", params={"limit": 1}, headers=keys("auditor")).json()["items"][0]
    assert last["seq"] == total  # newest first by default
    assert (last["actor"], last["action"], last["entity"]) == (
        "operator",
        "country_status.propose",
        "country_status",
    )
    assert len(last["hash"]) == 64
    verified = client.get("/v1/audit/verify", headers=keys("auditor")).json()
    assert verified == {
        "ok": True,
        "records": total,
        "first_bad": None,
        "reason": verified["reason"],
    }
    with store.engine.begin() as conn:  # someone edits a record behind the store's back
        conn.exec_driver_sql("UPDATE audit_records SET reason = 'edited' WHERE seq = 2")
    tampered = client.get("/v1/audit/verify", headers=keys("auditor")).json()
    assert (tampered["ok"], tampered["first_bad"]) == (False, 2)
