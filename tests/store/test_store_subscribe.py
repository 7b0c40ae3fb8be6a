"""The store tells its subscribers after each commit that changed the policy, and only then."""

from __future__ import annotations

import gc

import pytest

from leolink.errors import TwoPersonRuleError
from leolink.store import GeofenceSpec, Store

CELL = "85283473fffffff"  # H3 res 5, under the fixture's two-person thresholds


class Listener:
    """A subscriber that notes each call in a list it does not own."""

    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def changed(self) -> None:
        self.calls.append("called")


def test_each_change_to_what_is_in_force_is_announced_once_after_its_commit(store: Store):
    seen: list[int] = []
    store.subscribe(lambda: seen.append(store.policy_version()))
    change = store.propose_country_status(
        "UA", "available", effective_from="2022-02-26T00:00:00Z", source="s", actor="a", reason="r"
    )
    assert seen == []  # a proposal is not in force
    with pytest.raises(TwoPersonRuleError):
        store.approve_country_status(change.id, actor="a", reason="alone")
    assert seen == []  # refused: nothing committed
    store.approve_country_status(change.id, actor="b", reason="ok")
    assert seen == [1]  # told after the commit: the new version is readable
    store.register_terminal(
        "UT-1",
        account="acct",
        home_country="UA",
        customer_class="residential",
        actor="a",
        reason="r",
    )
    assert seen == [1, 2]
    store.report_positions("UT-1", ["2026-05-13T12:00:00Z"], [50.45], [30.52], actor="UT-1")
    assert seen == [1, 2]  # a position report is evidence, not policy
    fence = store.propose_geofence(
        GeofenceSpec(name="one cell", effect="deny", cells=(CELL,), reason="test"), actor="a"
    )
    assert seen == [1, 2, 3]  # small: in force at once
    store.withdraw_geofence(fence.id, expected_version=fence.version, actor="b", reason="r")
    assert seen == [1, 2, 3, 4]


def test_an_unsubscribed_or_collected_subscriber_is_not_called(store: Store):
    kept: list[str] = []
    unsubscribe = store.subscribe(Listener(kept).changed)  # held weakly: collected at once
    gc.collect()
    listener = Listener(kept)
    unsubscribe = store.subscribe(listener.changed)
    change = store.propose_country_status(
        "UA", "available", effective_from="2022-02-26T00:00:00Z", source="s", actor="a", reason="r"
    )
    store.approve_country_status(change.id, actor="b", reason="ok")
    assert kept == ["called"]  # the live listener only
    unsubscribe()
    store.register_terminal(
        "UT-1",
        account="acct",
        home_country="UA",
        customer_class="residential",
        actor="a",
        reason="r",
    )
    assert kept == ["called"]
