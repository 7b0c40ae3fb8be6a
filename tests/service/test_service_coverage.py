"""GET /v1/coverage: the library's sweep over HTTP, bounded before any work, cached.

The reference is `leolink.api.coverage` on the same region and window (run here, on numba's
threads; the service runs the kernel on one thread, which gives the same figures to the bit).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.service.service_helpers import T0, assert_problem

from leolink import api
from leolink.coverage.merit import region_statistics
from leolink.geo import grid
from leolink.service import coverage as service_coverage
from leolink.service.state import ServiceState

#: The service rounds figures to 0.001; a value may differ from the library's by half of that.
ROUNDING = 0.0005
#: Ten minutes at 60 s: 11 instants, a fraction of a second to sweep.
T_END = "2026-05-13T12:10:00Z"


def _state(app: FastAPI) -> ServiceState:
    state: ServiceState = app.state.leolink
    return state


def _same(got: list[Any], expected: np.ndarray) -> bool:
    """Service values (rounded, None for NaN) against the library's."""
    if len(got) != expected.size:
        return False
    for g, e in zip(got, expected.tolist(), strict=True):
        if not math.isfinite(e):
            if g is not None:
                return False
        elif g is None or abs(g - e) > ROUNDING:
            return False
    return True


def _check_against_library(body: dict[str, Any], result: api.SweepResult) -> None:
    per_cell = result.figures.per_cell()
    assert list(body["figures"]) == list(per_cell)
    assert set(body["cells"]) == {"cell", *per_cell}
    assert body["cells"]["cell"] == grid.cells_to_hex(result.cells)
    for name, column in per_cell.items():
        assert _same(body["cells"][name], column), name
        assert body["figures"][name]["label"]
    assert body["region"] == result.plan.region
    assert body["steps"] == result.figures.steps
    assert body["resolution"] == result.plan.resolution
    summary = body["summary"]
    assert summary["cells"] == result.cells.size
    assert summary["area_km2"] == pytest.approx(result.area_km2.sum(), abs=ROUNDING)
    for name, stats in region_statistics(result.figures, result.area_km2).items():
        got = summary["figures"][name]
        assert got["cells"] == stats.cells
        expected = [stats.mean, stats.min, stats.max, *stats.percentiles.values()]
        values = [got[k] for k in ("mean", "min", "max", "p5", "p50", "p95")]
        assert _same(values, np.asarray(expected)), name


