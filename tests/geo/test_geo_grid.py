"""The H3 grid helpers against h3-py itself, the published cell counts and spherical geometry."""

from __future__ import annotations

import h3
import h3.api.basic_int as h3i
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from leolink.earth import EARTH_MEAN_RADIUS_KM
from leolink.errors import InputError
from leolink.geo import grid

# Earth's surface on H3's authalic sphere (R = 6371.007180918475 km): 4 pi R^2.  H3's own radius,
# deliberately not `leolink.earth.EARTH_AUTHALIC_RADIUS_KM` (6371.0072): the test checks H3's areas.
EARTH_AREA_KM2 = 4 * np.pi * 6371.007180918475**2
lats = st.floats(-90, 90, allow_nan=False)
lons = st.floats(-180, 180, allow_nan=False)
resolutions = st.integers(0, grid.MAX_RESOLUTION)


def great_circle_km(lat1: np.ndarray, lon1: np.ndarray, lat2: float, lon2: float) -> np.ndarray:
    p1, l1, p2, l2 = map(np.radians, (lat1, lon1, lat2, lon2))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_MEAN_RADIUS_KM * np.arcsin(np.sqrt(h))


@pytest.mark.parametrize("res", range(6))
def test_world_cells_count_is_2_plus_120_times_7_to_the_res(res: int) -> None:
    cells = grid.world_cells(res)
    assert cells.size == 2 + 120 * 7**res == h3.get_num_cells(res)
    assert cells.dtype == np.uint64
    assert np.all(np.diff(cells) > 0)  # sorted and unique
    assert not cells.flags.writeable


def test_world_cells_at_resolution_5_is_2016842_valid_cells() -> None:
    cells = grid.world_cells()
    assert cells.size == 2_016_842
    assert grid.is_valid_cell(cells[::997]).all()
    assert set(grid.cells_to_resolution(cells[::997]).tolist()) == {5}


@pytest.mark.parametrize("bad", [-1, 10, 15, 5.0, True, "5", None])
def test_resolution_outside_0_to_9_is_refused_naming_it(bad: object) -> None:
    with pytest.raises(InputError, match=repr(bad).replace("(", r"\(").replace(")", r"\)")):
        grid.check_resolution(bad)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(lats, lons), min_size=1, max_size=20), resolutions)
def test_latlng_to_cells_matches_h3(points: list[tuple[float, float]], res: int) -> None:
    lat, lon = np.array(points).T
    cells = grid.latlng_to_cells(lat, lon, res)
    assert cells.tolist() == [h3.str_to_int(h3.latlng_to_cell(a, b, res)) for a, b in points]


def test_bad_positions_give_the_null_cell_not_an_exception() -> None:
    cells = grid.latlng_to_cells([np.nan, 91.0, -90.5, 10.0], [0.0, 0.0, 0.0, np.inf])
    assert cells.tolist() == [0, 0, 0, 0]
    lat, lon = grid.cells_to_latlng(np.array([0, 12345], dtype=np.uint64))
    assert np.isnan(lat).all()
    assert np.isnan(lon).all()
    assert np.isnan(grid.cell_area_km2(np.array([0], dtype=np.uint64))).all()


@pytest.mark.parametrize("res", [0, 1, 3, 5, 7, 9])
def test_centres_areas_and_validity_are_h3_pys_to_the_bit(res: int) -> None:
    """The array loops call ``h3._cy`` directly; the values must be ``h3.api.basic_int``'s."""
    rng = np.random.default_rng(res)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, 3_000)))
    lon = rng.uniform(-180.0, 180.0, 3_000)
    pentagons = [h3.str_to_int(c) for c in h3.get_pentagons(res)]
    cells = np.concatenate(
        [
            grid.latlng_to_cells(lat, lon, res),
            np.array(pentagons, dtype=np.uint64),
            rng.integers(0, 2**64, 500, dtype=np.uint64, endpoint=False),  # almost all invalid
            np.array([0, 1, 2**64 - 1], dtype=np.uint64),
        ]
    )
    rng.shuffle(cells)
    values = cells.tolist()
    valid = [h3i.is_valid_cell(c) for c in values]
    nan = float("nan")
    centres = [h3i.cell_to_latlng(c) if h3i.is_valid_cell(c) else (nan, nan) for c in values]
    areas = [h3i.cell_area(c, "km^2") if h3i.is_valid_cell(c) else nan for c in values]
    assert 3_000 <= sum(valid) < len(values)

    np.testing.assert_array_equal(grid.is_valid_cell(cells), valid)
    lat_deg, lon_deg = grid.cells_to_latlng(cells)
    np.testing.assert_array_equal(lat_deg, [c[0] for c in centres], strict=True)
    np.testing.assert_array_equal(lon_deg, [c[1] for c in centres], strict=True)
    np.testing.assert_array_equal(grid.cell_area_km2(cells), areas, strict=True)


def test_arrays_broadcast_and_keep_their_shape() -> None:
    lat = np.array([[10.0], [20.0]])
    lon = np.array([0.0, 5.0, 10.0])
    cells = grid.latlng_to_cells(lat, lon, 4)
    assert cells.shape == (2, 3)
    clat, _ = grid.cells_to_latlng(cells)
    assert clat.shape == (2, 3)


