"""Impact of a proposed geofence: cells, area, terminals by last report, satellite-hours."""

from __future__ import annotations

import numpy as np
import pytest

from leolink import api
from leolink.errors import InputError, RegionError, TimeWindowError
from leolink.geo import grid
from leolink.geo.regions import geojson_to_cells
from leolink.policy.impact import geofence_impact
from leolink.policy.records import GeofenceSpec
from leolink.policy.sky import Sky
from tests.policy.factory import KYIV, SEVASTOPOL, box, report, terminal

CRIMEA = box(32.0, 44.0, 37.0, 46.0)


@pytest.fixture(scope="module")
def sky() -> Sky:
    return Sky(api.load_catalog())


def test_cells_area_and_terminals() -> None:
    spec = GeofenceSpec(
        "Crimea", "deny", "r", area_geojson=CRIMEA, customer_classes=("residential",)
    )
    terms = [
        terminal("A"),
        terminal("B", klass="government"),
        terminal("C"),
        terminal("D", state="deactivated"),
    ]
    last = [
        report("A", "2026-05-01T00:00:00Z", SEVASTOPOL),
        report("B", "2026-05-01T00:00:00Z", SEVASTOPOL),
        report("C", "2026-05-01T00:00:00Z", KYIV),
        report("D", "2026-05-01T00:00:00Z", SEVASTOPOL),
    ]
    impact = geofence_impact(spec, terminals=terms, last_reports=last, now="2026-05-13T00:00:00Z")
    cells = grid.hex_to_cells(list(impact.cells))
    assert np.array_equal(np.sort(cells), geojson_to_cells(CRIMEA, 5))
    assert impact.area_km2 == pytest.approx(float(np.sum(grid.cell_area_km2(cells))))
    assert 80_000 < impact.area_km2 < 95_000  # 5° x 2° at 45°N: 393 km x 222 km = 87,400 km²
    assert [row["terminal_id"] for row in impact.terminals] == ["A"]
    assert impact.satellite_hours is None
    assert impact.open_ended
    assert impact.to_dict()["terminals_affected"] == 1


def test_satellite_hours_are_the_sum_of_counts_times_the_step(sky: Sky) -> None:
    cell = grid.cells_to_hex(grid.latlng_to_cells(*KYIV, 5))[0]
    spec = GeofenceSpec(
        "one cell",
        "deny",
        "r",
        cells=(cell,),
        window_start="2026-05-13T12:00:00Z",
        window_end="2026-05-13T13:00:00Z",
    )
    impact = geofence_impact(spec, sky=sky, step_s=600.0)
    assert (impact.steps, impact.step_s) == (6, 600.0)
    lat, lon = grid.cells_to_latlng(grid.hex_to_cells([cell]))
    expected = 0
    for k in range(6):
        at = np.datetime64("2026-05-13T12:00:00", "ns") + np.timedelta64(600 * k, "s")
        visible = api.visible(
            sky.catalog,
            lat_deg=float(lat[0]),
            lon_deg=float(lon[0]),
            at=at,
            min_elevation_deg=25.0,
        )
        # Direct-to-Cell satellites do not serve dishes: no service of theirs is withdrawn.
        expected += sum("[DTC]" not in v.name for v in visible)
    assert impact.satellite_hours == pytest.approx(expected * 600.0 / 3600.0)
    assert impact.basis.startswith("satellites of")


def test_a_stale_window_uses_a_stand_in_and_says_so(sky: Sky) -> None:
    spec = GeofenceSpec(
        "Crimea 2022",
        "deny",
        "r",
        area_geojson=CRIMEA,
        window_start="2022-09-16T00:00:00Z",
        window_end="2022-09-18T00:00:00Z",
    )
    impact = geofence_impact(spec, sky=sky, step_s=3600.0)
    assert impact.steps == 48
    assert impact.satellite_hours is not None
    assert impact.satellite_hours > 0
    assert impact.basis.startswith("stand-in window from the catalog's median epoch")


def test_bad_input_is_refused() -> None:
    with pytest.raises(TimeWindowError, match="ends"):
        geofence_impact(
            GeofenceSpec(
                "w",
                "deny",
                "r",
                area_geojson=CRIMEA,
                window_start="2026-01-02T00:00:00Z",
                window_end="2026-01-01T00:00:00Z",
            )
        )
    with pytest.raises(RegionError):
        geofence_impact(
            GeofenceSpec(
                "p",
                "deny",
                "r",
                area_geojson='{"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}',
            )
        )
    with pytest.raises(InputError):
        geofence_impact(GeofenceSpec("c", "deny", "r", cells=("not-a-cell",)))
    with pytest.raises(InputError, match="has no area"):
        geofence_impact(GeofenceSpec("n", "deny", "r"))
