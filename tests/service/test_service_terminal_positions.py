"""``GET /v1/terminals/positions``: each terminal at its latest report, decided there.

Every item's decision is checked against ``POST /v1/decisions`` with the terminal named (less
the satellite part) and against the reference engine itself, rather than against hard-coded
codes; the codes are asserted only to show that each case the fleet was built for occurred.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from tests.service.service_helpers import T0, Keys, assert_problem

from leolink.policy.decide import decide
from leolink.policy.enforcement import VIOLATIONS
from leolink.policy.records import GeofenceSpec, Role
from leolink.store import Store
from leolink.time import format_instant, parse_instant

KYIV = (50.4501, 30.5234)
LVIV = (49.8397, 24.0297)
WARSAW = (52.2297, 21.0122)
MOSCOW = (55.7558, 37.6173)
KHARKIV = (49.9935, 36.2304)  # inside the deny geofence
ODESA = (46.4825, 30.7233)  # inside the allow-list geofence
ATLANTIC = (0.0, -30.0)
FIJI_WEST = (-16.43, 179.37)  # Vanua Levu, west of the antimeridian
FIJI_EAST = (-18.20, -178.80)  # Lakeba, east of it
FIELDS = {
    "id",
    "account",
    "state",
    "home_country",
    "customer_class",
    "plan",
    "reported_at",
    "lat",
    "lon",
    "cell",
    "country",
    "country_status",
    "allowed",
    "code",
    "reasons",
    "rules",
    "policy_version",
    "violation",
}


def _at(hours: float, base: str = T0) -> str:
    """``base`` moved by ``hours`` (negative: before)."""
    return format_instant(parse_instant(base) + np.timedelta64(int(hours * 3_600e6), "us"))


def _box_around(lat: float, lon: float, half_deg: float = 0.1) -> dict[str, Any]:
    west, east = lon - half_deg, lon + half_deg
    south, north = lat - half_deg, lat + half_deg
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def _approve_status(store: Store, code: str, status: str) -> None:
    change = store.propose_country_status(
        code, status, effective_from="2020-01-01T00:00:00Z", source="test", actor="a", reason="t"
    )
    store.approve_country_status(change.id, actor="b", reason="test")


def _register(
    store: Store,
    terminal_id: str,
    reports: list[tuple[float, tuple[float, float]]],
    *,
    home: str = "UA",
    customer_class: str = "residential",
    plan: str = "standard",
    account: str = "acct",
    suspended: bool = False,
) -> None:
    """A terminal with reports given as (hours from T0, (lat, lon))."""
    store.register_terminal(
        terminal_id,
        account=account,
        home_country=home,
        customer_class=customer_class,
        plan=plan,
        actor="a",
        reason="test",
    )
    if reports:
        store.report_positions(
            terminal_id,
            [_at(h) for h, _ in reports],
            [p[0] for _, p in reports],
            [p[1] for _, p in reports],
            actor="a",
        )
    if suspended:
        store.update_terminal(terminal_id, state="suspended", actor="a", reason="test")


DAY_H = 24.0
#: Fences start here, before every instant asked (a fence without a start takes effect when
#: approved, which is after T0 on the store's clock).
IN_FORCE = "2026-01-01T00:00:00Z"


@pytest.fixture
def fleet(store: Store) -> Store:
    """Statuses, a deny area, an allow-list area, and a terminal for each case."""
    for code, status in (("UA", "available"), ("PL", "available"), ("FJ", "available")):
        _approve_status(store, code, status)
    _approve_status(store, "RU", "blocked")
    store.propose_geofence(
        GeofenceSpec(
            name="Kharkiv centre",
            effect="deny",
            reason="test",
            window_start=IN_FORCE,
            area_geojson=_box_around(*KHARKIV),
        ),
        actor="a",
        geofence_id="gf-kharkiv",
    )
    store.propose_geofence(
        GeofenceSpec(
            name="Odesa port",
            effect="allowlist",
            reason="test",
            window_start=IN_FORCE,
            area_geojson=_box_around(*ODESA),
        ),
        actor="a",
        geofence_id="gf-odesa",
    )
    _register(store, "UT-KYIV", [(-1, KYIV), (3, LVIV)])
    _register(store, "UT-KYIV-2", [(-0.5, (50.40, 30.60))])
    _register(store, "UT-MOSCOW", [(-2, MOSCOW)])
    _register(store, "UT-KHARKIV", [(-1, KHARKIV)])
    _register(store, "UT-ODESA-IN", [(-1, ODESA)])
    _register(store, "UT-ODESA-OUT", [(-1, (ODESA[0] + 0.01, ODESA[1]))])
    store.add_to_allowlist("gf-odesa", ["UT-ODESA-IN"], actor="a", reason="test")
    _register(store, "UT-SUSP", [(-1, KYIV)], suspended=True)
    _register(store, "UT-SUSP-RU", [(-1, MOSCOW)], suspended=True)
    _register(store, "UT-ROAM-LONG", [(-100 * DAY_H, KYIV), (-90 * DAY_H, WARSAW), (-1, WARSAW)])
    _register(
        store,
        "UT-ROAM-BACK",  # away 100 days ago, home 10 days ago, away again since 5 days
        [(-100 * DAY_H, WARSAW), (-10 * DAY_H, KYIV), (-5 * DAY_H, WARSAW), (-1, WARSAW)],
    )
    _register(store, "UT-ROAM-PLAN", [(-90 * DAY_H, WARSAW), (-1, WARSAW)], plan="roam")
    _register(store, "UT-ROAM-NEW", [(-1, WARSAW)])
    _register(store, "UT-SEA", [(-1, ATLANTIC)], account="fleet")
    _register(store, "UT-SHIP", [(-1, (10.0, -30.0))], customer_class="maritime", account="fleet")
    _register(store, "UT-FIJI-W", [(-1, FIJI_WEST)], home="FJ", account="pacific")
    _register(store, "UT-FIJI-E", [(-1, FIJI_EAST)], home="FJ", account="pacific")
    _register(store, "UT-NEVER", [])
    _register(store, "UT-LATER", [(1, KYIV)])
    _register(store, "UT-AT", [(0, LVIV)])
    return store


def _positions(client: TestClient, keys: Keys, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/terminals/positions", params=params, headers=keys("viewer"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in body["items"]}


def _assert_as_post_decision(client: TestClient, item: dict[str, Any], at: str) -> None:
    """The item's decision is ``POST /v1/decisions``'s for its terminal, less the satellite."""
    ask = {"lat": item["lat"], "lon": item["lon"], "at": at, "terminal_id": item["id"]}
    full = client.post("/v1/decisions", json=ask).json()
    for field in ("cell", "country", "country_status", "policy_version"):
        assert item[field] == full[field], (item["id"], field)
    assert item["violation"] is (item["code"] in {c.value for c in VIOLATIONS})
    if full["code"] == "NO_SATELLITE_IN_VIEW":  # policy allowed it; the sky did not
        assert (item["allowed"], item["code"]) == (True, "OKAY"), item["id"]
        return
    assert (item["allowed"], item["code"], item["rules"]) == (
        full["allowed"],
        full["code"],
        full["rules"],
    ), item["id"]
    if item["allowed"]:  # the last reason is the satellite's: checked there, not here
        assert item["reasons"][:-1] == full["reasons"][:-1], item["id"]
        assert full["serving"] is not None
    else:
        assert item["reasons"] == full["reasons"], item["id"]


def _assert_as_reference(store: Store, item: dict[str, Any], at: str) -> None:
    """The item's decision is the reference engine's, field for field (no sky either side)."""
    t = parse_instant(at)
    terminal = store.terminal(item["id"])
    reports = store.position_reports(terminal.id, end=t + np.timedelta64(1, "us"))
    expected = decide(terminal, (item["lat"], item["lon"]), t, store.policy_at(t), reports=reports)
    got = {k: item[k] for k in expected.to_dict() if k != "serving"}
    assert got == {k: v for k, v in expected.to_dict().items() if k != "serving"}, item["id"]


def test_each_terminal_at_its_latest_report_is_decided_as_post_decisions(
    client: TestClient, fleet: Store, keys: Keys
) -> None:
    body = _positions(client, keys, at=T0, limit=1000)
    assert body["at"] == T0
    assert body["next"] is None
    items = _by_id(body)
    assert list(items) == sorted(items)
    assert all(set(item) == FIELDS for item in items.values())
    # Never reported by T0: absent; reported exactly at T0: present.
    assert "UT-NEVER" not in items
    assert "UT-LATER" not in items
    assert items["UT-AT"]["reported_at"] == T0
    assert (items["UT-KYIV"]["lat"], items["UT-KYIV"]["lon"]) == KYIV
    assert items["UT-KYIV"]["reported_at"] == _at(-1)
    for item in items.values():
        _assert_as_post_decision(client, item, T0)
        _assert_as_reference(fleet, item, T0)
    # The cases the fleet was built for did occur.
    code = {tid: item["code"] for tid, item in items.items()}
    assert code["UT-KYIV"] == code["UT-KYIV-2"] == code["UT-ODESA-IN"] == "OKAY"
    assert code["UT-MOSCOW"] == "BLOCKED_COUNTRY"
    assert code["UT-KHARKIV"] == code["UT-ODESA-OUT"] == "BLOCKED_AREA"
    assert code["UT-SUSP"] == code["UT-SUSP-RU"] == "ACCOUNT_DISABLED"
    assert code["UT-ROAM-LONG"] == "ROAM_RESTRICTED"
    assert code["UT-ROAM-BACK"] == code["UT-ROAM-PLAN"] == code["UT-ROAM-NEW"] == "OKAY"
    assert (code["UT-SEA"], code["UT-SHIP"]) == ("IN_OCEAN", "OKAY")
    violations = {tid for tid, item in items.items() if item["violation"]}
    assert violations == {"UT-MOSCOW", "UT-KHARKIV", "UT-ODESA-OUT"}
    assert items["UT-MOSCOW"]["country"] == "RU"
    assert any("allow-list" in r for r in items["UT-ODESA-IN"]["reasons"])
    assert any("suspended" in r for r in items["UT-SUSP"]["reasons"])


def test_at_picks_the_latest_report_at_or_before_it(
    client: TestClient, fleet: Store, keys: Keys
) -> None:
    later = _at(3)
    items = _by_id(_positions(client, keys, at=later))
    assert (items["UT-KYIV"]["lat"], items["UT-KYIV"]["lon"]) == LVIV  # the newer report
    assert items["UT-KYIV"]["reported_at"] == later
    assert items["UT-LATER"]["reported_at"] == _at(1)
    for tid in ("UT-KYIV", "UT-LATER"):
        _assert_as_post_decision(client, items[tid], later)
    just_before = _at(-1 / 3600)  # a second before T0: UT-AT has not reported yet
    assert "UT-AT" not in _by_id(_positions(client, keys, at=just_before))
    assert _positions(client, keys, at="2020-01-01T00:00:00Z")["items"] == []


def test_the_roaming_rule_follows_the_instant(client: TestClient, fleet: Store, keys: Keys) -> None:
    # 55 days after T0 the terminal that left home 5 days before T0 has been away 60 days and
    # an hour, the one that left 90 days before T0 on a roam plan still may stay.
    at = _at(55 * DAY_H + 1)
    items = _by_id(_positions(client, keys, at=at))
    assert items["UT-ROAM-BACK"]["code"] == "ROAM_RESTRICTED"
    assert items["UT-ROAM-NEW"]["code"] == "OKAY"  # reported once, an hour before T0
    assert items["UT-ROAM-PLAN"]["code"] == "OKAY"
    for item in items.values():
        _assert_as_reference(fleet, item, at)


def test_a_box_across_the_antimeridian(client: TestClient, fleet: Store, keys: Keys) -> None:
    across = _by_id(_positions(client, keys, at=T0, bbox="170,-30,-170,0"))
    assert set(across) == {"UT-FIJI-W", "UT-FIJI-E"}
    west_only = _by_id(_positions(client, keys, at=T0, bbox="175,-30,-179,0"))
    assert set(west_only) == {"UT-FIJI-W"}
    ukraine = _by_id(_positions(client, keys, at=T0, bbox="22,44,41,53"))
    assert set(ukraine) == {
        "UT-KYIV",
        "UT-KYIV-2",
        "UT-KHARKIV",
        "UT-ODESA-IN",
        "UT-ODESA-OUT",
        "UT-SUSP",
        "UT-AT",
    }
    for item in (*across.values(), *ukraine.values()):
        _assert_as_post_decision(client, item, T0)


def test_filters_by_account_and_state(client: TestClient, fleet: Store, keys: Keys) -> None:
    suspended = _by_id(_positions(client, keys, at=T0, state="suspended"))
    assert set(suspended) == {"UT-SUSP", "UT-SUSP-RU"}
    assert {i["state"] for i in suspended.values()} == {"suspended"}
    assert set(_by_id(_positions(client, keys, at=T0, account="fleet"))) == {"UT-SEA", "UT-SHIP"}
    assert _positions(client, keys, at=T0, account="fleet", state="suspended")["items"] == []
    both = _positions(client, keys, at=T0, account="acct", state="active", bbox="22,44,41,53")
    assert "UT-SUSP" not in _by_id(both)
    assert _positions(client, keys, at=T0, account="nobody")["items"] == []


def test_pages_follow_next_with_the_same_instant(
    client: TestClient, fleet: Store, keys: Keys
) -> None:
    everything = [i["id"] for i in _positions(client, keys, at=T0, limit=1000)["items"]]
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        params: dict[str, Any] = {"at": T0, "limit": 4}
        if after is not None:
            params["after"] = after
        body = _positions(client, keys, **params)
        assert body["at"] == T0
        assert len(body["items"]) <= 4
        seen += [i["id"] for i in body["items"]]
        pages += 1
        after = body["next"]
        if after is None:
            break
    assert seen == everything
    assert pages == -(-len(everything) // 4)
    assert [i["id"] for i in _positions(client, keys, at=T0, after="UT-S")["items"]] == [
        t for t in everything if t > "UT-S"
    ]


def test_who_may_read_positions(client: TestClient, fleet: Store, keys: Keys) -> None:
    url = "/v1/terminals/positions"
    assert_problem(client.get(url), 401, "unauthenticated")
    # A terminal key reports its own positions; it may not read where the others are.
    assert_problem(client.get(url, headers=keys("UT-0001")), 403, "forbidden")
    assert_problem(client.get(url, headers=keys("terminal")), 403, "forbidden")
    for role in (Role.VIEWER, Role.OPERATOR, Role.AUDITOR, Role.ADMIN):
        assert client.get(url, params={"at": T0}, headers=keys(role.value)).status_code == 200


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"bbox": "22,44,41"}, "bbox"),
        ({"bbox": "west,south,east,north"}, "bbox"),
        ({"bbox": "22,53,41,44"}, "bbox"),  # south above north
        ({"bbox": "22,44,41,95"}, "bbox"),
        ({"bbox": "30,44,30,53"}, "bbox"),  # no width
        ({"at": "yesterday"}, "at"),
        ({"at": "2026-05-13T12:00:00"}, "at"),  # no time zone
    ],
)
def test_bad_input_is_a_problem_naming_it(
    client: TestClient, keys: Keys, params: dict[str, str], named: str
) -> None:
    response = client.get("/v1/terminals/positions", params=params, headers=keys("viewer"))
    body = assert_problem(response, 422, "invalid-input")
    assert body["detail"].startswith(f"{named}"), body["detail"]


@pytest.mark.parametrize(
    ("params", "named"),
    [({"state": "asleep"}, "state"), ({"limit": "0"}, "limit"), ({"limit": "1001"}, "limit")],
)
def test_bad_parameters_fail_the_schema(
    client: TestClient, keys: Keys, params: dict[str, str], named: str
) -> None:
    response = client.get("/v1/terminals/positions", params=params, headers=keys("viewer"))
    body = assert_problem(response, 422, "invalid-request")
    assert ["query", named] in [e["loc"] for e in body["errors"]]


def test_terminal_ids_are_not_taken_for_the_route(
    client: TestClient, fleet: Store, keys: Keys
) -> None:
    one = client.get("/v1/terminals/UT-KYIV", headers=keys("viewer"))
    assert one.status_code == 200
    assert one.json()["id"] == "UT-KYIV"
    assert set(_positions(client, keys, at=T0)) == {"at", "items", "next"}


def test_a_larger_fleet_is_decided_as_the_reference_engine_does(
    client: TestClient, store: Store, keys: Keys
) -> None:
    """Random terminals over every rule, several pages: batch codes and shared words equal
    the reference engine's decision for each terminal, reasons included."""
    for code, status in (("UA", "available"), ("PL", "available"), ("BY", "coming_soon")):
        _approve_status(store, code, status)
    _approve_status(store, "RU", "blocked")
    store.propose_geofence(
        GeofenceSpec(
            name="Kharkiv",
            effect="deny",
            reason="t",
            window_start=IN_FORCE,
            area_geojson=_box_around(*KHARKIV, 0.2),
        ),
        actor="a",
        geofence_id="gf-kharkiv",
    )
    store.propose_geofence(
        GeofenceSpec(
            name="Odesa",
            effect="allowlist",
            reason="t",
            window_start=IN_FORCE,
            area_geojson=_box_around(*ODESA, 0.2),
        ),
        actor="a",
        geofence_id="gf-odesa",
    )
    rng = np.random.default_rng(7)
    places = [KYIV, LVIV, WARSAW, MOSCOW, KHARKIV, ODESA, ATLANTIC, (53.9, 27.56), (48.0, 60.0)]
    members = []
    for k in range(60):
        reports = [
            (-float(rng.uniform(0.1, 120 * DAY_H)), places[int(rng.integers(len(places)))])
            for _ in range(int(rng.integers(1, 4)))
        ]
        reports = [
            (h, (lat + rng.normal(0, 0.05), lon + rng.normal(0, 0.05))) for h, (lat, lon) in reports
        ]
        tid = f"UT-{k:03d}"
        _register(
            store,
            tid,
            reports,
            home=str(rng.choice(["UA", "UA", "PL", "RU", "BY"])),
            customer_class=str(rng.choice(["residential", "business", "maritime"])),
            plan=str(rng.choice(["standard", "standard", "roam"])),
            suspended=bool(rng.random() < 0.15),
        )
        if rng.random() < 0.3:
            members.append(tid)
    store.add_to_allowlist("gf-odesa", members, actor="a", reason="t")
    codes = set()
    for at in (T0, _at(30 * DAY_H)):
        after = None
        while True:
            params: dict[str, Any] = {"at": at, "limit": 25}
            if after is not None:
                params["after"] = after
            body = _positions(client, keys, **params)
            for item in body["items"]:
                _assert_as_reference(store, item, at)
                codes.add(item["code"])
            after = body["next"]
            if after is None:
                break
    assert len(codes) >= 6, codes


def test_the_response_is_compact_json(client: TestClient, fleet: Store, keys: Keys) -> None:
    response = client.get(
        "/v1/terminals/positions", params={"at": T0, "limit": 1}, headers=keys("viewer")
    )
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.content)["next"] is not None
