"""TLE reader: real records, every kind of malformation, duplicates, and corruption detection."""

from __future__ import annotations

import itertools
import logging
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sgp4.api import Satrec
from sgp4.io import compute_checksum

from leolink.errors import DuplicateElementSetError, TLEFormatError
from leolink.orbits.tle import (
    TLE_LINE1_TEMPLATE,
    TLE_LINE2_TEMPLATE,
    parse_tle,
    tle_checksum,
    tle_to_satrec,
)

DATA = Path(__file__).parent.parent / "data"

# Six real records of the embedded catalog (src/leolink/data/starlink-2026-05-13.tle.gz), one
# from each inclination group, copied unchanged to tests/data/starlink-sample.tle.
SAMPLE_TEXT = (DATA / "starlink-sample.tle").read_text()
SAMPLE_LINES = SAMPLE_TEXT.splitlines()
NAME, L1, L2 = SAMPLE_LINES[0], SAMPLE_LINES[1], SAMPLE_LINES[2]
RECORDS = [tuple(SAMPLE_LINES[i : i + 3]) for i in range(0, len(SAMPLE_LINES), 3)]

# The numbers a TLE's checksum protects: all of SGP4's inputs and the bookkeeping integers.
# The classification and the letters of the international designator are not among them: a
# checksum counts letters as 0, so a letter swapped for another cannot be detected.
PROTECTED = (
    "satnum",
    "epochyr",
    "epochdays",
    "jdsatepoch",
    "jdsatepochF",
    "ndot",
    "nddot",
    "bstar",
    "ephtype",
    "elnum",
    "inclo",
    "nodeo",
    "ecco",
    "argpo",
    "mo",
    "no_kozai",
    "revnum",
)


def protected(satrec: Satrec) -> tuple[object, ...]:
    return tuple(getattr(satrec, name) for name in PROTECTED)


def with_checksum(line: str) -> str:
    """``line`` with its checksum recomputed (by sgp4's function, independent of ours)."""
    return line[:68] + str(compute_checksum(line))


def put(line: str, column: int, text: str) -> str:
    """``line`` with ``text`` written from 1-based ``column`` on, checksum recomputed."""
    return with_checksum(line[: column - 1] + text + line[column - 1 + len(text) :])


# --- real records -----------------------------------------------------------------------


def test_a_real_record_reads_as_published() -> None:
    satrec = tle_to_satrec(L1, L2)
    assert satrec.satnum == 44714
    assert satrec.classification == "C"
    assert satrec.intldesg == "19074B"
    assert (satrec.epochyr, satrec.epochdays) == (26, 132.95048611)
    assert satrec.jdsatepoch + satrec.jdsatepochF == pytest.approx(2461173.45048611, abs=1e-9)
    assert satrec.inclo == pytest.approx(0.9277018386295539)  # 53.1534 degrees
    assert satrec.ecco == pytest.approx(0.0001912)
    assert satrec.bstar == pytest.approx(-0.00054858)
    assert (satrec.elnum, satrec.revnum) == (132, 1)
    assert satrec.error == 0


def test_a_3_line_file_gives_names_in_file_order() -> None:
    catalog = parse_tle(SAMPLE_TEXT, source="sample.tle")
    assert len(catalog) == 6
    assert catalog.skipped == 0
    assert catalog.names == (
        "STARLINK-1008",
        "STARLINK-1012",
        "STARLINK-3096",
        "STARLINK-4362",
        "STARLINK-5382",
        "STARLINK-37614",
    )
    assert catalog.norad_ids.tolist() == [44714, 44718, 49131, 53043, 54820, 69041]
    assert catalog.source == "sample.tle"


def test_a_2_line_file_is_named_by_norad_id() -> None:
    text = "\n".join(line for line in SAMPLE_LINES if line[:2] in ("1 ", "2 "))
    catalog = parse_tle(text)
    assert catalog.names[:2] == ("44714", "44718")
    assert len(catalog) == 6


def test_space_track_0_prefix_crlf_blank_lines_and_trailing_spaces_are_accepted() -> None:
    text = f"0 STARLINK-1008\r\n{L1}   \r\n\r\n{L2}\r\n\n"
    catalog = parse_tle(text)
    assert catalog.names == ("STARLINK-1008",)
    assert catalog.skipped == 0


