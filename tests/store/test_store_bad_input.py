"""Bad input gets a clear error and leaves the store and its audit log exactly as they were.

Each case runs against a store with some history; afterwards every table has the same number
of rows, the chain head is unchanged, and the log still verifies.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from leolink.errors import (
    ConflictError,
    DuplicateError,
    InputError,
    NotFoundError,
    PolicyStateError,
    RegionError,
    TimeFormatError,
    TimeWindowError,
    TwoPersonRuleError,
    UnknownCountryError,
)
from leolink.store import GeofenceSpec, Store

CELL = "85283473fffffff"
BOX = {
    "type": "Polygon",
    "coordinates": [[[32.0, 44.0], [37.0, 44.0], [37.0, 46.5], [32.0, 46.5], [32.0, 44.0]]],
}


def history(store: Store) -> None:
    store.register_terminal(
        "UT-1",
        account="a",
        home_country="UA",
        customer_class="residential",
        actor="op:alice",
        reason="r",
    )
    store.propose_geofence(
        GeofenceSpec(name="big", effect="allowlist", reason="r", area_geojson=BOX),
        actor="op:alice",
        geofence_id="big",
    )
    store.propose_geofence(
        GeofenceSpec(name="small", effect="deny", reason="r", cells=(CELL,)),
        actor="op:alice",
        geofence_id="small",
    )
    store.propose_country_status(
        "UA",
        "available",
        effective_from="2022-02-26T00:00:00Z",
        source="s",
        actor="op:alice",
        reason="r",
    )


def spec(**overrides: object) -> GeofenceSpec:
    fields: dict[str, object] = {"name": "g", "effect": "deny", "reason": "r", "cells": (CELL,)}
    fields.update(overrides)
    return GeofenceSpec(**fields)  # type: ignore[arg-type]


def status(code: str, **overrides: object) -> Callable[[Store], object]:
    fields: dict[str, object] = {
        "effective_from": "2022-01-01T00:00:00Z",
        "source": "s",
        "actor": "op:a",
        "reason": "r",
    }
    fields.update(overrides)
    return lambda s: s.propose_country_status(code, "available", **fields)  # type: ignore[arg-type]


def terminal(tid: str = "UT-2", **overrides: object) -> Callable[[Store], object]:
    fields: dict[str, object] = {
        "account": "a",
        "home_country": "UA",
        "customer_class": "residential",
        "actor": "op:a",
        "reason": "r",
    }
    fields.update(overrides)
    return lambda s: s.register_terminal(tid, **fields)  # type: ignore[arg-type]


CASES: dict[str, tuple[Callable[[Store], object], type[Exception], str]] = {
    "unknown country": (status("XQ"), UnknownCountryError, "unknown country code 'XQ'"),
    "alpha-3 country": (status("UKR"), InputError, "Ukraine is 'UA'"),
    "unknown status": (
        lambda s: s.propose_country_status(
            "UA", "open", effective_from="2022-01-01T00:00:00Z", source="s", actor="a", reason="r"
        ),
        InputError,
        "is not one of: available, waitlist",
    ),
    "no source": (status("UA", source=" "), InputError, "give the source"),
    "no reason": (status("UA", reason=""), InputError, "give a reason"),
    "no actor": (status("UA", actor="  "), InputError, "actor"),
    "zone-less time": (
        status("UA", effective_from="2022-01-01T00:00:00"),
        TimeFormatError,
        "effective_from",
    ),
    "unknown change": (
        lambda s: s.approve_country_status(999, actor="op:b", reason="r"),
        NotFoundError,
        "999",
    ),
    "change id beyond the 32-bit keys": (
        lambda s: s.approve_country_status(2**31, actor="op:b", reason="r"),
        NotFoundError,
        "2147483648",
    ),
    "window ends before it starts": (
        lambda s: s.propose_geofence(
            spec(window_start="2022-09-17T00:00:00Z", window_end="2022-09-16T00:00:00Z"),
            actor="op:a",
        ),
        TimeWindowError,
        "ends (2022-09-16T00:00:00Z) at or before it starts (2022-09-17T00:00:00Z)",
    ),
    "empty window": (
        lambda s: s.propose_geofence(
            spec(window_start="2022-09-16T00:00:00Z", window_end="2022-09-16T00:00:00Z"),
            actor="op:a",
        ),
        TimeWindowError,
        "at or before",
    ),
    "no area": (lambda s: s.propose_geofence(spec(cells=()), actor="op:a"), InputError, "no area"),
    "bad cell": (
        lambda s: s.propose_geofence(spec(cells=("85283473fffffff", "zzz")), actor="op:a"),
        InputError,
        "'zzz' is not a valid H3 cell",
    ),
    "cells as one string": (
        lambda s: s.propose_geofence(spec(cells=CELL), actor="op:a"),
        InputError,
        "list of H3 cells",
    ),
    "bad GeoJSON": (
        lambda s: s.propose_geofence(spec(area_geojson='{"type": "Polygon"'), actor="op:a"),
        RegionError,
        "not valid JSON",
    ),
    "swapped lon/lat": (
        lambda s: s.propose_geofence(
            spec(
                area_geojson={
                    "type": "Polygon",
                    "coordinates": [[[44, 132], [44, 137], [46, 137], [44, 132]]],
                }
            ),
            actor="op:a",
        ),
        RegionError,
        "latitude 132.0 (position [44.0, 132.0]) is outside -90..90",
    ),
    "unknown effect": (
        lambda s: s.propose_geofence(spec(effect="block"), actor="op:a"),
        InputError,
        "geofence effect 'block' is not one of: deny, allowlist",
    ),
    "unknown customer class": (
        lambda s: s.propose_geofence(spec(customer_classes=("military",)), actor="op:a"),
        InputError,
        "customer class 'military'",
    ),
    "duplicate geofence id": (
        lambda s: s.propose_geofence(spec(), actor="op:a", geofence_id="small"),
        DuplicateError,
        "'small' is already taken",
    ),
    "bad geofence id": (
        lambda s: s.propose_geofence(spec(), actor="op:a", geofence_id="a b"),
        InputError,
        "geofence id 'a b' is not valid",
    ),
    "unknown geofence": (
        lambda s: s.approve_geofence("nope", expected_version=1, actor="op:b", reason="r"),
        NotFoundError,
        "no geofence with id 'nope'",
    ),
    "stale geofence version": (
        lambda s: s.revise_geofence("big", spec(), expected_version=7, actor="op:b"),
        ConflictError,
        "version 1, but the change was based on version 7",
    ),
    "self-approval": (
        lambda s: s.approve_geofence("big", expected_version=1, actor="op:alice", reason="r"),
        TwoPersonRuleError,
        "two-person rule",
    ),
    "approving what is active": (
        lambda s: s.approve_geofence("small", expected_version=1, actor="op:b", reason="r"),
        PolicyStateError,
        "is active, not proposed",
    ),
    "duplicate terminal": (terminal("UT-1"), DuplicateError, "'UT-1' is already registered"),
    "unknown home country": (terminal(home_country="ZZ"), UnknownCountryError, "'ZZ'"),
    "unknown plan": (terminal(plan="gold"), InputError, "plan 'gold'"),
    "unknown terminal update": (
        lambda s: s.update_terminal("UT-9", state="suspended", actor="op:a", reason="r"),
        NotFoundError,
        "no terminal with id 'UT-9': register it first",
    ),
    "unknown terminal report": (
        lambda s: s.report_positions("UT-9", "2026-05-13T00:00:00Z", 50.0, 30.0, actor="t"),
        NotFoundError,
        "'UT-9'",
    ),
    "position off the globe": (
        lambda s: s.report_positions("UT-1", "2026-05-13T00:00:00Z", [50.0, 91.0], 30.0, actor="t"),
        InputError,
        "position 1 (lat_deg=91.0, lon_deg=30.0) is not a position",
    ),
    "NaN position": (
        lambda s: s.report_positions("UT-1", "2026-05-13T00:00:00Z", float("nan"), 30.0, actor="t"),
        InputError,
        "is not a position",
    ),
    "mismatched arrays": (
        lambda s: s.report_positions(
            "UT-1", ["2026-05-13T00:00:00Z"] * 3, [1.0, 2.0], 3.0, actor="t"
        ),
        InputError,
        "matching lengths",
    ),
    "allow-list of unknown terminal": (
        lambda s: s.add_to_allowlist("big", ["UT-1", "UT-9"], actor="op:a", reason="r"),
        NotFoundError,
        "'UT-9'",
    ),
    "unknown role": (
        lambda s: s.create_api_key("root", name="k", actor="admin", reason="r"),
        InputError,
        "role 'root'",
    ),
    "unknown key": (
        lambda s: s.revoke_api_key("000000000000", actor="admin", reason="r"),
        NotFoundError,
        "no API key",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_and_leaves_no_trace(
    store: Store, fingerprint: Callable[[], dict[str, object]], case: str
):
    history(store)
    before = fingerprint()
    action, error, message = CASES[case]
    with pytest.raises(error, match=re.escape(message)):
        action(store)
    assert fingerprint() == before
    result = store.verify()
    assert (result.ok, result.records) == (True, 4)
