"""Payload classes from catalog names: Direct-to-Cell satellites are marked ``[DTC]``."""

from __future__ import annotations

from leolink.orbits.loading import load_catalog
from leolink.orbits.payload import PayloadClass, payload_classes, serves_dishes


def test_classes_from_names() -> None:
    names = ["STARLINK-1007", "STARLINK-11359 [DTC]", "STARLINK-9 [TEST]", "STARLINK-5 [dtc] "]
    assert payload_classes(names) == (
        PayloadClass.BROADBAND,
        PayloadClass.DIRECT_TO_CELL,
        PayloadClass.OTHER,
        PayloadClass.DIRECT_TO_CELL,
    )
    assert serves_dishes(names).tolist() == [True, False, False, False]
    assert serves_dishes([]).shape == (0,)


def test_real_catalog_has_644_direct_to_cell_satellites() -> None:
    catalog = load_catalog()
    classes = payload_classes(catalog.names)
    assert classes.count(PayloadClass.DIRECT_TO_CELL) == 644
    assert classes.count(PayloadClass.OTHER) == 0
    assert int(serves_dishes(catalog.names).sum()) == len(catalog) - 644