def test_2_and_3_line_records_can_be_mixed() -> None:
    (_, a1, a2), (name_b, b1, b2) = RECORDS[0], RECORDS[1]
    catalog = parse_tle("\n".join([a1, a2, name_b, b1, b2]))
    assert catalog.names == ("44714", "STARLINK-1012")


def test_the_checksum_agrees_with_every_line_of_the_embedded_catalog() -> None:
    for line in SAMPLE_LINES[1::3] + SAMPLE_LINES[2::3]:
        assert tle_checksum(line) == compute_checksum(line) == int(line[68])
    # '-' counts 1, '+', letters, '.' and ' ' count 0.
    assert tle_checksum("-" * 10 + "+.A 9") == (10 + 9) % 10


def test_alpha5_satellite_numbers_read_as_numbers_above_99999() -> None:
    satrec = tle_to_satrec(put(L1, 3, "A0001"), put(L2, 3, "A0001"))
    assert satrec.satnum == 100001
    assert tle_to_satrec(put(L1, 3, "Z9999"), put(L2, 3, "Z9999")).satnum == 339999


def test_satellite_numbers_with_leading_spaces_are_read_as_zeros() -> None:
    satrec = tle_to_satrec(put(L1, 3, "  714"), put(L2, 3, "00714"))
    assert satrec.satnum == 714


def test_vallado_verification_element_sets_pass_except_the_hand_edited_error_cases() -> None:
    """Vallado's 33 verification TLEs (oldest formats, blank fields) are all read, except the
    three he edited by hand to provoke SGP4 errors without updating their checksums."""
    lines = (DATA / "vallado" / "SGP4-VER.TLE").read_text().splitlines()
    pairs = [
        (a, b[:69])  # columns past 69 hold the verification run's start, stop and step
        for a, b in itertools.pairwise(lines)
        if a.startswith("1 ") and b.startswith("2 ")
    ]
    assert len(pairs) == 33
    rejected = []
    for line1, line2 in pairs:
        try:
            tle_to_satrec(line1, line2)
        except TLEFormatError as error:
            rejected.append((line1[2:7], error.problem.split(":")[0]))
    assert rejected == [("33333", "checksum"), ("33334", "checksum"), ("33335", "checksum")]


# --- malformed lines, one kind at a time -----------------------------------------------

# (what, line 1, line 2, which line is blamed, words of the problem)
MALFORMED = [
    ("checksum of line 1", L1[:68] + "9", L2, 1, "checksum"),
    ("checksum of line 2", L1, L2[:68] + "0", 2, "checksum"),
    ("line 1 too short", L1[:68], L2, 1, "68 characters"),
    ("line 2 too long", L1, L2 + "7", 2, "70 characters"),
    ("line 1 numbered 3", "3" + L1[1:], L2, 1, "must start with '1 '"),
    ("line 2 numbered 1", L1, "1" + L2[1:], 2, "must start with '2 '"),
    ("no blank after line number", L1, with_checksum("2-" + L2[2:]), 2, "must start with '2 '"),
    ("epoch without its point", put(L1, 24, "5"), L2, 1, "columns 19-32 (epoch"),
    ("letter in inclination", L1, put(L2, 10, "X"), 2, "columns 9-16 (inclination"),
    ("space inside a number", L1, put(L2, 53, "1 "), 2, "columns 53-63 (mean motion"),
    ("mean motion shifted left", L1, put(L2, 53, "5.46691953 "), 2, "columns 53-63"),
    ("letter in eccentricity", L1, put(L2, 29, "O"), 2, "columns 27-33 (eccentricity"),
    ("field overruns a blank", L1, put(L2, 17, "9"), 2, "column 17 (blank)"),
    ("bad classification", put(L1, 8, "X"), L2, 1, "column 8 (classification)"),
    ("bad international designator", put(L1, 10, "19O"), L2, 1, "columns 10-17"),
    ("bad exponent", put(L1, 59, "*"), L2, 1, "columns 54-61 (BSTAR"),
    ("letter I in Alpha-5", put(L1, 3, "I4714"), put(L2, 3, "I4714"), 1, "columns 3-7"),
    ("Arabic-Indic digit 4", L1, put(L2, 56, "\u0664"), 2, "columns 53-63"),
    ("satellite numbers differ", L1, put(L2, 3, "44715"), 2, "differs from '44714'"),
    ("inclination above 180", L1, put(L2, 9, "190.0000"), 2, "inclination 190.0000"),
    ("node above 360", L1, put(L2, 18, "361.0000"), 2, "right ascension"),
    ("zero mean motion", L1, put(L2, 53, " 0.00000000"), 2, "mean motion must be positive"),
    ("day of year 0", put(L1, 21, "000"), L2, 1, "day of year 0.95048611"),
    ("day 366 of 2026", put(L1, 21, "366"), L2, 1, "does not fall within 2026"),
]


