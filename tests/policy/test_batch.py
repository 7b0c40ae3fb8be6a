"""The batch engine agrees with the reference `decide`, row by row, on a busy policy.

The policy has polygon geofences (deny and allow-list, some for some classes only, windows,
one withdrawn), cell geofences at coarser, equal and finer resolutions than the grid's, cell
statuses of Starlink's map (blacklisted, waitlisted, without effect, one with a window, one
withdrawn, some under geofences and in blocked countries), and a status history; rows mix
terminals in every state, class and plan, prospective terminals, positions near geofence
edges, at sea and off the globe, and instants across four years.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leolink.errors import InputError
from leolink.geo import grid
from leolink.policy._areas import area_cells, area_contains, fence_area
from leolink.policy.batch import compile_policy, decide_batch
from leolink.policy.decide import PRECEDENCE, Code, decide
from leolink.policy.records import Geofence, PolicyHistory, PositionReport, Terminal
from tests.policy.factory import (
    BERLIN,
    KYIV,
    WARSAW,
    box,
    cell_status,
    europe_statuses,
    fence,
    history,
    report,
    status,
    t,
    terminal,
)


def _busy_policy() -> tuple[PolicyHistory, list[Terminal], list[PositionReport]]:
    rng = np.random.default_rng(7)
    fences: list[Geofence] = []
    for i in range(16):
        lon0, lat0 = rng.uniform(20, 38), rng.uniform(44, 54)
        fences.append(
            fence(
                f"gf-{i:02d}",
                area_geojson=box(
                    lon0, lat0, lon0 + rng.uniform(0.3, 3), lat0 + rng.uniform(0.3, 2)
                ),
                effect="allowlist" if i % 5 == 0 else "deny",
                classes=None if i % 3 else ["residential", "business"],
                start=None if i % 4 == 0 else "2022-01-01T00:00:00Z",
                end=None if i % 2 else "2023-06-01T00:00:00Z",
                withdrawn_at="2023-01-01T00:00:00Z" if i == 7 else None,
            )
        )
    kyiv_cell = grid.latlng_to_cells(*KYIV, 5)
    coarse = grid.cells_to_hex(grid.cells_to_parents(grid.latlng_to_cells(49.0, 24.0, 5), 3))
    fine = grid.cells_to_hex(grid.cells_to_children(kyiv_cell, 7)[:20])
    fences.append(fence("gf-cells-coarse", cells=coarse, start="2022-03-01T00:00:00Z"))
    fences.append(fence("gf-cells-fine", cells=fine))
    fences.append(
        fence(
            "gf-mixed", area_geojson=box(36.0, 46.0, 37.0, 47.0), cells=grid.cells_to_hex(kyiv_cell)
        )
    )
    statuses = [
        *europe_statuses(),
        status(20, "BY", "service_date_unknown", "2020-01-01T00:00:00Z"),
        status(21, "RO", "waitlist", "2022-01-01T00:00:00Z"),
        status(22, "RO", "available", "2023-01-01T00:00:00Z"),
        status(23, "MD", "coming_soon", "2021-01-01T00:00:00Z"),
        status(24, "UA", "blocked", "2024-01-01T00:00:00Z"),
    ]
    terminals = [
        terminal(f"T{i}", home, klass=klass, plan=plan, state=state)
        for i, (home, klass, plan, state) in enumerate(
            [
                ("UA", "residential", "standard", "active"),
                ("PL", "business", "standard", "active"),
                ("UA", "government", "roam", "active"),
                ("DE", "maritime", "standard", "active"),
                ("UA", "residential", "standard", "suspended"),
                ("KZ", "aviation", "roam", "deactivated"),
                ("RO", "residential", "standard", "active"),
            ]
        )
    ]
    allow = {f.id: ["T0", "T2"] for f in fences if f.effect.value == "allowlist"}
    reports = []
    for i in range(len(terminals)):
        for k in range(12):
            lat, lon = rng.uniform(44, 55), rng.uniform(14, 40)
            day = 60 * k + int(rng.integers(0, 50))
            at = np.datetime64("2021-06-01T00:00:00", "s") + np.timedelta64(day, "D")
            reports.append(report(f"T{i}", f"{at}Z", (lat, lon)))
    reports.append(report("T0", "2022-01-01T00:00:00Z", KYIV))
    reports.append(report("T0", "2022-01-05T00:00:00Z", WARSAW))

    def block(lat: float, lon: float) -> list[str]:  # 343 resolution-5 cells, ~87,000 km²
        parent = grid.cells_to_parents(grid.latlng_to_cells(lat, lon, 5), 2)
        return grid.cells_to_hex(grid.cells_to_children(parent, 5))

    cells = [
        cell_status(1, "blacklisted", block(48.5, 37.5), "2022-03-01T00:00:00Z"),
        cell_status(2, "waitlisted_Sold_Out", block(*KYIV)),
        cell_status(3, "test", block(52.0, 20.0)),
        cell_status(4, "blacklisted", block(52.5, 26.0), end="2023-06-01T00:00:00Z"),
        cell_status(
            5,
            "coming_soon_Service_date_is_unknown_at_this_time",
            block(55.0, 37.0),
            withdrawn_at="2023-01-01T00:00:00Z",
        ),
        cell_status(6, "a_category_never_seen", block(46.0, 24.0)),
    ]
    return history(statuses, fences, allow, cell_statuses=cells), terminals, reports


HISTORY, TERMINALS, REPORTS = _busy_policy()
COMPILED = compile_policy(HISTORY)
T_LO = np.datetime64("2021-01-01T00:00:00", "s").astype(np.int64)
T_HI = np.datetime64("2025-01-01T00:00:00", "s").astype(np.int64)

rows = st.lists(
    st.tuples(
        st.one_of(
            st.tuples(st.floats(43.0, 56.0), st.floats(12.0, 42.0)),
            st.tuples(st.floats(-90.0, 90.0), st.floats(-180.0, 180.0)),
            st.just((float("nan"), 0.0)),
            st.just((KYIV[0], KYIV[1])),
        ),
        st.integers(T_LO, T_HI),
        st.integers(-1, len(TERMINALS) - 1),
    ),
    min_size=1,
    max_size=40,
)


def _compare(lat: np.ndarray, lon: np.ndarray, at: np.ndarray, tidx: np.ndarray) -> None:
    batch = decide_batch(
        COMPILED, lat, lon, at, terminals=TERMINALS, terminal_index=tidx, reports=REPORTS
    )
    for i in range(len(lat)):
        k = int(tidx[i])
        ref = decide(
            TERMINALS[k] if k >= 0 else None,
            (float(lat[i]), float(lon[i])),
            at[i],
            HISTORY.snapshot(at[i]),
            reports=REPORTS,
        )
        assert batch.codes[i] is ref.code, (i, lat[i], lon[i], at[i], k, ref.reasons)
        bits = {c for j, c in enumerate(PRECEDENCE) if int(batch.fired[i]) >> j & 1}
        assert bits == {r.code for r in ref.fired}, (i, ref.reasons)
        if ref.cell is not None:
            assert grid.cells_to_hex(batch.cell[i : i + 1])[0] == ref.cell
        assert batch.country_codes()[i] == ref.country
        if batch.fence[i] >= 0:
            assert ref.rules[0].endswith(COMPILED.fences[batch.fence[i]].id)
        assert batch.decision(i) == ref


@settings(max_examples=60, deadline=None)
@given(rows)
def test_batch_equals_reference(data: list[tuple[tuple[float, float], int, int]]) -> None:
    lat = np.asarray([d[0][0] for d in data])
    lon = np.asarray([d[0][1] for d in data])
    at = np.asarray([d[1] for d in data], dtype="datetime64[s]").astype("datetime64[ns]")
    tidx = np.asarray([d[2] for d in data])
    _compare(lat, lon, at, tidx)


def test_batch_equals_reference_near_every_edge() -> None:
    """Points within a few hundred metres of each polygon's edges, inside and out."""
    rng = np.random.default_rng(3)
    lat, lon = [], []
    for f in COMPILED.fences:
        area = fence_area(f.area_geojson, f.cells)
        if area.geometry is None:
            continue
        w, s, e, n = area.geometry.bounds
        for _ in range(6):
            d = rng.uniform(-0.004, 0.004)
            lat += [rng.uniform(s, n), s + d, rng.uniform(s, n), n + d]
            lon += [w + d, rng.uniform(w, e), e + d, rng.uniform(w, e)]
    at = np.full(len(lat), np.datetime64("2022-06-01T00:00:00", "ns"))
    tidx = np.arange(len(lat)) % (len(TERMINALS) + 1) - 1
    _compare(np.asarray(lat), np.asarray(lon), at, tidx)


