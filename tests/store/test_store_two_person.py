"""The two-person rule cannot be split or dodged (issue 14's three reproductions).

1. One operator alone made twelve 10-cell fences active in a row: what one person switches
   off alone nearby within a day now counts against the same limits.
2. One operator withdrew a fence that two had approved: lifting it now takes two.
3. A key named ``alice`` + zero-width space approved alice's proposal: names are compared as
   people (NFKC, invisible characters dropped, case folded).

Each runs on SQLite and PostgreSQL (the ``db_url`` fixture).
"""

from __future__ import annotations

import numpy as np
import pytest

from leolink.errors import PolicyStateError, TwoPersonRuleError
from leolink.geo import grid
from leolink.store import ChangeState, GeofenceSpec, Role, Store, TwoPersonRule
from leolink.store.checks import person_key

#: A resolution-3 cell over eastern Ukraine (near Kharkiv): 49 resolution-5 children, side
#: by side.
KHARKIV_RES3 = grid.cells_to_hex(grid.latlng_to_cells(49.99, 36.23, 3))[0]
#: The same over Lisbon, ~3,600 km away: a region of its own.
LISBON_RES3 = grid.cells_to_hex(grid.latlng_to_cells(38.72, -9.14, 3))[0]


def _children(parent_hex: str, start: int, n: int) -> tuple[str, ...]:
    children = grid.cells_to_children(grid.hex_to_cells([parent_hex]), 5).ravel()
    return tuple(grid.cells_to_hex(children[start : start + n]))


def _ten_cells(
    store: Store, k: int, actor: str, parent: str = KHARKIV_RES3, n: int = 10
) -> ChangeState:
    fence = store.propose_geofence(
        GeofenceSpec(
            name=f"piece {k}",
            effect="deny",
            reason="one piece of a region",
            cells=_children(parent, 10 * (k % 4), n),
        ),
        actor=actor,
        geofence_id=f"piece-{parent}-{k}",
    )
    return fence.state


def test_twelve_ten_cell_fences_in_a_row_hit_the_limit(store: Store):
    states = [_ten_cells(store, k, "op:mallory") for k in range(12)]
    # The first piece is within one operator's limit; every later one waits for a second.
    assert states == [ChangeState.ACTIVE] + [ChangeState.PROPOSED] * 11
    assert [f.id for f in store.geofences(state="active")] == [f"piece-{KHARKIV_RES3}-0"]
    # Spelling the name differently is the same person.
    assert _ten_cells(store, 12, "OP:Mallory\u200b") is ChangeState.PROPOSED
    # Another operator has a budget of their own; a region far away is another region.
    assert _ten_cells(store, 13, "op:trent") is ChangeState.ACTIVE
    assert _ten_cells(store, 0, "op:mallory", parent=LISBON_RES3, n=5) is ChangeState.ACTIVE


def test_the_budget_is_per_window_of_record(open_store, clock):
    store = open_store(two_person=TwoPersonRule(max_cells=10, window_h=24.0))
    assert _ten_cells(store, 0, "op:mallory") is ChangeState.ACTIVE
    assert _ten_cells(store, 1, "op:mallory") is ChangeState.PROPOSED
    clock.now = clock.now + np.timedelta64(25, "h")  # a day later the budget is whole again
    assert _ten_cells(store, 2, "op:mallory") is ChangeState.ACTIVE
    # A second operator's approval is not "alone": approved pieces do not count.
    store.approve_geofence(
        f"piece-{KHARKIV_RES3}-1", expected_version=1, actor="op:trent", reason="agreed"
    )
    assert _ten_cells(store, 3, "op:trent") is ChangeState.ACTIVE


