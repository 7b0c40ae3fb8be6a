"""The transparency log: append throughput, proofs in a 10-million-record log, tile verification.

Measured in one run:

1. **Append.**  ``--writes`` audited writes (one terminal registered per transaction) into a
   fresh SQLite store, with this tree's code and — the baseline — with ``main``'s code before
   the Merkle tree (``git archive <baseline-ref> src`` unpacked to a temporary directory and
   run in a subprocess), alternating three rounds each; medians.
2. **Proofs in memory.**  A tree of ``--size`` leaves (every complete subtree, one NumPy
   ``(n, 32)`` array per level, as `leolink.policy.merkle` addresses them by ``(level, index)``);
   median time of an inclusion proof for random leaves and of a consistency proof between
   random sizes, each also checked with the RFC 9162 verifier.  Baseline: reading the chain,
   i.e. one pass over every leaf hash (what proving a record without a tree takes).
3. **Proofs on PostgreSQL** (``--postgres URL``).  The tree is *not* built by ``--size``
   audited writes (10 M writes would take hours and measure the writer, not the proofs): its
   nodes are bulk-loaded with one binary ``COPY`` per level into a migrated store's
   ``audit_tree_nodes`` — exactly the rows the store's writer lays out (``level`` smallint,
   ``idx`` bigint, ``hash`` 32 bytes, primary key ``(level, idx)``) — and ``audit_head.seq``
   is set to the size.  ``audit_records`` stays empty: a proof reads only the head and the
   nodes (`leolink.store.tree_nodes`).  ``Store.inclusion_proof`` / ``Store.consistency_proof``
   timed; baselines: the same proof read in a REPEATABLE READ transaction (head, then nodes),
   and reading the chain's hashes (``SELECT hash ... ORDER BY``).
4. **Verify from tiles.**  ``--tile-records`` records served as C2SP entry tiles; the verifier
   parses every tile, hashes the leaves, builds the root and checks it against a signed
   checkpoint note.

Cost of ``--size N``: building the tree hashes 2N times in Python (4 min for 10 M on a 2-core
VM under a load of ~11, 2026-12-03) and holds 64·N bytes of NumPy arrays (640 MB for 10 M);
the PostgreSQL load streams 56 bytes a row of binary COPY data in chunks of 1 Mi rows (60 MB
in memory at a time; 2.5 min for the 20 M rows of 10 M records on the same machine), and the
table takes ~2 GB on disk with its index.  The default size is small (100 k: a few seconds);
the issue's figure is ``--size 10000000``.

Run: ``.venv/bin/python benchmarks/bench_tlog.py [--size 10000000] [--postgres URL]``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leolink.policy.merkle import (
    Subtree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaves,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from leolink.policy.notes import Verifier
from leolink.policy.tiles import TILE_WIDTH, entry_bundle, read_entry_bundle
from leolink.policy.tlog import sign_log_checkpoint

ROOT = Path(__file__).resolve().parents[1]

_WRITER = r"""
import sys, time, tempfile
from pathlib import Path
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from leolink.store import Store
n = int(sys.argv[1])
with tempfile.TemporaryDirectory() as d:
    with Store.open(f"sqlite:///{d}/b.db", signing_key=Ed25519PrivateKey.generate()) as s:
        s.register_terminal("WARM", account="a", home_country="UA",
                            customer_class="residential", actor="op:bench", reason="warm-up")
        t = time.perf_counter()
        for i in range(n):
            s.register_terminal(f"UT-{i:06d}", account=f"a{i}", home_country="UA",
                                customer_class="residential", actor="op:bench", reason=f"o{i}")
        print(n / (time.perf_counter() - t))
