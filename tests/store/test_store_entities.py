"""Terminals, their position reports, API keys; what a write returns is what a read gives."""

from __future__ import annotations

import numpy as np
import pytest

from leolink.earth import EARTH_AUTHALIC_RADIUS_KM
from leolink.errors import ConflictError, InputError, PolicyStateError
from leolink.geo import grid
from leolink.store import UNCHANGED, CustomerClass, Plan, Role, Store, TerminalState
from leolink.store.checks import area_geojson_km2, ring_area_km2


def register(store: Store, tid: str = "UT-1", **overrides: object):
    fields: dict[str, object] = {
        "account": "usaid-2022",
        "home_country": "ua",
        "customer_class": "government",
        "plan": "roam",
        "funding_party": "USAID",
        "actor": "op:alice",
        "reason": "donated terminal",
    }
    fields.update(overrides)
    return store.register_terminal(tid, **fields)  # type: ignore[arg-type]


def test_terminals_register_and_change(store: Store):
    t = register(store)
    assert (t.home_country, t.customer_class, t.plan, t.state, t.version) == (
        "UA",
        CustomerClass.GOVERNMENT,
        Plan.ROAM,
        TerminalState.ACTIVE,
        1,
    )
    assert store.terminal("UT-1") == t
    # The donor changes: the terminal is now paid for by the DoD.
    paid = store.update_terminal(
        "UT-1", funding_party="US DoD", expected_version=1, actor="op:bob", reason="contract"
    )
    assert (paid.funding_party, paid.version, paid.account) == ("US DoD", 2, "usaid-2022")
    with pytest.raises(ConflictError, match="at version 2, but the change was based on version 1"):
        store.update_terminal(
            "UT-1", state="suspended", expected_version=1, actor="op:c", reason="stale"
        )
    with pytest.raises(InputError, match="nothing to change"):
        store.update_terminal("UT-1", funding_party="US DoD", actor="op:c", reason="same")
    with pytest.raises(InputError, match="give some field"):
        store.update_terminal("UT-1", plan=UNCHANGED, actor="op:c", reason="none")
    cleared = store.update_terminal("UT-1", funding_party=None, actor="op:c", reason="unknown")
    assert cleared.funding_party is None
    assert [x.id for x in store.terminals(account="usaid-2022")] == ["UT-1"]
    assert store.terminals(state="suspended") == []
    assert store.policy_version() == 3
    assert store.verify().ok


def test_position_reports_get_their_cells(store: Store):
    register(store)
    times = np.array(["2026-05-13T10:00:00", "2026-05-13T11:00:00"], dtype="datetime64[ns]")
    reports = store.report_positions(
        "UT-1", times, [47.0, 55.75], [37.5, 37.62], actor="terminal:UT-1"
    )
    expected_cells = grid.cells_to_hex(grid.latlng_to_cells([47.0, 55.75], [37.5, 37.62]))
    assert [r.cell for r in reports] == expected_cells
    assert store.position_reports("UT-1") == reports
    assert store.position_reports(start="2026-05-13T10:30:00Z") == reports[1:]
    assert store.position_reports(end="2026-05-13T10:30:00Z") == reports[:1]
    assert store.position_reports(cells=[expected_cells[1]]) == reports[1:]
    # One position for several instants broadcasts; ISO strings are accepted.  (Several
    # positions at one instant are refused: a terminal is in one place at a time.)
    later = ["2026-05-13T12:00:00Z", "2026-05-13T12:01:00Z"]
    more = store.report_positions("UT-1", later, 1.0, 3.0, actor="t")
    assert [r.reported_at for r in more] == [np.datetime64(t.rstrip("Z"), "ns") for t in later]
    (rec,) = store.audit_log(entity="terminal", after_seq=1, limit=1)
    assert rec.action == "terminal.report_positions"
    assert isinstance(rec.after, dict)
    assert [r["cell"] for r in rec.after["reports"]] == expected_cells
    assert store.policy_version() == 1  # telemetry is not policy


def test_api_keys_authenticate_until_revoked(store: Store):
    key, token = store.create_api_key("operator", name="alice's laptop", actor="admin", reason="r")
    assert key.role is Role.OPERATOR
    assert token.startswith(f"lk_{key.id}_")
    assert store.authenticate(token) == key
    assert store.authenticate(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert store.authenticate("lk_000000000000_" + "x" * 43) is None
    assert store.authenticate("not a token") is None
    revoked = store.revoke_api_key(key.id, actor="admin", reason="laptop lost")
    assert revoked.revoked
    assert store.authenticate(token) is None
    with pytest.raises(PolicyStateError, match="already revoked"):
        store.revoke_api_key(key.id, actor="admin", reason="again")
    assert store.api_keys() == [revoked]
    # Neither the secret nor its hash is in the log.
    text = str([r.to_dict() for r in store.audit_log(entity="api_key")])
    assert token.split("_")[-1] not in text
    assert "secret" not in text
    assert "salt" not in text


def test_areas_on_the_sphere():
    # A box bounded by meridians and parallels: exactly R² Δλ (sin φ2 - sin φ1).
    box = np.array([[10.0, 40.0], [12.0, 40.0], [12.0, 41.0], [10.0, 41.0], [10.0, 40.0]])
    exact = (
        EARTH_AUTHALIC_RADIUS_KM**2
        * np.radians(2.0)
        * (np.sin(np.radians(41.0)) - np.sin(np.radians(40.0)))
    )
    assert ring_area_km2(box) == pytest.approx(exact, rel=1e-12)
    assert ring_area_km2(box[::-1]) == pytest.approx(exact, rel=1e-12)  # either orientation
    holed = {
        "type": "Polygon",
        "coordinates": [box.tolist(), [[10.5, 40.2], [10.5, 40.4], [10.7, 40.4], [10.5, 40.2]]],
    }
    text, area = area_geojson_km2(holed)
    hole = ring_area_km2(np.array(holed["coordinates"][1]))
    assert area == pytest.approx(exact - hole)
    assert text.startswith('{"coordinates":')  # canonical: keys sorted, no spaces
