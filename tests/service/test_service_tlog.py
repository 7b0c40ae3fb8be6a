"""The public transparency log over HTTP: no key, proofs that verify, C2SP tiles."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient
from tests.store.test_store_audit import fill

from leolink.policy.merkle import root_from_leaves, verify_consistency, verify_inclusion
from leolink.policy.notes import Verifier, parse_checkpoint
from leolink.policy.tiles import read_entry_bundle, tile_index_path
from leolink.policy.tlog import record_leaf
from leolink.store import Store


def test_the_log_is_public_and_its_proofs_verify(client: TestClient, store: Store):
    fill(store, 9)
    note = client.get("/v1/log/checkpoint")
    assert note.status_code == 200
    cp = parse_checkpoint(note.text)
    assert cp.signed_by(Verifier(store.log_origin(), store._signing_key().public_key()))
    records = store.audit_log()
    assert cp.size == len(records) == 9
    proof = client.get("/v1/log/proof/inclusion", params={"seq": 4}).json()
    path = [base64.b64decode(p) for p in proof["proof"]]
    assert verify_inclusion(3, cp.size, record_leaf(records[3]), path, cp.root)
    cons = client.get("/v1/log/proof/consistency", params={"size1": 3}).json()
    path = [base64.b64decode(p) for p in cons["proof"]]
    old_root = root_from_leaves([record_leaf(r) for r in records[:3]])
    assert verify_consistency(3, 9, path, old_root, cp.root)
    # The partial entry tile holds the records' hashes: enough to rebuild the root.
    tile = client.get(f"/v1/log/tile/entries/{tile_index_path(0, 9)}")
    assert tile.status_code == 200
    entries = read_entry_bundle(tile.content)
    assert [e.hex() for e in entries] == [r.hash for r in records]
    assert client.get(f"/v1/log/tile/0/{tile_index_path(0, 9)}").content[:32] == record_leaf(
        records[0]
    )


def test_requests_outside_the_log_are_problems_not_errors(client: TestClient, store: Store):
    fill(store, 2)
    assert client.get("/v1/log/proof/inclusion", params={"seq": 3}).status_code == 404
    assert client.get("/v1/log/proof/consistency", params={"size1": 5}).status_code == 422
    assert client.get("/v1/log/tile/entries/000").status_code == 404  # a full tile of 256
    assert client.get("/v1/log/tile/0/12").status_code == 422