"""


def writes_per_s(src: Path, n: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, "-c", _WRITER, str(n)], env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


def bench_append(n: int, baseline_ref: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", baseline_ref, "src"],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        base, mine = [], []
        for _ in range(3):
            base.append(writes_per_s(Path(tmp) / "src", n))
            mine.append(writes_per_s(ROOT / "src", n))
    b, m = statistics.median(base), statistics.median(mine)
    return {"baseline_writes_per_s": b, "tree_writes_per_s": m, "ratio": m / b}


class ArrayTree:
    """Every complete subtree of a big tree, one (n, 32) uint8 array per level."""

    def __init__(self, n: int) -> None:
        # One bytes object per level built by join: the per-hash cost is the hash and one call.
        leaves = b"".join(leaf_hash(i.to_bytes(8, "big")) for i in range(n))
        self.levels = [np.frombuffer(leaves, np.uint8).reshape(n, 32)]
        while len(self.levels[-1]) > 1:
            raw = memoryview(self.levels[-1].reshape(-1))
            pairs = len(self.levels[-1]) // 2
            up = b"".join(
                node_hash(raw[64 * j : 64 * j + 32], raw[64 * j + 32 : 64 * j + 64])
                for j in range(pairs)
            )
            self.levels.append(np.frombuffer(up, np.uint8).reshape(pairs, 32))
        self.size = n

    def subtree(self, node: Subtree) -> bytes:
        level, index = node
        return self.levels[level][index].tobytes()


def median_ms(fn, args: list[tuple[int, ...]]) -> float:  # type: ignore[no-untyped-def]
    times = []
    for a in args:
        t = time.perf_counter()
        fn(*a)
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def bench_memory(tree: ArrayTree, rng: np.random.Generator) -> dict[str, float]:
    n = tree.size
    root = root_hash(n, tree.subtree)
    idx = [(int(i),) for i in rng.integers(0, n, 200)]

    def prove(i: int) -> None:
        proof = inclusion_proof(i, n, tree.subtree)
        assert verify_inclusion(i, n, tree.subtree((0, i)), proof, root)

    sizes = [(int(s),) for s in rng.integers(1, n, 200)]

    def consist(s: int) -> None:
        proof = consistency_proof(s, n, tree.subtree)
        assert verify_consistency(s, n, proof, root_hash(s, tree.subtree), root)

    t = time.perf_counter()
    digest = hashlib.sha256()
    for i in range(n):
        digest.update(tree.levels[0][i].tobytes())  # read every leaf hash once
    chain_ms = (time.perf_counter() - t) * 1e3
    return {
        "inclusion_ms": median_ms(lambda i: inclusion_proof(i, n, tree.subtree), idx),
        "inclusion_and_verify_ms": median_ms(prove, idx),
        "consistency_ms": median_ms(lambda s: consistency_proof(s, n, tree.subtree), sizes),
        "consistency_and_verify_ms": median_ms(consist, sizes),
        "baseline_read_chain_ms": chain_ms,
    }


def bench_postgres(tree: ArrayTree, url: str, rng: np.random.Generator) -> dict[str, float]:
    from leolink.store import Store

    n = tree.size
    with Store.open(url, signing_key=Ed25519PrivateKey.generate()) as store:
        t = time.perf_counter()
        raw = store.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("TRUNCATE audit_tree_nodes")
            for level, arr in enumerate(tree.levels):
                with cur.copy(
                    "COPY audit_tree_nodes (level, idx, hash) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    for chunk in copy_binary_rows(level, arr):
                        copy.write(chunk)
            cur.execute("UPDATE audit_head SET seq = %s", (n,))
            cur.execute("ANALYZE audit_tree_nodes")
            raw.commit()
        finally:
            raw.close()
        load_s = time.perf_counter() - t
        # The loaded rows are the tree: a proof read from them verifies against its root.
        root = root_hash(n, tree.subtree)
        for i in (1, n // 3 + 1, n):
            _, proof = store.inclusion_proof(i, n)
            assert verify_inclusion(i - 1, n, tree.subtree((0, i - 1)), proof, root)
        idx = [(int(i),) for i in rng.integers(1, n + 1, 200)]
        sizes = [(int(s),) for s in rng.integers(1, n, 200)]
        store.inclusion_proof(1)  # warm the pool
        inc = median_ms(store.inclusion_proof, idx)
        con = median_ms(store.consistency_proof, sizes)
        previous = median_ms(lambda i: _proof_in_a_transaction(store, i), idx)
        # As a verifier asks: against the size of the checkpoint it holds (one round trip).
        inc_at = median_ms(store.inclusion_proof, [(i, n) for (i,) in idx])
        con_at = median_ms(store.consistency_proof, [(s, n) for (s,) in sizes])
        with store.engine.connect() as conn:
            t = time.perf_counter()
            result = conn.exec_driver_sql(
                "SELECT hash FROM audit_tree_nodes WHERE level = 0 ORDER BY idx"
            ).yield_per(10_000)
            for _ in result:
                pass  # the baseline is the read itself: fetch every row, keep none
            chain_ms = (time.perf_counter() - t) * 1e3
    return {
        "bulk_load_nodes_s": load_s,
        "inclusion_ms": inc,
        "consistency_ms": con,
        "inclusion_at_size_ms": inc_at,
        "baseline_inclusion_in_a_transaction_ms": previous,
        "consistency_at_size_ms": con_at,
        "baseline_read_chain_ms": chain_ms,
    }


# PostgreSQL's binary COPY (https://www.postgresql.org/docs/current/sql-copy.html, "Binary
# Format"): a signature, flags and header-extension length; then per row a field count and,
# per field, a byte length and the value in network byte order; a field count of -1 ends it.
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_COPY_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("level_len", ">i4"),
        ("level", ">i2"),
        ("idx_len", ">i4"),
        ("idx", ">i8"),
        ("hash_len", ">i4"),
        ("hash", "V32"),
    ]
)


def copy_binary_rows(level: int, hashes: np.ndarray, chunk_rows: int = 1 << 20) -> Iterator[bytes]:
    """One level's ``audit_tree_nodes`` rows ``(level, idx, hash)`` as a binary COPY stream, in
    chunks of ``chunk_rows`` rows (56 bytes each) so that memory stays bounded."""
    yield _COPY_SIGNATURE
    for start in range(0, len(hashes), chunk_rows):
        part = hashes[start : start + chunk_rows]
        rows = np.empty(len(part), _COPY_ROW)
        rows["fields"] = 3
        rows["level_len"], rows["level"] = 2, level
        rows["idx_len"], rows["idx"] = 8, np.arange(start, start + len(part))
        rows["hash_len"] = 32
        rows["hash"] = np.ascontiguousarray(part).view("V32").reshape(-1)
        yield rows.tobytes()
    yield (-1).to_bytes(2, "big", signed=True)


def _proof_in_a_transaction(store, seq: int) -> list[bytes]:  # type: ignore[no-untyped-def]
    """Baseline: the same proof read as before `leolink.store.tree_nodes` — a REPEATABLE READ
    transaction that reads the log's size, then the nodes (BEGIN, two SELECTs, COMMIT)."""
    from sqlalchemy import select, tuple_
    from sqlalchemy.orm import Session

    from leolink.policy.merkle import subtrees_for_inclusion
    from leolink.store.models import AuditHeadRow, AuditTreeNodeRow

    engine = store.engine.execution_options(isolation_level="REPEATABLE READ")
    with Session(engine) as session, session.begin():
        head = session.get(AuditHeadRow, 1)
        assert head is not None
        wanted = subtrees_for_inclusion(seq - 1, head.seq)
        pairs = tuple_(AuditTreeNodeRow.level, AuditTreeNodeRow.idx)
        rows = session.execute(
            select(AuditTreeNodeRow.level, AuditTreeNodeRow.idx, AuditTreeNodeRow.hash).where(
                pairs.in_(sorted(set(wanted)))
            )
        ).all()
        nodes = {(r[0], r[1]): bytes(r[2]) for r in rows}
        return inclusion_proof(seq - 1, head.seq, nodes.__getitem__)


