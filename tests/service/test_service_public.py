"""Public reads (health, countries, satellites, visible), the web bundle, and error shapes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from tests.service.service_helpers import T0, assert_problem

from leolink import api
from leolink.service import create_app
from leolink.service.static import DEFAULT_STATIC_DIR
from leolink.store import Store

#: Rounding of the columnar satellites: 1e-4 degrees, 0.01 km (half a unit, plus float noise).
LATLON_TOLERANCE_DEG = 0.5e-4 + 1e-9
ALT_TOLERANCE_KM = 0.5e-2 + 1e-9


def test_health(client: TestClient, store: Store, catalog: api.Catalog) -> None:
    body = client.get("/v1/health").json()
    assert body["status"] == "ok"
    assert body["catalog"]["satellites"] == len(catalog) == 10_361
    assert body["catalog"]["epoch_min"] == api.format_instant(catalog.epochs.min())
    assert body["catalog"]["epoch_max"].startswith("2026-05-13T")
    assert body["policy_version"] == 0
    change = store.propose_country_status(
        "PL", "available", effective_from=T0, source="t", actor="a", reason="t"
    )
    store.approve_country_status(change.id, actor="b", reason="t")
    assert client.get("/v1/health").json()["policy_version"] == 1


def test_countries_layer_is_small_and_carries_statuses_as_of_at(
    client: TestClient, store: Store
) -> None:
    change = store.propose_country_status(
        "TW",
        "service_date_unknown",
        effective_from="2020-01-01T00:00:00Z",
        source="https://www.starlink.com/map",
        actor="a",
        reason="public map",
    )
    store.approve_country_status(change.id, actor="b", reason="public map")
    now = client.get("/v1/countries", headers={"Accept-Encoding": "identity"})
    assert now.status_code == 200
    assert now.headers["content-type"] == "application/geo+json"
    assert len(now.content) < 2_000_000
    layer = now.json()
    assert layer["type"] == "FeatureCollection"
    assert len(layer["features"]) == 248
    by_code = {f["properties"]["iso_a3"]: f for f in layer["features"]}
    taiwan = by_code["TWN"]["properties"]
    assert taiwan == {
        "iso_a2": "TW",
        "iso_a3": "TWN",
        "name": "Taiwan",
        "status": "service_date_unknown",
        "status_since": "2020-01-01T00:00:00Z",
    }
    assert by_code["FRA"]["properties"]["status"] is None
    assert by_code["VAT"]["geometry"]["type"] == "Point"  # collapsed in the 1:50m source
    assert by_code["UKR"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    before = client.get("/v1/countries", params={"at": "2019-12-31T23:59:59Z"}).json()
    old = next(f for f in before["features"] if f["properties"]["iso_a2"] == "TW")
    assert old["properties"]["status"] is None
    etag = now.headers["etag"]
    assert client.get("/v1/countries", headers={"If-None-Match": etag}).status_code == 304
    earlier = client.get(
        "/v1/countries", params={"at": "2019-12-31T23:59:59Z"}, headers={"If-None-Match": etag}
    )
    assert earlier.status_code == 200  # other statuses were in force then
    zipped = client.get("/v1/countries", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < 600_000


def test_satellites_are_columns_that_agree_with_the_positions_command(
    client: TestClient, catalog: api.Catalog
) -> None:
    body = client.get("/v1/satellites", params={"at": T0}).json()
    assert body["at"] == T0
    assert body["warning"] is None
    columns = body["satellites"]
    assert set(columns) == {"norad_id", "name", "lat_deg", "lon_deg", "alt_km"}
    assert {len(c) for c in columns.values()} == {body["count"]}
    reference = [p for p in api.positions(catalog, api.parse_instant(T0)) if p.error is None]
    assert body["count"] == len(reference) > 10_000
    assert columns["norad_id"] == [p.norad_id for p in reference]
    assert columns["name"][:3] == [p.name for p in reference[:3]]
    np.testing.assert_allclose(
        columns["lat_deg"], [p.lat_deg for p in reference], rtol=0, atol=LATLON_TOLERANCE_DEG
    )
    np.testing.assert_allclose(
        columns["lon_deg"], [p.lon_deg for p in reference], rtol=0, atol=LATLON_TOLERANCE_DEG
    )
    np.testing.assert_allclose(
        columns["alt_km"], [p.alt_km for p in reference], rtol=0, atol=ALT_TOLERANCE_KM
    )


def test_satellites_warn_when_the_catalog_is_stale(client: TestClient) -> None:
    body = client.get("/v1/satellites", params={"at": "2026-09-01T00:00:00Z"}).json()
    assert "days from the epochs" in body["warning"]
    assert body["count"] <= 10_361
    now = client.get("/v1/satellites").json()  # default: now
    assert now["at"].endswith("Z")


def test_positions_at_now_are_not_kept_in_the_cache(client: TestClient) -> None:
    # "now" is a new instant every time: keeping it would push out the instants maps reuse.
    state = client.app.state.leolink  # type: ignore[attr-defined]
    for query in ({}, {"at": "now"}, {"at": "now", "lat": 50, "lon": 30}):
        path = "/v1/visible" if "lat" in query else "/v1/satellites"
        assert client.get(path, params=query).status_code == 200
    assert len(state._ephemerides) == 0
    assert client.get("/v1/satellites", params={"at": T0}).status_code == 200
    assert client.get("/v1/visible", params={"at": T0, "lat": 50, "lon": 30}).status_code == 200
    assert len(state._ephemerides) == 1


def test_visible_is_the_visible_command(client: TestClient, catalog: api.Catalog) -> None:
    response = client.get(
        "/v1/visible", params={"lat": 51.5074, "lon": -0.1278, "at": T0, "min_elevation_deg": 30}
    )
    assert response.status_code == 200
    assert "warning" not in response.headers
    reference = api.visible(
        catalog, 51.5074, -0.1278, api.parse_instant(T0), min_elevation_deg=30.0
    )
    got = response.json()
    assert [s["norad_id"] for s in got] == [s.norad_id for s in reference]
    assert len(got) > 5
    np.testing.assert_allclose(
        [s["elevation_deg"] for s in got], [s.elevation_deg for s in reference], atol=1e-9
    )
    stale = client.get("/v1/visible", params={"lat": 0, "lon": 0, "at": "2027-01-01T00:00:00Z"})
    assert stale.headers["warning"].startswith('299 leolink "')


@pytest.mark.parametrize(
    ("path", "params", "slug"),
    [
        ("/v1/visible", {"lat": 91, "lon": 0}, "invalid-request"),
        ("/v1/visible", {"lat": "x", "lon": 0}, "invalid-request"),
        ("/v1/visible", {"lon": 0}, "invalid-request"),
        ("/v1/satellites", {"at": "2026-05-13T12:00:00"}, "invalid-input"),
        ("/v1/satellites", {"at": "yesterday"}, "invalid-input"),
        ("/v1/countries", {"at": "2026-13-01T00:00:00Z"}, "invalid-input"),
    ],
)
def test_bad_queries_are_422_problems(
    client: TestClient, path: str, params: dict[str, object], slug: str
) -> None:
    body = assert_problem(client.get(path, params=params), 422, slug)
    if slug == "invalid-input":
        assert "2026-05-13T12:00:00Z" in body["detail"]  # the message shows the expected form
    else:
        assert body["errors"][0]["loc"][0] == "query"


def test_unknown_paths_and_methods_are_problems(client: TestClient) -> None:
    assert "/docs" in assert_problem(client.get("/v1/nothing"), 404, "not-found")["detail"]
    assert_problem(client.get("/nothing"), 404, "not-found")
    assert_problem(client.delete("/v1/health"), 405, "method-not-allowed")
    bad_json = client.post(
        "/v1/decisions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_problem(bad_json, 400, "malformed-request")


def test_openapi_documents_problem_responses(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "ProblemDetails" in spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            assert "application/problem+json" in op["responses"]["422"]["content"], (method, path)


def test_the_web_map_is_served(client: TestClient) -> None:
    index = client.get("/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert index.headers["cache-control"] == "no-cache"
    assert index.text == (DEFAULT_STATIC_DIR / "index.html").read_text()
    asset = next((DEFAULT_STATIC_DIR / "assets").iterdir())
    served = client.get(f"/assets/{asset.name}")
    assert served.status_code == 200
    assert served.content == asset.read_bytes()
    assert "immutable" in served.headers["cache-control"]
    assert client.get("/assets/../index.html").status_code == 404
    assert client.get("/assets/nothing.js").status_code == 404


def test_a_missing_bundle_is_a_clear_503(
    store: Store, catalog: api.Catalog, tmp_path: Path
) -> None:
    app = create_app(store=store, catalog=catalog, static_dir=tmp_path / "static")
    with TestClient(app) as client:
        for path in ("/", "/assets/index-abc.js", "/favicon.svg"):
            page = client.get(path)
            assert page.status_code == 503, path
            assert "npm --prefix web run build" in page.text
        assert client.get("/v1/health").status_code == 200


def test_top_level_files_of_the_bundle_are_served(
    store: Store, catalog: api.Catalog, tmp_path: Path
) -> None:
    static = tmp_path / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text("<!doctype html><title>map</title>")
    (static / "favicon.svg").write_text("<svg/>")
    (static / ".secret").write_text("no")
    app = create_app(store=store, catalog=catalog, static_dir=static)
    with TestClient(app) as client:
        assert client.get("/").text == "<!doctype html><title>map</title>"
        assert client.get("/favicon.svg").text == "<svg/>"
        assert_problem(client.get("/.secret"), 404, "not-found")
        assert_problem(client.get("/index.html"), 404, "not-found")


def test_large_responses_are_gzipped_on_request(client: TestClient) -> None:
    raw = client.get("/v1/satellites", params={"at": T0}, headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert json.loads(raw.content)["count"] > 10_000  # httpx decoded it
    assert int(raw.headers["content-length"]) < len(raw.content) / 2
