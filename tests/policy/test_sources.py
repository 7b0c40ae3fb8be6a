"""The engine over a real store: the history equals policy_at, decisions read what they need.

Runs on SQLite and PostgreSQL (``store``): the store's queries added for the engine
(`Store.policy_history`, `Store.last_position_reports`) are checked on both.
"""

from __future__ import annotations

import numpy as np
import pytest

from leolink.errors import NotFoundError
from leolink.policy.decide import Code
from leolink.policy.records import GeofenceSpec
from leolink.policy.scenarios import ScenarioClock
from leolink.policy.sources import decide_from
from leolink.store import Store
from tests.policy.factory import KYIV, SEVASTOPOL, WARSAW, box, t

INSTANTS = [
    "2021-01-01T00:00:00Z",
    "2022-02-25T00:00:00Z",
    "2022-02-26T00:00:00Z",
    "2022-09-16T12:00:00Z",
    "2022-09-17T12:00:00Z",
    "2026-05-13T12:00:01Z",
    "2026-05-20T00:00:00Z",
]


def _fill(store: Store, clock: ScenarioClock) -> None:
    for code, status, since in [
        ("UA", "available", "2022-02-26"),
        ("PL", "available", "2021-09-01"),
    ]:
        change = store.propose_country_status(
            code, status, effective_from=f"{since}T00:00:00Z", source="test", actor="a", reason="r"
        )
        store.approve_country_status(change.id, actor="b", reason="r")
    store.propose_country_status(
        "UA", "blocked", effective_from="2026-05-15T00:00:00Z", source="t", actor="a", reason="r"
    )
    big = store.propose_geofence(
        GeofenceSpec(
            "Crimea",
            "deny",
            "test",
            area_geojson=box(32.0, 44.0, 37.0, 46.0),
            window_start="2022-09-16T00:00:00Z",
            window_end="2022-09-17T00:00:00Z",
        ),
        actor="a",
        geofence_id="gf-big",
    )
    store.approve_geofence(big.id, expected_version=big.version, actor="b", reason="r")
    small = store.propose_geofence(
        GeofenceSpec("Sevastopol cell", "deny", "test", cells=("852d2897fffffff",)),
        actor="a",
        geofence_id="gf-small",
    )
    clock.set(t("2026-05-14T00:00:00Z"))
    store.withdraw_geofence(small.id, expected_version=small.version, actor="a", reason="r")
    allow = store.propose_geofence(
        GeofenceSpec(
            "UA",
            "allowlist",
            "test",
            area_geojson=box(22, 44, 41, 53),
            window_start="2026-05-18T00:00:00Z",
        ),
        actor="a",
        geofence_id="gf-allow",
    )
    store.approve_geofence(allow.id, expected_version=allow.version, actor="b", reason="r")
    store.propose_geofence(
        GeofenceSpec("never", "deny", "t", area_geojson=box(0, 0, 5, 5)),
        actor="a",
        geofence_id="gf-pending",
    )
    store.register_terminal(
        "T1", account="x", home_country="UA", customer_class="residential", actor="a", reason="r"
    )
    store.add_to_allowlist("gf-allow", ["T1"], actor="a", reason="r")


def test_history_snapshot_equals_policy_at(store: Store, clock: ScenarioClock) -> None:
    _fill(store, clock)
    for known in (None, "2026-05-13T12:00:00.5Z"):
        history = store.policy_history(known_at=known)
        assert "gf-pending" not in {f.id for f in history.geofences}
        for text in INSTANTS:
            at = t(text)
            assert history.snapshot(at) == store.policy_at(at, known_at=known), (text, known)


def test_last_position_reports_and_decide_from(store: Store, clock: ScenarioClock) -> None:
    _fill(store, clock)
    store.register_terminal(
        "T2", account="y", home_country="UA", customer_class="residential", actor="a", reason="r"
    )
    store.report_positions(
        "T1",
        ["2022-01-01T00:00:00Z", "2022-03-01T00:00:00Z"],
        [KYIV[0], WARSAW[0]],
        [KYIV[1], WARSAW[1]],
        actor="t",
    )
    store.report_positions("T2", "2022-02-01T00:00:00Z", SEVASTOPOL[0], SEVASTOPOL[1], actor="t")
    last = {r.terminal_id: r for r in store.last_position_reports()}
    assert last["T1"].reported_at == t("2022-03-01T00:00:00Z")
    assert last["T2"].lat_deg == pytest.approx(SEVASTOPOL[0])
    before = {r.terminal_id: r for r in store.last_position_reports(before="2022-02-15T00:00:00Z")}
    assert before["T1"].reported_at == t("2022-01-01T00:00:00Z")
    assert before["T2"].reported_at == t("2022-02-01T00:00:00Z")
    # In Warsaw since 1 March: fine in April, ROAM_RESTRICTED in June (standard plan, 60 days).
    assert decide_from(store, "T1", WARSAW, "2022-04-01T00:00:00Z").code is Code.OKAY
    june = decide_from(store, "T1", WARSAW, "2022-06-01T00:00:00Z")
    assert june.code is Code.ROAM_RESTRICTED
    assert june.policy_version == store.policy_version()
    assert decide_from(store, None, SEVASTOPOL, "2022-09-16T12:00:00Z").code is Code.BLOCKED_AREA
    with pytest.raises(NotFoundError):
        decide_from(store, "nope", KYIV, "2022-06-01T00:00:00Z")


def test_snapshots_kept_per_interval_equal_policy_at_on_both_sides_of_every_change(
    store: Store, clock: ScenarioClock
) -> None:
    """The history keeps one snapshot per interval between change points: asked in any order,
    at a change point and just before it, each is the store's policy at that instant."""
    _fill(store, clock)
    history = store.policy_history()
    points = history.change_points_us.astype("datetime64[us]")
    assert points.size >= 5
    one_us = np.timedelta64(1, "us")
    instants = [p + d for p in points for d in (-one_us, 0 * one_us, one_us)]
    for at in [*instants[::-1], *instants]:
        kept = history.snapshot(at)
        assert kept.at == at.astype("datetime64[ns]")
        assert kept == store.policy_at(at), at
