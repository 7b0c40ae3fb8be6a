"""Walker shells (Walker 1984) as SGP4 element sets, and the FCC Starlink shell table."""

from __future__ import annotations

import csv
import math
from importlib import resources
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leolink.errors import InputError
from leolink.orbits.walker import (
    DEFAULT_EPOCH,
    DEFAULT_FIRST_NORAD_ID,
    ShellSpec,
    starlink_shells,
    walker_shell,
)
from leolink.time import datetime64_to_jd_fr, parse_instant

# Named tolerances.
ONE_METRE_KM = 1e-3  # the brief: the requested altitude within 1 m
ONE_MICROMETRE_KM = 1e-9  # what the mean-motion iteration actually reaches
ANGLE_EXACT_DEG = 1e-9  # elements we wrote ourselves, read back in degrees
J2_SHORT_PERIOD_DEG = 0.2  # osculating RAAN / argument of latitude vs. mean, LEO


def _osculating_raan_and_u_deg(satrecs: tuple[Any, ...], when: np.datetime64) -> np.ndarray:
    """RAAN and argument of latitude (degrees, ``(S, 2)``) from SGP4's TEME r, v at ``when``."""
    jd, fr = datetime64_to_jd_fr(when)
    out = []
    for satrec in satrecs:
        error, r, v = satrec.sgp4(float(jd), float(fr))
        assert error == 0
        h = np.cross(r, v)
        node = np.array([-h[1], h[0], 0.0])
        node /= np.linalg.norm(node)
        ahead = np.cross(h / np.linalg.norm(h), node)
        raan = math.degrees(math.atan2(node[1], node[0])) % 360.0
        u = math.degrees(math.atan2(np.dot(r, ahead), np.dot(r, node))) % 360.0
        out.append((raan, u))
    return np.array(out)


def _angle_difference_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs((np.asarray(a) - np.asarray(b) + 180.0) % 360.0 - 180.0)


def test_walker_pattern_of_mean_elements() -> None:
    # Walker 1984: RAAN = raan0 + p * 360 / P, u = 360 s / S + 360 F p / (P S).
    shell = walker_shell(8, 5, 3, 53.0, 550.0, raan0_deg=10.0)
    catalog = shell.catalog
    assert len(shell) == 40
    expected_raan = (10.0 + shell.plane * 45.0) % 360.0
    expected_u = (shell.slot * 72.0 + shell.plane * 3 * 360.0 / 40) % 360.0
    assert np.all(_angle_difference_deg(catalog.raan_deg, expected_raan) < ANGLE_EXACT_DEG)
    assert np.all(
        _angle_difference_deg(catalog.mean_anomaly_deg + catalog.arg_perigee_deg, expected_u)
        < ANGLE_EXACT_DEG
    )
    assert np.allclose(catalog.inclination_deg, 53.0, rtol=0, atol=ANGLE_EXACT_DEG)
    assert np.all(catalog.eccentricity == 0.0)
    assert list(shell.plane[:6]) == [0, 0, 0, 0, 0, 1]
    assert list(shell.slot[:6]) == [0, 1, 2, 3, 4, 0]
    assert catalog.names[:2] == ("SHELL-0-0", "SHELL-0-1")
    assert catalog.names[-1] == "SHELL-7-4"
    assert list(catalog.norad_ids) == list(
        range(DEFAULT_FIRST_NORAD_ID, DEFAULT_FIRST_NORAD_ID + 40)
    )
    assert np.all(catalog.epochs == parse_instant(DEFAULT_EPOCH))


def test_walker_pattern_in_sgp4_positions() -> None:
    # The pattern holds for the propagated positions too, up to J2's short-period terms.
    shell = walker_shell(6, 4, 1, 70.0, 570.0)
    angles = _osculating_raan_and_u_deg(shell.catalog.satrecs, shell.epoch)
    assert np.all(_angle_difference_deg(angles[:, 0], shell.plane * 60.0) < J2_SHORT_PERIOD_DEG)
    expected_u = shell.slot * 90.0 + shell.plane * 360.0 / 24
    assert np.all(_angle_difference_deg(angles[:, 1], expected_u) < J2_SHORT_PERIOD_DEG)


def test_star_pattern_spreads_nodes_over_180_degrees() -> None:
    shell = walker_shell(6, 11, 2, 86.4, 780.0, raan_spread_deg=180.0)
    assert np.allclose(np.unique(shell.catalog.raan_deg), np.arange(6) * 30.0)


@pytest.mark.parametrize(
    ("altitude_km", "inclination_deg", "eccentricity"),
    [
        (550.0, 53.0, 0.0),
        (480.0, 53.16, 0.0),
        (340.0, 97.3, 0.0),
        (570.0, 70.0, 0.001),
        (1200.0, 0.0, 0.0),
        (1200.0, 180.0, 0.01),
        (20_200.0, 55.0, 0.0),  # deep space (period over 225 min) is initialised all the same
    ],
)
def test_altitude_read_back_exactly(
    altitude_km: float, inclination_deg: float, eccentricity: float
) -> None:
    shell = walker_shell(3, 2, 1, inclination_deg, altitude_km, eccentricity=eccentricity)
    error_km = np.abs(shell.catalog.mean_altitude_km - altitude_km)
    assert np.all(error_km < ONE_MICROMETRE_KM)


@settings(max_examples=40, deadline=None)
@given(
    altitude_km=st.floats(200.0, 2000.0),
    inclination_deg=st.floats(0.0, 180.0),
    eccentricity=st.floats(0.0, 0.02),
)
def test_altitude_read_back_within_a_metre(
    altitude_km: float, inclination_deg: float, eccentricity: float
) -> None:
    shell = walker_shell(1, 1, 0, inclination_deg, altitude_km, eccentricity=eccentricity)
    assert abs(float(shell.catalog.mean_altitude_km[0]) - altitude_km) < ONE_METRE_KM