def test_what_two_imposed_takes_two_to_lift(store: Store, clock):
    big = GeofenceSpec(
        name="region", effect="deny", reason="r", cells=_children(KHARKIV_RES3, 0, 30)
    )
    store.propose_geofence(big, actor="op:alice", geofence_id="region")
    store.approve_geofence("region", expected_version=1, actor="op:bob", reason="ok")
    at = "2026-05-14T00:00:00Z"
    assert [f.id for f in store.policy_at(at).geofences] == ["region"]

    asked = store.withdraw_geofence("region", expected_version=2, actor="op:mallory", reason="x")
    assert (asked.state, asked.withdrawal_proposer, asked.version) == (
        ChangeState.APPROVED,
        "op:mallory",
        3,
    )
    assert [f.id for f in store.policy_at(at).geofences] == ["region"]  # still in force
    with pytest.raises(TwoPersonRuleError, match="second, different operator must confirm"):
        store.withdraw_geofence("region", expected_version=3, actor="op:Mallory ", reason="x")
    with pytest.raises(TwoPersonRuleError):
        store.withdraw_geofence("region", expected_version=3, actor="op:mallory\u2060", reason="x")
    done = store.withdraw_geofence("region", expected_version=3, actor="op:alice", reason="ok")
    assert done.state is ChangeState.WITHDRAWN
    assert store.policy_at("2026-06-01T00:00:00Z").geofences == ()
    actions = [r.action for r in store.audit_log(entity="geofence", entity_id="region")]
    assert actions == [
        "geofence.propose",
        "geofence.approve",
        "geofence.propose_withdrawal",
        "geofence.withdraw",
    ]
    assert store.verify().ok

    # What one operator put in force alone, one operator may end.
    small = GeofenceSpec(name="town", effect="deny", reason="r", cells=_children(LISBON_RES3, 0, 2))
    store.propose_geofence(small, actor="op:carol", geofence_id="town")
    ended = store.withdraw_geofence("town", expected_version=1, actor="op:dave", reason="ok")
    assert ended.state is ChangeState.WITHDRAWN


def test_cell_statuses_two_imposed_take_two_to_lift(store: Store):
    change = store.propose_cell_statuses(
        "blacklisted",
        _children(KHARKIV_RES3, 0, 3),
        effective_from="2025-01-01T00:00:00Z",
        published="2025-01",
        source="test",
        actor="op:alice",
        reason="r",
    )
    store.approve_cell_statuses(change.id, actor="op:bob", reason="ok")
    asked = store.withdraw_cell_statuses(change.id, actor="op:carol", reason="x")
    assert (asked.state, asked.withdrawal_proposer) == (ChangeState.APPROVED, "op:carol")
    with pytest.raises(TwoPersonRuleError):
        store.withdraw_cell_statuses(change.id, actor="ＯＰ:carol", reason="x")
    done = store.withdraw_cell_statuses(change.id, actor="op:dave", reason="ok")
    assert done.state is ChangeState.WITHDRAWN


@pytest.mark.parametrize(
    "disguise",
    [
        "alice\u200b",
        "Alice",
        " alice ",
        "ａｌｉｃｅ",
        "ali\u00adce",
        "alice\ufe0f",
        "\u2066alice\u2069",
    ],
)
def test_a_disguised_name_is_the_same_person(store: Store, disguise: str):
    key, _ = store.create_api_key(Role.OPERATOR, name=disguise, actor="admin", reason="t")
    big = GeofenceSpec(
        name="region", effect="deny", reason="r", cells=_children(KHARKIV_RES3, 0, 30)
    )
    store.propose_geofence(big, actor="alice", geofence_id="region")
    with pytest.raises(TwoPersonRuleError, match="second, different operator"):
        store.approve_geofence("region", expected_version=1, actor=key.name, reason="me")
    status = store.propose_country_status(
        "UA",
        "available",
        effective_from="2022-02-26T00:00:00Z",
        source="s",
        actor="alice",
        reason="r",
    )
    with pytest.raises(TwoPersonRuleError):
        store.approve_country_status(status.id, actor=key.name, reason="me")
    # ... and may withdraw alice's own proposal, as alice may.
    store.withdraw_country_status(status.id, actor=key.name, reason="mine")
    with pytest.raises(PolicyStateError, match="only its proposer"):
        store.withdraw_geofence("region", expected_version=1, actor="bob", reason="not mine")
    assert (
        store.approve_geofence("region", expected_version=1, actor="bob", reason="ok").state
        is ChangeState.APPROVED
    )


def test_person_key_keeps_different_people_apart():
    assert person_key("op:alice") != person_key("op:alicia")
    assert person_key("al ice") != person_key("alice")  # a visible space is a character
    assert person_key("Ａlice\u200d") == person_key("alice") == "alice"
