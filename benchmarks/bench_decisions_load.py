"""Decisions under load: 64 connections against ``leolink serve``, a 100,000-vertex geofence in
force, with an asyncio + httpx client (issue 17).

What is measured, each phase for ``--duration`` seconds against one server:

1. ``GET /v1/health`` at ``--connections`` (the baseline: routing, a store read, JSON);
2. ``POST /v1/decisions`` at ``--connections``: single decisions for prospective terminals at
   1,000 places and 10 instants (`bench_http.bodies`), requests per second and p50/p99;
3. ``POST /v1/decisions/batch`` with 1,000 items, one at a time: its latency;
4. a 1-item ``POST /v1/decisions`` sent one after another, first alone, then while 1,000-item
   batches run back to back on two other connections: how long a small request waits behind
   a large one.  The batches come from another client (an API key of their own): each client
   holds at most its share of a process's decision turns (`leolink.limits.ClientShare`), so
   the small requests wait for the batches already computing, not for a queue of them.

The server is ``leolink serve --workers 2`` (uvicorn) on 127.0.0.1 over a SQLite store with the
default policy, a deny area, an allow-list and the hostile geofence of `bench_http`
(100,000 vertices around a point near Kharkiv, compiled once at its proposal).  The client runs
in this process on the same two cores (a Python client costs about as much CPU per request as
the server; wrk, in `bench_http.py`, costs less): the figures are a floor of what the server
does.  Targets (issue 17): >= 1,000 decisions/s with p99 <= 50 ms at 64 connections; a
1,000-item batch <= 50 ms; a small request not held for a large one's whole length.

    .venv/bin/python benchmarks/bench_decisions_load.py [--duration 10] [--connections 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from bench_http import (
    INSTANTS,
    TARGET_BATCH_MS,
    TARGET_P99_MS,
    TARGET_RPS,
    bodies,
    free_port,
    in_process,
    seed,
    seed_large_fence,
    wait_healthy,
)
from leolink import api
from leolink.geo import grid
from leolink.limits import CLIENT_SHARE, describe_limits
from leolink.policy import _areas
from leolink.policy.batch import compile_policy
from leolink.service.state import ServiceLimits
from leolink.store import Store


def compile_times(store: Store) -> tuple[float, float]:
    """Seconds to compile the policy as a new process would: from the geofences' text (parse,
    repair, classify: before issue 17) and from the store's compiled areas (after)."""
    history = store.policy_history()
    times = []
    for area_store in (None, store.compiled_areas):
        _areas.fence_area.cache_clear()
        _areas._COMPILED.clear()
        t0 = time.perf_counter()
        compile_policy(history, grid.DEFAULT_RESOLUTION, area_store)
        times.append(time.perf_counter() - t0)
    return times[0], times[1]