def test_figures_are_the_librarys_sweep(
    client: TestClient, app: FastAPI, catalog: api.Catalog
) -> None:
    response = client.get(
        "/v1/coverage",
        params={"bbox": "29,49,33,52", "resolution": 4, "start": T0, "end": T_END},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    result = api.coverage(catalog, T0, T_END, 60.0, bbox=(29, 49, 33, 52), resolution=4)
    _check_against_library(body, result)
    assert body["start"] == T0
    assert body["end"] == T_END
    assert body["step_s"] == 60.0
    assert body["steps"] == 11
    assert body["min_elevation_deg"] == 25.0
    assert body["satellites"] == len(catalog)
    assert body["catalog"] == catalog.source
    assert body["warning"] is None
    assert body["figures"]["mean_visible"]["unit"] == "satellites"
    # Over Ukraine at mid-day of the catalog's epoch some satellite is always in view.
    assert min(body["cells"]["pct_time_covered"]) == 100.0


def test_another_mask_and_step_are_the_librarys_too(
    client: TestClient, catalog: api.Catalog
) -> None:
    params = {
        "bbox": "-10,-5,0,5",
        "resolution": 3,
        "start": T0,
        "end": "2026-05-13T12:20:00Z",
        "step_s": 120,
        "min_elevation_deg": 60,
    }
    body = client.get("/v1/coverage", params=params).json()
    result = api.coverage(
        catalog,
        T0,
        "2026-05-13T12:20:00Z",
        120.0,
        bbox=(-10, -5, 0, 5),
        resolution=3,
        min_elevation_deg=60.0,
    )
    _check_against_library(body, result)
    # At 60 degrees the sky is often empty: gaps exist, and some cells have none (null).
    assert max(body["cells"]["gaps"]) > 0


def test_a_box_across_the_antimeridian(client: TestClient, catalog: api.Catalog) -> None:
    params = {"bbox": "179,-18,-179,-16", "resolution": 4, "start": T0, "end": T_END}
    body = client.get("/v1/coverage", params=params).json()
    result = api.coverage(catalog, T0, T_END, 60.0, bbox=(179, -18, -179, -16), resolution=4)
    _check_against_library(body, result)
    _, lon = grid.cells_to_latlng(grid.hex_to_cells(body["cells"]["cell"]))
    assert lon.size > 10
    assert (np.abs(lon) >= 178.5).all()


def test_a_country(client: TestClient, app: FastAPI, catalog: api.Catalog) -> None:
    params = {"country": "UA", "resolution": 3, "start": T0, "end": T_END}
    body = client.get("/v1/coverage", params=params).json()
    result = api.coverage(catalog, T0, T_END, 60.0, country="UA", resolution=3)
    _check_against_library(body, result)
    assert body["region"] == "country UA (Ukraine)"
    assert body["cells"]["cell"] == grid.cells_to_hex(api.country_to_cells("UA", 3))
    # The alpha-3 code is the same request: served from the cache, not swept again.
    again = client.get("/v1/coverage", params={**params, "country": "ukr"})
    assert again.content == client.get("/v1/coverage", params=params).content
    assert len(_state(app).coverage_results) == 1


def test_a_repeated_request_is_served_from_the_cache(
    client: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = _state(app).coverage_results
    params = {"bbox": "29,49,33,52", "resolution": 3, "start": T0, "end": T_END}
    first = client.get("/v1/coverage", params=params)
    assert first.status_code == 200
    assert len(cache) == 1

    swept: list[object] = []
    real_sweep = service_coverage.sweep

    def counting_sweep(*args: Any, **kwargs: Any) -> Any:
        swept.append(args)
        return real_sweep(*args, **kwargs)

    monkeypatch.setattr(service_coverage, "sweep", counting_sweep)
    # The same request, written differently: the cache key is the normalised request.
    for same in (params, {**params, "bbox": "29.0,49,33,52.00"}, {**params, "step_s": "60.0"}):
        again = client.get("/v1/coverage", params=same)
        assert again.status_code == 200, again.text
        assert again.content == first.content
    assert swept == []
    without_end = {k: v for k, v in params.items() if k != "end"}  # an hour: another request
    assert client.get("/v1/coverage", params=without_end).status_code == 200
    assert len(swept) == 1
    assert len(cache) == 2


def test_a_window_far_from_the_catalogs_epochs_is_flagged(client: TestClient) -> None:
    params = {
        "bbox": "29,49,33,52",
        "resolution": 3,
        "start": "2027-01-01T00:00:00Z",
        "end": "2027-01-01T00:05:00Z",
    }
    body = client.get("/v1/coverage", params=params).json()
    assert body["warning"] is not None
    assert "days from the epochs of the catalog" in body["warning"]
    assert body["warning"].startswith("2027-01-01T00:05:00Z")  # the farther end of the window


DAY = {"start": "2026-05-13T00:00:00Z", "end": "2026-05-14T00:00:00Z"}


@pytest.mark.parametrize(
    ("params", "slug", "named"),
    [
        ({"bbox": "0,0,1,1", "country": "UA"}, "invalid-input", ["bbox", "country", "both"]),
        ({"resolution": 3}, "invalid-input", ["bbox", "country", "neither"]),
        ({"bbox": "1,2,3"}, "invalid-input", ["bbox='1,2,3'", "W,S,E,N"]),
        ({"bbox": "0,10,1,5"}, "invalid-input", ["bbox='0,10,1,5'", "south"]),
        ({"country": "XX"}, "invalid-input", ["'XX'", "alpha-2"]),
        ({"country": "U1"}, "invalid-request", ["country"]),
        (
            {"bbox": "0,0,1,1", "start": T0, "end": "2026-05-13T11:00:00Z"},
            "invalid-input",
            ["end=2026-05-13T11:00:00Z", "start=2026-05-13T12:00:00Z", "after"],
        ),
        ({"bbox": "0,0,1,1", "start": "yesterday"}, "invalid-input", ["start", "'yesterday'"]),
        ({"bbox": "0,0,1,1", "step_s": 0}, "invalid-request", ["step_s"]),
        ({"bbox": "0,0,1,1", "min_elevation_deg": 5}, "invalid-request", ["min_elevation_deg"]),
        ({"bbox": "0,0,1,1", "resolution": 10}, "invalid-request", ["resolution"]),
        (
            {"bbox": "-180,-90,180,90", "resolution": 5},
            "too-many-cells",
            ["-180,-90,180,90", "resolution 5", "20000", "resolution=2"],
        ),
        (
            {"country": "RU", "resolution": 9},
            "too-many-cells",
            ["country RU (Russia)", "resolution 9", "20000", "resolution=4"],
        ),
        (
            {"bbox": "0,0,1,1", **DAY},
            "too-many-instants",
            ["1,441 instants", "97", "step_s=900"],
        ),
        (
            {"bbox": "-180,-90,-5,90", "resolution": 3, "step_s": 900, **DAY},
            "too-many-instants",
            ["-180,-90,-5,90", "resolution 3", "97 instants", "1,220,000", "step_s=1440"],
        ),
    ],
)
def test_refusals_name_the_input_and_compute_nothing(
    client: TestClient,
    app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
    params: dict[str, Any],
    slug: str,
    named: list[str],
) -> None:
    def no_sweep(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a refused request was swept")

    monkeypatch.setattr(service_coverage, "plan_sweep", no_sweep)
    monkeypatch.setattr(service_coverage, "sweep", no_sweep)
    body = assert_problem(client.get("/v1/coverage", params=params), 422, slug)
    for text in named:
        assert text in body["detail"]
    assert len(_state(app).coverage_results) == 0
    if slug == "too-many-cells":
        assert isinstance(body["suggested_resolution"], int)
    if slug == "too-many-instants":
        assert isinstance(body["suggested_step_s"], int)


def test_suggestions_are_accepted(client: TestClient) -> None:
    """What a refusal suggests fits under the caps (checked without sweeping a whole day)."""
    params = {"bbox": "-180,-90,-5,90", "resolution": 3, "step_s": 900, **DAY}
    body = client.get("/v1/coverage", params=params).json()
    assert body["suggested_resolution"] == 2
    step = body["suggested_step_s"]
    cells = api.bbox_to_cells(-180, -90, -5, 90, 3).size
    steps = api.time_grid(DAY["start"], DAY["end"], step).size
    assert steps <= 97
    assert cells * steps <= 1_220_000


def test_a_sweep_waits_for_its_turn_then_is_refused_with_503(
    client: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = _state(app)
    monkeypatch.setattr(state, "limits", dataclasses.replace(state.limits, sweep_wait_s=0.05))
    params = {"bbox": "29,49,33,52", "resolution": 3, "start": T0, "end": T_END}
    assert state.sweep_turns.acquire(timeout=1.0)  # another request is sweeping
    try:
        response = client.get("/v1/coverage", params=params)
        body = assert_problem(response, 503, "busy")
        assert response.headers["Retry-After"] == "5"
        assert "ask again" in body["detail"]
        assert len(state.coverage_results) == 0
    finally:
        state.sweep_turns.release()
    assert client.get("/v1/coverage", params=params).status_code == 200  # its turn now
    assert len(state.coverage_results) == 1
