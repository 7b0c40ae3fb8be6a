"""SGP4 propagation against its authorities: Vallado's verification cases and Skyfield."""

from __future__ import annotations

import itertools
import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sgp4.api import Satrec
from skyfield.api import EarthSatellite, load
from skyfield.framelib import itrs

from leolink.errors import InputError
from leolink.orbits.catalog import Catalog
from leolink.orbits.frames import teme_to_itrs, teme_to_itrs_rv
from leolink.orbits.loading import load_catalog
from leolink.orbits.propagate import (
    RUNAWAY,
    SGP4_ERROR_MESSAGES,
    Ephemeris,
    propagate,
    propagate_teme,
)
from leolink.time import parse_instant

VALLADO = Path(__file__).parent.parent / "data" / "vallado"

# Named tolerances.
one_millimeter = 1e-6  # km
one_micrometer_per_second = 1e-9  # km/s
five_meters = 5e-3  # km
one_millimeter_per_second = 1e-6  # km/s

NS_PER_DAY = 86_400 * 10**9
UNIX_EPOCH_JD = 2440587.5


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def epoch_ns(satrec: Satrec) -> int:
    """Element-set epoch as integer nanoseconds since 1970, without float rounding of the sum."""
    days = round(float(satrec.jdsatepoch) - UNIX_EPOCH_JD)
    return days * NS_PER_DAY + round(float(satrec.jdsatepochF) * NS_PER_DAY)


# ---------------------------------------------------------------------------------------------
# Vallado et al. (2006), AIAA 2006-6753: SGP4-VER.TLE and tcppver.out


@dataclass
class VerificationCase:
    line1: str
    line2: str
    tsince_min: list[float]  # the times the case asks for, 0 first
    expected: list[list[float]]  # tcppver.out lines: tsince, r (3), v (3)


def verification_times(line2: str) -> list[float]:
    """The tsince grid of one case, generated as Vallado's testcpp.cpp does (and sgp4/tests.py)."""
    start, stop, step = (float(field) for field in line2[69:].split())
    times = [0.0]
    tsince = start
    while tsince <= stop:
        if not tsince == start == 0.0:
            times.append(tsince)
        tsince += step
    if tsince - stop < step - 1e-6:  # the steps missed the stop time: add it
        times.append(stop)
    return times


def verification_cases() -> list[VerificationCase]:
    tle = (VALLADO / "SGP4-VER.TLE").read_text(encoding="ascii").splitlines()
    pairs = [(a, b) for a, b in itertools.pairwise(tle) if a.startswith("1 ")]
    blocks: list[list[list[float]]] = []
    for line in (VALLADO / "tcppver.out").read_text(encoding="ascii").splitlines():
        if line.rstrip().endswith("xx"):
            blocks.append([])
        elif line.strip():
            blocks[-1].append([float(field) for field in line.split()[:7]])
    assert len(pairs) == len(blocks) == 33
    return [
        VerificationCase(line1, line2, verification_times(line2), block)
        for (line1, line2), block in zip(pairs, blocks, strict=True)
    ]


def test_vallado_verification_cases_in_teme() -> None:
    """All 33 cases through propagate_teme: states to 1 mm, failures with Vallado's codes."""
    failures: list[int] = []
    worst_r_km = worst_v_km_s = 0.0
    previous_last_line: list[float] | None = None
    for case in verification_cases():
        satrec = Satrec.twoline2rv(case.line1, case.line2)
        single = Catalog(names=(str(satrec.satnum),), satrecs=(satrec,))
        offsets_ns = np.array([round(m * 60e9) for m in case.tsince_min], dtype=np.int64)
        times = (epoch_ns(satrec) + offsets_ns).astype("datetime64[ns]")
        states = propagate_teme(single, times)
        error = states.error[0]
        expected = np.array(case.expected)
        if error[0] != 0:
            # Fails at epoch: testcpp.cpp printed the previous case's numbers (see README).
            assert len(expected) == 1
            assert previous_last_line is not None
            np.testing.assert_array_equal(expected[0, 1:], previous_last_line[1:])
            assert np.isnan(states.r_teme_km[0, 0]).all()
            failures.append(int(error[0]))
            continue
        n = len(expected)
        np.testing.assert_allclose(expected[:, 0], case.tsince_min[:n], rtol=0, atol=1e-8)
        assert (error[:n] == 0).all()
        r_diff = np.abs(states.r_teme_km[0, :n] - expected[:, 1:4]).max()
        v_diff = np.abs(states.v_teme_km_s[0, :n] - expected[:, 4:7]).max()
        assert r_diff <= one_millimeter, (satrec.satnum, r_diff)
        assert v_diff <= one_micrometer_per_second, (satrec.satnum, v_diff)
        worst_r_km, worst_v_km_s = max(worst_r_km, r_diff), max(worst_v_km_s, v_diff)
        if n < len(case.tsince_min):
            # The case ends early because SGP4 fails at the next time: we must fail there too.
            assert error[n] != 0, satrec.satnum
            assert np.isnan(states.r_teme_km[0, n]).all()
            assert np.isnan(states.v_teme_km_s[0, n]).all()
            failures.append(int(error[n]))
        previous_last_line = case.expected[-1]
    assert failures == [1, 1, 6, 6, 4, 3, 6]
    print(
        f"Vallado: max |dr| = {worst_r_km * 1e6:.4f} mm, max |dv| = {worst_v_km_s * 1e9:.4f} µm/s"
    )