def test_area_cells_classify_exactly() -> None:
    """Interior cells hold only inside points; points outside both lists are outside."""
    rng = np.random.default_rng(11)
    for f in COMPILED.fences:
        area = fence_area(f.area_geojson, f.cells)
        inner, edge = area_cells(area, 5)
        assert not np.isin(inner, edge).any()
        lat, lon = rng.uniform(43, 56, 4000), rng.uniform(12, 42, 4000)
        cells = grid.latlng_to_cells(lat, lon, 5)
        inside = area_contains(area, lat, lon)
        assert inside[np.isin(cells, inner)].all()
        assert not inside[~np.isin(cells, inner) & ~np.isin(cells, edge)].any()


def test_batch_broadcasts_scalars_and_counts_codes() -> None:
    batch = decide_batch(HISTORY, [BERLIN[0], 35.0], [BERLIN[1], -40.0], t("2021-01-01T00:00:00Z"))
    assert batch.codes == [Code.UNLICENSED_COUNTRY, Code.IN_OCEAN]
    assert batch.code_counts() == {"UNLICENSED_COUNTRY": 1, "IN_OCEAN": 1}
    assert batch.allowed.tolist() == [False, False]
    assert len(batch) == 2


def test_batch_refuses_a_terminal_index_out_of_range() -> None:
    with pytest.raises(InputError, match="terminal_index 7 does not name one of the 7"):
        decide_batch(
            COMPILED,
            [0.0],
            [0.0],
            t("2022-01-01T00:00:00Z"),
            terminals=TERMINALS,
            terminal_index=[7],
        )