def bench_tiles(n: int) -> dict[str, float]:
    key = Ed25519PrivateKey.generate()
    entries = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(n)]
    tiles = [entry_bundle(entries[i : i + TILE_WIDTH]) for i in range(0, n, TILE_WIDTH)]
    frontier_root = _root(leaf_hash(e) for e in entries)  # the log's own way, by appends
    note = sign_log_checkpoint("bench.example/log", n, frontier_root, key)
    verifier = Verifier("bench.example/log", key.public_key())
    t = time.perf_counter()
    assert note.signed_by(verifier)
    leaves = [leaf_hash(e) for tile in tiles for e in read_entry_bundle(tile)]
    assert root_from_leaves(leaves) == note.root
    verify_s = time.perf_counter() - t
    # Baseline, the floor of any verifier in Python: one SHA-256 per entry, nothing else.
    t = time.perf_counter()
    for e in entries:
        leaf_hash(e)
    return {
        "verify_from_tiles_s": verify_s,
        "baseline_hash_entries_only_s": time.perf_counter() - t,
    }


def _root(leaves) -> bytes:  # type: ignore[no-untyped-def]
    from leolink.policy.merkle import append_leaf, root_from_frontier

    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        frontier, _ = append_leaf(frontier, size, leaf)
    return root_from_frontier(frontier)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size",
        type=int,
        default=100_000,
        help="records in the proof tree (10000000 for the issue's figure; see the module doc)",
    )
    parser.add_argument("--tile-records", type=int, default=1_000_000)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--baseline-ref", default="7c468cc")
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--skip-append", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(14)
    out: dict[str, object] = {"machine": platform.platform(), "python": platform.python_version()}
    if not args.skip_append:
        out["append"] = bench_append(args.writes, args.baseline_ref)
        print(json.dumps(out, indent=2), flush=True)
    out["tiles"] = bench_tiles(args.tile_records)
    print(json.dumps(out["tiles"]), flush=True)
    t = time.perf_counter()
    tree = ArrayTree(args.size)
    out["build_tree_s"] = time.perf_counter() - t
    out["records"] = args.size
    out["memory"] = bench_memory(tree, rng)
    print(json.dumps(out["memory"]), flush=True)
    if args.postgres:
        out["postgres"] = bench_postgres(tree, args.postgres, rng)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
