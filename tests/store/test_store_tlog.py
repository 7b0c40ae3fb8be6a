"""The audit log as a Merkle-tree transparency log in the database, on SQLite and PostgreSQL.

Proofs read from the store verify against its signed checkpoints; a history rebuilt from
scratch by someone who holds the database *and* the signing key is caught by any verifier
holding an earlier checkpoint; an existing store migrates into the tree.
"""

from __future__ import annotations

import pytest
from alembic import command
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import inspect

from leolink.errors import InputError, NotFoundError
from leolink.policy.merkle import MemoryTree, verify_consistency, verify_inclusion
from leolink.policy.notes import Verifier, parse_checkpoint
from leolink.policy.tlog import record_leaf
from leolink.store import Store
from leolink.store.migrate import alembic_config, upgrade

from .test_store_audit import Tamper, fill

WIPE = (
    "DELETE FROM position_reports",
    "DELETE FROM allowlist_memberships",
    "DELETE FROM terminals",
    "DELETE FROM policy_versions",
    "DELETE FROM audit_records",
    "DELETE FROM audit_checkpoints",
    "DELETE FROM audit_tree_nodes",
    "UPDATE audit_head SET seq = 0, hash = '" + "0" * 64 + "', signature = NULL, "
    "note = NULL, frontier = NULL",
)


def _verifier(store: Store) -> Verifier:
    key = store._signing_key().public_key()  # the verifier was given this public key
    return Verifier(store.log_origin(), key)


def test_every_proof_verifies_against_the_signed_checkpoint(store: Store):
    fill(store, 11)
    cp = store.latest_checkpoint()
    assert cp.size == 11
    assert cp.signed_by(_verifier(store))
    records = store.audit_log()
    tree = MemoryTree(record_leaf(r) for r in records)
    assert tree.root() == cp.root
    for rec in records:
        size, proof = store.inclusion_proof(rec.seq)
        assert size == 11
        assert verify_inclusion(rec.seq - 1, size, record_leaf(rec), proof, cp.root)
    for size1 in range(12):
        _, proof = store.consistency_proof(size1)
        assert verify_consistency(size1, 11, proof, tree.root(size1), cp.root)
        assert store.tree_root(size1) == (size1, tree.root(size1))


def test_proofs_against_the_whole_log_follow_records_written_elsewhere(store: Store, open_store):
    """A proof with no size names the log's size now, also after another process (a second
    store on the same database) appended records since this store's last proof."""
    fill(store, 6)
    assert store.inclusion_proof(3)[0] == 6
    assert store.consistency_proof(2)[0] == 6
    other = open_store()
    for i in range(4):
        other.register_terminal(
            f"UT-B-{i}",
            account="acct-b",
            home_country="UA",
            customer_class="residential",
            actor="op:bob",
            reason=f"order b{i}",
        )
    cp = store.latest_checkpoint()
    assert cp.size == 10
    records = store.audit_log()
    tree = MemoryTree(record_leaf(r) for r in records)
    size, proof = store.consistency_proof(2)
    assert size == 10
    assert verify_consistency(2, 10, proof, tree.root(2), cp.root)
    other.register_terminal(
        "UT-B-4",
        account="acct-b",
        home_country="UA",
        customer_class="residential",
        actor="op:bob",
        reason="order b4",
    )
    cp = store.latest_checkpoint()
    records = store.audit_log()
    size, proof = store.inclusion_proof(3)
    assert size == 11
    assert verify_inclusion(2, 11, record_leaf(records[2]), proof, cp.root)
    with pytest.raises(NotFoundError, match="record 12 is not in a log of 11 records"):
        store.inclusion_proof(12)


def test_proof_requests_outside_the_log_are_refused(store: Store):
    fill(store, 2)
    with pytest.raises(NotFoundError, match="record 3 is not in a log of 2"):
        store.inclusion_proof(3)
    with pytest.raises(InputError, match="size1=5"):
        store.consistency_proof(5)


@pytest.mark.parametrize("rebuilt_size", [6, 9])
def test_a_history_rebuilt_with_the_signing_key_is_caught_by_an_earlier_checkpoint(
    store: Store, tamper: Tamper, rebuilt_size: int
):
    fill(store, 6)
    saved = store.latest_checkpoint().note()  # a witness or a journalist kept this
    tamper(*WIPE)
    # The operator replays a different history through leolink itself, with its own key.
    fill(store, rebuilt_size, actor="op:mallory", why="backdated order")
    assert store.verify(log_key=_verifier(store)).ok  # consistent in itself, freshly signed
    result = store.verify(log_key=_verifier(store), earlier=[parse_checkpoint(saved)])
    assert not result.ok
    assert "not an append-only extension of the earlier checkpoint of size 6" in result.reason


