"""Positions and visibility records at one instant, against the array functions they wrap."""

from __future__ import annotations

import numpy as np
import pytest

from leolink.errors import InputError
from leolink.orbits.frames import itrs_to_geodetic, itrs_to_topocentric
from leolink.orbits.loading import load_catalog
from leolink.orbits.propagate import propagate
from leolink.orbits.snapshot import positions_at, visible_from
from leolink.time import parse_instant

AT = parse_instant("2026-05-13T12:00:00Z")


def test_positions_for_chosen_ids_in_the_order_given() -> None:
    catalog = load_catalog()
    ids = [int(catalog.norad_ids[5]), int(catalog.norad_ids[0])]
    rows = positions_at(catalog, AT, norad_ids=ids)
    assert [r.norad_id for r in rows] == ids
    eph = propagate(catalog.select_norad(ids), AT)
    assert rows[0].x_km == pytest.approx(eph.r_itrs_km[0, 0, 0], abs=1e-9)
    for row in rows:
        assert row.error is None
        assert 300 < row.alt_km < 700
        lat, lon, alt = itrs_to_geodetic(np.array([row.x_km, row.y_km, row.z_km]))
        assert row.lat_deg == pytest.approx(float(lat), abs=1e-9)
        assert row.lon_deg == pytest.approx(float(lon), abs=1e-9)
        assert row.alt_km == pytest.approx(float(alt), abs=1e-9)


def test_unknown_norad_id_is_refused_with_the_id() -> None:
    with pytest.raises(InputError, match="99999999"):
        positions_at(load_catalog(), AT, norad_ids=[99999999])


def test_failed_propagation_is_data_not_an_exception() -> None:
    # STARLINK-1019 (44724) was decaying in May 2026: a year later SGP4 gives up on it.
    rows = positions_at(load_catalog(), parse_instant("2027-05-13T00:00:00Z"), norad_ids=[44724])
    assert rows[0].error is not None
    assert np.isnan(rows[0].lat_deg)
    assert np.isnan(rows[0].x_km)


def test_visible_is_exactly_the_satellites_above_the_mask_highest_first() -> None:
    catalog = load_catalog()
    rows = visible_from(catalog, 48.8566, 2.3522, AT, min_elevation_deg=25.0)
    eph = propagate(catalog, AT)
    elevation, _, _ = itrs_to_topocentric(eph.r_itrs_km[:, 0, :], 48.8566, 2.3522, 0.0)
    expected = set(catalog.norad_ids[elevation >= 25.0].tolist())
    assert {r.norad_id for r in rows} == expected
    assert len(rows) > 5  # Paris sees many Starlink satellites at any time
    elevations = [r.elevation_deg for r in rows]
    assert elevations == sorted(elevations, reverse=True)
    assert all(0 <= r.azimuth_deg < 360 and r.range_km > 300 for r in rows)


@pytest.mark.parametrize(
    ("lat", "lon", "mask"), [(91.0, 0.0, 25.0), (0.0, float("nan"), 25.0), (0.0, 0.0, 95.0)]
)
def test_visible_refuses_impossible_observers_and_masks(
    lat: float, lon: float, mask: float
) -> None:
    with pytest.raises(InputError):
        visible_from(load_catalog(), lat, lon, AT, min_elevation_deg=mask)
