"""Country statuses, geofences and the two-person rule; the policy in force at an instant.

The dates follow the public record the design cites: Starlink activated over Ukraine on
26 Feb 2022; coverage near Crimea was cut during the sea-drone attack of 16-17 Sep 2022.
The Crimea box here is a test shape, not the real area.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from leolink.errors import ConflictError, PolicyStateError, TwoPersonRuleError
from leolink.store import (
    ChangeState,
    CountryStatus,
    CustomerClass,
    GeofenceEffect,
    GeofenceSpec,
    Store,
)

CELL = "85283473fffffff"  # H3 res 5, ~250 km²: under the 2,500 km² threshold
CRIMEA_BOX = {
    "type": "Polygon",
    "coordinates": [[[32.0, 44.0], [37.0, 44.0], [37.0, 46.5], [32.0, 46.5], [32.0, 44.0]]],
}
Fingerprint = Callable[[], dict[str, object]]


def t(text: str) -> np.datetime64:
    return np.datetime64(text.rstrip("Z"), "ns")


def crimea_spec(**overrides: object) -> GeofenceSpec:
    fields: dict[str, object] = {
        "name": "Crimea coast",
        "effect": "deny",
        "reason": "sea-drone attack",
        "area_geojson": CRIMEA_BOX,
        "window_start": "2022-09-16T00:00:00Z",
        "window_end": "2022-09-18T00:00:00Z",
    }
    fields.update(overrides)
    return GeofenceSpec(**fields)  # type: ignore[arg-type]


# --- country statuses ----------------------------------------------------------------------


def test_a_status_change_needs_a_second_operator(store: Store, fingerprint: Fingerprint):
    change = store.propose_country_status(
        "UA",
        "available",
        effective_from="2022-02-26T00:00:00Z",
        source="https://x.com/elonmusk/status/1497701484003213317",
        actor="op:alice",
        reason="activation over Ukraine",
    )
    assert change.state is ChangeState.PROPOSED
    assert store.country_status("UA", "2022-03-01T00:00:00Z") is None  # not in force yet
    assert store.policy_version() == 0

    before = fingerprint()
    with pytest.raises(TwoPersonRuleError, match="second, different operator"):
        store.approve_country_status(change.id, actor="op:alice", reason="self-approval")
    with pytest.raises(TwoPersonRuleError, match="withdraw it instead"):
        store.reject_country_status(change.id, actor="OP:Alice ", reason="case does not help")
    assert fingerprint() == before

    approved = store.approve_country_status(change.id, actor="op:bob", reason="checked source")
    assert (approved.state, approved.approver) == (ChangeState.APPROVED, "op:bob")
    in_force = store.country_status("UA", "2022-03-01T00:00:00Z")
    assert in_force == approved
    assert in_force.status is CountryStatus.AVAILABLE
    assert store.country_status("UA", "2022-02-25T00:00:00Z") is None
    assert store.policy_version() == 1
    actions = [r.action for r in store.audit_log(entity="country_status")]
    assert actions == ["country_status.propose", "country_status.approve"]
    with pytest.raises(PolicyStateError, match="is approved, not proposed"):
        store.approve_country_status(change.id, actor="op:carol", reason="again")
    assert store.verify().ok


def approve(store: Store, code: str, status: str, effective: str) -> int:
    change = store.propose_country_status(
        code, status, effective_from=effective, source="test", actor="op:alice", reason="r"
    )
    store.approve_country_status(change.id, actor="op:bob", reason="ok")
    return change.id


def test_status_history_answers_for_any_instant(store: Store):
    approve(store, "UA", "waitlist", "2021-01-01T00:00:00Z")
    approve(store, "UA", "available", "2022-02-26T00:00:00Z")
    approve(store, "TW", "service_date_unknown", "2020-01-01T00:00:00Z")
    approve(store, "RU", "blocked", "2022-03-01T00:00:00Z")

    def status(code: str, at: str) -> str | None:
        change = store.country_status(code, at)
        return None if change is None else change.status.value

    assert status("UA", "2020-06-01T00:00:00Z") is None
    assert status("UA", "2021-06-01T00:00:00Z") == "waitlist"
    assert status("UA", "2022-02-26T00:00:00Z") == "available"  # from the instant on
    assert status("TW", "2026-05-13T00:00:00Z") == "service_date_unknown"
    snapshot = store.policy_at("2022-06-01T00:00:00Z")
    assert {c: s.status.value for c, s in snapshot.country_statuses.items()} == {
        "UA": "available",
        "TW": "service_date_unknown",
        "RU": "blocked",
    }
    assert snapshot.version == 4
    assert [c.status.value for c in store.country_status_changes("ua")] == [
        "waitlist",
        "available",
    ]


def test_known_at_rewinds_to_what_was_approved_then(store: Store, clock):
    approve(store, "UA", "waitlist", "2021-01-01T00:00:00Z")
    clock.set("2026-06-01T00:00:00Z")
    # A correction approved later, effective in the past.
    approve(store, "UA", "available", "2022-02-26T00:00:00Z")
    at = "2023-01-01T00:00:00Z"
    assert store.country_status("UA", at).status is CountryStatus.AVAILABLE
    before_fix = store.country_status("UA", at, known_at="2026-05-20T00:00:00Z")
    assert before_fix.status is CountryStatus.WAITLIST


def test_rejected_and_withdrawn_changes_never_count(store: Store):
    a = store.propose_country_status(
        "IR",
        "available",
        effective_from="2022-09-23T00:00:00Z",
        source="s",
        actor="op:alice",
        reason="r",
    )
    b = store.propose_country_status(
        "IR",
        "waitlist",
        effective_from="2022-09-23T00:00:00Z",
        source="s",
        actor="op:alice",
        reason="r",
    )
    with pytest.raises(PolicyStateError, match="only its proposer"):
        store.withdraw_country_status(a.id, actor="op:bob", reason="not mine")
    assert store.reject_country_status(a.id, actor="op:bob", reason="no licence").state == (
        ChangeState.REJECTED
    )
    assert store.withdraw_country_status(b.id, actor="op:alice", reason="oops").state == (
        ChangeState.WITHDRAWN
    )
    assert store.country_status("IR", "2023-01-01T00:00:00Z") is None
    assert [c.state for c in store.country_status_changes(state="proposed")] == []
    assert store.policy_version() == 0


# --- geofences -----------------------------------------------------------------------------


def test_a_small_geofence_is_active_at_once(store: Store):
    fence = store.propose_geofence(
        GeofenceSpec(name="one cell", effect="deny", reason="drill", cells=(CELL.upper(),)),
        actor="op:alice",
        geofence_id="gf-small",
    )
    assert (fence.state, fence.needs_approval, fence.version) == (ChangeState.ACTIVE, False, 1)
    assert fence.cells == (CELL,)
    assert 200 < fence.size_km2 < 300
    assert fence.approved_at is not None
    assert fence.is_in_force(t("2030-01-01T00:00:00Z"))  # open window
    assert [f.id for f in store.policy_at("2026-05-13T12:00:30Z").geofences] == ["gf-small"]
    assert [f.id for f in store.geofences(cell=CELL)] == ["gf-small"]
    assert store.geofences(cell="85283477fffffff") == []
    assert store.policy_version() == 1


def test_a_large_geofence_waits_for_a_second_operator(store: Store, fingerprint: Fingerprint):
    fence = store.propose_geofence(crimea_spec(), actor="op:alice", geofence_id="crimea")
    assert fence.state is ChangeState.PROPOSED
    assert fence.needs_approval
    assert 100_000 < fence.size_km2 < 130_000
    during = "2022-09-16T12:00:00Z"
    assert store.policy_at(during).geofences == ()

    before = fingerprint()
    with pytest.raises(TwoPersonRuleError):
        store.approve_geofence("crimea", expected_version=1, actor="op:alice", reason="mine")
    with pytest.raises(ConflictError, match="at version 1, but the change was based on version 0"):
        store.approve_geofence("crimea", expected_version=0, actor="op:bob", reason="stale")
    assert fingerprint() == before

    approved = store.approve_geofence("crimea", expected_version=1, actor="op:bob", reason="ok")
    assert (approved.state, approved.approver, approved.version) == (
        ChangeState.APPROVED,
        "op:bob",
        2,
    )
    assert [f.id for f in store.policy_at(during).geofences] == ["crimea"]
    assert store.policy_at("2022-09-15T23:59:59Z").geofences == ()
    assert store.policy_at("2022-09-18T00:00:00Z").geofences == ()  # the end is excluded
    actions = [r.action for r in store.audit_log(entity="geofence", entity_id="crimea")]
    assert actions == ["geofence.propose", "geofence.approve"]
    assert store.verify().ok


def test_a_revision_makes_the_reviser_the_proposer(store: Store):
    store.propose_geofence(crimea_spec(), actor="op:alice", geofence_id="crimea")
    revised = store.revise_geofence(
        "crimea",
        crimea_spec(window_end=None, customer_classes=("residential", "business")),
        expected_version=1,
        actor="op:bob",
    )
    assert (revised.proposer, revised.version, revised.window_end) == ("op:bob", 2, None)
    assert revised.customer_classes == (CustomerClass.BUSINESS, CustomerClass.RESIDENTIAL)
    assert revised.applies_to("business")
    assert not revised.applies_to(CustomerClass.GOVERNMENT)
    with pytest.raises(TwoPersonRuleError):
        store.approve_geofence("crimea", expected_version=2, actor="op:bob", reason="r")
    done = store.approve_geofence("crimea", expected_version=2, actor="op:alice", reason="r")
    assert done.state is ChangeState.APPROVED
    with pytest.raises(PolicyStateError, match="not proposed"):
        store.revise_geofence("crimea", crimea_spec(), expected_version=3, actor="op:bob")


def test_revising_cells_replaces_them(store: Store):
    store.propose_geofence(
        GeofenceSpec(name="n", effect="deny", reason="r", cells=tuple(_cells(12))),
        actor="op:alice",
        geofence_id="many",
    )
    smaller = store.revise_geofence(
        "many",
        GeofenceSpec(name="n", effect="deny", reason="fewer", cells=tuple(_cells(12)[:3])),
        expected_version=1,
        actor="op:alice",
    )
    assert smaller.cells == tuple(sorted(_cells(12)[:3]))
    assert smaller.state is ChangeState.ACTIVE  # now small enough for one operator
    assert store.geofence("many").cells == smaller.cells


def _cells(n: int) -> list[str]:
    """``n`` distinct resolution-5 cells: the children of one resolution-3 cell, in order."""
    from leolink.geo import grid

    parent = grid.hex_to_cells(["832830fffffffff"])
    return grid.cells_to_hex(grid.cells_to_children(parent, 5).ravel()[:n])


def test_too_many_cells_need_approval_whatever_their_area(open_store):
    store = open_store(two_person=None)  # defaults: 2,500 km², 10 cells
    fence = store.propose_geofence(
        GeofenceSpec(name="n", effect="deny", reason="r", cells=tuple(_cells(11))),
        actor="op:alice",
    )
    assert fence.needs_approval
    assert fence.id.startswith("gf-")


def test_withdrawal_ends_a_geofence_but_keeps_its_past(store: Store, clock):
    store.propose_geofence(
        crimea_spec(window_start=None, window_end=None), actor="op:alice", geofence_id="c"
    )
    store.approve_geofence("c", expected_version=1, actor="op:bob", reason="ok")
    # A proposal is withdrawn by its proposer only; a geofence in force by any two operators.
    store.propose_geofence(crimea_spec(), actor="op:alice", geofence_id="p")
    with pytest.raises(PolicyStateError, match="only its proposer"):
        store.withdraw_geofence("p", expected_version=1, actor="op:bob", reason="not mine")
    # Two operators put it in force, so it takes two to lift it: carol asks, dave confirms.
    asked = store.withdraw_geofence("c", expected_version=2, actor="op:carol", reason="over")
    assert (asked.state, asked.withdrawal_proposer) == (ChangeState.APPROVED, "op:carol")
    clock.set("2026-07-01T00:00:00Z")
    gone = store.withdraw_geofence("c", expected_version=3, actor="op:dave", reason="agreed")
    assert gone.state is ChangeState.WITHDRAWN
    assert gone.withdrawn_at == t("2026-07-01T00:00:00Z")
    assert store.geofence("c") == gone
    assert [f.id for f in store.policy_at("2026-06-30T00:00:00Z").geofences] == ["c"]
    assert store.policy_at("2026-07-01T00:00:00Z").geofences == ()
    # As known before the withdrawal, the geofence was open-ended.
    later = store.policy_at("2027-01-01T00:00:00Z", known_at="2026-06-15T00:00:00Z")
    assert [f.id for f in later.geofences] == ["c"]
    # And as known before its approval, it was not in force at all.
    assert store.policy_at("2026-06-30T00:00:00Z", known_at="2026-05-13T12:00:00Z").geofences == ()


def test_rejected_geofences_never_take_effect(store: Store):
    store.propose_geofence(crimea_spec(), actor="op:alice", geofence_id="c")
    rejected = store.reject_geofence("c", expected_version=1, actor="op:bob", reason="too wide")
    assert (rejected.state, rejected.approver) == (ChangeState.REJECTED, "op:bob")
    assert store.policy_at("2022-09-16T12:00:00Z").geofences == ()
    assert [f.id for f in store.geofences(state="rejected")] == ["c"]
    with pytest.raises(PolicyStateError):
        store.withdraw_geofence("c", expected_version=2, actor="op:alice", reason="r")


# --- allow-lists ---------------------------------------------------------------------------


def test_allowlist_membership(store: Store, fingerprint: Fingerprint):
    for tid in ("UT-1", "UT-2", "UT-3"):
        store.register_terminal(
            tid,
            account="a",
            home_country="UA",
            customer_class="government",
            actor="op:a",
            reason="r",
        )
    store.propose_geofence(
        crimea_spec(effect=GeofenceEffect.ALLOWLIST, window_end=None, name="Ukraine allow-list"),
        actor="op:alice",
        geofence_id="ua-allow",
    )
    store.approve_geofence("ua-allow", expected_version=1, actor="op:bob", reason="ok")
    assert store.add_to_allowlist(
        "ua-allow", ["UT-2", "UT-1"], actor="op:alice", reason="registered"
    ) == ["UT-1", "UT-2"]
    assert store.terminal("UT-1").allowlists == ("ua-allow",)
    snapshot = store.policy_at("2026-01-01T00:00:00Z")
    assert snapshot.allowlists == {"ua-allow": frozenset({"UT-1", "UT-2"})}
    assert store.remove_from_allowlist("ua-allow", "UT-2", actor="op:a", reason="sold") == ["UT-1"]
    assert store.allowlist_members("ua-allow") == ["UT-1"]

    store.propose_geofence(
        GeofenceSpec(name="deny", effect="deny", reason="r", cells=(CELL,)),
        actor="op:a",
        geofence_id="deny",
    )
    before = fingerprint()
    with pytest.raises(PolicyStateError, match="only allowlist geofences"):
        store.add_to_allowlist("deny", ["UT-3"], actor="op:a", reason="r")
    assert fingerprint() == before
    assert store.verify().ok
