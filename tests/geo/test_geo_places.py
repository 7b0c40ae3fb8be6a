"""The vendored gazetteer: GeoNames places of at least 50,000 people."""

from __future__ import annotations

import numpy as np

from leolink.geo import places


def test_places_are_sorted_and_above_the_threshold() -> None:
    p = places.all_places()
    assert len(p) > 10_000
    assert (p.population >= places.MIN_POPULATION).all()
    assert (np.diff(p.population) <= 0).all()
    assert (np.abs(p.lat_deg) <= 90).all()
    assert (np.abs(p.lon_deg) <= 180).all()
    assert len(set(p.geonameid.tolist())) == len(p)


def test_known_places_are_where_geonames_puts_them() -> None:
    p = places.all_places()
    # GeoNames 703448 (Kyiv) and 2988507 (Paris), as the GeoNames gazetteer gives them.
    for geonameid, name, country, lat, lon in [
        (703448, "Kyiv", "UA", 50.4547, 30.5238),
        (2988507, "Paris", "FR", 48.8534, 2.3488),
    ]:
        i = int(np.flatnonzero(p.geonameid == geonameid)[0])
        assert (p.name[i], p.country[i]) == (name, country)
        assert abs(p.lat_deg[i] - lat) < 1e-4
        assert abs(p.lon_deg[i] - lon) < 1e-4
