"""Reading two-line element sets (TLE), in 2-line and 3-line (named) files.

The TLE format was designed for punch cards: every field sits in fixed columns and each line
ends with a modulo-10 checksum of its digits (a ``-`` counts 1).  This module checks all of
that, column by column, before handing a pair of lines to `sgp4.api.Satrec.twoline2rv`, whose
``scanf``-based parser accepts almost anything without complaint.  A malformed record is
reported as a `leolink.errors.TLEFormatError` that shows the line under the template it should
follow, the way Skyfield and the ``sgp4`` package do.

Layout: CelesTrak, "NORAD Two-Line Element Set Format", https://celestrak.org/NORAD/documentation/tle-fmt.php;
Alpha-5 satellite numbers: https://www.space-track.org/documentation#tle-alpha5.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Final, NamedTuple

from sgp4.alpha5 import from_alpha5
from sgp4.api import WGS72, Satrec

from leolink.errors import DuplicateElementSetError, TLEFormatError
from leolink.orbits.catalog import Catalog

__all__ = [
    "TLE_LINE1_TEMPLATE",
    "TLE_LINE2_TEMPLATE",
    "parse_tle",
    "tle_checksum",
    "tle_to_satrec",
]

_log = logging.getLogger(__name__)

#: Line 1 of the standard template: ``N`` a digit, ``A`` a letter, ``C`` the classification.
TLE_LINE1_TEMPLATE: Final = "1 NNNNNC NNNNNAAA NNNNN.NNNNNNNN +.NNNNNNNN +NNNNN-N +NNNNN-N N NNNNN"
#: Line 2 of the standard template; the last ``N`` of each line is its checksum.
TLE_LINE2_TEMPLATE: Final = "2 NNNNN NNN.NNNN NNN.NNNN NNNNNNN NNN.NNNN NNN.NNNN NN.NNNNNNNNNNNNNN"

_LINE_LENGTH: Final = 69


def _right_justified(int_digits: int, frac_digits: int | None = None) -> str:
    """Pattern of a number right-justified in ``int_digits`` columns (leading spaces allowed),
    with ``frac_digits`` digits after a point in fixed columns when given."""
    integer = "|".join(" " * pad + f"[0-9]{{{int_digits - pad}}}" for pad in range(int_digits))
    if frac_digits is None:
        return f"(?:{integer})"
    return rf"(?:{integer})\.[0-9]{{{frac_digits}}}"


# Alpha-5: a leading letter (I and O excluded) stands for 10-33 ten-thousands.
_SATNUM: Final = rf"(?:[A-HJ-NP-Z][0-9]{{4}}|{_right_justified(5)})"
_EXPONENTIAL: Final = r"[ +-][0-9]{5}[ +-][0-9]"


class _Field(NamedTuple):
    name: str
    first_column: int  # 1-based, inclusive, as in the format's documentation
    last_column: int
    pattern: str


_LINE1_FIELDS: Final = (
    _Field("line number", 1, 1, "1"),
    _Field("blank", 2, 2, " "),
    _Field("satellite number", 3, 7, _SATNUM),
    _Field("classification", 8, 8, "[UCS ]"),
    _Field("blank", 9, 9, " "),
    _Field("international designator", 10, 17, r"(?:[0-9]{5}(?:[A-Z]{3}|[A-Z]{2} |[A-Z]  )| {8})"),
    _Field("blank", 18, 18, " "),
    _Field("epoch (year, day of year)", 19, 32, r"[0-9]{5}\.[0-9]{8}"),
    _Field("blank", 33, 33, " "),
    _Field("first derivative of mean motion", 34, 43, r"[ +-]\.[0-9]{8}"),
    _Field("blank", 44, 44, " "),
    _Field("second derivative of mean motion", 45, 52, _EXPONENTIAL),
    _Field("blank", 53, 53, " "),
    _Field("BSTAR drag term", 54, 61, _EXPONENTIAL),
    _Field("blank", 62, 62, " "),
    _Field("ephemeris type", 63, 63, "[0-9 ]"),
    _Field("blank", 64, 64, " "),
    _Field("element set number", 65, 68, _right_justified(4)),
    _Field("checksum", 69, 69, "[0-9]"),
)

_LINE2_FIELDS: Final = (
    _Field("line number", 1, 1, "2"),
    _Field("blank", 2, 2, " "),
    _Field("satellite number", 3, 7, _SATNUM),
    _Field("blank", 8, 8, " "),
    _Field("inclination (degrees)", 9, 16, _right_justified(3, 4)),
    _Field("blank", 17, 17, " "),
    _Field("right ascension of the ascending node (degrees)", 18, 25, _right_justified(3, 4)),
    _Field("blank", 26, 26, " "),
    _Field("eccentricity (decimal point assumed)", 27, 33, "[0-9]{7}"),
    _Field("blank", 34, 34, " "),
    _Field("argument of perigee (degrees)", 35, 42, _right_justified(3, 4)),
    _Field("blank", 43, 43, " "),
    _Field("mean anomaly (degrees)", 44, 51, _right_justified(3, 4)),
    _Field("blank", 52, 52, " "),
    _Field("mean motion (revolutions per day)", 53, 63, _right_justified(2, 8)),
    _Field("revolution number at epoch", 64, 68, _right_justified(5)),
    _Field("checksum", 69, 69, "[0-9]"),
)


def _line_pattern(fields: tuple[_Field, ...]) -> re.Pattern[str]:
    return re.compile("".join(f"({f.pattern})" for f in fields), re.ASCII)


_LINE1_RE: Final = _line_pattern(_LINE1_FIELDS)
_LINE2_RE: Final = _line_pattern(_LINE2_FIELDS)
# Indices of the regex groups (1-based) that hold the fields the range checks need.
_L1_SATNUM, _L1_EPOCH = 3, 8
_L2_SATNUM, _L2_INCL, _L2_RAAN, _L2_ARGP, _L2_MA, _L2_MM = 3, 5, 7, 11, 13, 15


_WEIGHTS: Final = tuple((str(d), d) for d in range(1, 10))


def tle_checksum(line: str) -> int:
    """The TLE checksum of ``line``: its digits summed, each ``-`` counting 1, modulo 10.

    Only the first 68 columns count; column 69 is where the checksum itself is written.
    """
    body = line[:68]
    # Counting each digit (str.count runs in C) is ten times faster than a loop over characters.
    return (body.count("-") + sum(weight * body.count(digit) for digit, weight in _WEIGHTS)) % 10


def _columns(field: _Field) -> str:
    if field.first_column == field.last_column:
        return f"column {field.first_column}"
    return f"columns {field.first_column}-{field.last_column}"


def _describe_layout_error(line: str, fields: tuple[_Field, ...], template: str) -> str:
    """Name the first field of ``line`` that does not match its columns' pattern."""
    for field in fields:
        piece = line[field.first_column - 1 : field.last_column]
        if not re.fullmatch(field.pattern, piece, re.ASCII):
            expected = template[field.first_column - 1 : field.last_column]
            return (
                f"{_columns(field)} ({field.name}) read {piece!r}; "
                f"expected {expected!r} (N a digit, A a letter, + a sign)"
            )
    return "the columns do not follow the template"  # pragma: no cover - regex and fields agree


