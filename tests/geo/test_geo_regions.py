"""Regions -> cells against brute force over every cell of the world, and at the hard places."""

from __future__ import annotations

import json
import logging
from functools import cache

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from leolink.errors import InputError, RegionError
from leolink.geo import grid
from leolink.geo.countries import all_countries, country_geometry, country_representative_point
from leolink.geo.regions import (
    bbox_to_cells,
    bbox_to_geometry,
    country_to_cells,
    geojson_to_cells,
    geojson_to_geometry,
    geometry_to_cells,
)


@cache
def world_centres(res: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cells = grid.world_cells(res)
    lat, lon = grid.cells_to_latlng(cells)
    return cells, lat, lon


def brute_force(geometry: shapely.Geometry, res: int) -> set[int]:
    """Every cell of the world whose centre is in the geometry (boundary included)."""
    cells, lat, lon = world_centres(res)
    west, south, east, north = geometry.bounds
    near = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    inside = shapely.intersects_xy(geometry, lon[near], lat[near])
    return set(cells[near][inside].tolist())


def centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return grid.cells_to_latlng(cells)


# ---------------------------------------------------------------- the hard places


def test_russia_has_cells_on_both_sides_of_the_antimeridian() -> None:
    cells = country_to_cells("RU", 5)
    lat, lon = centres(cells)
    assert ((lon > 170.0) & (lat > 60.0)).sum() > 500  # Chukotka west of 180°
    assert ((lon < -170.0) & (lat > 60.0)).sum() > 300  # Chukotka east of 180°
    assert shapely.intersects_xy(country_geometry("RU"), lon, lat).all()
    inland_east_of_180 = int(grid.latlng_to_cells(65.5, -176.0, 5))
    assert inland_east_of_180 in set(cells.tolist())


def test_fiji_has_cells_on_both_sides_of_the_antimeridian() -> None:
    cells = country_to_cells("FJ", 5)
    _, lon = centres(cells)
    assert (lon > 177.0).sum() > 50
    assert (lon < -178.0).sum() >= 3  # Taveuni's east and the Lau islands
    assert set(cells.tolist()) == brute_force(country_geometry("FJ"), 5)


@pytest.mark.parametrize("res", [0, 1, 2, 3, 5])
def test_antarctica_covers_the_south_pole_cell(res: int) -> None:
    cells = set(country_to_cells("AQ", res).tolist())
    assert int(grid.latlng_to_cells(-90.0, 0.0, res)) in cells
    assert int(grid.latlng_to_cells(-89.0, 45.0, res)) in cells
    assert int(grid.latlng_to_cells(90.0, 0.0, res)) not in cells


def test_antarctica_equals_brute_force_at_resolution_3() -> None:
    geom = country_geometry("AQ")
    assert set(country_to_cells("AQ", 3).tolist()) == brute_force(geom, 3)


def test_every_country_gets_at_least_one_cell_at_resolution_5() -> None:
    counts = {c.iso_a3: country_to_cells(c, 5).size for c in all_countries()}
    assert len(counts) == 248
    assert min(counts.values()) >= 1
    assert counts["RUS"] > 60_000


@pytest.mark.parametrize(("code", "lat", "lon"), [("VA", 41.9, 12.45), ("MC", 43.74, 7.42)])
def test_microstates_get_the_one_cell_they_sit_in(code: str, lat: float, lon: float) -> None:
    cells = country_to_cells(code, 5)
    assert cells.size == 1
    assert int(cells[0]) == int(grid.latlng_to_cells(lat, lon, 5))


@pytest.mark.parametrize("code", ["NR", "TV", "MC", "SG", "MT", "LI"])
def test_small_countries_fall_back_to_their_representative_point(code: str) -> None:
    cells = country_to_cells(code, 5)
    expected = brute_force(country_geometry(code), 5)
    if expected:
        assert set(cells.tolist()) == expected
    else:
        lat, lon = country_representative_point(code)
        assert cells.tolist() == [int(grid.latlng_to_cells(lat, lon, 5))]


def test_country_cells_are_cached_and_read_only() -> None:
    assert country_to_cells("UA") is country_to_cells("ukr")
    assert not country_to_cells("UA").flags.writeable


# ---------------------------------------------------------------- properties


def polygons() -> st.SearchStrategy[Polygon]:
    """Random star-shaped polygons anywhere, including over the poles' latitudes and ±180°."""

    def make(c_lat: float, c_lon: float, radii: list[float]) -> Polygon:
        angles = np.linspace(0, 2 * np.pi, len(radii), endpoint=False)
        lon = np.clip(c_lon + np.array(radii) * np.cos(angles) * 2, -180, 180)
        lat = np.clip(c_lat + np.array(radii) * np.sin(angles), -90, 90)
        return Polygon(np.column_stack([lon, lat]))

    return st.builds(
        make,
        st.floats(-90, 90),
        st.floats(-180, 180),
        st.lists(st.floats(0.5, 30.0), min_size=3, max_size=12),
    ).filter(lambda p: p.is_valid and p.area > 0)


@settings(max_examples=25, deadline=None)
@given(polygons(), st.integers(0, 3))
def test_property_cells_are_exactly_those_with_their_centre_inside(
    polygon: Polygon, res: int
) -> None:
    got = set(geometry_to_cells(polygon, res).tolist())
    expected = brute_force(polygon, res)
    if expected:
        assert got == expected
    else:  # the one fallback cell
        assert len(got) == 1
        point = polygon.point_on_surface()
        assert got == {int(grid.latlng_to_cells(point.y, point.x, res))}


@settings(max_examples=25, deadline=None)
@given(
    st.floats(-179.9, 179.9),
    st.floats(-179.9, 179.9),
    st.floats(-89.0, 88.0),
    st.floats(0.5, 60.0),
    st.integers(1, 3),
)
def test_property_bbox_across_the_antimeridian_is_the_union_of_its_halves(
    west: float, east: float, south: float, height: float, res: int
) -> None:
    if west <= east:
        west, east = max(west, east), min(west, east)
    if west == east:
        return
    north = min(90.0, south + height)
    across = set(bbox_to_cells(west, south, east, north, res).tolist())
    expected = brute_force(bbox_to_geometry(west, south, east, north), res)
    west_half = brute_force(box(west, south, 180.0, north), res)
    east_half = brute_force(box(-180.0, south, east, north), res)
    assert expected == west_half | east_half
    if west_half and east_half:  # else a half would add its own fallback cell
        halves = set(bbox_to_cells(west, south, 180.0, north, res).tolist()) | set(
            bbox_to_cells(-180.0, south, east, north, res).tolist()
        )
        assert across == halves == expected
    elif expected:
        assert across == expected


def test_whole_world_box_gives_every_cell() -> None:
    assert bbox_to_cells(-180, -90, 180, 90, 2).tolist() == grid.world_cells(2).tolist()


def test_polar_box_holds_the_pole_cells() -> None:
    cells = set(bbox_to_cells(-180, 80, 180, 90, 4).tolist())
    assert int(grid.latlng_to_cells(90.0, 0.0, 4)) in cells
    assert cells == brute_force(box(-180, 80, 180, 90), 4)


# ---------------------------------------------------------------- GeoJSON in, repairs and refusals


def square(lon: float, lat: float, half: float) -> list[list[float]]:
    return [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]


def test_geojson_is_lon_lat_and_flipped_only_at_the_boundary() -> None:
    geojson = {"type": "Polygon", "coordinates": [square(30.5, 50.45, 1.0)]}  # around Kyiv
    cells = geojson_to_cells(geojson, 5)
    lat, lon = centres(cells)
    assert np.all(np.abs(lat - 50.45) <= 1.0)
    assert np.all(np.abs(lon - 30.5) <= 1.0)
    assert int(grid.latlng_to_cells(50.45, 30.52, 5)) in set(cells.tolist())


def test_geojson_features_collections_and_json_text() -> None:
    a = {"type": "Polygon", "coordinates": [square(10, 10, 1)]}
    b = {"type": "MultiPolygon", "coordinates": [[square(20, 10, 1)], [square(30, 10, 1)]]}
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": a},
            {"type": "Feature", "properties": {}, "geometry": b},
        ],
    }
    together = geojson_to_cells(json.dumps(collection), 4)
    apart = np.union1d(geojson_to_cells(a, 4), geojson_to_cells(b, 4))
    assert together.tolist() == apart.tolist()


