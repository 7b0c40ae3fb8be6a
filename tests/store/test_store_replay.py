"""The state is what the log says: `Store.verify` replays the log and compares it with the tables.

Each test changes a policy table behind the store's back, with raw SQL that leaves the audit
log itself untouched (so the chain, the tree and every signature still verify), and checks that
verification names the table, the row and the record that the tables contradict; on SQLite and
PostgreSQL.  Sealed (government) geofences are compared through their commitments.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from leolink.errors import InputError, PolicyStateError
from leolink.geo import grid
from leolink.policy.commitments import opening_matches
from leolink.policy.replay import replay
from leolink.store import GeofenceSpec, Store

from .test_store_audit import CELL, Tamper, fill

#: 19 resolution-5 cells around `CELL`: more than the test rule's 10, so a second operator.
#: A sealed government fence's options.
GEO_KW: dict[str, object] = {"customer_classes": ("government",), "sealed": True}

BIG = tuple(grid.cells_to_hex(grid.cells_to_disks(grid.hex_to_cells([CELL]), k=2)[1]))


def every_kind_of_change(store: Store) -> None:
    """One of each write the log records, so that a clean replay is tested on all of them."""
    fill(store, 2)
    store.update_terminal("UT-0001", state="suspended", actor="op:alice", reason="stolen")
    change = store.propose_country_status(
        "TW", "service_date_unknown", effective_from="2026-01-01T00:00:00Z",
        source="https://www.starlink.com/map", actor="op:alice", reason="map",
    )  # fmt: skip
    store.approve_country_status(change.id, actor="op:bob", reason="checked")
    cells = store.propose_cell_statuses(
        "blacklisted", [CELL], effective_from="2026-01-01T00:00:00Z", published="2026-05-01",
        source="availability-cells.pb", actor="op:alice", reason="map",
    )  # fmt: skip
    store.approve_cell_statuses(cells.id, actor="op:bob", reason="checked")
    fence = store.propose_geofence(
        GeofenceSpec(name="allow", effect="allowlist", reason="registered only", cells=(CELL,)),
        actor="op:alice",
        geofence_id="gf-allow",
    )
    store.add_to_allowlist(fence.id, ["UT-0000", "UT-0001"], actor="op:alice", reason="ok")
    store.remove_from_allowlist(fence.id, ["UT-0001"], actor="op:alice", reason="stolen")
    big = store.propose_geofence(
        GeofenceSpec(name="big", effect="deny", reason="drill", cells=BIG),
        actor="op:alice",
        geofence_id="gf-big",
    )
    assert big.state.value == "proposed"
    store.report_positions(
        "UT-0000", np.array(["2026-05-13T10:00:00"], "datetime64[us]"), [48.5], [35.0],
        actor="terminal:UT-0000",
    )  # fmt: skip
    key, _ = store.create_api_key("viewer", name="journalist", actor="admin:root", reason="r")
    store.create_api_key("operator", name="carol", actor="admin:root", reason="new operator")
    store.revoke_api_key(key.id, actor="admin:root", reason="left")


def test_a_clean_store_replays_to_its_tables(store: Store):
    every_kind_of_change(store)
    result = store.verify()
    assert result.ok, result.reason
    state = replay(store.audit_log(limit=None))
    assert set(state.rows["allowlist_memberships"]) == {"gf-allow/UT-0000"}
    assert state.rows["geofences"]["gf-big"]["state"] == "proposed"


def test_a_role_changed_in_sql_is_caught(store: Store, tamper: Tamper):
    every_kind_of_change(store)
    (carol,) = [k for k in store.api_keys() if k.name == "carol"]
    tamper(f"UPDATE api_keys SET role = 'admin' WHERE id = '{carol.id}'")
    result = store.verify()
    assert not result.ok
    (rec,) = store.audit_log(entity="api_key", entity_id=carol.id)
    assert result.first_bad == rec.seq
    assert f'table api_keys, row {carol.id!r}: role is "admin" in the table' in result.reason
    assert f'"operator" in the log (record {rec.seq} set it)' in result.reason


def test_a_key_row_inserted_in_sql_is_caught(store: Store, tamper: Tamper):
    every_kind_of_change(store)
    tamper(
        "INSERT INTO api_keys (id, name, role, salt, secret_hash, created_at, created_by) "
        "VALUES ('k-forged', 'backdoor', 'admin', '00', '00', '2026-05-13 12:00:00', 'root')"
    )
    result = store.verify()
    assert not result.ok
    assert "table api_keys, row 'k-forged' is not in the log" in result.reason


def test_a_proposed_fence_approved_by_hand_is_caught(store: Store, tamper: Tamper):
    every_kind_of_change(store)
    tamper(
        "UPDATE geofences SET state = 'approved', approver = 'op:bob', "
        "approved_at = '2026-05-13 13:00:00' WHERE id = 'gf-big'"
    )
    assert [f.id for f in store.geofences(state="approved")] == ["gf-big"]  # in force now
    result = store.verify()
    assert not result.ok
    (rec,) = store.audit_log(entity="geofence", entity_id="gf-big")
    assert result.first_bad == rec.seq
    assert "table geofences, row 'gf-big'" in result.reason
    assert "the table was changed behind the log's back" in result.reason


@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ("DELETE FROM allowlist_memberships", "allowlist_memberships"),
        ("UPDATE terminals SET state = 'active' WHERE id = 'UT-0001'", "terminals"),
        ("UPDATE cell_statuses SET state = 'withdrawn'", "cell_statuses"),
        ("UPDATE country_statuses SET status = 'available'", "country_statuses"),
        ("UPDATE position_reports SET lat_deg = 45.0", "position_reports"),
    ],
)
def test_every_table_is_compared(store: Store, tamper: Tamper, statement: str, table: str):
    every_kind_of_change(store)
    tamper(statement)
    result = store.verify()
    assert not result.ok
    assert f"table {table}, row" in result.reason


def test_a_sealed_fence_logs_a_commitment_that_the_auditor_can_open(store: Store):
    area = "drone strike zone near Sevastopol"
    fence = store.propose_geofence(
        GeofenceSpec(name="gov-1", effect="deny", reason=area, cells=BIG, **GEO_KW),
        actor="op:alice",
        geofence_id="gf-gov",
    )
    store.approve_geofence("gf-gov", expected_version=1, actor="op:bob", reason="ordered")
    assert (fence.reason, fence.cells) == (area, tuple(sorted(BIG)))  # the tables keep text
    for rec in store.audit_log(entity="geofence", entity_id="gf-gov"):
        text = str(rec.to_dict())
        assert area not in text  # the log does not
        assert BIG[0] not in text
        assert isinstance(rec.after, dict)
        commitment = rec.after["commitment"]
    opening = store.geofence_opening("gf-gov")
    assert opening["commitment"] == commitment
    assert opening_matches(commitment, opening)
    assert not opening_matches(commitment, {**opening, "reason": "routine maintenance"})
    assert store.verify().ok


def test_a_sealed_fence_edited_in_sql_is_caught_through_its_commitment(
    store: Store, tamper: Tamper
):
    store.propose_geofence(
        GeofenceSpec(name="gov-1", effect="deny", reason="secret", cells=(CELL,), **GEO_KW),
        actor="op:alice",
        geofence_id="gf-gov",
    )
    tamper("UPDATE geofences SET reason = 'something else' WHERE id = 'gf-gov'")
    result = store.verify()
    assert not result.ok
    assert "table geofences, row 'gf-gov': commitment is" in result.reason


def test_only_government_fences_are_sealed(store: Store):
    with pytest.raises(InputError, match="only a government fence"):
        store.propose_geofence(
            GeofenceSpec(name="x", effect="deny", reason="r", cells=(CELL,), sealed=True),
            actor="op:alice",
        )
    fill(store, 1)
    store.propose_geofence(
        GeofenceSpec(name="open", effect="deny", reason="r", cells=(CELL,)),
        actor="op:alice",
        geofence_id="gf-open",
    )
    with pytest.raises(PolicyStateError, match="not sealed"):
        store.geofence_opening("gf-open")


def test_an_open_fence_region_is_stored_once_and_logged_by_its_hash(store: Store, tamper: Tamper):
    region = {
        "type": "Polygon",
        "coordinates": [[[33.0, 44.5], [33.6, 44.5], [33.6, 44.9], [33.0, 44.9], [33.0, 44.5]]],
    }
    fence = store.propose_geofence(
        GeofenceSpec(name="coast", effect="deny", reason="drill", area_geojson=region),
        actor="op:alice",
        geofence_id="gf-coast",
    )
    store.withdraw_geofence("gf-coast", expected_version=fence.version, actor="op:bob", reason="r")
    text = store.geofence("gf-coast").area_geojson
    assert text is not None
    assert "33.6" in text  # the table keeps the region
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    records = store.audit_log(entity="geofence", entity_id="gf-coast")
    assert [r.action for r in records] == ["geofence.propose", "geofence.withdraw"]
    for rec in records:
        assert "33.6" not in str(rec.to_dict())  # no record copies it
        for side in (rec.before, rec.after):
            assert not isinstance(side, dict) or side["area_sha256"] == digest
    assert store.verify().ok
    moved = text.replace("33.6", "34.6")
    tamper(f"UPDATE geofences SET area_geojson = '{moved}' WHERE id = 'gf-coast'")
    result = store.verify()
    assert not result.ok
    assert "table geofences, row 'gf-coast': area_sha256 is" in result.reason