@settings(max_examples=60, deadline=None)
@given(lats, lons, resolutions)
def test_point_cell_centre_round_trip(lat: float, lon: float, res: int) -> None:
    cell = grid.latlng_to_cells(lat, lon, res)
    clat, clon = grid.cells_to_latlng(cell)
    assert grid.latlng_to_cells(clat, clon, res) == cell
    # The point lies within the cell, so within the reach of its centre.
    assert great_circle_km(np.array(lat), np.array(lon), clat, clon) <= grid.cell_reach_km(res)


@settings(max_examples=60, deadline=None)
@given(lats, lons, resolutions, resolutions)
def test_parents_by_bits_match_h3(lat: float, lon: float, res: int, parent_res: int) -> None:
    cell = grid.latlng_to_cells(lat, lon, res)
    parent = grid.cells_to_parents(cell, parent_res)
    if parent_res <= res:
        expected = h3.cell_to_parent(h3.int_to_str(int(cell)), parent_res)
        assert int(parent) == h3.str_to_int(expected)
    else:
        assert int(parent) == 0


def test_hex_strings_at_the_edges_round_trip() -> None:
    cells = grid.latlng_to_cells([50.45, 25.03], [30.52, 121.56], 5)
    hexes = grid.cells_to_hex(cells)
    assert all(len(h) == 15 for h in hexes)
    assert grid.hex_to_cells(hexes).tolist() == cells.tolist()
    assert grid.as_cells(hexes).tolist() == cells.tolist()
    assert grid.as_cells(int(cells[0])).tolist() == [int(cells[0])]
    assert grid.is_valid_cell(hexes).all()


def test_invalid_hex_and_invalid_cells_are_refused_at_the_edges() -> None:
    with pytest.raises(InputError, match="'zzz'"):
        grid.hex_to_cells(["zzz"])
    with pytest.raises(InputError, match="invalid H3 cell"):
        grid.as_cells(np.array([12345], dtype=np.uint64))
    assert not grid.is_valid_cell(np.array([12345], dtype=np.uint64))[0]


def test_children_and_pentagons() -> None:
    hexagon = grid.latlng_to_cells(50.0, 30.0, 3).reshape(1)
    assert grid.cells_to_children(hexagon, 5).size == 49
    pentagon = np.array([h3.str_to_int(h3.get_pentagons(3)[0])], dtype=np.uint64)
    assert grid.cells_to_children(pentagon, 5).size == 1 + 5 * 7 + 5  # 41: one digit deleted
    assert set(grid.cells_to_parents(grid.cells_to_children(hexagon, 5), 3).tolist()) == {
        int(hexagon[0])
    }
    with pytest.raises(InputError, match="resolution-3"):
        grid.cells_to_children(hexagon, 2)


def test_cell_areas_add_up_to_the_sphere() -> None:
    area = grid.cell_area_km2(grid.world_cells(2))
    assert area.sum() == pytest.approx(EARTH_AREA_KM2, rel=1e-9)
    res5 = grid.cell_area_km2(grid.world_cells(5)[::101])
    assert res5.mean() == pytest.approx(h3.average_hexagon_area(5, "km^2"), rel=0.05)


def test_cell_polygons_are_cut_at_the_antimeridian_and_closed_at_the_poles() -> None:
    crossing = grid.latlng_to_cells(-16.5, 180.0, 5)
    (poly,) = grid.cells_to_polygons(crossing)
    assert poly.geom_type == "MultiPolygon"
    assert poly.is_valid
    assert poly.bounds[0] == -180.0
    assert poly.bounds[2] == 180.0
    for pole_lat in (-90.0, 90.0):
        (cap,) = grid.cells_to_polygons(grid.latlng_to_cells(pole_lat, 0.0, 3))
        assert cap.is_valid
        assert cap.intersects(shapely.Point(0.0, pole_lat))
        assert cap.intersects(shapely.Point(123.0, pole_lat * 0.9999))
    cells = grid.world_cells(1)
    polys = grid.cells_to_polygons(cells)
    lat, lon = grid.cells_to_latlng(cells)
    assert all(p.is_valid for p in polys)
    assert shapely.intersects_xy(polys, lon, lat).all()
    assert grid.cells_to_polygons(np.array([0], dtype=np.uint64))[0] is None


def test_cell_reach_bounds_every_descendant_point() -> None:
    """The margin behind `grid.REACH_FACTOR`, checked on every res-0 cell and a sample deeper."""
    rng = np.random.default_rng(5)
    for res, depth in ((0, 2), (1, 2), (3, 2), (6, 2)):
        cells = grid.world_cells(res) if res == 0 else rng.choice(grid.world_cells(min(res, 5)), 40)
        if res > 5:
            cells = np.array([grid.cells_to_children(c.reshape(1), res)[0] for c in cells])
        clat, clon = grid.cells_to_latlng(cells)
        for cell, la, lo in zip(cells, clat, clon, strict=True):
            kids = grid.cells_to_children(cell.reshape(1), res + depth)
            vertices = np.concatenate(grid.cells_to_boundaries(kids))
            far = great_circle_km(vertices[:, 0], vertices[:, 1], la, lo).max()
            assert far <= grid.cell_reach_km(res) / 1.2  # still 20 % to spare
