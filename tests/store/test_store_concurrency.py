"""Concurrent writers queue on the chain head: the chain never forks, edits never get lost.

Writers are threads, each with its own `Store` (its own engine and connections, as separate
processes would have), so the database's locking is what keeps them apart.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

import pytest

from leolink.errors import ConflictError
from leolink.store import GeofenceSpec, Store

BOX = {
    "type": "Polygon",
    "coordinates": [[[32.0, 44.0], [37.0, 44.0], [37.0, 46.5], [32.0, 46.5], [32.0, 44.0]]],
}


def run_together(*jobs: Callable[[], object]) -> list[object]:
    """Run the jobs in threads released at the same moment; return results or exceptions."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def worker(i: int) -> None:
        barrier.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_concurrent_writers_extend_one_chain(open_store: Callable[..., Store]):
    stores = [open_store() for _ in range(3)]

    def writer(k: int) -> None:
        for i in range(6):
            stores[k].register_terminal(
                f"UT-{k}-{i}",
                account=f"acct-{k}",
                home_country="UA",
                customer_class="residential",
                actor=f"op:{k}",
                reason="bulk order",
            )

    results = run_together(*(lambda k=k: writer(k) for k in range(3)))
    assert results == [None, None, None]
    log = stores[0].audit_log()
    assert [r.seq for r in log] == list(range(1, 19))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(log))
    assert [cp.seq for cp in stores[0].checkpoints()] == [5, 10, 15]
    assert stores[0].policy_version() == 18
    assert stores[1].verify().ok


@pytest.mark.parametrize("repeat", range(3))
def test_concurrent_edits_of_one_geofence_conflict(open_store: Callable[..., Store], repeat: int):
    alice, bob = open_store(), open_store()
    spec = GeofenceSpec(name="Crimea", effect="deny", reason="draft", area_geojson=BOX)
    alice.propose_geofence(spec, actor="op:alice", geofence_id="crimea")
    seen = bob.geofence("crimea").version  # both operators looked at version 1

    def revise(store: Store, who: str) -> object:
        new = GeofenceSpec(name=f"Crimea by {who}", effect="deny", reason=who, area_geojson=BOX)
        return store.revise_geofence("crimea", new, expected_version=seen, actor=who)

    results = run_together(lambda: revise(alice, "op:alice"), lambda: revise(bob, "op:bob"))
    conflicts = [r for r in results if isinstance(r, ConflictError)]
    winners = [r for r in results if not isinstance(r, Exception)]
    assert (len(winners), len(conflicts)) == (1, 1), results
    assert "someone else changed it meanwhile" in str(conflicts[0])
    final = alice.geofence("crimea")
    assert final == winners[0]
    assert final.version == 2
    actions = [r.action for r in alice.audit_log(entity="geofence")]
    assert actions == ["geofence.propose", "geofence.revise"]
    assert bob.verify().ok