def test_cut_geojson_across_the_antimeridian_matches_the_bbox() -> None:
    cut = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[170, -20], [180, -20], [180, -10], [170, -10], [170, -20]]],
            [[[-180, -20], [-170, -20], [-170, -10], [-180, -10], [-180, -20]]],
        ],
    }
    assert geojson_to_cells(cut, 3).tolist() == bbox_to_cells(170, -20, -170, -10, 3).tolist()


def test_bow_tie_is_repaired_with_a_logged_warning(caplog: pytest.LogCaptureFixture) -> None:
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]]}
    with caplog.at_level(logging.WARNING, logger="leolink.geo.regions"):
        geom = geojson_to_geometry(bow_tie)
    assert "make_valid" in caplog.text
    assert "Self-intersection" in caplog.text
    assert geom.is_valid
    assert geom.area == pytest.approx(50.0)  # two triangles of 25 deg² each
    triangles = MultiPolygon(
        [Polygon([(0, 0), (5, 5), (0, 10)]), Polygon([(10, 0), (5, 5), (10, 10)])]
    )
    assert set(geojson_to_cells(bow_tie, 4).tolist()) == brute_force(triangles, 4)


def test_an_edge_wider_than_180_degrees_is_taken_as_drawn_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wide = {
        "type": "Polygon",
        "coordinates": [[[170, 0], [-170, 0], [-170, 5], [170, 5], [170, 0]]],
    }
    with caplog.at_level(logging.WARNING, logger="leolink.geo.regions"):
        geom = geojson_to_geometry(wide)
    assert "antimeridian" in caplog.text
    assert geom.bounds == (-170.0, 0.0, 170.0, 5.0)


