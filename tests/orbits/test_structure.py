"""Structure inference: on generated Walker shells it must recover the generator's labels
exactly; on the real catalog it must find the known Starlink shells with plausible geometry."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sgp4.api import WGS72, Satrec

from leolink.arrays import IntArray
from leolink.errors import InputError
from leolink.orbits.catalog import Catalog
from leolink.orbits.loading import load_catalog
from leolink.orbits.structure import (
    LEFT,
    NEXT,
    PREVIOUS,
    RIGHT,
    Manoeuvre,
    Structure,
    filed_shells,
    infer_structure,
)
from leolink.orbits.walker import WalkerShell, walker_shell

# Named tolerances for the real catalog.
PLANE_WIDTH_KM = 150.0  # out-of-plane offset of an along-plane neighbour: ~1 deg of arc in LEO
ALONG_PLANE_SPACING_FACTOR = 5.0  # nearer along-plane neighbour vs. circumference / plane size


def _expected_slots(shell: WalkerShell) -> IntArray:
    """The slots inference gives: the generator's, except in Hypatia's ``F = P / 2`` pattern.

    There slots count from the ascending node in every plane (Hypatia's convention, see
    `leolink.orbits.structure`), and Walker's slot ``s`` of plane ``p`` is slot ``s + p // 2``.
    """
    P, S = shell.planes, shell.sats_per_plane
    if P % 2 == 0 and 2 * shell.phasing_f == P and shell.raan_spread_deg == 360.0:
        return np.asarray((shell.slot + shell.plane // 2) % S, dtype=np.int64)
    return np.asarray(shell.slot, dtype=np.int64)


def _expected_neighbours(shell: WalkerShell, offset: int = 0) -> IntArray:
    """The +Grid neighbours of the expected labels, as catalog indices (plane-major order)."""
    P, S = shell.planes, shell.sats_per_plane
    p, s = shell.plane, _expected_slots(shell)
    index = np.empty((P, S), dtype=np.int64)
    index[p, s] = np.arange(len(shell))
    spans = shell.raan_spread_deg == 360.0
    expected = np.full((len(shell), 4), -1, dtype=np.int64)
    if S > 1:
        expected[:, PREVIOUS] = index[p, (s - 1) % S]
        expected[:, NEXT] = index[p, (s + 1) % S]
    if P > 1:
        left = np.where(spans | (p > 0), index[(p - 1) % P, s], -1)
        right = np.where(spans | (p < P - 1), index[(p + 1) % P, s], -1)
        expected[:, LEFT], expected[:, RIGHT] = left, right
    return np.where(expected >= 0, expected + offset, -1)


def _assert_recovers(structure: Structure, shell: WalkerShell, index: int, offset: int) -> None:
    """Satellites from ``offset`` on in ``structure`` are ``shell``, as shell ``index``."""
    part = slice(offset, offset + len(shell))
    np.testing.assert_array_equal(structure.shell[part], index)
    np.testing.assert_array_equal(structure.plane[part], shell.plane)
    np.testing.assert_array_equal(structure.slot[part], _expected_slots(shell))
    np.testing.assert_array_equal(structure.neighbours[part], _expected_neighbours(shell, offset))
    summary = structure.shells[index]
    assert summary.planes == shell.planes
    assert summary.sats_per_plane == shell.sats_per_plane
    assert summary.satellites == len(shell)
    assert summary.phasing_f == shell.phasing_f
    assert summary.planes_span_360 == (shell.raan_spread_deg == 360.0 and shell.planes > 1)
    assert summary.altitude_km == pytest.approx(shell.altitude_km, abs=1e-6)
    assert summary.inclination_deg == pytest.approx(shell.inclination_deg, abs=0.05)


def _joined(*catalogs: Catalog) -> Catalog:
    return Catalog(
        names=tuple(n for c in catalogs for n in c.names),
        satrecs=tuple(s for c in catalogs for s in c.satrecs),
    )


@pytest.mark.parametrize(
    ("planes", "sats_per_plane", "phasing_f", "inclination_deg", "altitude_km", "spread_deg"),
    [
        (72, 22, 1, 53.0, 550.0, 360.0),  # Starlink shell 1 as filed
        (72, 22, 39, 53.0, 550.0, 360.0),
        (34, 34, 17, 51.9, 630.0, 360.0),  # Hypatia's half-slot pattern (Kuiper-630)
        (36, 20, 5, 70.0, 570.0, 360.0),
        (6, 58, 1, 97.6, 560.0, 360.0),
        (12, 12, 3, 148.0, 604.0, 360.0),  # retrograde
        (18, 18, 17, 115.7, 614.0, 360.0),
        (24, 10, 0, 90.0, 1000.0, 360.0),  # polar, no phasing
        (6, 11, 2, 86.4, 780.0, 180.0),  # Iridium-like star
        (2, 3, 1, 90.0, 700.0, 180.0),
        (1, 40, 0, 53.0, 550.0, 360.0),  # one plane
        (30, 1, 7, 60.0, 800.0, 360.0),  # one satellite per plane
        (2, 2, 1, 30.0, 1200.0, 360.0),
        (10, 10, 3, 5.0, 550.0, 360.0),  # low but not equatorial
    ],
)
def test_walker_shell_recovered_exactly(
    planes: int,
    sats_per_plane: int,
    phasing_f: int,
    inclination_deg: float,
    altitude_km: float,
    spread_deg: float,
) -> None:
    shell = walker_shell(
        planes,
        sats_per_plane,
        phasing_f,
        inclination_deg,
        altitude_km,
        raan_spread_deg=spread_deg,
    )
    structure = infer_structure(shell.catalog, min_shell_satellites=1)
    assert len(structure.shells) == 1
    assert structure.unassigned == 0
    _assert_recovers(structure, shell, 0, 0)


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    planes=st.integers(1, 30),
    sats_per_plane=st.integers(1, 30),
    inclination_deg=st.one_of(st.floats(15.0, 165.0), st.sampled_from([53.0, 90.0, 97.6])),
    altitude_km=st.floats(300.0, 1500.0),
    star=st.booleans(),
)
def test_any_walker_shell_recovered_exactly(
    data: st.DataObject,
    planes: int,
    sats_per_plane: int,
    inclination_deg: float,
    altitude_km: float,
    star: bool,
) -> None:
    phasing_f = data.draw(st.integers(0, planes - 1), label="phasing_f")
    spread_deg = 180.0 if star else 360.0
    # Plane 0 is the plane of smallest RAAN; for a delta pattern keep raan0 clear of the next
    # plane's wrap-around by 1 deg, beyond the noise of SGP4's short-period terms.
    raan0_high = 359.0 if star else spread_deg / planes - 1.0
    raan0_deg = data.draw(st.floats(0.0, raan0_high), label="raan0_deg")
    shell = walker_shell(
        planes,
        sats_per_plane,
        phasing_f,
        inclination_deg,
        altitude_km,
        raan0_deg=raan0_deg,
        raan_spread_deg=spread_deg,
    )
    structure = infer_structure(shell.catalog, min_shell_satellites=1)
    _assert_recovers(structure, shell, 0, 0)


def test_mixed_shells_in_shuffled_order() -> None:
    # Two shells 0.2 deg and 10 km apart (Starlink's 53.0/550 and 53.2/540), and a polar one.
    shells = [
        walker_shell(72, 22, 1, 53.0, 550.0, name="A"),
        walker_shell(72, 22, 5, 53.2, 540.0, raan0_deg=2.0, name="B", first_norad_id=110_000),
        walker_shell(6, 58, 1, 97.6, 560.0, raan0_deg=30.0, name="C", first_norad_id=120_000),
    ]
    joined = _joined(*(s.catalog for s in shells))
    structure = infer_structure(joined)
    # Shells come ordered by inclination, then altitude.
    assert [s.inclination_deg for s in structure.shells] == pytest.approx(
        [53.0, 53.2, 97.6], abs=0.05
    )
    offsets = np.cumsum([0] + [len(s) for s in shells])
    for index, shell in enumerate(shells):
        _assert_recovers(structure, shell, index, int(offsets[index]))

    permutation = np.random.default_rng(20260513).permutation(len(joined))
    shuffled = infer_structure(joined.take(permutation))
    np.testing.assert_array_equal(shuffled.shell, structure.shell[permutation])
    np.testing.assert_array_equal(shuffled.plane, structure.plane[permutation])
    np.testing.assert_array_equal(shuffled.slot, structure.slot[permutation])
    # Neighbours are catalog indices: map the shuffled ones back to the original order.
    back = permutation[shuffled.neighbours]
    np.testing.assert_array_equal(back, structure.neighbours[permutation])
    assert shuffled.shells == structure.shells


def _re_epoched(shell: WalkerShell, shift_days: np.ndarray) -> Catalog:
    """``shell``'s satellites, each given as an element set of another epoch (``shift_days``
    later): the same orbits, with the mean node and mean argument of latitude moved on at
    SGP4's own secular rates (``nodedot``, ``mdot + argpdot``), as a real catalog holds
    element sets of satellites of one plane published at different times."""
    satrecs = []
    for satrec, days in zip(shell.catalog.satrecs, shift_days.tolist(), strict=True):
        minutes = days * 1440.0
        moved = Satrec()
        moved.sgp4init(
            WGS72,
            "i",
            satrec.satnum,
            satrec.jdsatepoch + satrec.jdsatepochF - 2433281.5 + days,
            0.0,
            0.0,
            0.0,
            satrec.ecco,
            0.0,
            satrec.inclo,
            (satrec.mo + (satrec.mdot + satrec.argpdot) * minutes) % (2 * np.pi),
            satrec.no_kozai,
            (satrec.nodeo + satrec.nodedot * minutes) % (2 * np.pi),
        )
        satrecs.append(moved)
    return Catalog(names=shell.catalog.names, satrecs=tuple(satrecs))


def test_planes_of_element_sets_of_different_epochs() -> None:
    """Element sets up to 3 days apart: at their own epochs the RAANs of one plane differ by up
    to 27 deg (the node regresses ~4.5 deg a day at 53 deg, 550 km), more than the 15 deg
    between planes; carried to one instant (J2's secular node drift) they line up again."""
    shell = walker_shell(24, 20, 5, 53.0, 550.0)
    shift_days = np.random.default_rng(11).uniform(-3.0, 3.0, len(shell))
    moved = _re_epoched(shell, shift_days)
    raan_at_own_epoch = moved.raan_deg.reshape(24, 20)
    spread = np.ptp((raan_at_own_epoch - raan_at_own_epoch[:, :1] + 180.0) % 360.0, axis=1)
    assert spread.max() > 360.0 / 24
    structure = infer_structure(moved, at=shell.epoch, min_shell_satellites=1)
    _assert_recovers(structure, shell, 0, 0)


def _failing_satrec() -> Satrec:
    """An element set whose perigee lies inside the Earth: SGP4 error 6 ("decayed")."""
    satrec = Satrec()
    # Epoch 2026-05-13T00:00Z (days since 1949-12-31), at perigee (mean anomaly 0).
    satrec.sgp4init(WGS72, "i", 99_999, 27892.0, 0.0, 0.0, 0.0, 0.5, 0.0, 0.9, 0.0, 0.0675, 0.0)
    return satrec


def test_stragglers_are_manoeuvring_and_failures_unassigned() -> None:
    shell = walker_shell(10, 10, 3, 53.0, 550.0)
    # Satellites raising their orbit: same inclination, scattered altitudes.
    raising = [
        walker_shell(1, 1, 0, 53.0, km, first_norad_id=200_000 + i).catalog
        for i, km in enumerate((350.0, 420.0, 470.0, 545.0))
    ]
    failing = Catalog(names=("DECAYED",), satrecs=(_failing_satrec(),))
    joined = _joined(shell.catalog, *raising, failing)
    structure = infer_structure(joined, at=np.datetime64("2026-05-13T00:00:00", "ns"))
    assert len(structure.shells) == 1
    assert structure.unassigned == 1  # SGP4 cannot place the decayed one
    assert structure.shells[0].manoeuvring == 4
    _assert_recovers(structure, shell, 0, 0)
    rest = slice(len(shell), None)
    np.testing.assert_array_equal(structure.home_shell[rest], [0, 0, 0, 0, -1])
    # Drag-free generated elements: no mean-motion trend, so parked off the shell.
    np.testing.assert_array_equal(
        structure.manoeuvre[rest], [Manoeuvre.PARKED] * 4 + [Manoeuvre.UNASSIGNED]
    )
    assert np.all(structure.shell[rest] == -1)
    assert np.all(structure.plane[rest] == -1)
    assert np.all(structure.slot[rest] == -1)
    assert np.all(structure.neighbours[rest] == -1)
    assert not np.isin(np.arange(len(shell), len(joined)), structure.neighbours).any()
    assert np.isnan(structure.r_teme_km[-1]).all()
    assert np.isnan(structure.raan_deg[-1])


def test_small_groups_are_not_shells_by_default() -> None:
    # 24 satellites are a launch batch, not a shell, unless the caller says otherwise.
    shell = walker_shell(6, 4, 1, 53.0, 550.0)
    assert infer_structure(shell.catalog).unassigned == 24
    assert infer_structure(shell.catalog, min_shell_satellites=24).unassigned == 0


def test_equatorial_shell_is_one_plane() -> None:
    shell = walker_shell(4, 6, 1, 0.0, 8000.0)
    structure = infer_structure(shell.catalog, min_shell_satellites=1)
    (summary,) = structure.shells
    assert (summary.planes, summary.sats_per_plane, summary.satellites) == (1, 24, 24)
    assert np.all(structure.plane == 0)
    assert sorted(structure.slot) == list(range(24))
    # Ordered by true longitude, RAAN + u: 360 p / 4 + 360 s / 6 + 360 p / 24.
    longitude = (shell.plane * 90.0 + shell.slot * 60.0 + shell.plane * 15.0) % 360.0
    assert np.all(np.diff(longitude[np.argsort(structure.slot)]) > 0)
    assert np.all(structure.left == -1)
    assert np.all(structure.right == -1)


def test_empty_catalog() -> None:
    empty = Catalog(names=(), satrecs=())
    structure = infer_structure(empty, at="2026-05-13T00:00:00Z")
    assert len(structure) == 0
    assert structure.shells == ()
    assert structure.neighbours.shape == (0, 4)
    with pytest.raises(InputError, match="catalog is empty"):
        infer_structure(empty)


@pytest.mark.parametrize(
    ("keywords", "named"),
    [
        ({"inclination_gap_deg": 0.0}, "inclination_gap_deg=0.0"),
        ({"settled_band_km": -1.0}, "settled_band_km=-1.0"),
        ({"min_shell_satellites": 0}, "min_shell_satellites=0"),
        ({"min_shell_satellites": 2.5}, "min_shell_satellites=2.5"),
        ({"at": "yesterday"}, "'yesterday' is not an ISO 8601"),
    ],
)
def test_malformed_parameters_are_refused(keywords: dict[str, object], named: str) -> None:
    shell = walker_shell(2, 2, 1, 53.0, 550.0)
    with pytest.raises(InputError, match=named):
        infer_structure(shell.catalog, **keywords)  # type: ignore[arg-type]


# --- the real catalog ----------------------------------------------------------------------


@dataclass(frozen=True)
class Real:
    catalog: Catalog
    structure: Structure


@pytest.fixture(scope="module")
def real() -> Real:
    catalog = load_catalog()
    return Real(catalog, infer_structure(catalog))


# The Starlink shells of the 2026-05-13 catalog: (inclination, altitude range km, planes range).
# Gen1 53.2/540, 70/570 and the polar shells are where the FCC put them; the 550 km shell has
# come down to ~475 km and the Gen2 43 deg shell sits at ~485 km (FCC 2026 lowering order).
KNOWN_SHELLS = [
    (53.2, (535.0, 545.0), (60, 80)),  # Gen1 shell 2: 72 planes filed
    (70.0, (565.0, 575.0), (30, 40)),  # Gen1 shell 3: 36 planes filed
    (97.5, (540.0, 560.0), (10, 30)),  # Gen1 polar shells, 560 km filed
    (53.16, (470.0, 480.0), (50, 80)),  # Gen1 shell 1, 550 km filed, lowered in 2026
    (43.0, (480.0, 490.0), (28, 130)),  # Gen2 43 deg, 530 km filed, lowered
]


@pytest.mark.parametrize(("inclination_deg", "altitude_range_km", "planes_range"), KNOWN_SHELLS)
def test_real_catalog_has_the_known_shells(
    real: Real,
    inclination_deg: float,
    altitude_range_km: tuple[float, float],
    planes_range: tuple[int, int],
) -> None:
    matches = [
        s
        for s in real.structure.shells
        if abs(s.inclination_deg - inclination_deg) < 0.15
        and altitude_range_km[0] <= s.altitude_km <= altitude_range_km[1]
    ]
    biggest = max(matches, key=lambda s: s.satellites)
    assert planes_range[0] <= biggest.planes <= planes_range[1]
    assert biggest.satellites >= 400
    assert 10 <= biggest.sats_per_plane <= 60


def test_real_catalog_is_mostly_assigned(real: Real) -> None:
    structure = real.structure
    assert len(structure) == len(real.catalog) == 10_361
    assert structure.unassigned == np.count_nonzero(structure.home_shell < 0)
    settled = sum(s.satellites for s in structure.shells)
    manoeuvring = sum(s.manoeuvring for s in structure.shells)
    assert settled == np.count_nonzero(structure.shell >= 0)
    assert settled + manoeuvring + structure.unassigned == len(structure)
    assert settled > 0.75 * len(structure)
    np.testing.assert_array_equal(structure.manoeuvre == Manoeuvre.SETTLED, structure.shell >= 0)
    assert len(structure.shells) >= 8


def test_real_slots_and_along_plane_links_are_consistent(real: Real) -> None:
    structure = real.structure
    assigned = np.flatnonzero(structure.shell >= 0)
    planes = Counter(zip(structure.shell[assigned], structure.plane[assigned], strict=True))
    for (shell, plane), size in planes.items():
        members = np.flatnonzero((structure.shell == shell) & (structure.plane == plane))
        assert sorted(structure.slot[members]) == list(range(size))
    linked = assigned[structure.next[assigned] >= 0]
    # Along-plane links go round each plane: next then previous comes back.
    np.testing.assert_array_equal(structure.previous[structure.next[linked]], linked)
    for column in (PREVIOUS, NEXT, LEFT, RIGHT):
        others = structure.neighbours[assigned, column]
        has = others >= 0
        assert np.all(structure.shell[others[has]] == structure.shell[assigned[has]])
    single = [key for key, size in planes.items() if size == 1]
    assert len(linked) == len(assigned) - len(single)


def test_real_along_plane_neighbours_are_close_and_coplanar(real: Real) -> None:
    structure = real.structure
    assigned = np.flatnonzero(structure.next >= 0)
    r_km = structure.r_teme_km
    inclination = np.radians(structure.inclination_deg[assigned])
    raan = np.radians(structure.raan_deg[assigned])
    normal = np.stack(
        [
            np.sin(inclination) * np.sin(raan),
            -np.sin(inclination) * np.cos(raan),
            np.cos(inclination),
        ],
        axis=1,
    )
    sizes = Counter(zip(structure.shell[assigned], structure.plane[assigned], strict=True))
    plane_size = np.array(
        [sizes[k] for k in zip(structure.shell[assigned], structure.plane[assigned], strict=True)]
    )
    spacing_km = 2 * np.pi * np.linalg.norm(r_km[assigned], axis=1) / plane_size
    nearer_km = np.full(len(assigned), np.inf)
    for column in (PREVIOUS, NEXT):
        other = structure.neighbours[assigned, column]
        out_of_plane_km = np.abs(np.sum(r_km[other] * normal, axis=1))
        assert out_of_plane_km.max() < PLANE_WIDTH_KM
        nearer_km = np.minimum(nearer_km, np.linalg.norm(r_km[other] - r_km[assigned], axis=1))
    ratio = nearer_km / spacing_km
    assert ratio.max() < ALONG_PLANE_SPACING_FACTOR
    assert 0.7 < np.median(ratio) < 1.3


def test_real_across_plane_neighbours_are_in_adjacent_planes(real: Real) -> None:
    structure = real.structure
    for index, summary in enumerate(structure.shells):
        members = np.flatnonzero(structure.shell == index)
        for column, step in ((LEFT, -1), (RIGHT, 1)):
            others = structure.neighbours[members, column]
            has = others >= 0
            expected = structure.plane[members[has]] + step
            if summary.planes_span_360:
                expected %= summary.planes
            np.testing.assert_array_equal(structure.plane[others[has]], expected)
            # Only the edge plane of a shell that does not go round lacks a neighbour there.
            if summary.planes_span_360:
                assert np.all(has)
            elif summary.planes > 1:
                edge = 0 if step < 0 else summary.planes - 1
                assert np.all(structure.plane[members[~has]] == edge)


def test_real_shells_matched_to_their_filings(real: Real) -> None:
    """Each shell names the FCC filing it is nearest to; the 540 km shell is flown as filed."""
    filed = dict(zip(real.structure.shells, filed_shells(real.structure.shells), strict=True))
    by_name = {spec.name: shell for shell, spec in filed.items() if spec is not None}
    assert len(by_name) == sum(spec is not None for spec in filed.values())  # one to one
    gen1_540 = by_name["Gen1-540km-53.2deg-72x22"]
    assert gen1_540.planes == 72
    assert abs(gen1_540.altitude_km - 540.0) < 2.0
    assert by_name["Gen1-570km-70deg-36x20"].inclination_deg == pytest.approx(70.0, abs=0.05)
    assert by_name["Gen2-530km-43deg-28x120"].altitude_km == pytest.approx(485.0, abs=3.0)


def test_real_43_deg_planes_are_a_lattice_not_a_split(real: Real) -> None:
    """The Gen2 43 deg shell at 485 km has ~98 planes, not the 28 of the 2022 filing, and they
    are real: their RAANs step evenly by ~3.6 deg (a 99-plane lattice with one plane empty)
    round the whole equator.  Planes cut out of 28 wider ones would leave gaps of 12.9 deg
    between groups of close ones."""
    structure = real.structure
    index = next(
        k
        for k, s in enumerate(structure.shells)
        if abs(s.inclination_deg - 43.0) < 0.1 and 480.0 < s.altitude_km < 490.0
    )
    shell = structure.shells[index]
    assert 90 <= shell.planes <= 100
    members = np.flatnonzero(structure.shell == index)
    z = np.exp(1j * np.radians(structure.raan_deg[members]))
    centres = np.array(
        [np.degrees(np.angle(z[structure.plane[members] == p].mean())) for p in range(shell.planes)]
    )
    gaps = np.diff(np.append(np.sort(centres % 360.0), np.sort(centres % 360.0)[0] + 360.0))
    assert np.median(gaps) == pytest.approx(360.0 / 99, abs=0.1)
    assert gaps.min() > 3.0
    assert np.count_nonzero(gaps > 1.5 * np.median(gaps)) <= 2  # empty lattice places