def test_error_codes_are_data_in_itrs() -> None:
    """A failing element is a code and NaN in the Earth-fixed output, the others are intact."""
    cases = {c.line1[2:7]: c for c in verification_cases()}
    decaying = Satrec.twoline2rv(cases["28872"].line1, cases["28872"].line2)  # decays (code 6)
    healthy = Satrec.twoline2rv(cases["00005"].line1, cases["00005"].line2)
    pair = Catalog(names=("decaying", "healthy"), satrecs=(decaying, healthy))
    times = (epoch_ns(decaying) + np.arange(0, 120, 5) * 60 * 10**9).astype("datetime64[ns]")
    ephemeris = propagate(pair, times, velocity=True)
    assert ephemeris.v_itrs_km_s is not None
    failed = ephemeris.error != 0
    assert failed[0].any()
    assert not failed[0].all()
    assert not failed[1].any()
    assert set(np.unique(ephemeris.error)) <= set(SGP4_ERROR_MESSAGES)
    assert np.isnan(ephemeris.r_itrs_km[failed]).all()
    assert np.isnan(ephemeris.v_itrs_km_s[failed]).all()
    assert np.isfinite(ephemeris.r_itrs_km[~failed]).all()
    np.testing.assert_array_equal(ephemeris.ok, ~failed)
    np.testing.assert_array_equal(ephemeris.norad_ids, [28872, 5])


def test_error_messages_cover_every_code() -> None:
    assert sorted(SGP4_ERROR_MESSAGES) == [0, 1, 2, 3, 4, 5, 6, RUNAWAY]
    assert "decayed" in SGP4_ERROR_MESSAGES[6]


# ---------------------------------------------------------------------------------------------
# The real catalog against Skyfield's EarthSatellite in its ITRS frame


def sample_times() -> np.ndarray:
    """Nine instants, every 6 h over the two days around the catalog's epochs (2026-05-12/13)."""
    start = np.datetime64("2026-05-12T00:00:00", "ns")
    return start + np.arange(9) * np.timedelta64(6 * 3600, "s") + np.timedelta64(17_250, "ms")


def skyfield_times(times: np.ndarray) -> Any:
    ts = load.timescale()  # builtin IERS table, the one leolink's DUT1 table is taken from
    seconds = (times - np.datetime64("2026-05-12T00:00:00", "ns")) / np.timedelta64(1, "s")
    return ts.utc(2026, 5, 12, 0, 0, seconds)


def test_itrs_positions_match_skyfield(catalog: Catalog) -> None:
    """~200 real satellites × 9 instants over 2 days: ITRF within five meters of Skyfield."""
    sample = catalog.take(np.linspace(0, len(catalog) - 1, 200).round().astype(int))
    times = sample_times()
    ephemeris = propagate(sample, times, velocity=True)
    assert ephemeris.v_itrs_km_s is not None
    t = skyfield_times(times)
    r_skyfield = np.empty_like(ephemeris.r_itrs_km)
    v_skyfield = np.empty_like(ephemeris.r_itrs_km)
    for i, satrec in enumerate(sample.satrecs):
        position = EarthSatellite.from_satrec(satrec, t.ts).at(t)
        r, v = position.frame_xyz_and_velocity(itrs)
        r_skyfield[i], v_skyfield[i] = r.km.T, v.km_per_s.T
    np.testing.assert_array_equal(np.isnan(ephemeris.r_itrs_km), np.isnan(r_skyfield))
    dr = np.linalg.norm(ephemeris.r_itrs_km - r_skyfield, axis=-1)
    dv = np.linalg.norm(ephemeris.v_itrs_km_s - v_skyfield, axis=-1)
    assert np.nanmax(dr) <= five_meters
    assert np.nanmax(dv) <= one_millimeter_per_second
    worst = f"max |dr| = {np.nanmax(dr) * 1e6:.4f} mm, max |dv| = {np.nanmax(dv) * 1e6:.4f} mm/s"
    print(f"Skyfield ITRS: {worst}")


# ---------------------------------------------------------------------------------------------
# Shapes, paths and inputs


