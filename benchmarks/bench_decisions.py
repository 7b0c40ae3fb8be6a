"""Decisions per second: the batch engine against the reference `decide` in a loop, one core.

The policy: the default country statuses (115, with their history) and 50 geofences over
Europe and Ukraine — 35 deny regions (boxes and irregular polygons), 5 deny cell lists, 5
class-limited deny regions and 5 allow-lists — and 1,000 terminals (every state, class and
plan) with 10 position reports each for the roaming rule.  The rows: 200,000 decisions, half
over the geofenced region and half uniform over the globe, at instants spread over two years,
four in five for a known terminal.

Measured in the same run: the reference `decide` in a loop (the baseline, on a sample), the
batch engine without the sky (policy only), the geo floor it cannot go below (country lookup
and H3 cells for the same rows), and the batch engine with the sky checked for rows at 10
distinct instants of the catalog's epoch.  The batch's codes are checked against the
reference on the baseline's sample.

Run: ``.venv/bin/python benchmarks/bench_decisions.py [--rows N]``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, as the figure claims

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from leolink.geo import grid  # noqa: E402
from leolink.geo.countries import countries_at  # noqa: E402
from leolink.orbits.loading import load_catalog  # noqa: E402
from leolink.policy.batch import compile_policy, decide_batch  # noqa: E402
from leolink.policy.decide import decide  # noqa: E402
from leolink.policy.defaults import load_default_dataset  # noqa: E402
from leolink.policy.records import (  # noqa: E402
    ChangeState,
    CountryStatusChange,
    CustomerClass,
    Geofence,
    GeofenceEffect,
    Plan,
    PolicyHistory,
    PositionReport,
    Terminal,
    TerminalState,
)
from leolink.policy.sky import Sky  # noqa: E402

T0 = np.datetime64("2024-06-01T00:00:00", "ns")
SPAN_S = 2 * 365 * 86_400


def _geofence(i: int, rng: np.random.Generator) -> Geofence:
    lon0, lat0 = rng.uniform(-5, 38), rng.uniform(38, 58)
    w, h = rng.uniform(0.2, 2.5), rng.uniform(0.2, 1.5)
    if i % 3 == 0:  # an irregular polygon of 12 vertices
        angle = np.sort(rng.uniform(0, 2 * np.pi, 12))
        radius = rng.uniform(0.5, 1.0, 12)
        ring = [
            [lon0 + w * r * np.cos(a), lat0 + h * r * np.sin(a)]
            for a, r in zip(angle, radius, strict=True)
        ]
    else:
        ring = [[lon0, lat0], [lon0 + w, lat0], [lon0 + w, lat0 + h], [lon0, lat0 + h]]
    ring.append(ring[0])
    area: str | None = json.dumps({"type": "Polygon", "coordinates": [ring]})
    cells: tuple[str, ...] = ()
    effect, classes = GeofenceEffect.DENY, None
    if 35 <= i < 40:
        area = None
        cells = tuple(
            grid.cells_to_hex(
                grid.latlng_to_cells(rng.uniform(45, 52, 12), rng.uniform(22, 38, 12), 5)
            )
        )
    elif 40 <= i < 45:
        classes = (CustomerClass.RESIDENTIAL, CustomerClass.BUSINESS)
    elif i >= 45:
        effect = GeofenceEffect.ALLOWLIST
    start = T0 + np.timedelta64(int(rng.integers(-SPAN_S, SPAN_S)), "s")
    end = None if i % 2 else start + np.timedelta64(int(rng.integers(86_400, SPAN_S)), "s")
    return Geofence(
        id=f"gf-{i:02d}",
        name=f"bench {i}",
        effect=effect,
        area_geojson=area,
        cells=cells,
        customer_classes=classes,
        window_start=start,
        window_end=end,
        reason="bench",
        size_km2=0.0,
        needs_approval=True,
        state=ChangeState.APPROVED,
        proposer="a",
        approver="b",
        proposed_at=T0,
        approved_at=T0,
        rejected_at=None,
        withdrawn_at=None,
        version=2,
    )


def build(rng: np.random.Generator) -> tuple[PolicyHistory, list[Terminal], list[PositionReport]]:
    data = load_default_dataset()
    changes = tuple(
        CountryStatusChange(
            id=i + 1,
            country_code=s.country,
            status=s.status,
            effective_from=s.effective_from,
            source="bench",
            note=s.note,
            state=ChangeState.APPROVED,
            proposer="a",
            approver="b",
            proposed_at=T0,
            approved_at=T0,
            rejected_at=None,
            withdrawn_at=None,
        )
        for i, s in enumerate(data.statuses)
    )
    fences = tuple(_geofence(i, rng) for i in range(50))
    homes = ["UA", "PL", "DE", "FR", "KZ", "US", "GB", "RO"]
    terminals = [
        Terminal(
            id=f"T{i:04d}",
            account=f"a{i}",
            home_country=homes[i % len(homes)],
            customer_class=list(CustomerClass)[i % 5],
            plan=list(Plan)[(i // 5) % 2],
            funding_party=None,
            state=TerminalState.ACTIVE if i % 20 else list(TerminalState)[(i // 20) % 3],
            allowlists=(),
            created_at=T0,
            updated_at=T0,
            version=1,
        )
        for i in range(1000)
    ]
    members = {
        f.id: frozenset(t.id for t in terminals[::3])
        for f in fences
        if f.effect is GeofenceEffect.ALLOWLIST
    }
    reports = [
        PositionReport(
            terminal_id=t.id,
            reported_at=T0 + np.timedelta64(int(rng.integers(-SPAN_S, SPAN_S)), "s"),
            lat_deg=float(rng.uniform(40, 56)),
            lon_deg=float(rng.uniform(-5, 40)),
            cell="",
        )
        for t in terminals
        for _ in range(10)
    ]
    return PolicyHistory(7, None, changes, fences, members), terminals, reports


def rows(rng: np.random.Generator, n: int, n_terminals: int) -> dict[str, np.ndarray]:
    half = n // 2
    lat = np.r_[rng.uniform(38, 58, half), np.degrees(np.arcsin(rng.uniform(-1, 1, n - half)))]
    lon = np.r_[rng.uniform(-5, 40, half), rng.uniform(-180, 180, n - half)]
    at = T0 + rng.integers(-SPAN_S, SPAN_S, n).astype("timedelta64[s]")
    tidx = np.where(rng.random(n) < 0.8, rng.integers(0, n_terminals, n), -1)
    order = rng.permutation(n)
    return {"lat": lat[order], "lon": lon[order], "at": at[order], "tidx": tidx[order]}


def best_of(repeats: int, work: Callable[[], Any]) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = work()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--baseline-rows", type=int, default=2_000)
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    history, terminals, reports = build(rng)
    r = rows(rng, args.rows, len(terminals))
    countries_at(0.0, 0.0)  # load the borders before timing
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cpus, Python {platform.python_version()}")
    print(
        f"policy: {len(history.status_changes)} status changes, "
        f"{len(history.geofences)} geofences, {len(terminals)} terminals, "
        f"{len(reports)} reports; rows: {args.rows:,}"
    )

    t_compile, compiled = best_of(1, lambda: compile_policy(history))
    print(
        f"compile_policy: {t_compile:.2f} s ({compiled.table_cells.size:,} cell entries, "
        f"{int(compiled.table_boundary.sum()):,} on edges)"
    )

    m = args.baseline_rows

    def baseline() -> list[Any]:
        out = []
        for i in range(m):
            k = int(r["tidx"][i])
            at = r["at"][i]
            out.append(
                decide(
                    terminals[k] if k >= 0 else None,
                    (float(r["lat"][i]), float(r["lon"][i])),
                    at,
                    history.snapshot(at),
                    reports=reports if k >= 0 else (),
                ).code
            )
        return out

    t_base, ref_codes = best_of(1, baseline)
    base_rate = m / t_base
    print(
        f"baseline, decide() in a loop: {m:,} rows in {t_base:.2f} s = {base_rate:,.0f} decisions/s"
    )

    def batch() -> Any:
        return decide_batch(
            compiled,
            r["lat"],
            r["lon"],
            r["at"],
            terminals=terminals,
            terminal_index=r["tidx"],
            reports=reports,
        )

    t_batch, result = best_of(3, batch)
    rate = args.rows / t_batch
    print(
        f"decide_batch (policy only, no sky): {args.rows:,} rows in {t_batch:.3f} s = "
        f"{rate:,.0f} decisions/s"
    )
    agree = sum(a is b for a, b in zip(result.codes[:m], ref_codes, strict=True))
    print(f"  agreement with the baseline on its {m:,} rows: {agree:,}/{m:,}")
    print(f"  codes: {result.code_counts()}")

    t_geo, _ = best_of(
        3, lambda: (countries_at(r["lat"], r["lon"]), grid.latlng_to_cells(r["lat"], r["lon"], 5))
    )
    print(
        f"  geo floor (countries_at + latlng_to_cells on the same rows): {t_geo:.3f} s = "
        f"{t_geo / t_batch:.0%} of the batch"
    )
    print(f"  ratio batch / baseline: {rate / base_rate:,.0f}x")

    sky = Sky(load_catalog())
    epoch = np.datetime64("2026-05-13T00:00:00", "ns")
    instants = epoch + np.arange(10) * np.timedelta64(3600, "s")
    at_sky = instants[rng.integers(0, 10, args.rows)]

    def batch_sky() -> Any:
        return decide_batch(
            compiled,
            r["lat"],
            r["lon"],
            at_sky,
            terminals=terminals,
            terminal_index=r["tidx"],
            reports=reports,
            sky=sky,
        )

    batch_sky()  # propagations cached per instant are part of the cost: clear and time
    sky = Sky(load_catalog())
    t_sky, with_sky = best_of(1, batch_sky)
    checked = int(with_sky.sky_checked.sum())
    print(
        f"decide_batch with the sky (10 distinct instants, {checked:,} rows reach the sky "
        f"check): {t_sky:.2f} s = {args.rows / t_sky:,.0f} decisions/s"
    )


if __name__ == "__main__":
    main()