def test_epoch_name_and_ids_are_honoured() -> None:
    shell = walker_shell(
        2, 3, 1, 43.0, 485.0, epoch="2026-01-02T03:04:05Z", name="G", first_norad_id=200_000
    )
    assert shell.catalog.epochs[0] == np.datetime64("2026-01-02T03:04:05", "ns")
    assert shell.catalog.names[-1] == "G-1-2"
    assert shell.catalog.norad_ids[-1] == 200_005
    assert "43:6/2/1" in shell.catalog.source


@pytest.mark.parametrize(
    ("arguments", "keywords", "named"),
    [
        ((0, 22, 0, 53.0, 550.0), {}, "planes=0"),
        ((2.5, 22, 0, 53.0, 550.0), {}, "planes=2.5"),
        ((True, 22, 0, 53.0, 550.0), {}, "planes=True"),
        ((72, 0, 1, 53.0, 550.0), {}, "sats_per_plane=0"),
        ((72, 22, 72, 53.0, 550.0), {}, r"phasing_f=72 must be in \[0, 71\]"),
        ((72, 22, -1, 53.0, 550.0), {}, "phasing_f=-1"),
        ((72, 22, 1, -0.1, 550.0), {}, r"inclination_deg=-0.1 must be in \[0, 180\]"),
        ((72, 22, 1, 180.5, 550.0), {}, "inclination_deg=180.5"),
        ((72, 22, 1, math.nan, 550.0), {}, "inclination_deg=nan"),
        ((72, 22, 1, 53.0, 0.0), {}, "altitude_km=0.0 must be a positive"),
        ((72, 22, 1, 53.0, -550.0), {}, "altitude_km=-550.0"),
        ((72, 22, 1, 53.0, math.inf), {}, "altitude_km=inf"),
        ((72, 22, 1, 53.0, 550.0), {"eccentricity": 1.0}, r"eccentricity=1.0 must be in \[0, 1\)"),
        ((72, 22, 1, 53.0, 550.0), {"eccentricity": 0.5}, "perigee .* below the Earth's surface"),
        ((72, 22, 1, 53.0, 550.0), {"raan_spread_deg": 0.0}, r"raan_spread_deg=0.0 .*\(0, 360\]"),
        ((72, 22, 1, 53.0, 550.0), {"raan_spread_deg": 400.0}, "raan_spread_deg=400.0"),
        ((72, 22, 1, 53.0, 550.0), {"raan0_deg": math.nan}, "raan0_deg=nan"),
        ((72, 22, 1, 53.0, 550.0), {"first_norad_id": 339_000}, "first_norad_id=339000"),
        ((72, 22, 1, 53.0, 550.0), {"epoch": "2026-05-13 00:00"}, "not an ISO 8601 UTC instant"),
    ],
)
def test_malformed_input_is_refused_by_name(
    arguments: tuple[float, ...], keywords: dict[str, object], named: str
) -> None:
    with pytest.raises(InputError, match=named):
        walker_shell(*arguments, **keywords)  # type: ignore[arg-type]


def _csv_rows() -> list[dict[str, str]]:
    ref = resources.files("leolink.data").joinpath("starlink-shells-fcc.csv")
    return list(csv.DictReader(ref.read_text(encoding="utf-8").splitlines()))


def test_starlink_shells_follow_the_fcc_table() -> None:
    shells = starlink_shells()
    rows = _csv_rows()
    assert len(shells) == len(rows) == 14
    assert len({s.name for s in shells}) == len(shells)
    for spec, row in zip(shells, rows, strict=True):
        # The table's own total column checks planes x satellites per plane.
        assert spec.satellites == int(row["total"])
        assert spec.altitude_km == float(row["altitude_km"])
        assert spec.min_elevation_deg == 25.0
        assert spec.status in {"deployed", "granted", "requested", "deferred"}
        assert spec.source
        assert "same" not in spec.source.split(";")[0]
    first = shells[0]
    assert first == ShellSpec(
        name="Gen1-550km-53deg-72x22",
        generation="Gen1",
        altitude_km=550.0,
        inclination_deg=53.0,
        planes=72,
        sats_per_plane=22,
        min_elevation_deg=25.0,
        status="deployed",
        source=first.source,
        authority=first.authority,
        note=first.note,
    )
    assert "480 km" in first.note
    assert [s.generation for s in shells].count("Gen1") == 5
    polar = [s for s in shells if s.inclination_deg == 97.6]
    assert [(s.planes, s.sats_per_plane) for s in polar] == [(6, 58), (4, 43)]
    # "same" in the source column repeats the last source given, without the row's own remark.
    assert shells[7].source == shells[5].source
    assert "NB" in shells[6].source


def test_starlink_shell_builds_as_walker_delta() -> None:
    spec = next(s for s in starlink_shells() if s.altitude_km == 570.0)
    shell = spec.walker()
    assert (shell.planes, shell.sats_per_plane, shell.phasing_f) == (36, 20, 1)
    assert len(shell.catalog) == spec.satellites == 720
    assert np.all(np.abs(shell.catalog.mean_altitude_km - 570.0) < ONE_METRE_KM)
    assert shell.catalog.names[0] == f"{spec.name}-0-0"
    assert spec.walker(phasing_f=7).phasing_f == 7
    with pytest.raises(InputError, match="phasing_f=36"):
        spec.walker(phasing_f=36)
