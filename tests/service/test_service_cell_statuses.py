"""Cell statuses over HTTP: the two-person rule, the audit record of each, decisions, and the
comparison with Starlink's map (`/v1/availability/compare`)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.service.service_helpers import Keys, assert_problem, last_record

from leolink.geo import grid
from leolink.policy.availability import load_vendored_snapshot
from leolink.store import Store

AT = "2025-02-01T00:00:00Z"


def _proposal(category: str, cells: list[str]) -> dict[str, object]:
    return {
        "category": category,
        "cells": cells,
        "effective_from": "2025-01-01T00:00:00Z",
        "published": "2025-01",
        "source": "Starlink availability-cells.pb",
        "reason": "Starlink's map",
    }


def test_blacklisted_cells_wait_for_a_second_operator_then_switch_cells_off(
    client: TestClient, store: Store, keys: Keys
) -> None:
    blacklisted = load_vendored_snapshot().by_category()["blacklisted"]
    before = client.get("/v1/availability/compare", params={"at": AT}).json()
    row = {r["key"]: r for r in before["categories"]}["blacklisted"]
    assert (row["cells"], row["agree"], before["full_agreement"]) == (297, 0, False)

    proposed = client.post(
        "/v1/cell-statuses", json=_proposal("blacklisted", blacklisted), headers=keys("operator")
    )
    assert proposed.status_code == 201
    change = proposed.json()
    assert (change["state"], change["effect"], change["cell_count"]) == (
        "proposed",
        "disabled",
        297,
    )
    assert client.get("/v1/cell-statuses/in-force", params={"at": AT}).json() == []
    own = client.post(
        f"/v1/cell-statuses/{change['id']}/approve",
        json={"reason": "mine"},
        headers=keys("operator"),
    )
    assert_problem(own, 409, "two-person-rule")
    approved = client.post(
        f"/v1/cell-statuses/{change['id']}/approve",
        json={"reason": "checked the map"},
        headers=keys("bob"),
    ).json()
    assert (approved["state"], approved["approver"]) == ("approved", "bob")
    record = last_record(store)
    assert (record.action, record.entity_id) == ("cell_status.approve", str(change["id"]))
    in_force = client.get("/v1/cell-statuses/in-force", params={"at": AT}).json()
    assert [(c["id"], c["audit_seq"]) for c in in_force] == [(change["id"], record.seq)]

    lat, lon = grid.cells_to_latlng(grid.hex_to_cells(blacklisted[:1]))
    decision = client.get(
        "/v1/availability", params={"lat": float(lat[0]), "lon": float(lon[0]), "at": AT}
    ).json()
    assert decision["code"] == "CELL_IS_DISABLED"
    assert "Starlink's availability map published 2025-01" in decision["reasons"][0]

    after = client.get("/v1/availability/compare", params={"at": AT}).json()
    assert after["full_agreement"]
    assert after["differences_geojson"]["features"] == []

    # Two operators put them in force: one asks to lift them, a second one lifts them.
    asked = client.post(
        f"/v1/cell-statuses/{change['id']}/withdraw",
        json={"reason": "map changed"},
        headers=keys("operator"),
    ).json()
    assert (asked["state"], asked["withdrawal_proposer"]) == ("approved", "operator")
    again = client.post(
        f"/v1/cell-statuses/{change['id']}/withdraw",
        json={"reason": "map changed"},
        headers=keys("operator"),
    )
    assert_problem(again, 409, "two-person-rule")
    withdrawn = client.post(
        f"/v1/cell-statuses/{change['id']}/withdraw",
        json={"reason": "confirmed"},
        headers=keys("bob"),
    ).json()
    assert withdrawn["state"] == "withdrawn"
    assert client.get("/v1/cell-statuses/in-force").json() == []


def test_categories_without_effect_are_in_force_at_once_and_bad_cells_are_refused(
    client: TestClient, keys: Keys
) -> None:
    test_cells = load_vendored_snapshot().by_category()["test"][:5]
    active = client.post(
        "/v1/cell-statuses", json=_proposal("a_new_category", test_cells), headers=keys("operator")
    ).json()
    assert (active["state"], active["effect"]) == ("active", "none")
    listed = client.get("/v1/cell-statuses", headers=keys("viewer")).json()["items"]
    assert [c["category"] for c in listed] == ["a_new_category"]
    bad = client.post(
        "/v1/cell-statuses",
        json=_proposal("blacklisted", ["8928308280fffff"]),
        headers=keys("operator"),
    )
    assert "resolution 5" in assert_problem(bad, 422, "invalid-input")["detail"]
    denied = client.post(
        "/v1/cell-statuses", json=_proposal("blacklisted", test_cells), headers=keys("viewer")
    )
    assert denied.status_code == 403