async def _load(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    payloads: list[dict[str, object]] | None,
    connections: int,
    duration_s: float,
) -> dict[str, float]:
    """``connections`` loops sending requests for ``duration_s``: rate, latencies, errors."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration_s

    async def loop(k: int) -> None:
        nonlocal errors
        i = k
        while time.perf_counter() < deadline:
            body = None if payloads is None else payloads[i % len(payloads)]
            i += connections
            start = time.perf_counter()
            try:
                response = await client.request(method, path, json=body)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - start)
            errors += not ok

    start = time.perf_counter()
    await asyncio.gather(*(loop(k) for k in range(connections)))
    return _summary(latencies, time.perf_counter() - start, errors)


def _summary(latencies: list[float], elapsed_s: float, errors: int) -> dict[str, float]:
    ms = 1e3 * np.asarray(latencies) if latencies else np.asarray([np.nan])
    return {
        "rps": len(latencies) / elapsed_s,
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "max_ms": float(np.max(ms)),
        "errors": float(errors),
        "n": float(len(latencies)),
    }


async def _sequential(
    client: httpx.AsyncClient, path: str, body: dict[str, object], duration_s: float
) -> dict[str, float]:
    """The same request sent one after another for ``duration_s``."""
    latencies: list[float] = []
    errors = 0
    start = deadline = time.perf_counter()
    deadline += duration_s
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        response = await client.post(path, json=body)
        latencies.append(time.perf_counter() - t0)
        errors += response.status_code != 200
    return _summary(latencies, time.perf_counter() - start, errors)


async def _small_behind_large(
    client: httpx.AsyncClient,
    small: dict[str, object],
    batch: dict[str, object],
    duration_s: float,
    batch_token: str,
) -> tuple[dict[str, float], dict[str, float]]:
    """1-item decisions one after another while 1,000-item batches, sent by another client
    (``batch_token``'s key), run on two connections."""
    stop = False
    batch_latencies: list[float] = []
    other = {"Authorization": f"Bearer {batch_token}"}

    async def batches() -> None:
        while not stop:
            t0 = time.perf_counter()
            await client.post("/v1/decisions/batch", json=batch, headers=other)
            batch_latencies.append(time.perf_counter() - t0)

    runners = [asyncio.create_task(batches()) for _ in range(2)]
    await asyncio.sleep(0.5)  # the batches are under way
    small_result = await _sequential(client, "/v1/decisions", small, duration_s)
    stop = True
    await asyncio.gather(*runners)
    return small_result, _summary(batch_latencies, duration_s, 0)


async def measure(
    url: str, duration_s: float, connections: int, batch_token: str
) -> dict[str, dict[str, float]]:
    requests = bodies(1_000)
    batch = {"items": [{**r, "at": INSTANTS[0]} for r in requests]}  # one instant: <= 100 asked
    limits = httpx.Limits(max_connections=connections + 4, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0) as client:
        # Warm-up: every instant's sky and routes into every PoP (a batch of all the places per
        # instant, a few times so that each worker process gets one), the connections.
        for instant in INSTANTS:
            warm = {"items": [{**r, "at": instant} for r in requests]}
            await asyncio.gather(*(client.post("/v1/decisions/batch", json=warm) for _ in range(3)))
        await _load(client, "POST", "/v1/decisions", requests, connections, 3.0)
        await client.post("/v1/decisions/batch", json=batch)
        out = {
            "GET /v1/health (baseline)": await _load(
                client, "GET", "/v1/health", None, connections, duration_s
            ),
            "POST /v1/decisions": await _load(
                client, "POST", "/v1/decisions", requests, connections, duration_s
            ),
            "POST /v1/decisions/batch (1,000)": await _sequential(
                client, "/v1/decisions/batch", batch, duration_s
            ),
            "1-item decision, alone": await _sequential(
                client, "/v1/decisions", requests[0], duration_s
            ),
        }
        behind, batches = await _small_behind_large(
            client, requests[0], batch, duration_s, batch_token
        )
        out["1-item decision, beside 2 batches"] = behind
        out["  the batches meanwhile"] = batches
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="leolink-bench-load-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        db = f"sqlite:///{work / 'leolink.db'}"
        key = work / "audit-signing-key.pem"
        t0 = time.perf_counter()
        with Store.open(db, signing_key=key) as store:
            seed(store)
            seed_large_fence(store)
            _, batch_token = store.create_api_key(
                api.Role.VIEWER, name="batches", actor="bench", reason="a second client"
            )
            version = store.policy_version()
            seed_s = time.perf_counter() - t0
            fresh_s, stored_s = compile_times(store)
            rate, batch_ms = in_process(store, api.load_catalog(), bodies(1_000))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        leolink = Path(sys.executable).with_name("leolink")
        t0 = time.perf_counter()
        server = subprocess.Popen(
            [str(leolink), "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db,
             "--signing-key", str(key), "--workers", str(args.workers), "--no-seed",
             "--log-level", "warning"],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        wait_healthy(url, server)
        start_s = time.perf_counter() - t0
        results = asyncio.run(measure(url, args.duration, args.connections, batch_token))
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"leolink serve --workers {args.workers} on 127.0.0.1, SQLite, policy version {version} "
        f"with a 100,000-vertex geofence in force (seeded in {seed_s:.1f} s, server ready in "
        f"{start_s:.1f} s); asyncio+httpx client, {args.connections} connections, "
        f"{args.duration:g} s a phase; {os.cpu_count()} CPUs shared with the client"
    )
    print(
        f"policy compiled as by a new process: {fresh_s:.2f} s from the geofences' text, "
        f"{stored_s:.3f} s from the store's compiled areas"
    )
    print(
        f"in process (the service's Decider, no HTTP): {rate:,.0f} single decisions/s on one "
        f"thread; a 1,000-item batch in {batch_ms:.1f} ms (best of 5)"
    )
    print(
        f"each client's share of a process's {ServiceLimits().max_concurrent_decisions} decision "
        f"turns: {describe_limits(CLIENT_SHARE)} (the batches beside the 1-item requests are "
        "another client)"
    )
    print(f"{'phase':<36}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
    for name, r in results.items():
        print(
            f"{name:<36}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{r['max_ms']:>9.1f}{int(r['errors']):>8d}"
        )
    single = results["POST /v1/decisions"]
    batch = results["POST /v1/decisions/batch (1,000)"]
    single_ok = single["rps"] >= TARGET_RPS and single["p99_ms"] <= TARGET_P99_MS
    batch_ok = batch["p50_ms"] <= TARGET_BATCH_MS
    print(
        f"targets: >= {TARGET_RPS:.0f} decisions/s with p99 <= {TARGET_P99_MS:.0f} ms: "
        f"{'met' if single_ok else 'NOT met'}; 1,000-item batch p50 <= "
        f"{TARGET_BATCH_MS:.0f} ms: {'met' if batch_ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