@pytest.mark.parametrize(
    ("line1", "line2", "blamed", "words"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_a_malformed_pair_is_reported_with_line_template_and_text(
    line1: str, line2: str, blamed: int, words: str
) -> None:
    with pytest.raises(TLEFormatError) as raised:
        tle_to_satrec(line1, line2, source="f.tle", line_numbers=(11, 12))
    error = raised.value
    assert words in error.problem
    assert error.path == "f.tle"
    assert error.line_number == 10 + blamed
    assert error.text == (line1 if blamed == 1 else line2).rstrip()
    assert error.template == (TLE_LINE1_TEMPLATE if blamed == 1 else TLE_LINE2_TEMPLATE)
    message = str(error)
    assert message.startswith(f"f.tle:{10 + blamed}: ")
    assert error.template in message
    assert error.text in message


def test_day_366_is_accepted_in_a_leap_year() -> None:
    satrec = tle_to_satrec(put(L1, 19, "24366"), L2)
    assert (satrec.epochyr, satrec.epochdays) == (24, 366.95048611)


def test_templates_have_the_layout_of_a_real_line() -> None:
    for template, line in ((TLE_LINE1_TEMPLATE, L1), (TLE_LINE2_TEMPLATE, L2)):
        assert len(template) == len(line) == 69
        assert all(line[i] == c for i, c in enumerate(template) if c in " .")


# --- record structure in a file, strict and lenient --------------------------------------


def file_with(*middle: str) -> str:
    """A 3-line file: the first sample record, ``middle``, then the last sample record."""
    return "\n".join([*RECORDS[0], *middle, *RECORDS[-1]]) + "\n"


STRUCTURE = [
    ("malformed line 1", ("BROKEN", L1[:68] + "0", L2), 5, "checksum"),
    ("line 1 without line 2", ("LONELY", L1), 5, "line 1 without a line 2 after it"),
    ("line 2 without line 1", ("HEADLESS", L2), 5, "line 2 without a line 1 before it"),
    ("name without element set", ("NAME ONLY",), 4, "name line without an element set"),
    ("damaged line number", ("DAMAGED", "x" + L1[1:], L2), 5, "must start with '1 '"),
]


@pytest.mark.parametrize(
    ("middle", "line_number", "words"),
    [case[1:] for case in STRUCTURE],
    ids=[case[0] for case in STRUCTURE],
)
def test_lenient_reading_skips_one_broken_record_and_says_where(
    middle: tuple[str, ...], line_number: int, words: str
) -> None:
    catalog = parse_tle(file_with(*middle), source="f.tle")
    assert catalog.names == ("STARLINK-1008", "STARLINK-37614")
    assert catalog.skipped == 1
    (problem,) = catalog.problems
    assert type(problem) is TLEFormatError
    assert (problem.path, problem.line_number) == ("f.tle", line_number)
    assert words in problem.problem


@pytest.mark.parametrize(
    ("middle", "line_number", "words"),
    [case[1:] for case in STRUCTURE],
    ids=[case[0] for case in STRUCTURE],
)
def test_strict_reading_raises_at_the_broken_record(
    middle: tuple[str, ...], line_number: int, words: str
) -> None:
    with pytest.raises(TLEFormatError) as raised:
        parse_tle(file_with(*middle), source="f.tle", strict=True)
    assert raised.value.line_number == line_number
    assert words in raised.value.problem


def test_a_truncated_file_reports_its_last_line() -> None:
    catalog = parse_tle("\n".join([*RECORDS[0], NAME, L1]))
    assert len(catalog) == 1
    assert [(p.line_number, p.problem) for p in catalog.problems] == [
        (5, "line 1 without a line 2 after it")
    ]


def test_strict_raises_the_first_of_several_problems() -> None:
    text = file_with("ONE", L1[:68] + "0", L2, "TWO", L1, L2[:68] + "0")
    with pytest.raises(TLEFormatError) as raised:
        parse_tle(text, strict=True)
    assert raised.value.line_number == 5
    lenient = parse_tle(text)
    assert [p.line_number for p in lenient.problems] == [5, 9]


def test_text_without_element_sets_gives_an_empty_catalog_with_its_problems() -> None:
    catalog = parse_tle("just\nsome words\n")
    assert len(catalog) == 0
    assert catalog.skipped == 2


# --- duplicates -------------------------------------------------------------------------

OLDER_L1 = put(L1, 21, "131.95048611")  # one day before the real epoch


@pytest.mark.parametrize("older_first", [True, False])
def test_a_duplicate_norad_id_keeps_the_newest_epoch_and_records_the_other(
    older_first: bool,
) -> None:
    older, newer = ("OLD", OLDER_L1, L2), ("NEW", L1, L2)
    first, second = (older, newer) if older_first else (newer, older)
    catalog = parse_tle("\n".join([*first, *RECORDS[1], *second]), source="d.tle")
    assert catalog.names == (("STARLINK-1012", "NEW") if older_first else ("NEW", "STARLINK-1012"))
    assert catalog.satrecs[catalog.names.index("NEW")].epochdays == 132.95048611
    (problem,) = catalog.problems
    assert isinstance(problem, DuplicateElementSetError)
    assert problem.text == OLDER_L1
    assert problem.line_number == (2 if older_first else 8)
    assert "duplicate NORAD 44714 (OLD)" in str(problem)
    assert f"line {8 if older_first else 2} is at least as new" in str(problem)


def test_equal_epochs_keep_the_later_record() -> None:
    catalog = parse_tle("\n".join(["FIRST", L1, L2, "SECOND", L1, L2]))
    assert catalog.names == ("SECOND",)
    assert catalog.problems[0].line_number == 2


def test_strict_reading_raises_on_a_duplicate() -> None:
    with pytest.raises(DuplicateElementSetError):
        parse_tle("\n".join(["A", L1, L2, "B", OLDER_L1, L2]), strict=True)


# --- corruption detection ---------------------------------------------------------------


def assert_detected_or_unchanged(
    lines: tuple[str, str], which: int, column: int, char: str, original: tuple[object, ...]
) -> None:
    """A single-character corruption must be refused or leave the protected numbers as they
    were: a checksum detects every changed digit except 1 <-> '-', the column checks the rest."""
    corrupted = list(lines)
    line = corrupted[which]
    corrupted[which] = line[:column] + char + line[column + 1 :]
    try:
        satrec = tle_to_satrec(corrupted[0], corrupted[1])
    except TLEFormatError:
        return
    assert protected(satrec) == original, (corrupted[which], char)


def test_every_printable_single_character_corruption_is_detected_or_harmless() -> None:
    """Exhaustive over one real record: 2 lines x 69 columns x 95 printable characters."""
    lines = (L1, L2)
    original = protected(tle_to_satrec(*lines))
    for which in (0, 1):
        for column in range(69):
            for char in string.printable[:95]:
                assert_detected_or_unchanged(lines, which, column, char, original)


@settings(max_examples=400, deadline=None)
@given(
    record=st.sampled_from(RECORDS),
    which=st.sampled_from([0, 1]),
    column=st.integers(0, 68),
    char=st.characters(),
)
def test_any_single_character_corruption_is_detected_or_harmless(
    record: tuple[str, str, str], which: int, column: int, char: str
) -> None:
    lines = (record[1], record[2])
    original = protected(tle_to_satrec(*lines))
    assert_detected_or_unchanged(lines, which, column, char, original)


def test_a_summary_is_logged_not_warned(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="leolink.orbits.tle"):
        parse_tle(file_with("BROKEN", L1[:68] + "0", L2), source="f.tle")
    assert caplog.messages == ["f.tle: 2 element sets read, 1 skipped"]