def test_a_rolled_back_log_is_caught_by_an_earlier_checkpoint(store: Store, tamper: Tamper):
    fill(store, 4)
    saved = parse_checkpoint(store.latest_checkpoint().note())
    tamper(*WIPE)
    result = store.verify(log_key=_verifier(store), earlier=[saved])
    assert (result.ok, result.first_bad) == (False, 1)
    assert "records after 0 were deleted" in result.reason


def test_a_checkpoint_signed_by_another_key_is_not_trusted(store: Store):
    fill(store, 3)
    stranger = Verifier(store.log_origin(), Ed25519PrivateKey.generate().public_key())
    result = store.verify(log_key=stranger)
    assert not result.ok
    assert "not signed by the key given" in result.reason


def test_an_existing_store_migrates_into_the_tree(store: Store):
    fill(store, 7)
    before = store.latest_checkpoint()
    with store.engine.begin() as conn:  # back to a hash chain only ...
        command.downgrade(alembic_config(conn), "0003_cell_statuses")
    assert "audit_tree_nodes" not in inspect(store.engine).get_table_names()
    upgrade(store.engine)  # ... and forward: the records are hashed into the tree
    after = store.latest_checkpoint()  # signed now, the migration holds no key
    assert (after.size, after.root) == (before.size, before.root)
    store.register_terminal(
        "UT-9999",
        account="acct",
        home_country="UA",
        customer_class="residential",
        actor="op:alice",
        reason="after the upgrade",
    )
    assert store.verify(log_key=_verifier(store)).ok


def test_a_rewrite_resigned_with_the_key_is_narrowed_by_the_checkpoints_kept(
    store: Store, tamper: Tamper
):
    """The operator rewrites history from record 5 on and re-signs with the real key; a
    verifier who kept checkpoints at sizes 3 and 6 names record 4 as the first bad one: the
    first 3 records still match, something in 4..6 does not."""
    fill(store, 3)
    at3 = parse_checkpoint(store.latest_checkpoint().note())
    fill_more(store, 3, 6)
    at6 = parse_checkpoint(store.latest_checkpoint().note())
    tamper(
        *[
            f"DELETE FROM {table}"
            for table in ("position_reports", "allowlist_memberships", "policy_versions")
        ],
        "DELETE FROM terminals WHERE id >= 'UT-0004'",
        "DELETE FROM audit_records WHERE seq >= 5",
        "DELETE FROM audit_checkpoints WHERE seq >= 5",
    )
    rewind_tree(store, 4)
    fill_more(store, 4, 7, actor="op:mallory")  # records 5..7, freshly signed
    assert store.verify(log_key=_verifier(store)).ok  # consistent in itself
    result = store.verify(log_key=_verifier(store), earlier=[at3, at6])
    assert (result.ok, result.first_bad) == (False, 4)
    assert "a record in 4..6 was rewritten" in result.reason


def fill_more(store: Store, start: int, end: int, actor: str = "op:alice") -> None:
    """Register terminals UT-<start> .. UT-<end - 1>."""
    for i in range(start, end):
        store.register_terminal(
            f"UT-{i:04d}",
            account=f"acct-{i}",
            home_country="UA",
            customer_class="residential",
            actor=actor,
            reason=f"order {i}",
        )


def rewind_tree(store: Store, size: int) -> None:
    """Move the tree's head back to ``size`` records, as an operator rewriting from there would:
    the head row, its frontier and the nodes beyond (what the next write builds on)."""
    from sqlalchemy import delete, select, update

    from leolink.policy.merkle import append_leaf
    from leolink.store.models import AuditHeadRow, AuditRecordRow, AuditTreeNodeRow

    records = store.audit_log(limit=size)
    frontier: list[bytes] = []
    for i, rec in enumerate(records):
        frontier, _ = append_leaf(frontier, i, record_leaf(rec))
    with store.engine.begin() as conn:
        for level in range(64):
            conn.execute(
                delete(AuditTreeNodeRow).where(
                    AuditTreeNodeRow.level == level,
                    AuditTreeNodeRow.idx >= size >> level,
                )
            )
        last = conn.execute(select(AuditRecordRow.hash).where(AuditRecordRow.seq == size)).scalar()
        conn.execute(
            update(AuditHeadRow)
            .where(AuditHeadRow.id == 1)
            .values(seq=size, hash=last, frontier=b"".join(frontier), note=None, signature=None)
        )
