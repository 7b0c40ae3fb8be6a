"""Spherical rings to planar geometry: cut at ±180°, closed through the pole they go round."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from leolink.geo.antimeridian import spherical_rings_to_geometry, unwrap_longitudes_deg


def test_unwrap_takes_every_step_the_short_way() -> None:
    lon = np.array([170.0, 179.0, -179.0, -170.0, 179.5])
    assert unwrap_longitudes_deg(lon).tolist() == [170.0, 179.0, 181.0, 190.0, 179.5]


def test_a_ring_across_the_antimeridian_is_cut_into_two_parts() -> None:
    ring = np.array([[170, -20], [-170, -20], [-170, -10], [170, -10], [170, -20]], dtype=float)
    geom = spherical_rings_to_geometry([ring])
    assert geom.geom_type == "MultiPolygon"
    assert geom.is_valid
    assert geom.area == pytest.approx(20 * 10)
    assert geom.contains(shapely.Point(175, -15))
    assert geom.contains(shapely.Point(-175, -15))
    assert not geom.contains(shapely.Point(0, -15))


def test_a_ring_round_the_south_pole_is_closed_through_it() -> None:
    lon = np.linspace(-180, 180, 37)[:-1]
    ring = np.column_stack([lon, np.full(lon.size, -70.0)])
    geom = spherical_rings_to_geometry([np.vstack([ring, ring[:1]])])
    assert geom.is_valid
    assert geom.bounds[1] == -90.0
    assert geom.area == pytest.approx(360 * 20)
    assert geom.contains(shapely.Point(33, -89.5))
    assert not geom.contains(shapely.Point(33, -60))


def test_a_ring_round_the_north_pole_is_closed_through_it() -> None:
    lon = np.linspace(180, -180, 37)[:-1]  # westward this time
    ring = np.column_stack([lon, np.full(lon.size, 80.0)])
    geom = spherical_rings_to_geometry([np.vstack([ring, ring[:1]])])
    assert geom.bounds[3] == 90.0
    assert geom.area == pytest.approx(360 * 10)


def test_holes_are_kept_even_when_unwrapped_a_turn_away() -> None:
    shell = np.array([[170, -20], [-170, -20], [-170, 0], [170, 0], [170, -20]], dtype=float)
    hole = np.array([[-178, -12], [-176, -12], [-176, -8], [-178, -8], [-178, -12]], dtype=float)
    geom = spherical_rings_to_geometry([shell, hole])
    assert geom.area == pytest.approx(20 * 20 - 2 * 4)
    assert not geom.contains(shapely.Point(-177, -10))


def test_degenerate_rings_give_an_empty_polygon() -> None:
    point_ring = np.array([[12.4, 41.9], [12.4, 41.9]])
    assert spherical_rings_to_geometry([point_ring]).is_empty
    assert spherical_rings_to_geometry([]).is_empty
