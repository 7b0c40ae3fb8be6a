"""Sealed (government) geofences through the service: the log holds a commitment, viewers see
no area, cells or reason, auditors read the text and salt and check them against the log."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.service.service_helpers import T0, Keys, assert_problem

from leolink.geo import grid
from leolink.policy.commitments import opening_matches
from leolink.store import Store


def test_a_sealed_fence_is_shown_to_auditors_and_hidden_from_viewers(
    client: TestClient, store: Store, keys: Keys
):
    body = {
        "id": "gf-gov",
        "name": "gov-1",
        "effect": "deny",
        "cells": ["85283473fffffff"],
        "customer_classes": ["government"],
        "reason": "a secret reason",
        "sealed": True,
    }
    made = client.post("/v1/geofences", json=body, headers=keys("operator"))
    assert made.status_code == 201, made.text
    assert made.json()["sealed"] is True
    seen = client.get("/v1/geofences/gf-gov", headers=keys("viewer")).json()
    assert (seen["cells"], seen["area"], "secret" in seen["reason"]) == ([], None, False)
    assert client.get("/v1/geofences/gf-gov", headers=keys("auditor")).json()["reason"] == (
        "a secret reason"
    )
    assert_problem(client.get("/v1/geofences/gf-gov/opening", headers=keys("viewer")), 403)
    opening = client.get("/v1/geofences/gf-gov/opening", headers=keys("auditor")).json()
    (rec,) = store.audit_log(entity="geofence", entity_id="gf-gov")
    assert "a secret reason" not in str(rec.to_dict())
    assert isinstance(rec.after, dict)
    assert opening_matches(rec.after["commitment"], opening)
    assert store.verify().ok


# Kyiv; a sealed fence over its res-5 cell, for government terminals only.
KYIV_LAT_DEG, KYIV_LON_DEG = 50.45, 30.52
SECRET = "a secret reason only auditors read"


def _sealed_fence_over_kyiv(client: TestClient, store: Store, keys: Keys) -> str:
    (cell,) = grid.cells_to_hex(grid.latlng_to_cells(KYIV_LAT_DEG, KYIV_LON_DEG, 5).reshape(-1))
    body = {
        "id": "gf-sealed",
        "name": "gov-kyiv",
        "effect": "deny",
        "cells": [cell],
        "customer_classes": ["government"],
        "reason": SECRET,
        "window_start": "2020-01-01T00:00:00Z",
        "sealed": True,
    }
    made = client.post("/v1/geofences", json=body, headers=keys("operator"))
    assert made.status_code == 201, made.text
    change = store.propose_country_status(
        "UA", "available", effective_from="2020-01-01T00:00:00Z", source="test", actor="a",
        reason="test",
    )  # fmt: skip
    store.approve_country_status(change.id, actor="b", reason="test")
    store.register_terminal(
        "UT-GOV", account="mod", home_country="UA", customer_class="government",
        actor="test", reason="fixture",
    )  # fmt: skip
    return cell


def _reads(cell: str, log_size: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every read that can show a geofence or a decision under one: (method, path, body)."""
    decision = {"lat": KYIV_LAT_DEG, "lon": KYIV_LON_DEG, "at": T0, "terminal_id": "UT-GOV"}
    return [
        ("GET", "/v1/geofences", None),
        ("GET", f"/v1/geofences?cell={cell}", None),
        ("GET", "/v1/geofences?state=active", None),
        ("GET", "/v1/geofences/gf-sealed", None),
        ("POST", "/v1/decisions", decision),
        ("POST", "/v1/decisions?receipt=true", decision),
        ("POST", "/v1/decisions", {**decision, "as": "recorded"}),
        ("POST", "/v1/decisions/batch", {"items": [decision]}),
        ("GET", f"/v1/availability?lat={KYIV_LAT_DEG}&lon={KYIV_LON_DEG}&at={T0}", None),
        ("GET", "/v1/log/checkpoints", None),
        ("GET", f"/v1/log/tile/entries/000.p/{log_size}", None),
    ]


def test_no_read_shows_a_viewer_the_sealed_area_or_reason(
    client: TestClient, store: Store, keys: Keys
):
    cell = _sealed_fence_over_kyiv(client, store, keys)
    seen_by = {}
    for method, path, body in _reads(cell, len(store.audit_log(limit=None))):
        for role in ("viewer", "auditor"):
            got = client.request(method, path, json=body, headers=keys(role))
            assert got.status_code == 200, (path, role, got.text)
            seen_by[path, role, str(body)] = got.text
    for (path, role, _), text in seen_by.items():
        if role == "viewer":
            assert SECRET not in text, path
            # A decision names the cell it was asked about, not the fence's cells.
            assert path.startswith(("/v1/decisions", "/v1/availability")) or cell not in text, path
    # The same routes show an auditor the text (the fence) and a viewer the fence's existence.
    assert SECRET in seen_by["/v1/geofences/gf-sealed", "auditor", "None"]
    assert cell in seen_by[f"/v1/geofences?cell={cell}", "auditor", "None"]
    assert '"gf-sealed"' in seen_by["/v1/geofences", "viewer", "None"]
    assert '"items":[]' in seen_by[f"/v1/geofences?cell={cell}", "viewer", "None"].replace(" ", "")
    # The fence is in force for the government terminal: the decision says so, not why.
    decided = client.post("/v1/decisions", json=_reads(cell, 0)[4][2]).json()
    assert (decided["allowed"], decided["rules"][-1]) == (False, "geofence:gf-sealed")
    assert "sealed" in " ".join(decided["reasons"])


def test_the_cell_filter_is_no_oracle_for_a_viewer(client: TestClient, store: Store, keys: Keys):
    cell = _sealed_fence_over_kyiv(client, store, keys)
    other = "85283473fffffff"
    asked = {
        (role, c): [f["id"] for f in client.get(f"/v1/geofences?cell={c}", headers=keys(role))
                    .json()["items"]]
        for role in ("viewer", "auditor", "operator")
        for c in (cell, other)
    }  # fmt: skip
    assert asked == {
        ("viewer", cell): [],
        ("viewer", other): [],
        ("auditor", cell): ["gf-sealed"],
        ("auditor", other): [],
        ("operator", cell): ["gf-sealed"],
        ("operator", other): [],
    }
