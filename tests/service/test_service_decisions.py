"""Decisions over HTTP are the engine's decisions, follow policy changes, and write nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.service.service_helpers import T0, Keys, assert_problem, audit_count

from leolink import api
from leolink.geo import grid
from leolink.policy.decide import decide
from leolink.policy.records import GeofenceSpec
from leolink.policy.sky import Sky
from leolink.store import Store

KYIV = (50.4501, 30.5234)
TAIPEI = (25.0330, 121.5654)
MID_ATLANTIC = (0.0, -30.0)


def _approve_status(
    store: Store, code: str, status: str, since: str = "2020-01-01T00:00:00Z"
) -> None:
    change = store.propose_country_status(
        code, status, effective_from=since, source="test", actor="a", reason="test"
    )
    store.approve_country_status(change.id, actor="b", reason="test")


def _reference(
    store: Store, catalog: api.Catalog, lat: float, lon: float, at: str
) -> dict[str, Any]:
    t = api.parse_instant(at)
    decision = decide(None, (lat, lon), t, store.policy_at(t), sky=Sky(catalog))
    return {"at": at, **decision.to_dict()}


def test_availability_is_the_engines_decision(
    client: TestClient, store: Store, catalog: api.Catalog
) -> None:
    _approve_status(store, "UA", "available")
    _approve_status(store, "TW", "service_date_unknown")
    for lat, lon in (KYIV, TAIPEI, MID_ATLANTIC):
        got = client.get("/v1/availability", params={"lat": lat, "lon": lon, "at": T0}).json()
        assert got == _reference(store, catalog, lat, lon, T0)
    kyiv = client.get("/v1/availability", params={"lat": KYIV[0], "lon": KYIV[1], "at": T0}).json()
    assert kyiv["allowed"] is True
    assert kyiv["code"] == "OKAY"
    assert kyiv["serving"]["elevation_deg"] >= 25.0
    assert kyiv["cell"] == grid.cells_to_hex(grid.latlng_to_cells(*KYIV, 5))[0]
    taipei = client.post("/v1/decisions", json={"lat": TAIPEI[0], "lon": TAIPEI[1], "at": T0})
    assert taipei.json()["code"] == "UNLICENSED_COUNTRY"
    assert taipei.json()["country_status"] == "service_date_unknown"


def test_decisions_follow_changes_made_through_the_api(
    app: FastAPI, client: TestClient, store: Store, keys: Keys
) -> None:
    # No periodic recheck: only the store's announcement of each change can tell the service.
    app.state.leolink.decider.recheck_s = 3600.0
    ask = {"lat": KYIV[0], "lon": KYIV[1], "at": T0}
    before = client.post("/v1/decisions", json=ask).json()
    assert before["code"] == "UNLICENSED_COUNTRY"
    proposed = client.post(
        "/v1/country-statuses",
        json={
            "country": "UA",
            "status": "available",
            "effective_from": "2022-02-26T00:00:00Z",
            "source": "https://x.com/elonmusk/status/1497701484003213317",
            "reason": "Starlink activated in Ukraine",
        },
        headers=keys("operator"),
    ).json()
    assert client.post("/v1/decisions", json=ask).json()["code"] == "UNLICENSED_COUNTRY"
    approved = client.post(
        f"/v1/country-statuses/{proposed['id']}/approve",
        json={"reason": "confirmed"},
        headers=keys("bob"),
    )
    assert approved.status_code == 200
    after = client.post("/v1/decisions", json=ask).json()
    assert after["code"] == "OKAY"
    assert after["policy_version"] == before["policy_version"] + 1
    earlier = client.post("/v1/decisions", json={**ask, "at": "2022-02-25T00:00:00Z"}).json()
    assert earlier["code"] == "UNLICENSED_COUNTRY"  # policy as of the instant decided


def test_changes_made_elsewhere_are_seen_at_the_next_version_check(
    app: FastAPI, client: TestClient, db_url: str, tmp_path: Path
) -> None:
    decider = app.state.leolink.decider
    decider.recheck_s = 3600.0  # the version was just looked up: not again for an hour
    ask = {"lat": KYIV[0], "lon": KYIV[1], "at": T0}
    assert client.post("/v1/decisions", json=ask).json()["code"] == "UNLICENSED_COUNTRY"
    # by another process (the command line, a worker): its own store, which tells no one here
    with Store.open(db_url, signing_key=tmp_path / "audit-signing-key.pem") as elsewhere:
        _approve_status(elsewhere, "UA", "blocked")
    stale = client.post("/v1/decisions", json=ask).json()
    assert (stale["code"], stale["policy_version"]) == ("UNLICENSED_COUNTRY", 0)
    decider.recheck_s = 0.0  # the recheck interval has passed
    fresh = client.post("/v1/decisions", json=ask).json()
    assert (fresh["code"], fresh["policy_version"]) == ("BLOCKED_COUNTRY", 1)


def test_terminal_decisions(client: TestClient, store: Store, keys: Keys) -> None:
    _approve_status(store, "UA", "available")
    _approve_status(store, "RU", "blocked")
    store.register_terminal(
        "UT-0001",
        account="acct",
        home_country="UA",
        customer_class="residential",
        actor="a",
        reason="t",
    )
    mine = {"lat": KYIV[0], "lon": KYIV[1], "at": T0, "terminal_id": "UT-0001"}
    assert client.post("/v1/decisions", json=mine).json()["code"] == "OKAY"
    moscow = {**mine, "lat": 55.7558, "lon": 37.6173}
    refused = client.post("/v1/decisions", json=moscow).json()
    assert refused["code"] == "BLOCKED_COUNTRY"
    assert any(r.startswith("roaming:UT-0001") for r in refused["rules"])
    suspended = client.post(
        "/v1/terminals/UT-0001/suspend", json={"reason": "seen in RU"}, headers=keys("operator")
    )
    assert suspended.status_code == 200
    assert client.post("/v1/decisions", json=mine).json()["code"] == "ACCOUNT_DISABLED"
    missing = client.post("/v1/decisions", json={**mine, "terminal_id": "UT-9999"})
    assert "UT-9999" in assert_problem(missing, 404, "not-found")["detail"]


def test_geofence_windows_apply_at_the_instant_decided(
    client: TestClient, store: Store, keys: Keys
) -> None:
    _approve_status(store, "UA", "available")
    crimea_coast = {
        "type": "Polygon",
        "coordinates": [[[32.0, 44.2], [36.8, 44.2], [36.8, 46.2], [32.0, 46.2], [32.0, 44.2]]],
    }
    proposal = {
        "name": "Crimean coast, 16-17 Sep 2022",
        "effect": "deny",
        "area": crimea_coast,
        "window_start": "2022-09-16T00:00:00Z",
        "window_end": "2022-09-18T00:00:00Z",
        "reason": "reported cut during the sea-drone attack",
    }
    fence = client.post("/v1/geofences", json=proposal, headers=keys("operator")).json()
    assert fence["state"] == "proposed"
    assert fence["needs_approval"] is True
    assert fence["area"] == crimea_coast
    approved = client.post(
        f"/v1/geofences/{fence['id']}/approve",
        json={"expected_version": 1, "reason": "second operator"},
        headers=keys("bob"),
    ).json()
    assert approved["state"] == "approved"
    sevastopol = {"lat": 44.6167, "lon": 33.5254}
    inside = client.post("/v1/decisions", json={**sevastopol, "at": "2022-09-17T03:00:00Z"})
    assert inside.json()["code"] == "BLOCKED_AREA"
    assert f"geofence:{fence['id']}" in inside.json()["rules"]
    after = client.post("/v1/decisions", json={**sevastopol, "at": "2022-09-18T00:00:00Z"})
    assert after.json()["code"] != "BLOCKED_AREA"


def test_batch_is_the_single_decisions_in_order(client: TestClient, store: Store) -> None:
    _approve_status(store, "UA", "available")
    items = [
        {"lat": KYIV[0], "lon": KYIV[1], "at": T0},
        {"lat": TAIPEI[0], "lon": TAIPEI[1], "at": T0},
        {"lat": MID_ATLANTIC[0], "lon": MID_ATLANTIC[1], "at": "2026-05-13T12:05:00Z"},
        {"lat": KYIV[0], "lon": KYIV[1], "at": "2026-05-13T12:10:00Z"},
    ]
    batch = client.post("/v1/decisions/batch", json={"items": items})
    assert batch.status_code == 200
    singles = [client.post("/v1/decisions", json=item).json() for item in items]
    assert batch.json() == {"decisions": singles}
    assert [d["code"] for d in singles] == ["OKAY", "UNLICENSED_COUNTRY", "IN_OCEAN", "OKAY"]
    # The allowed ones carry the latency to the 2026 PoP the feed assigns (Kyiv: Warsaw).
    for decision in (singles[0], singles[3]):
        serving = decision["serving"]
        assert serving["pop"] == {"id": "wrswpol1", "name": "Warsaw, Poland"}
        latency = serving["latency"]
        assert latency["estimate"].startswith("model estimate")
        assert latency["pop"] == "wrswpol1"
        assert latency["pop_source"] == "geoip-city"
        parts = ("propagation_space_ms", "propagation_ground_ms", "access_ms", "processing_ms")
        assert latency["min_rtt_ms"] <= latency["median_rtt_ms"] <= latency["p90_rtt_ms"]
        assert latency["median_rtt_ms"] > serving["rtt_ms"]
        assert all(latency[p] >= 0 for p in parts)
        assert 0 <= latency["catalog_age_days"] < 2


@pytest.mark.parametrize(
    ("items", "status", "words"),
    [
        ([], 422, "items"),
        ([{"lat": 0, "lon": 0}] * 1001, 422, "at most 1000"),
        (
            [{"lat": 0, "lon": 0, "at": f"2026-05-13T12:00:{s:02d}Z"} for s in range(60)]
            + [{"lat": 0, "lon": 0, "at": f"2026-05-13T12:01:{s:02d}Z"} for s in range(41)],
            422,
            "distinct instants",
        ),
        ([{"lat": 0, "lon": 0, "terminal_id": "UT-none"}], 404, "UT-none"),
        ([{"lat": 0, "lon": 0, "at": "noon"}], 422, "items[0].at"),
    ],
    ids=["empty", "too-many", "too-many-instants", "unknown-terminal", "bad-time"],
)
def test_batch_refusals(
    client: TestClient, items: list[dict[str, object]], status: int, words: str
) -> None:
    body = assert_problem(client.post("/v1/decisions/batch", json={"items": items}), status)
    assert words in body["detail"]


def test_decisions_write_nothing(client: TestClient, store: Store) -> None:
    store.register_terminal(
        "UT-0001",
        account="acct",
        home_country="UA",
        customer_class="residential",
        actor="a",
        reason="t",
    )
    before = (audit_count(store), store.position_reports())
    item = {"lat": KYIV[0], "lon": KYIV[1], "at": T0, "terminal_id": "UT-0001"}
    assert client.post("/v1/decisions", json=item).status_code == 200
    assert client.post("/v1/decisions/batch", json={"items": [item, item]}).status_code == 200
    assert client.get("/v1/availability", params={"lat": 1, "lon": 2}).status_code == 200
    assert (audit_count(store), store.position_reports()) == before


def test_cells_are_the_batch_engines_policy_decisions(
    client: TestClient, store: Store, catalog: api.Catalog
) -> None:
    _approve_status(store, "UA", "available")
    store.propose_geofence(
        GeofenceSpec(
            name="off",
            effect="deny",
            reason="t",
            cells=("851e6387fffffff",),
            window_start="2026-01-01T00:00:00Z",  # without a start: from its approval, after T0
        ),
        actor="a",
    )
    body = client.get(
        "/v1/availability/cells", params={"bbox": "29,49,33,52", "at": T0, "resolution": 5}
    ).json()
    assert body["truncated"] is False
    assert body["resolution"] == 5
    cells = {c["cell"]: c for c in body["cells"]}
    assert 100 < len(cells) < 1_000
    assert cells["851e6387fffffff"]["code"] == "CELL_IS_DISABLED"
    t = api.parse_instant(T0)
    policy = store.policy_at(t)
    for cell in list(cells)[::37]:
        lat, lon = grid.cells_to_latlng(grid.hex_to_cells([cell]))
        reference = decide(None, (float(lat[0]), float(lon[0])), t, policy)  # no sky
        got = cells[cell]
        assert (got["code"], got["allowed"], got["country"]) == (
            reference.code.value,
            reference.allowed,
            reference.country,
        )
        expected_status = (
            None if reference.country_status is None else reference.country_status.value
        )
        assert got["status"] == expected_status


def test_cells_over_the_cap_are_refused_with_a_resolution_that_fits(client: TestClient) -> None:
    world = client.get("/v1/availability/cells", params={"bbox": "-180,-90,180,90"})
    body = assert_problem(world, 422, "too-many-cells")
    coarser = body["suggested_resolution"]
    assert isinstance(coarser, int)
    assert 0 <= coarser < 5
    fits = client.get(
        "/v1/availability/cells", params={"bbox": "-180,-90,180,90", "resolution": coarser}
    )
    assert fits.status_code == 200
    assert 0 < len(fits.json()["cells"]) <= 20_000
    fine = client.get("/v1/availability/cells", params={"bbox": "0,0,1,1", "resolution": 9})
    assert assert_problem(fine, 422, "too-many-cells")["suggested_resolution"] is not None


def test_cells_across_the_antimeridian(client: TestClient) -> None:
    body = client.get(
        "/v1/availability/cells", params={"bbox": "179,-18,-179,-16", "resolution": 4}
    ).json()
    lons = [
        float(grid.cells_to_latlng(grid.hex_to_cells([c["cell"]]))[1][0]) for c in body["cells"]
    ]
    assert lons
    assert all(abs(lon) >= 179.0 - 0.5 for lon in lons)


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "0,10,1,5", "0,0,0,1", "0,-91,1,1"])
def test_bad_boxes_are_422(client: TestClient, bbox: str) -> None:
    assert_problem(client.get("/v1/availability/cells", params={"bbox": bbox}), 422)


def test_a_batch_without_instants_is_decided_at_one_now(client: TestClient) -> None:
    """Items without ``at`` share the batch's "now" (150 of them are one instant, not 150)."""
    items = [{"lat": MID_ATLANTIC[0], "lon": MID_ATLANTIC[1] + k / 100} for k in range(150)]
    batch = client.post("/v1/decisions/batch", json={"items": items})
    assert batch.status_code == 200, batch.text
    assert len({d["at"] for d in batch.json()["decisions"]}) == 1
