"""``GET /v1/routes``: the JSON of ``leolink route``, from `leolink.api.route`, exactly."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.service.service_helpers import assert_problem

from leolink import api
from leolink.network import Network
from leolink.service import state as service_state

AT = "2026-05-13T12:00:00Z"
LATER = "2026-05-13T12:00:30Z"
PARIS = (48.8534, 2.3488)
LUANDA = (-8.8383, 13.2344)


def _point(p: tuple[float, float]) -> str:
    return f"{p[0]},{p[1]}"


def test_paris_to_luanda_is_api_route(client: TestClient, catalog: api.Catalog) -> None:
    response = client.get(
        "/v1/routes", params={"from": _point(PARIS), "to": _point(LUANDA), "at": AT}
    )
    assert response.status_code == 200
    expected = api.route(catalog, AT, PARIS, LUANDA).as_dict()
    assert response.json() == expected
    assert expected["reachable"]
    assert expected["hops"] > 2


def test_without_to_the_route_ends_at_the_assigned_pop(
    client: TestClient, catalog: api.Catalog
) -> None:
    assigned = client.get("/v1/routes", params={"from": _point(PARIS), "at": AT}).json()
    route, latency = api.internet_route(api.build_network(catalog), AT, PARIS)
    assert latency is not None
    age_days = catalog.days_from_epochs(api.parse_instant(AT))
    assert assigned == {**route.as_dict(), "latency": api.latency_record(latency, age_days)}
    assert assigned["latency"]["estimate"].startswith("model estimate")
    assert assigned["path"][-1]["id"] == "lndngbr1"  # Paris is homed to London by the feed
    assert assigned["latency"]["median_rtt_ms"] > assigned["rtt_ms"]
    chosen = client.get("/v1/routes", params={"from": _point(PARIS), "at": AT, "pop": "frntdeu1"})
    assert chosen.json()["path"][-1]["id"] == "frntdeu1"
    assert chosen.json()["latency"] is None


def test_the_network_is_built_once_per_set_of_link_options(
    client: TestClient, catalog: api.Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    there = {"from": _point(PARIS), "to": _point(LUANDA), "at": AT}
    asked = [
        (there, api.route(catalog, AT, PARIS, LUANDA)),
        (
            {**there, "from": _point(LUANDA), "to": _point(PARIS)},
            api.route(catalog, AT, LUANDA, PARIS),
        ),
        ({**there, "at": LATER}, api.route(catalog, LATER, PARIS, LUANDA)),
        ({**there, "isl": "none"}, api.route(catalog, AT, PARIS, LUANDA, isl="none")),
        (
            {**there, "isl": "none", "at": LATER},
            api.route(catalog, LATER, PARIS, LUANDA, isl="none"),
        ),
    ]
    built: list[dict[str, Any]] = []
    build_network = service_state.build_network

    def counting(*args: Any, **kwargs: Any) -> Network:
        built.append(kwargs)
        return build_network(*args, **kwargs)

    monkeypatch.setattr(service_state, "build_network", counting)
    for params, expected in asked:
        assert client.get("/v1/routes", params=params).json() == expected.as_dict()
    # The default options' network was built with the service (the decisions route over it).
    assert [options["isl"] for options in built] == ["none"]


def test_unreachable_is_200_with_the_reason(client: TestClient) -> None:
    params = {"from": _point(PARIS), "to": _point(LUANDA), "at": AT, "isl": "none"}
    body = client.get("/v1/routes", params=params).json()
    assert body["reachable"] is False
    assert body["rtt_ms"] is None
    assert body["reason"]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"from": "48.85"}, "from"),
        ({"from": "95,2"}, "from"),
        ({"from": "48.85,2.35", "to": "north"}, "to"),
        ({"from": "48.85,2.35", "min_elevation_deg": 25, "max_gsl_km": 1000}, "max_gsl_km"),
        ({"from": "48.85,2.35", "to": "-8.8,13.2", "pop": "frntdeu1"}, "pop"),
        ({"from": "48.85,2.35", "gateways": "false"}, "gateways"),
    ],
)
def test_bad_input_is_a_422_naming_it(
    client: TestClient, params: dict[str, str | int], named: str
) -> None:
    body = assert_problem(
        client.get("/v1/routes", params={"at": AT, **params}), 422, "invalid-input"
    )
    assert named in body["detail"]


def test_the_openapi_schema_lists_routes(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/routes"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"from", "to", "at", "isl", "min_elevation_deg", "max_gsl_km", "pop"} <= names
    assert "security" not in operation or not operation["security"]


def test_the_ground_segment_names_pops_as_starlink_does(client: TestClient) -> None:
    body = client.get("/v1/ground-segment").json()
    pops = {p["id"]: p for p in body["pops"]}
    assert pops["frntdeu1"]["name"] == "Frankfurt, Germany"
    assert {"limaper1", "sngesgp1", "dohaqat1"} <= set(pops)
    assert len(body["gateways"]) == 261
    assert {g["home_pop"] for g in body["gateways"]} <= set(pops)
    assert body["route_factor"] == 1.3
    assert body["sources"]["pops"] == "starlink-pops-2026.csv"