def test_batch_without_account_checks_shows_where_a_suspended_terminal_is() -> None:
    at = t("2022-06-01T00:00:00Z")
    args = {"terminals": TERMINALS, "terminal_index": [4]}
    assert decide_batch(COMPILED, [KYIV[0]], [KYIV[1]], at, **args).codes == [Code.ACCOUNT_DISABLED]
    place = decide_batch(COMPILED, [KYIV[0]], [KYIV[1]], at, check_account=False, **args)
    assert place.codes[0] is not Code.ACCOUNT_DISABLED


def test_roaming_with_more_terminals_than_fit_in_a_packed_key() -> None:
    """Row-to-report matching works for any number of terminals (found with 1,000 in the
    benchmark: a key packing the terminal index into 9 bits overflowed)."""
    many = [terminal(f"M{i}", "PL") for i in range(1200)]
    reports = [report(f"M{i}", "2022-01-01T00:00:00Z", BERLIN) for i in range(0, 1200, 7)]
    at = t("2022-06-01T00:00:00Z")
    tidx = np.arange(1200)
    batch = decide_batch(
        HISTORY,
        np.full(1200, BERLIN[0]),
        np.full(1200, BERLIN[1]),
        at,
        terminals=many,
        terminal_index=tidx,
        reports=reports,
    )
    for i in (0, 7, 700, 1197, 1, 1199):
        ref = decide(many[i], BERLIN, at, HISTORY.snapshot(at), reports=reports)
        assert batch.codes[i] is ref.code, i
    roaming = {i for i, c in enumerate(batch.codes) if c is Code.ROAM_RESTRICTED}
    assert roaming == set(range(0, 1200, 7))
