"""The serving satellite: the same as ``leolink visible`` says, exactly, or honestly unchecked."""

from __future__ import annotations

import numpy as np
import pytest

from leolink import api
from leolink.errors import InputError
from leolink.orbits.frames import itrs_to_topocentric
from leolink.orbits.propagate import propagate
from leolink.policy.sky import Sky

AT = np.datetime64("2026-05-13T12:00:00", "ns")
#: Elevations from the k-d tree path and from frames.itrs_to_topocentric differ by rounding only.
ELEVATION_TOLERANCE_DEG = 1e-9


@pytest.fixture(scope="module")
def sky() -> Sky:
    return Sky(api.load_catalog())


def test_serving_is_the_highest_satellite_visible_reports(sky: Sky) -> None:
    for lat, lon in [(50.45, 30.52), (25.03, 121.56), (-77.8, 166.7), (0.0, -150.0), (89.9, 10.0)]:
        visible = api.visible(sky.catalog, lat_deg=lat, lon_deg=lon, at=AT, min_elevation_deg=25.0)
        check = sky.serving(lat, lon, AT)
        assert check.checked
        assert check.serving is not None
        assert check.serving.norad_id == visible[0].norad_id
        assert abs(check.serving.elevation_deg - visible[0].elevation_deg) < ELEVATION_TOLERANCE_DEG


def test_best_is_exact_against_brute_force(sky: Sky) -> None:
    """Over random observers, the best satellite equals the maximum over every satellite."""
    rng = np.random.default_rng(5)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 400)))
    lon = rng.uniform(-180, 180, 400)
    index, elevation = sky.best(lat, lon, AT)
    eph = propagate(sky.catalog, np.asarray([AT]))
    el, _, _ = itrs_to_topocentric(eph.r_itrs_km[:, 0, :][None], lat[:, None], lon[:, None], 0.0)
    el = np.where(np.isfinite(el), el, -90.0)
    best = np.argmax(el, axis=1)
    top = el[np.arange(len(lat)), best]
    above = top >= 25.0
    assert np.array_equal(index >= 0, above)
    assert np.array_equal(index[above], best[above])
    assert np.allclose(elevation[above], top[above], atol=ELEVATION_TOLERANCE_DEG)
    counts = sky.count_above_mask(lat[:100], lon[:100], AT)
    assert np.array_equal(counts, np.sum(el[:100] >= 25.0, axis=1))


def test_a_stale_instant_is_not_checked(sky: Sky) -> None:
    check = sky.serving(50.45, 30.52, np.datetime64("2022-09-16T22:00:00", "ns"))
    assert not check.checked
    assert check.serving is None
    assert "not checked" in check.note
    checked, index, _ = sky.best_many(
        np.asarray([50.45, 50.45]),
        np.asarray([30.52, 30.52]),
        np.asarray(["2022-09-16T22:00", "2026-05-13T12:00"], dtype="datetime64[ns]"),
    )
    assert checked.tolist() == [False, True]
    assert index[0] == -1
    assert index[1] >= 0


def test_one_satellite_leaves_most_places_without_one() -> None:
    lonely = Sky(api.load_catalog().take([0]))
    rng = np.random.default_rng(2)
    index, _ = lonely.best(rng.uniform(-60, 60, 200), rng.uniform(-180, 180, 200), AT)
    assert (index == -1).sum() > 190


def test_bad_mask_is_refused() -> None:
    with pytest.raises(InputError, match="not an elevation"):
        Sky(api.load_catalog(), min_elevation_deg=95.0)
