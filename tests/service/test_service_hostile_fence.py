"""Issue 17: a hostile geofence in the store costs a restarted server no compilation.

A region of self-crossing rings costs seconds of parsing and ``make_valid`` to compile.  It is
compiled once, at its proposal, and kept in the store's ``compiled_areas``; a restarted
service (a new store object, this process's caches emptied) loads it, withdrawn or not, and
previews a stored fence's impact from it.  The counts are the real compile function's
(`leolink.policy._areas.compilations`) and the table's rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from tests.service.service_helpers import Keys
from tests.store.test_store_compiled_areas import (
    CENTRE_LAT_DEG,
    CENTRE_LON_DEG,
    forget_process_caches,
    hostile_region,
)

from leolink import api
from leolink.geo import grid
from leolink.policy import _areas
from leolink.policy.records import GeofenceSpec, Role
from leolink.service import create_app
from leolink.store import Store

KYIV = (50.45, 30.52)


def test_a_restarted_service_loads_the_withdrawn_hostile_fence_and_compiles_nothing(
    db_url: str, catalog: api.Catalog, tmp_path: Path
) -> None:
    key = tmp_path / "audit-signing-key.pem"
    region = hostile_region()
    with Store.open(db_url, signing_key=key) as store:
        hostile = store.propose_geofence(
            GeofenceSpec("hostile", "deny", "issue 17", area_geojson=json.dumps(region)),
            actor="op:mallory",
        )
        cell = grid.cells_to_hex(grid.latlng_to_cells(np.array([KYIV[0]]), np.array([KYIV[1]]), 5))
        small = store.propose_geofence(
            GeofenceSpec("one cell", "deny", "issue 17", cells=(cell[0],)), actor="op:alice"
        )
        store.withdraw_geofence(
            hostile.id, expected_version=hostile.version, actor="op:mallory", reason="gone"
        )
        kept = store.compiled_areas.keys()
        assert len(kept) == 2  # each area compiled at its proposal, at resolution 5
        token = store.create_api_key(Role.OPERATOR, name="op", actor="test", reason="t")[1]

    forget_process_caches()  # what a restarted process would not have
    before = _areas.compilations
    restarted = Store.open(db_url, signing_key=key)
    app = create_app(store=restarted, catalog=catalog)
    with TestClient(app, raise_server_exceptions=False) as client:
        # The first decision compiles the whole history, the withdrawn fence included (it was
        # in force for a while): from the table, not from its text.
        for lat, lon in (KYIV, (CENTRE_LAT_DEG, CENTRE_LON_DEG)):
            response = client.post("/v1/decisions", json={"lat": lat, "lon": lon})
            assert response.status_code == 200, response.text
        assert response.json()["code"] != "BLOCKED_AREA"  # withdrawn: not in force now
        kyiv = client.post("/v1/decisions", json={"lat": KYIV[0], "lon": KYIV[1]}).json()
        assert kyiv["code"] == "CELL_IS_DISABLED"  # the small fence, in force
        # A stored fence's impact is read from its compiled area too.
        headers = Keys({"operator": token})("operator")
        for fence in (hostile, small):
            impact = client.get(
                f"/v1/geofences/{fence.id}/impact",
                params={"list_cells": True},
                headers=headers,
            )
            assert impact.status_code == 200, impact.text
            assert impact.json()["cells"] == 1
        assert impact.json()["cell_list"] == [cell[0]]
        assert _areas.compilations == before
        assert restarted.compiled_areas.keys() == kept


def test_a_stored_fences_impact_equals_the_preview_of_its_proposal(
    client: TestClient, store: Store, keys: Keys
) -> None:
    box = {
        "type": "Polygon",
        "coordinates": [[[33.0, 44.5], [34.5, 44.5], [34.5, 45.5], [33.0, 45.5], [33.0, 44.5]]],
    }
    proposal = {"name": "coast", "effect": "deny", "reason": "r", "area": box}
    preview = client.post(
        "/v1/geofences/impact", json=proposal, params={"list_cells": True}, headers=keys("operator")
    )
    assert preview.status_code == 200, preview.text
    assert store.compiled_areas.keys() == []  # a preview keeps nothing
    fence = client.post("/v1/geofences", json=proposal, headers=keys("operator")).json()
    forget_process_caches()
    before = _areas.compilations
    stored = client.get(
        f"/v1/geofences/{fence['id']}/impact", params={"list_cells": True}, headers=keys("bob")
    )
    assert stored.status_code == 200, stored.text
    assert _areas.compilations == before
    assert stored.json()["cell_list"] == preview.json()["cell_list"]
    assert stored.json()["cells"] > 30  # 1.5° x 1°: ~14,000 km²
    missing = client.get("/v1/geofences/nope/impact", headers=keys("operator"))
    assert missing.status_code == 404
    viewer = client.get(f"/v1/geofences/{fence['id']}/impact", headers=keys("viewer"))
    assert viewer.status_code == 403
