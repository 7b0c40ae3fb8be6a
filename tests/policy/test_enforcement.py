"""Enforcement: terminals found by their own reports, with evidence; suspension is audited."""

from __future__ import annotations

from leolink.policy.decide import Code
from leolink.policy.enforcement import find_violations, suspend
from leolink.policy.records import GeofenceSpec, TerminalState
from leolink.policy.scenarios import ScenarioClock
from leolink.policy.sources import decide_from
from leolink.store import Store
from tests.policy.factory import ALMATY, KYIV, MOSCOW, SEVASTOPOL, box, t


def _setup(store: Store) -> None:
    for code, status in [("RU", "blocked"), ("KZ", "available"), ("UA", "available")]:
        c = store.propose_country_status(
            code, status, effective_from="2020-01-01T00:00:00Z", source="s", actor="a", reason="r"
        )
        store.approve_country_status(c.id, actor="b", reason="r")
    fence = store.propose_geofence(
        GeofenceSpec(
            "Crimea",
            "deny",
            "r",
            area_geojson=box(32, 44, 37, 46),
            window_start="2026-01-01T00:00:00Z",
        ),
        actor="a",
        geofence_id="gf-crimea",
    )
    store.approve_geofence(fence.id, expected_version=fence.version, actor="b", reason="r")
    for tid, home in [("KZ-1", "KZ"), ("KZ-2", "KZ"), ("UA-1", "UA"), ("UA-2", "UA")]:
        store.register_terminal(
            tid, account=tid, home_country=home, customer_class="residential", actor="a", reason="r"
        )
    store.report_positions(
        "KZ-1",
        ["2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z", "2026-02-03T00:00:00Z"],
        [ALMATY[0], MOSCOW[0], 55.8],
        [ALMATY[1], MOSCOW[1], 37.7],
        actor="t",
    )
    store.report_positions("KZ-2", "2026-02-01T00:00:00Z", ALMATY[0], ALMATY[1], actor="t")
    store.report_positions(
        "UA-1",
        ["2025-12-01T00:00:00Z", "2026-02-01T00:00:00Z"],
        [SEVASTOPOL[0]] * 2,
        [SEVASTOPOL[1]] * 2,
        actor="t",
    )
    store.report_positions("UA-2", "2026-02-01T00:00:00Z", KYIV[0], KYIV[1], actor="t")


def test_violations_with_evidence(store: Store) -> None:
    _setup(store)
    found = find_violations(store.policy_history(), store.terminals(), store.position_reports())
    assert [v.terminal.id for v in found] == ["KZ-1", "UA-1"]
    kz, ua = found
    assert kz.codes == (Code.BLOCKED_COUNTRY,)
    assert kz.countries == ("RU",)
    assert (kz.report_count, kz.total_reports) == (2, 3)
    assert (kz.first_seen, kz.last_seen) == (t("2026-02-02T00:00:00Z"), t("2026-02-03T00:00:00Z"))
    assert kz.rules == ("country_status:1",)
    assert len(kz.cells) == 2
    assert ua.codes == (Code.BLOCKED_AREA,)
    assert ua.rules == ("geofence:gf-crimea",)
    assert ua.report_count == 1  # the December report predates the geofence
    d = kz.to_dict()
    assert d["positions"][0] == {
        "reported_at": "2026-02-02T00:00:00Z",
        "lat_deg": MOSCOW[0],
        "lon_deg": MOSCOW[1],
    }
    assert "2 of 3 position reports in BLOCKED_COUNTRY places (RU; 2 cells)" in kz.summary()


def test_suspension_is_audited_and_refuses_service(store: Store, clock: ScenarioClock) -> None:
    _setup(store)
    clock.set(t("2026-06-01T00:00:00Z"))
    found = find_violations(store.policy_history(), store.terminals(), store.position_reports())
    done = suspend(store, found, actor="op:trust", reason="reports from refusing places")
    assert [(s.terminal_id, s.outcome) for s in done] == [
        ("KZ-1", "suspended"),
        ("UA-1", "suspended"),
    ]
    assert store.terminal("KZ-1").state is TerminalState.SUSPENDED
    record = store.audit_log(entity="terminal", entity_id="KZ-1", limit=None)[-1]
    assert record.actor == "op:trust"
    assert record.reason.startswith("reports from refusing places: 2 of 3 position reports")
    assert decide_from(store, "KZ-1", ALMATY, "2026-06-01T00:00:00Z").code is Code.ACCOUNT_DISABLED
    assert store.verify().ok
    # A second run leaves suspended terminals alone.
    again = find_violations(store.policy_history(), store.terminals(), store.position_reports())
    assert [s.outcome for s in suspend(store, again, actor="op:trust", reason="r")] == [
        "left suspended"
    ] * 2


def test_a_terminal_changed_meanwhile_is_a_conflict_not_overwritten(memory_store: Store) -> None:
    _setup(memory_store)
    found = find_violations(
        memory_store.policy_history(), memory_store.terminals(), memory_store.position_reports()
    )
    memory_store.update_terminal("KZ-1", funding_party="someone", actor="other", reason="edit")
    done = {s.terminal_id: s.outcome for s in suspend(memory_store, found, actor="op", reason="r")}
    assert done["KZ-1"].startswith("not suspended: terminal 'KZ-1' is at version 2")
    assert memory_store.terminal("KZ-1").state is TerminalState.ACTIVE
    assert done["UA-1"] == "suspended"