def test_itrs_is_teme_rotated(catalog: Catalog) -> None:
    """The fused kernel gives what the public frame functions give, to round-off."""
    sample = catalog.take(range(0, 300, 3))
    times = sample_times()
    teme = propagate_teme(sample, times)
    ephemeris = propagate(sample, times, velocity=True)
    assert ephemeris.v_itrs_km_s is not None
    r, v = teme_to_itrs_rv(teme.r_teme_km, teme.v_teme_km_s, times)
    np.testing.assert_allclose(ephemeris.r_itrs_km, r, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ephemeris.v_itrs_km_s, v, rtol=0, atol=1e-12)
    np.testing.assert_allclose(teme_to_itrs(teme.r_teme_km, times), r, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(teme.error, ephemeris.error)


def test_shapes_and_scalar_time(catalog: Catalog) -> None:
    sample = catalog.take(range(10))
    instant = np.datetime64("2026-05-13T06:00:00")
    single = propagate(sample, instant)
    assert isinstance(single, Ephemeris)
    assert single.r_itrs_km.shape == (10, 1, 3)
    assert single.error.shape == (10, 1)
    assert single.error.dtype == np.uint8
    assert single.times.dtype == np.dtype("datetime64[ns]")
    assert single.v_itrs_km_s is None
    np.testing.assert_array_equal(single.norad_ids, sample.norad_ids)
    teme = propagate_teme(sample, instant)
    assert teme.r_teme_km.shape == teme.v_teme_km_s.shape == (10, 1, 3)


def test_tiling_paths_agree(catalog: Catalog) -> None:
    """Many instants (satellite chunks) and one instant (whole-catalog call) give equal states."""
    sample = catalog.take(range(0, len(catalog), 37))  # 281 satellites: several chunks
    times = np.datetime64("2026-05-13T00:00:00", "ns") + np.arange(700) * np.timedelta64(60, "s")
    many = propagate(sample, times)
    for j in (0, 255, 256, 699):
        one = propagate(sample, times[j])
        np.testing.assert_array_equal(one.r_itrs_km[:, 0], many.r_itrs_km[:, j])
        np.testing.assert_array_equal(one.error[:, 0], many.error[:, j])


def test_workers_give_identical_results(catalog: Catalog) -> None:
    sample = catalog.take(range(0, len(catalog), 10))  # 1037 satellites × 400 instants
    times = np.datetime64("2026-05-13T00:00:00", "ns") + np.arange(400) * np.timedelta64(60, "s")
    one = propagate(sample, times, velocity=True)
    two = propagate(sample, times, velocity=True, workers=2)
    owner: object = two.r_itrs_km
    while isinstance(owner, np.ndarray | memoryview):
        owner = owner.base if isinstance(owner, np.ndarray) else owner.obj
    assert isinstance(owner, mmap.mmap)  # the shared output the forked worker wrote into
    assert one.v_itrs_km_s is not None
    assert two.v_itrs_km_s is not None
    np.testing.assert_array_equal(one.r_itrs_km, two.r_itrs_km)
    np.testing.assert_array_equal(one.v_itrs_km_s, two.v_itrs_km_s)
    np.testing.assert_array_equal(one.error, two.error)


def test_empty_inputs(catalog: Catalog) -> None:
    empty = Catalog(names=(), satrecs=())
    times = sample_times()
    assert propagate(empty, times).r_itrs_km.shape == (0, 9, 3)
    no_times = np.array([], dtype="datetime64[ns]")
    assert propagate(catalog.take([0, 1]), no_times).r_itrs_km.shape == (2, 0, 3)


@pytest.mark.parametrize(
    ("times", "fragment"),
    [
        (np.array([1.5, 2.5]), "datetime64"),
        (np.array(["2026-05-13T00:00Z"]), "datetime64"),
        (np.zeros((2, 2), dtype="datetime64[s]"), "1-D"),
        (np.array(["2026-05-13T00:00", "NaT"], dtype="datetime64[s]"), "NaT at index [1]"),
    ],
)
def test_malformed_times_are_refused(catalog: Catalog, times: np.ndarray, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        propagate(catalog.take([0]), times)


def test_bad_worker_count_is_refused(catalog: Catalog) -> None:
    with pytest.raises(InputError, match="workers=0"):
        propagate(catalog.take([0]), sample_times(), workers=0)


def test_runaway_states_far_from_epoch_are_flagged_not_returned() -> None:
    """STARLINK-37103 was raising its orbit (B* < 0) in May 2026; six months on, SGP4 returns
    it ~10^10 km away with error 0.  Such a state is flagged `RUNAWAY` and NaN."""
    catalog = load_catalog().select_norad([68267, 47728])
    eph = propagate(catalog, parse_instant("2026-11-21T12:00:00Z"))
    assert eph.error[:, 0].tolist() == [RUNAWAY, 0]
    assert np.isnan(eph.r_itrs_km[0, 0]).all()
    assert 6700 < np.linalg.norm(eph.r_itrs_km[1, 0]) < 6900
    assert "too far from its epoch" in SGP4_ERROR_MESSAGES[RUNAWAY]
    near = propagate(catalog, parse_instant("2026-05-14T00:00:00Z"))
    assert near.error[:, 0].tolist() == [0, 0]
