"""Decisions "as recorded then" and "as known now" over the API (``as``), on SQLite and
PostgreSQL.

The store's clock is the real one, so every record here is made today: a status effective
from 2022 and a geofence whose window starts in 2025 are retroactive records.  Asked about an
instant in 2025 as recorded then, the policy had neither; as known now, both apply.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.service.service_helpers import assert_problem

from leolink.geo import grid
from leolink.policy.records import GeofenceSpec
from leolink.policy.scenarios import load_into, load_scenario
from leolink.store import Store

KYIV = {"lat": 50.4501, "lon": 30.5234}
AT = "2025-06-01T12:00:00Z"


def _retroactive(store: Store) -> None:
    change = store.propose_country_status(
        "UA",
        "available",
        effective_from="2022-02-26T00:00:00Z",
        source="s",
        actor="alice",
        reason="r",
    )
    store.approve_country_status(change.id, actor="bob", reason="r")
    cell = grid.cells_to_hex(grid.latlng_to_cells(KYIV["lat"], KYIV["lon"], 5))
    store.propose_geofence(
        GeofenceSpec(
            name="Kyiv cell",
            effect="deny",
            reason="a correction of 2025",
            cells=tuple(cell),
            window_start="2025-01-01T00:00:00Z",
        ),
        actor="alice",
        geofence_id="gf-kyiv-2025",
    )


def test_a_retroactive_record_differs_as_recorded_and_as_known(
    client: TestClient, store: Store
) -> None:
    _retroactive(store)
    recorded = client.get("/v1/availability", params={**KYIV, "at": AT, "as": "recorded"})
    assert recorded.status_code == 200, recorded.text
    body = recorded.json()
    assert (body["as"], body["known_at"], body["code"]) == ("recorded", AT, "UNLICENSED_COUNTRY")
    other = body["other_view"]
    assert (other["as"], other["code"], other["rules"]) == (
        "known",
        "CELL_IS_DISABLED",
        ["geofence:gf-kyiv-2025"],
    )
    assert "as known now the answer differs" in other["summary"]

    known = client.post("/v1/decisions", json={**KYIV, "at": AT, "as": "known"}).json()
    assert (known["as"], known["code"], known["rules"]) == (
        "known",
        "CELL_IS_DISABLED",
        ["geofence:gf-kyiv-2025"],
    )
    assert known["known_at"] > AT  # now
    assert known["other_view"]["code"] == "UNLICENSED_COUNTRY"

    # Without ``as``: as known now, as before, and no comparison.
    plain = client.get("/v1/availability", params={**KYIV, "at": AT}).json()
    assert plain["code"] == "CELL_IS_DISABLED"
    assert "other_view" not in plain


def test_the_views_agree_where_nothing_was_recorded_late(client: TestClient, store: Store) -> None:
    _retroactive(store)
    later = "2030-01-01T00:00:00Z"  # after the records were made: both views have them
    body = client.get("/v1/availability", params={**KYIV, "at": later, "as": "recorded"}).json()
    assert (body["code"], body["other_view"]) == ("CELL_IS_DISABLED", None)


def test_a_loaded_scenario_is_shown_as_a_reconstruction(client: TestClient, store: Store) -> None:
    load_into(store, load_scenario("crimea-2022"), loaded_by="test:loader")
    sevastopol = {"lat": 44.6167, "lon": 33.5254, "at": "2022-09-16T22:00:00Z"}
    known = client.post(
        "/v1/decisions", json={**sevastopol, "terminal_id": "UA-NAVY-0042", "as": "known"}
    ).json()
    assert known["code"] == "BLOCKED_AREA"
    assert "a reconstruction of the public record, recorded 20" in known["reasons"][0]
    assert "loaded by test:loader" in known["reasons"][0]
    assert known["other_view"]["code"] == "UNLICENSED_COUNTRY"  # nothing was on record in 2022
    fence = store.geofence("gf-crimea-coast-2022")
    assert fence.reconstruction
    assert fence.recorded_at > fence.window_start  # type: ignore[operator]


def test_a_bad_view_is_refused_naming_it(client: TestClient) -> None:
    bad = client.get("/v1/availability", params={**KYIV, "as": "then"})
    problem = assert_problem(bad, 422, "invalid-request")
    assert "as" in problem["detail"]
    assert "'recorded' or 'known'" in problem["detail"]
    bad_body = client.post("/v1/decisions", json={**KYIV, "as": "yesterday"})
    assert "as" in assert_problem(bad_body, 422, "invalid-request")["detail"]
