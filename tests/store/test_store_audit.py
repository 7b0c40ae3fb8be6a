"""The audit log in the database: every change is recorded, and tampering with raw SQL is caught.

Each tampering test edits the database behind the store's back (UPDATE, DELETE, swapped seq
values, forged rows, a deleted tail, a rewritten and re-hashed chain) and checks that
`Store.verify` reports it at the right record, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leolink.errors import PolicyStateError, StoreError
from leolink.policy.audit import (
    AuditRecord,
    new_record,
    public_key_id,
    public_key_to_hex,
    sign_checkpoint,
)
from leolink.store import GeofenceSpec, Store
from leolink.store.signing import load_or_create_key

Tamper = Callable[..., None]

CELL = "85283473fffffff"  # one H3 resolution-5 cell near San Francisco (h3 docs' example)


def fill(store: Store, n: int, actor: str = "op:alice", why: str = "order") -> None:
    """Make ``n`` audited changes: terminals registered one by one."""
    for i in range(n):
        store.register_terminal(
            f"UT-{i:04d}",
            account=f"acct-{i}",
            home_country="UA",
            customer_class="residential",
            actor=actor,
            reason=f"{why} {i}",
        )


def sql_row(record: AuditRecord, seq: int | None = None) -> str:
    """An INSERT of ``record`` into audit_records, as a tamperer would write it."""

    def q(v: object) -> str:
        return "NULL" if v is None else "'" + str(v).replace("'", "''") + "'"

    ts = str(record.ts.astype("datetime64[us]")).replace("T", " ")
    values = [
        str(record.seq if seq is None else seq),
        q(ts),
        q(record.actor),
        q(record.action),
        q(record.entity),
        q(record.entity_id),
        q(None if record.before is None else json.dumps(record.before)),
        q(None if record.after is None else json.dumps(record.after)),
        q(record.reason),
        q(record.prev_hash),
        q(record.hash),
    ]
    return f"INSERT INTO audit_records VALUES ({', '.join(values)})"


def test_every_change_is_one_record_with_who_when_what_and_why(store: Store):
    t = store.register_terminal(
        "UT-1",
        account="a1",
        home_country="UA",
        customer_class="business",
        actor="op:alice",
        reason="new customer",
    )
    store.update_terminal("UT-1", state="suspended", actor="op:bob", reason="reported in RU")
    log = store.audit_log()
    assert [(r.seq, r.actor, r.action, r.entity, r.entity_id) for r in log] == [
        (1, "op:alice", "terminal.register", "terminal", "UT-1"),
        (2, "op:bob", "terminal.update", "terminal", "UT-1"),
    ]
    assert log[0].before is None
    assert log[0].after == t.as_logged()
    assert log[1].before == t.as_logged()
    assert isinstance(log[1].after, dict)
    assert log[1].after["state"] == "suspended"
    assert log[1].reason == "reported in RU"
    assert log[1].prev_hash == log[0].hash
    assert log[1].ts > log[0].ts
    assert store.verify().ok


def test_checkpoints_every_n_records_and_a_signed_head(store: Store, key_path: Path):
    fill(store, 12)
    assert [cp.seq for cp in store.checkpoints()] == [5, 10]
    head = store.audit_head()
    assert head is not None
    assert head.seq == 12
    key = load_or_create_key(key_path)
    assert head.key_id == public_key_id(key.public_key())
    assert public_key_to_hex(store.signing_keys()[head.key_id]) == public_key_to_hex(
        key.public_key()
    )
    result = store.verify()
    assert (result.ok, result.records, result.first_bad) == (True, 12, None)


def test_on_demand_checkpoint_is_idempotent(store: Store):
    with pytest.raises(PolicyStateError, match="nothing to checkpoint"):
        store.checkpoint()
    fill(store, 3)
    cp = store.checkpoint()
    assert cp.seq == 3
    assert store.checkpoint() == cp
    assert [c.seq for c in store.checkpoints()] == [3]


def test_the_key_file_is_created_private_and_a_shared_one_refused(
    db_url: str, tmp_path: Path, key_path: Path, store: Store
):
    assert not key_path.exists()  # opening and reading do not create a key
    store.audit_log()
    fill(store, 1)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    os.chmod(key_path, 0o644)
    with (
        Store.open(db_url, signing_key=key_path) as other,
        pytest.raises(StoreError, match="chmod 600"),
    ):
        fill(other, 1)
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    bad.chmod(0o600)
    with pytest.raises(StoreError, match="not an unencrypted PEM"):
        load_or_create_key(bad)


def test_verification_needs_no_private_key(db_url: str, store: Store, tmp_path: Path):
    fill(store, 6)
    with Store.open(db_url, signing_key=tmp_path / "absent" / "key.pem") as auditor:
        result = auditor.verify()
        assert result.ok
        assert "keys recorded in the database" in result.reason
        assert not (tmp_path / "absent").exists()
        pinned = store.signing_keys().values()
        assert auditor.verify(pinned).reason == "all 6 records verify"


def test_an_edited_record_is_caught(store: Store, tamper: Tamper):
    fill(store, 8)
    tamper("UPDATE audit_records SET reason = 'nothing happened' WHERE seq = 4")
    result = store.verify()
    assert (result.ok, result.first_bad, result.records) == (False, 4, 8)
    assert "record 4 was altered" in result.reason


def test_an_edited_json_field_is_caught_even_when_it_is_not_json(store: Store, tamper: Tamper):
    fill(store, 4)
    # PostgreSQL's json type refuses malformed JSON; SQLite keeps any text.
    broken = '{"id": "UT-9999"' if store.engine.dialect.name == "sqlite" else '{"id": "UT-9999"}'
    tamper(f"UPDATE audit_records SET after = '{broken}' WHERE seq = 2")
    result = store.verify()
    assert (result.first_bad, result.records) == (2, 4)


def test_a_deleted_record_is_caught(store: Store, tamper: Tamper):
    fill(store, 8)
    tamper("DELETE FROM audit_records WHERE seq = 3")
    result = store.verify()
    assert (result.first_bad, result.records) == (3, 7)
    assert "record 3 is missing" in result.reason


def test_swapped_records_are_caught(store: Store, tamper: Tamper):
    fill(store, 8)
    tamper(
        "UPDATE audit_records SET seq = -1 WHERE seq = 6",
        "UPDATE audit_records SET seq = 6 WHERE seq = 7",
        "UPDATE audit_records SET seq = 7 WHERE seq = -1",
    )
    assert store.verify().first_bad == 6


@pytest.mark.parametrize("at", [7, 5])
def test_an_inserted_record_is_caught(store: Store, tamper: Tamper, at: int):
    fill(store, 8)
    log = store.audit_log()
    forged = new_record(
        prev_seq=at - 1,
        prev_hash=log[at - 2].hash,
        ts=log[at - 2].ts,
        actor="op:mallory",
        action="terminal.update",
        entity="terminal",
        entity_id="UT-0001",
        before=None,
        after={"state": "active"},
        reason="never happened",
    )
    # Make room (highest seq first, to keep the primary key unique) and put the forgery there.
    shifts = [
        f"UPDATE audit_records SET seq = {s + 1} WHERE seq = {s}" for s in range(8, at - 1, -1)
    ]
    tamper(*shifts, sql_row(forged))
    result = store.verify()
    assert f"record {at} was inserted" in result.reason
    if at == 7:
        assert result.first_bad == 7
    else:
        # Record 5 carries a checkpoint, which the forgery does not match: by that alone any of
        # records 1-5 may have been rewritten, so all of them are in doubt.
        assert result.first_bad == 1
        assert "record 5 does not match its signed checkpoint" in result.reason


def test_an_appended_record_is_caught_by_the_signed_head(store: Store, tamper: Tamper):
    fill(store, 4)
    last = store.audit_log()[-1]
    forged = new_record(
        prev_seq=4,
        prev_hash=last.hash,
        ts=last.ts,
        actor="op:alice",
        action="terminal.update",
        entity="terminal",
        entity_id="UT-0001",
        before=None,
        after={"state": "suspended"},
        reason="looks legitimate",
    )
    tamper(sql_row(forged))
    result = store.verify()
    assert (result.first_bad, result.records) == (5, 5)
    assert "added without the signing key" in result.reason


def test_a_deleted_tail_is_caught(store: Store, tamper: Tamper):
    fill(store, 8)
    tamper("DELETE FROM audit_records WHERE seq > 6")
    result = store.verify()
    assert (result.ok, result.first_bad, result.records) == (False, 7, 6)
    assert "records after 6 were deleted" in result.reason


def test_a_deleted_tail_with_its_checkpoints_and_head_is_caught(store: Store, tamper: Tamper):
    fill(store, 12)
    tamper(
        "DELETE FROM audit_records WHERE seq > 7",
        "DELETE FROM audit_checkpoints WHERE seq > 7",
        "DELETE FROM audit_head",
    )
    result = store.verify()
    assert (result.ok, result.first_bad) == (False, 6)
    assert "no signed head" in result.reason


def test_a_head_moved_back_to_an_old_checkpoint_is_caught(store: Store, tamper: Tamper):
    fill(store, 12)
    cp = next(c for c in store.checkpoints() if c.seq == 10)
    tamper(
        "DELETE FROM audit_records WHERE seq > 10",
        f"UPDATE audit_head SET seq = 10, hash = '{cp.hash}', signature = '{cp.signature}'",
    )
    result = store.verify()
    assert not result.ok
    assert "signature of the signed head does not verify" in result.reason


def test_a_rewritten_chain_is_caught_by_the_checkpoints(store: Store, tamper: Tamper):
    fill(store, 12)
    log = store.audit_log()
    # Edit record 7 and recompute every later hash: consistent in itself, but record 10 no
    # longer matches its checkpoint, so everything after the checkpoint at 5 is in doubt.
    rewritten: list[AuditRecord] = []
    prev = log[5].hash
    for rec in log[6:]:
        fixed = dataclasses.replace(rec, prev_hash=prev)
        if rec.seq == 7:
            fixed = dataclasses.replace(fixed, actor="op:nobody")
        fixed = dataclasses.replace(fixed, hash=fixed.compute_hash())
        rewritten.append(fixed)
        prev = fixed.hash
    tamper("DELETE FROM audit_records WHERE seq >= 7", *map(sql_row, rewritten))
    result = store.verify()
    assert (result.ok, result.first_bad) == (False, 6)
    assert "does not match its signed checkpoint" in result.reason


def test_a_resigned_chain_is_caught_with_the_pinned_key(store: Store, tamper: Tamper):
    fill(store, 4)
    log = store.audit_log()
    mallory = Ed25519PrivateKey.generate()
    edited = dataclasses.replace(log[3], reason="rewritten")
    edited = dataclasses.replace(edited, hash=edited.compute_hash())
    head = sign_checkpoint(mallory, "head", 4, edited.hash, edited.ts)
    tamper(
        "DELETE FROM audit_records WHERE seq = 4",
        sql_row(edited),
        f"INSERT INTO signing_keys VALUES ('{head.key_id}', "
        f"'{public_key_to_hex(mallory.public_key())}', '2026-05-13 12:00:00')",
        f"UPDATE audit_head SET key_id = '{head.key_id}', signature = '{head.signature}', "
        f"hash = '{edited.hash}'",
    )
    result = store.verify()  # the store's own key file is the trust anchor
    assert (result.ok, result.first_bad) == (False, 4)
    assert "not trusted" in result.reason


def test_a_wiped_log_is_caught_by_an_exported_checkpoint(store: Store, tamper: Tamper):
    fill(store, 3)
    anchor = store.checkpoint()
    tamper(
        "DELETE FROM audit_records",
        "DELETE FROM audit_checkpoints",
        "DELETE FROM audit_tree_nodes",
        "UPDATE audit_head SET seq = 0, hash = '" + "0" * 64 + "', signature = NULL, "
        "note = NULL, frontier = NULL",
    )
    leftover = store.verify()  # the terminals outlive the log that wrote them
    assert not leftover.ok
    assert "table terminals, row 'UT-0000' is not in the log" in leftover.reason
    tamper("DELETE FROM policy_versions", "DELETE FROM terminals")
    assert store.verify().ok  # looks like a new, empty store ...
    result = store.verify(anchors=[anchor])  # ... unless a checkpoint was kept elsewhere
    assert (result.ok, result.first_bad) == (False, 1)


def test_geofence_changes_are_logged_with_their_cells(store: Store):
    fence = store.propose_geofence(
        GeofenceSpec(name="test", effect="deny", reason="drill", cells=(CELL,)),
        actor="op:alice",
        geofence_id="gf-test",
    )
    (rec,) = store.audit_log(entity="geofence", entity_id="gf-test")
    assert rec.action == "geofence.propose"
    assert rec.after == fence.as_logged()
    assert isinstance(rec.after, dict)
    assert rec.after["cells"] == [CELL]
    assert store.verify().ok


def test_a_record_rewritten_and_resigned_with_the_real_key_is_named(store: Store, tamper: Tamper):
    """The operator edits record 3 (fewer than 5 records: no kept checkpoint covers it), and
    re-signs the head and the checkpoint note with the real key: the chain and the signatures
    verify, but the leaf the tree stored when record 3 was appended names it."""
    from leolink.policy.merkle import MemoryTree
    from leolink.policy.tlog import record_leaf, sign_log_checkpoint

    fill(store, 4)
    log = store.audit_log()
    key = store._signing_key()  # the operator holds it
    rewritten: list[AuditRecord] = []
    prev = log[1].hash
    for rec in log[2:]:
        fixed = dataclasses.replace(rec, prev_hash=prev)
        if rec.seq == 3:
            fixed = dataclasses.replace(fixed, actor="op:nobody")
        fixed = dataclasses.replace(fixed, hash=fixed.compute_hash())
        rewritten.append(fixed)
        prev = fixed.hash
    records = [*log[:2], *rewritten]
    head = sign_checkpoint(key, "head", 4, prev, log[-1].ts)
    root = MemoryTree(record_leaf(r) for r in records).root()
    note = sign_log_checkpoint(store.log_origin(), 4, root, key).note().replace("'", "''")
    tamper(
        "DELETE FROM audit_records WHERE seq >= 3",
        *map(sql_row, rewritten),
        f"UPDATE audit_head SET signature = '{head.signature}', hash = '{prev}', note = '{note}'",
    )
    result = store.verify()
    assert (result.ok, result.first_bad) == (False, 3)
    assert result.reason.startswith("record 3 is not the record that was appended there"), (
        result.reason
    )
    assert ";" not in result.reason  # the chain, the signatures and the root all verify