def _check_line(
    line: str,
    number: int,
    *,
    source: str,
    line_number: int,
) -> re.Match[str]:
    """Check line ``number`` (1 or 2) of an element set; return its field match."""
    template, fields, pattern = (
        (TLE_LINE1_TEMPLATE, _LINE1_FIELDS, _LINE1_RE)
        if number == 1
        else (TLE_LINE2_TEMPLATE, _LINE2_FIELDS, _LINE2_RE)
    )

    def fail(problem: str) -> TLEFormatError:
        return TLEFormatError(source, line_number, line, problem, template)

    if not line.startswith(f"{number} "):
        raise fail(f"line {number} of an element set must start with '{number} '")
    if len(line) != _LINE_LENGTH:
        raise fail(
            f"line is {len(line)} characters long; a TLE line has {_LINE_LENGTH}, "
            "the last being its checksum"
        )
    match = pattern.fullmatch(line)
    if match is None:
        raise fail(_describe_layout_error(line, fields, template))
    written, computed = int(line[68]), tle_checksum(line)
    if written != computed:
        raise fail(
            f"checksum: the line gives {written} but its digits tally to {computed} "
            "(sum of the digits, '-' counting 1, modulo 10); the line is damaged"
        )
    return match


def tle_to_satrec(
    line1: str,
    line2: str,
    *,
    source: str = "<string>",
    line_numbers: tuple[int, int] = (1, 2),
) -> Satrec:
    """Check a pair of TLE lines and initialise SGP4 from them (WGS72, as the elements assume).

    Raises `TLEFormatError`, located at ``source`` and the line's number in ``line_numbers``,
    for a wrong line number, length, column layout, checksum, non-matching satellite numbers
    or an element out of its range.  Trailing whitespace is ignored.
    """
    line1, line2 = line1.rstrip(), line2.rstrip()
    m1 = _check_line(line1, 1, source=source, line_number=line_numbers[0])
    m2 = _check_line(line2, 2, source=source, line_number=line_numbers[1])

    def fail(line: str, number: int, problem: str) -> TLEFormatError:
        template = TLE_LINE1_TEMPLATE if number == 1 else TLE_LINE2_TEMPLATE
        return TLEFormatError(source, line_numbers[number - 1], line, problem, template)

    # Alpha-5: a leading letter (I and O skipped) counts ten-thousands from 10, so A0000 is 100000.
    satnum1, satnum2 = from_alpha5(m1[_L1_SATNUM]), from_alpha5(m2[_L2_SATNUM])
    if satnum1 != satnum2:
        raise fail(
            line2,
            2,
            f"satellite number {m2[_L2_SATNUM].strip()!r} on line 2 differs from "
            f"{m1[_L1_SATNUM].strip()!r} on line 1; the lines belong to different element sets",
        )
    epoch = m1[_L1_EPOCH]
    year = int(epoch[:2])
    year += 2000 if year < 57 else 1900  # the TLE convention: 57-99 are 1957-1999
    days_in_year = 366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365
    day = float(epoch[2:])
    if not 1.0 <= day < days_in_year + 1:
        raise fail(
            line1,
            1,
            f"epoch day of year {day} does not fall within {year}, "
            f"whose days run from 1.0 to {days_in_year}.99999999",
        )
    for group, name, upper in (
        (_L2_INCL, "inclination", 180.0),
        (_L2_RAAN, "right ascension of the ascending node", 360.0),
        (_L2_ARGP, "argument of perigee", 360.0),
        (_L2_MA, "mean anomaly", 360.0),
    ):
        if float(m2[group]) > upper:
            raise fail(line2, 2, f"{name} {m2[group].strip()} degrees is above {upper:g}")
    if float(m2[_L2_MM]) <= 0.0:
        raise fail(line2, 2, "mean motion must be positive (revolutions per day)")
    return Satrec.twoline2rv(line1, line2, WGS72)


