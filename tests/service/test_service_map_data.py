"""What the web map reads besides availability: places and label points, shells, a ground
track, and the caller's own key."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient
from tests.service.service_helpers import Keys, assert_problem

from leolink import api
from leolink.geo import places

#: Kyiv in GeoNames (id 703448): its position to 4 decimals.
KYIV_LAT_LON = (50.4547, 30.5238)
#: Tolerance of the track against a direct propagation: the route rounds to 1e-4 degrees.
TRACK_TOLERANCE_DEG = 0.5e-4 + 1e-9


def test_places_list_the_gazetteer_and_label_points(client: TestClient) -> None:
    response = client.get("/v1/places")
    assert response.status_code == 200
    body = response.json()
    p = body["places"]
    assert len(p["name"]) == len(places.all_places()) > 10_000
    assert body["min_population"] == places.MIN_POPULATION
    assert min(p["population"]) >= places.MIN_POPULATION
    assert p["population"] == sorted(p["population"], reverse=True)
    i = p["name"].index("Kyiv")
    assert (p["country"][i], p["lat_deg"][i], p["lon_deg"][i]) == ("UA", *KYIV_LAT_LON)
    c = body["countries"]
    j = c["iso_a2"].index("UA")
    assert c["name"][j] == "Ukraine"
    # The label point is on Ukraine's land.
    found = api.countries_at(np.array([c["lat_deg"][j]]), np.array([c["lon_deg"][j]]))
    assert found.codes()[0] == "UA"
    assert "GeoNames" in body["source"]
    assert "Natural Earth" in body["source"]


def test_shells_assign_most_satellites_to_a_shell(client: TestClient, catalog: api.Catalog) -> None:
    body = client.get("/v1/satellites/shells").json()
    assert len(body["norad_id"]) == len(body["shell"]) == len(catalog)
    assert body["norad_id"] == catalog.norad_ids.tolist()
    shells = body["shells"]
    assert len(shells) >= 5
    assigned = np.array(body["shell"])
    assert ((assigned >= -1) & (assigned < len(shells))).all()
    assert (assigned >= 0).mean() > 0.8
    # Each shell's count is the number of satellites that name it.
    for k, shell in enumerate(shells):
        assert shell["satellites"] == int((assigned == k).sum())
    altitudes = sorted(s["altitude_km"] for s in shells)
    assert altitudes[0] > 300
    assert altitudes[-1] < 700


def test_track_is_the_satellites_positions_around_at(
    client: TestClient, catalog: api.Catalog
) -> None:
    norad = int(catalog.norad_ids[0])
    at = "2026-05-13T12:00:00Z"
    body = client.get(
        f"/v1/satellites/{norad}/track",
        params={"at": at, "before_min": 10, "after_min": 20, "step_s": 60},
    ).json()
    assert body["norad_id"] == norad
    assert body["at"] == at
    assert len(body["times"]) == 31
    assert body["times"][10] == at
    # The same instants propagated directly.
    times = np.array([api.parse_instant(t) for t in body["times"][0:31:10]])
    eph = api.propagate(catalog.select_norad([norad]), times)
    lat, lon, _ = api.itrs_to_geodetic(eph.r_itrs_km[0])
    np.testing.assert_allclose(body["lat_deg"][0:31:10], lat, atol=TRACK_TOLERANCE_DEG)
    np.testing.assert_allclose(body["lon_deg"][0:31:10], lon, atol=TRACK_TOLERANCE_DEG)
    # The sub-satellite point of a ~550 km orbit moves ~3.8° of arc a minute (7.6 km/s x
    # 6371 / 6921 km over the ground).
    lat_rad, lon_rad = np.radians(body["lat_deg"]), np.radians(body["lon_deg"])
    arc_deg = np.degrees(
        np.arccos(
            np.clip(
                np.sin(lat_rad[:-1]) * np.sin(lat_rad[1:])
                + np.cos(lat_rad[:-1]) * np.cos(lat_rad[1:]) * np.cos(np.diff(lon_rad)),
                -1,
                1,
            )
        )
    )
    assert ((arc_deg > 3.0) & (arc_deg < 4.5)).all(), arc_deg


def test_track_of_an_unknown_satellite_is_404_and_bad_ranges_422(client: TestClient) -> None:
    problem = assert_problem(client.get("/v1/satellites/1/track"), 404, "not-found")
    assert "norad_id=1" in problem["detail"]
    assert_problem(client.get("/v1/satellites/44713/track?step_s=1"), 422)
    assert_problem(client.get("/v1/satellites/44713/track?after_min=100000"), 422)


def test_keys_me_names_the_caller_and_its_permissions(client: TestClient, keys: Keys) -> None:
    body = client.get("/v1/keys/me", headers=keys("bob")).json()
    assert body == {
        "name": "bob",
        "role": "operator",
        "permissions": sorted(["read", "report_positions", "manage_policy", "manage_terminals"]),
    }
    auditor = client.get("/v1/keys/me", headers=keys("auditor")).json()
    assert auditor["role"] == "auditor"
    assert "manage_policy" not in auditor["permissions"]
    assert_problem(client.get("/v1/keys/me"), 401, "unauthenticated")