@pytest.mark.parametrize(
    ("geojson", "message"),
    [
        ("{not json", "not valid JSON"),
        ({"type": "Point", "coordinates": [0, 0]}, "'Point' is not a region"),
        ({"type": "Polygon", "coordinates": []}, "list of rings"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, "at least 4 positions"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}, "not closed"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, float("nan")], [1, 1], [0, 0]]]},
            "finite",
        ),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 95], [1, 1], [0, 0]]]}, "latitude 95"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]}, "longitude 200"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]}, "no area"),
        ({"type": "Polygon", "coordinates": [[[0, 0], ["a", 1], [2, 2], [0, 0]]]}, "numbers"),
        ({"type": "FeatureCollection", "features": []}, "holds no polygon"),
        ([1, 2, 3], "expected a GeoJSON object"),
    ],
)
def test_what_cannot_be_repaired_is_refused_clearly(geojson: object, message: str) -> None:
    with pytest.raises(RegionError, match=message) as caught:
        geojson_to_cells(geojson, 5)  # type: ignore[arg-type]
    assert isinstance(caught.value, InputError)


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ((0, 10, 10, 10), "south=10 is not below north=10"),
        ((0, 20, 10, 10), "not below"),
        ((5, 0, 5, 10), "no width"),
        ((0, -95, 10, 10), "south=-95"),
        ((-190, 0, 10, 10), "west=-190"),
        ((0, 0, float("nan"), 10), "east=nan"),
    ],
)
def test_bad_boxes_are_refused(bbox: tuple[float, float, float, float], message: str) -> None:
    with pytest.raises(RegionError, match=message):
        bbox_to_cells(*bbox)


def test_resolution_is_checked_and_huge_results_are_refused() -> None:
    with pytest.raises(InputError, match="10"):
        bbox_to_cells(0, 0, 1, 1, 10)
    with pytest.raises(RegionError, match="coarser resolution"):
        bbox_to_cells(-180, -90, 180, 90, 9)


def test_empty_geometry_gives_no_cell() -> None:
    assert geometry_to_cells(Polygon(), 5).size == 0


def test_country_at_resolution_7_agrees_with_its_coarser_self() -> None:
    """Finer cells of a country sit inside, or next to, its coarser cells."""
    fine = country_to_cells("LU", 7)
    coarse = set(country_to_cells("LU", 5).tolist())
    parents = grid.cells_to_parents(fine, 5)
    assert np.isin(parents, list(coarse)).mean() > 0.8
