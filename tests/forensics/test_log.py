"""Findings against the log: logged restrictions carry their audit records, an unlogged one is
flagged, and a logged deny geofence that dishes inside it contradict is reported not enforced."""

from __future__ import annotations

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leolink.forensics import (
    FindingKind,
    PolicyLog,
    Restriction,
    Simulation,
    disk,
    infer,
    match_log,
    simulate,
)
from leolink.geo import grid
from leolink.policy.records import GeofenceEffect, GeofenceSpec
from leolink.store import Store

T0 = np.datetime64("2026-05-13T00:00:00", "ns")
AREA = disk(48.5, 31.0, 7)
LOGGED = disk(48.7, 31.3, 2)
UNLOGGED = disk(48.2, 30.6, 1)
IGNORED = disk(48.05, 31.7, 1)  # on the record, but dishes there are served


def _h(hours: float) -> np.datetime64:
    return T0 + np.timedelta64(int(hours * 60), "m")


def _log() -> PolicyLog:
    with Store.open("sqlite://", signing_key=Ed25519PrivateKey.generate()) as store:
        for gid, cells in (("gf-logged", LOGGED), ("gf-ignored", IGNORED)):
            spec = GeofenceSpec(
                name=gid,
                effect=GeofenceEffect.DENY,
                reason="test",
                cells=tuple(grid.cells_to_hex(cells)),
                window_start=_h(1),
                window_end=_h(4),
            )
            fence = store.propose_geofence(spec, actor="op:alice", geofence_id=gid)
            if fence.approved_at is None:
                store.approve_geofence(
                    gid, expected_version=fence.version, actor="op:bob", reason="test"
                )
        return PolicyLog(store.policy_history(), store.audit_log(limit=None))


def test_findings_are_matched_to_the_log() -> None:
    sim = Simulation(
        AREA,
        T0,
        _h(6),
        terminals=900,
        seed=5,
        restrictions=[Restriction(LOGGED, _h(1), _h(4)), Restriction(UNLOGGED, _h(2), _h(3))],
    )
    log = _log()
    matched = match_log(infer(simulate(sim)), log)
    policy = sorted(
        (f for f in matched.findings if f.kind is FindingKind.POLICY_RESTRICTION),
        key=lambda f: -f.cells.size,
    )
    assert len(policy) == 2
    logged, unlogged = policy
    ids = {r.seq for r in log.records if r.entity_id == "gf-logged"}
    assert logged.logged is True
    assert set(logged.log_records) == ids
    assert ids
    assert logged.evidence["log"]["geofences"] == ["gf-logged"]
    assert unlogged.logged is False
    assert unlogged.log_records == ()
    (ignored,) = matched.not_enforced
    assert ignored.geofence.id == "gf-ignored"
    assert ignored.served_share == 1.0
    assert ignored.terminals >= 3
    assert set(ignored.log_records) == {r.seq for r in log.records if r.entity_id == "gf-ignored"}
    assert set(ignored.cells.tolist()) <= set(IGNORED.tolist())
    assert ignored.to_dict()["geofence"] == "gf-ignored"


def test_blacklisted_cells_are_on_the_record_and_can_be_not_enforced() -> None:
    """Starlink's map category ``blacklisted`` is what dishes report as CELL_IS_DISABLED: a
    restriction over such cells is logged with the cell-status records; blacklisted cells where
    dishes are served are a logged restriction not enforced."""
    sim = Simulation(
        AREA,
        T0,
        _h(6),
        terminals=900,
        seed=5,
        restrictions=[Restriction(UNLOGGED, _h(2), _h(3))],
    )
    with Store.open("sqlite://", signing_key=Ed25519PrivateKey.generate()) as store:
        ids = []
        for cells, start, end in ((UNLOGGED, _h(2), _h(3)), (IGNORED, T0, None)):
            change = store.propose_cell_statuses(
                "blacklisted",
                grid.cells_to_hex(cells),
                effective_from=start,
                effective_until=end,
                published="2025-01",
                source="test",
                actor="op:alice",
                reason="test",
            )
            store.approve_cell_statuses(change.id, actor="op:bob", reason="test")
            ids.append(change.id)
        log = PolicyLog(store.policy_history(), store.audit_log(limit=None))
    matched = match_log(infer(simulate(sim)), log)
    (finding,) = [f for f in matched.findings if f.kind is FindingKind.POLICY_RESTRICTION]
    assert finding.logged is True
    assert finding.evidence["log"]["cell_status_changes"] == [str(ids[0])]
    assert set(finding.log_records) == {r.seq for r in log.records if r.entity_id == str(ids[0])}
    (ignored,) = matched.not_enforced
    assert ignored.geofence is None
    assert ignored.cell_status is not None
    assert ignored.cell_status.id == ids[1]
    assert ignored.to_dict()["cell_status"] == ids[1]
    assert set(ignored.cells.tolist()) <= set(IGNORED.tolist())