@dataclass
class _Kept:
    name: str
    satrec: Satrec
    line_number: int
    text: str


class _CatalogBuilder:
    """Collect element sets and problems, keep the newest element set per NORAD id.

    Shared by the TLE and OMM readers.  With ``strict`` the first record that would be skipped
    (malformed or superseded) is raised instead of recorded.
    """

    def __init__(self, source: str, *, strict: bool, template: str, unit: str = "line") -> None:
        self.source = source
        self.strict = strict
        self.template = template
        self.unit = unit
        self._records: list[_Kept | None] = []
        self._index_by_norad: dict[int, int] = {}
        self._problems: list[TLEFormatError] = []

    def reject(self, problem: TLEFormatError) -> None:
        if self.strict:
            raise problem
        self._problems.append(problem)

    def add(self, name: str, satrec: Satrec, line_number: int, text: str) -> None:
        record = _Kept(name, satrec, line_number, text)
        norad_id = int(satrec.satnum)
        previous_index = self._index_by_norad.get(norad_id)
        if previous_index is None:
            self._index_by_norad[norad_id] = len(self._records)
            self._records.append(record)
            return
        previous = self._records[previous_index]
        assert previous is not None  # replaced records leave the index map too
        # Newest epoch wins; on a tie the later record, taken to be a correction.
        if _epoch(satrec) >= _epoch(previous.satrec):
            kept, dropped = record, previous
            self._records[previous_index] = None
            self._index_by_norad[norad_id] = len(self._records)
            self._records.append(record)
        else:
            kept, dropped = previous, record
        self.reject(
            DuplicateElementSetError(
                self.source,
                dropped.line_number,
                dropped.text,
                f"duplicate NORAD {norad_id} ({dropped.name}): the element set at {self.unit} "
                f"{kept.line_number} is at least as new, so this one is skipped "
                "(readers keep the newest epoch per satellite)",
                self.template,
            )
        )

    def build(self) -> Catalog:
        kept = [r for r in self._records if r is not None]
        problems = sorted(self._problems, key=lambda p: p.line_number)
        catalog = Catalog(
            names=tuple(r.name for r in kept),
            satrecs=tuple(r.satrec for r in kept),
            source=self.source,
            problems=tuple(problems),
        )
        _log.info("%s: %d element sets read, %d skipped", self.source, len(kept), len(problems))
        return catalog


