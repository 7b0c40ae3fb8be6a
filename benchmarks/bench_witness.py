"""Witnesses and receipts: what cosigning and a receipt cost, beside same-run baselines.

Measured in one run:

1. **Witness check.**  `leolink.policy.witness.add_checkpoint` for a checkpoint that extends
   the witness's by a random number of records in a log of ``--records`` leaves (a
   `MemoryTree`): parse the note, check the log's signature and the consistency proof, cosign.
   Baseline: one Ed25519 signature (what any cosigning costs).
2. **Publication round.**  `leolink.service.witnessing.Publisher.round` over a SQLite store
   with two witness processes (``leolink witness serve``) on 127.0.0.1: one write, then one
   round (consistency proof from the store, two HTTP add-checkpoints, cosignatures kept).
   Baseline: the write alone.
3. **Receipts.**  ``POST /v1/decisions`` in process (the service's ASGI app, default policy, no
   satellite) with ``?receipt=true`` and without.

Run: ``.venv/bin/python benchmarks/bench_witness.py [--records 1000000] [--rounds 50]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leolink.policy.merkle import MemoryTree, leaf_hash
from leolink.policy.notes import Verifier
from leolink.policy.records import Role
from leolink.policy.tlog import sign_log_checkpoint
from leolink.policy.witness import AddCheckpoint, LogView, WitnessState, add_checkpoint


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def witness_check(records: int, repeats: int) -> None:
    log_key, witness_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    origin = "bench.example/log"
    tree = MemoryTree(leaf_hash(i.to_bytes(8, "big")) for i in range(records))
    base = WitnessState.following([Verifier(origin, log_key.public_key())])
    rng = random.Random(1)
    checks, signs = [], []
    for _ in range(repeats):
        old = rng.randrange(1, records)
        new = rng.randrange(old, records + 1)
        state = WitnessState({origin: LogView(base.logs[origin].verifier, old, tree.root(old))})
        note = sign_log_checkpoint(origin, new, tree.root(new), log_key).note()
        request = AddCheckpoint(old, tuple(tree.consistency_proof(old, new)), note)
        t = time.perf_counter()
        add_checkpoint(state, request, name="w.bench", key=witness_key, timestamp=1)
        checks.append(time.perf_counter() - t)
        t = time.perf_counter()
        witness_key.sign(note.encode())
        signs.append(time.perf_counter() - t)
    print(f"witness check, log of {records:,} leaves, {repeats} checkpoints:")
    print(f"  add_checkpoint       median {_median_ms(checks):.3f} ms")
    print(f"  baseline: 1 Ed25519  median {_median_ms(signs):.3f} ms")


def publication_round(rounds: int, folder: Path) -> None:
    from tests.service.witness_helpers import policy, witnesses

    from leolink.service.witnessing import Publisher
    from leolink.store import Store

    store = Store.open(f"sqlite:///{folder / 'bench.db'}", signing_key=folder / "log.pem")
    store.create_api_key(Role.VIEWER, name="k0", actor="bench", reason="bench")
    with witnesses(folder, store.log_verifier().vkey(), "w1.bench", "w2.bench") as ws:
        for w in ws:
            w.start()
        publisher = Publisher(store, policy(2, *ws))
        publisher.round()
        writes, pushes = [], []
        for i in range(rounds):
            t = time.perf_counter()
            store.create_api_key(Role.VIEWER, name=f"k{i + 1}", actor="bench", reason="bench")
            writes.append(time.perf_counter() - t)
            t = time.perf_counter()
            cp = publisher.round()
            pushes.append(time.perf_counter() - t)
            assert all(cp.cosigned_by(w.witness.verifier) is not None for w in ws)
    store.close()
    print(f"publication round, SQLite, 2 witness processes, {rounds} rounds:")
    print(f"  round (2 cosignatures)  median {_median_ms(pushes):.2f} ms")
    print(f"  baseline: one write     median {_median_ms(writes):.2f} ms")


def receipts(requests: int, folder: Path) -> None:
    from fastapi.testclient import TestClient

    from leolink import api
    from leolink.policy.defaults import seed_if_empty
    from leolink.service import create_app
    from leolink.store import Store

    store = Store.open(f"sqlite:///{folder / 'receipts.db'}", signing_key=folder / "r.pem")
    seed_if_empty(store)
    app = create_app(store=store, catalog=api.load_catalog())
    body = {"lat": 50.45, "lon": 30.52, "at": "2026-05-13T12:00:00Z"}
    plain, signed = [], []
    with TestClient(app) as client:
        for _ in range(requests):
            for path, out in (("/v1/decisions", plain), ("/v1/decisions?receipt=true", signed)):
                t = time.perf_counter()
                response = client.post(path, json=body)
                out.append(time.perf_counter() - t)
                assert response.status_code == 200
    store.close()
    print(f"POST /v1/decisions in process, {requests} each, alternating:")
    print(f"  with ?receipt=true      median {_median_ms(signed):.2f} ms")
    print(f"  baseline: without       median {_median_ms(plain):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.2f}, Python {platform.python_version()}"
    )
    witness_check(args.records, 200)
    with tempfile.TemporaryDirectory() as tmp:
        publication_round(args.rounds, Path(tmp))
        receipts(args.rounds, Path(tmp))


if __name__ == "__main__":
    main()