def _epoch(satrec: Satrec) -> float:
    return float(satrec.jdsatepoch + satrec.jdsatepochF)


def _is_element_line(line: str) -> bool:
    """Whether a (non-blank) line is meant as line 1 or 2 rather than a name.

    Names are at most 24 characters in CelesTrak files (26 with Space-Track's ``0 `` prefix),
    so a long line is an element line even when its line number is damaged.
    """
    return line.startswith(("1 ", "2 ")) or len(line) >= 60


def _name_of(line: str) -> str:
    """The satellite name of a 3-line file's name line, without Space-Track's ``0 `` prefix."""
    return (line[2:] if line.startswith("0 ") else line).strip()


def parse_tle(text: str, *, source: str = "<string>", strict: bool = False) -> Catalog:
    """Read the element sets in ``text``, a 2-line or 3-line (named) TLE file, or a mix.

    Blank lines are ignored.  A 2-line element set is named by its NORAD id.  A malformed
    record — or one superseded by a newer element set for the same NORAD id, since the newest
    epoch is kept — is skipped and recorded in `Catalog.problems`; with ``strict`` the first
    one is raised as `TLEFormatError` instead.  ``source`` names the text in messages.
    """
    builder = _CatalogBuilder(source, strict=strict, template=TLE_LINE1_TEMPLATE)
    pending_name: tuple[int, str] | None = None  # (line number, text) of an unused name line
    first: tuple[int, str] | None = None  # an element line waiting for its partner
    first_name: tuple[int, str] | None = None

    def orphan(line_number: int, line: str) -> None:
        if line.startswith("2 "):
            problem, template = "line 2 without a line 1 before it", TLE_LINE2_TEMPLATE
        elif line.startswith("1 "):
            problem, template = "line 1 without a line 2 after it", TLE_LINE1_TEMPLATE
        else:
            problem, template = (
                "line 1 of an element set must start with '1 ' (this long line is not a name)",
                TLE_LINE1_TEMPLATE,
            )
        builder.reject(TLEFormatError(source, line_number, line, problem, template))

    def unused_name(line_number: int, line: str) -> None:
        builder.reject(
            TLEFormatError(
                source,
                line_number,
                line,
                "name line without an element set after it (expected lines 1 and 2 to follow)",
                TLE_LINE1_TEMPLATE,
            )
        )

    for line_number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        if not line:
            continue
        if not _is_element_line(line):
            if first is not None:
                orphan(*first)
                first = None
            if pending_name is not None:
                unused_name(*pending_name)
            pending_name = (line_number, line)
            continue
        if first is None:
            first, first_name, pending_name = (line_number, line), pending_name, None
            continue
        first_line = first[1]
        if first_line.startswith("2 ") or line.startswith("1 "):
            # The waiting line cannot pair with this one: report it, and wait with this one.
            orphan(*first)
            first, first_name = (line_number, line), None
            continue
        (number1, line1), first = first, None
        try:
            satrec = tle_to_satrec(line1, line, source=source, line_numbers=(number1, line_number))
        except TLEFormatError as problem:
            builder.reject(problem)
            continue
        name = _name_of(first_name[1]) if first_name is not None else ""
        builder.add(name or str(satrec.satnum), satrec, number1, line1)
    if first is not None:
        orphan(*first)
    if pending_name is not None:
        unused_name(*pending_name)
    return builder.build()
