"""Reading OMM (CCSDS Orbit Mean-Elements Message) element sets as CelesTrak publishes them.

CelesTrak's GP data comes as JSON (an array of objects) or CSV (a header row, one row per
satellite) with the same keys; see https://celestrak.org/NORAD/documentation/gp-data-formats.php.
Each record is checked field by field, then `sgp4.omm.initialize` sets up SGP4 from it.  OMM
carries the same mean elements as a TLE without its column limits, so the two propagate alike.

A malformed record is reported as a `leolink.errors.TLEFormatError` whose ``line_number`` is
the record's position — 1-based index in the JSON array, line of the row in the CSV file
(the header is line 1) — and whose template is the list of required fields.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping
from typing import Final

from sgp4 import omm as sgp4_omm
from sgp4.api import Satrec

from leolink.errors import CatalogError, TLEFormatError
from leolink.orbits.catalog import Catalog
from leolink.orbits.tle import _CatalogBuilder

__all__ = ["OMM_FIELDS", "omm_to_satrec", "parse_omm_csv", "parse_omm_json"]

#: The keys every OMM record must have: CelesTrak's GP format, as SGP4 needs them.
OMM_FIELDS: Final = (
    "OBJECT_NAME",
    "OBJECT_ID",
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "EPHEMERIS_TYPE",
    "CLASSIFICATION_TYPE",
    "NORAD_CAT_ID",
    "ELEMENT_SET_NO",
    "REV_AT_EPOCH",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
)
_TEMPLATE: Final = "OMM record with the fields " + ", ".join(OMM_FIELDS)

_EPOCH_RE: Final = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(?:Z|\+00:00)?", re.ASCII
)
_OBJECT_ID_RE: Final = re.compile(r"(?:\d{4}-\d{3}[A-Z]{0,3})?", re.ASCII)
# (field, lowest, highest, whether the highest is excluded)
_FLOAT_RANGES: Final = (
    ("MEAN_MOTION", 0.0, math.inf, False),
    ("ECCENTRICITY", 0.0, 1.0, True),
    ("INCLINATION", 0.0, 180.0, False),
    ("RA_OF_ASC_NODE", 0.0, 360.0, False),
    ("ARG_OF_PERICENTER", 0.0, 360.0, False),
    ("MEAN_ANOMALY", 0.0, 360.0, False),
    ("BSTAR", -math.inf, math.inf, False),
    ("MEAN_MOTION_DOT", -math.inf, math.inf, False),
    ("MEAN_MOTION_DDOT", -math.inf, math.inf, False),
)
# (field, lowest, highest); 339999 is the largest NORAD id Alpha-5 can write ('Z9999').
_INT_RANGES: Final = (
    ("NORAD_CAT_ID", 0, 339_999),
    ("EPHEMERIS_TYPE", 0, 9),
    ("ELEMENT_SET_NO", 0, 999_999),
    ("REV_AT_EPOCH", 0, 9_999_999),
)


class _FieldError(Exception):
    """Internal: one field of a record is wrong; the caller adds the location."""


def _as_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _FieldError(f"{name} is {value!r}; expected a number")
    try:
        number = float(value)
    except ValueError:
        raise _FieldError(f"{name} is {value!r}; expected a number") from None
    if not math.isfinite(number):
        raise _FieldError(f"{name} is {value!r}; expected a finite number")
    return number


def _as_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _FieldError(f"{name} is {value!r}; expected a whole number")
    try:
        return int(value)
    except ValueError:
        raise _FieldError(f"{name} is {value!r}; expected a whole number") from None


def _normalise(fields: Mapping[str, object]) -> dict[str, object]:
    """Check one record and return the values `sgp4.omm.initialize` expects."""
    missing = [k for k in OMM_FIELDS if fields.get(k) is None or fields.get(k) == ""]
    # OBJECT_NAME and OBJECT_ID may be empty (analyst objects) but must be there.
    missing = [k for k in missing if not (k in ("OBJECT_NAME", "OBJECT_ID") and k in fields)]
    if missing:
        raise _FieldError(f"missing or empty field(s) {', '.join(missing)}")
    values: dict[str, object] = {}
    for name, low, high, open_high in _FLOAT_RANGES:
        number = _as_float(name, fields[name])
        too_high = number >= high if open_high else number > high
        if number < low or too_high or (name == "MEAN_MOTION" and number == 0.0):
            bound = f"below {high:g}" if open_high else f"at most {high:g}"
            lowest = "above 0" if name == "MEAN_MOTION" else f"at least {low:g}"
            raise _FieldError(f"{name} is {fields[name]!r}; expected {lowest} and {bound}")
        values[name] = number
    for name, ilow, ihigh in _INT_RANGES:
        whole = _as_int(name, fields[name])
        if not ilow <= whole <= ihigh:
            raise _FieldError(f"{name} is {fields[name]!r}; expected {ilow} to {ihigh}")
        values[name] = whole
    for name in ("OBJECT_NAME", "OBJECT_ID", "EPOCH", "CLASSIFICATION_TYPE"):
        if not isinstance(fields[name], str):
            raise _FieldError(f"{name} is {fields[name]!r}; expected a string")
    epoch = _EPOCH_RE.fullmatch(str(fields["EPOCH"]).strip())
    if epoch is None:
        raise _FieldError(
            f"EPOCH is {fields['EPOCH']!r}; expected a UTC time like '2026-05-13T04:35:24.123456'"
        )
    # sgp4.omm.initialize wants exactly six fractional digits; further ones are below 1 µs.
    values["EPOCH"] = f"{epoch[1]}.{(epoch[2] or '')[:6]:0<6}"
    object_id = str(fields["OBJECT_ID"]).strip()
    if not _OBJECT_ID_RE.fullmatch(object_id):
        raise _FieldError(
            f"OBJECT_ID is {object_id!r}; expected an international designator like '2019-074B'"
        )
    values["OBJECT_ID"] = object_id
    classification = str(fields["CLASSIFICATION_TYPE"]).strip() or "U"
    if classification not in ("U", "C", "S"):
        raise _FieldError(
            f"CLASSIFICATION_TYPE is {classification!r}; expected U (unclassified), C or S"
        )
    values["CLASSIFICATION_TYPE"] = classification
    values["OBJECT_NAME"] = str(fields["OBJECT_NAME"]).strip()
    return values


def omm_to_satrec(
    fields: Mapping[str, object], *, source: str = "<memory>", record_number: int = 1
) -> Satrec:
    """Check one OMM record (a mapping of CelesTrak GP keys) and initialise SGP4 from it.

    Values may be numbers or strings, as JSON and CSV give them.  A missing field, a value that
    is not a number where one is needed, or an element out of range raises `TLEFormatError`
    located at ``source`` and ``record_number``.
    """
    try:
        values = _normalise(fields)
    except _FieldError as bad:
        raise TLEFormatError(
            source, record_number, _record_text(fields), str(bad), _TEMPLATE
        ) from None
    satrec = Satrec()
    sgp4_omm.initialize(satrec, values)
    # Satrec.sgp4init, called last by initialize, resets the classification to "U".
    satrec.classification = values["CLASSIFICATION_TYPE"]
    return satrec


def _record_text(fields: object) -> str:
    try:
        return json.dumps(fields, separators=(",", ":"), default=str)
    except ValueError:  # a circular structure cannot come from JSON or CSV text
        return repr(fields)


def _add(
    builder: _CatalogBuilder, satrec: Satrec, fields: Mapping[str, object], at: int, text: str
) -> None:
    name = str(fields.get("OBJECT_NAME") or "").strip() or str(satrec.satnum)
    builder.add(name, satrec, at, text)


def parse_omm_json(text: str, *, source: str = "<string>", strict: bool = False) -> Catalog:
    """Read CelesTrak OMM JSON: an array of element-set objects (or a single object).

    Text that is not JSON, or JSON that is not objects, raises `CatalogError`.  A malformed
    record, or one superseded by a newer one for the same NORAD id, is skipped and recorded in
    `Catalog.problems` (``line_number`` is its 1-based index); ``strict`` raises it instead.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogError(
            f"{source} is not valid JSON ({error.msg} at line {error.lineno} column "
            f"{error.colno}); expected CelesTrak OMM JSON, an array of objects with the "
            f"fields {', '.join(OMM_FIELDS)}"
        ) from None
    except RecursionError:
        raise CatalogError(
            f"{source} nests JSON arrays or objects too deeply to be a catalog; expected "
            "CelesTrak OMM JSON, an array of flat objects"
        ) from None
    records = [document] if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise CatalogError(
            f"{source} holds a JSON {type(document).__name__}; expected CelesTrak OMM JSON, "
            "an array of objects"
        )
    builder = _CatalogBuilder(source, strict=strict, template=_TEMPLATE, unit="record")
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            builder.reject(
                TLEFormatError(
                    source,
                    number,
                    _record_text(record),
                    f"record {number} is a JSON {type(record).__name__}, not an object",
                    _TEMPLATE,
                )
            )
            continue
        try:
            satrec = omm_to_satrec(record, source=source, record_number=number)
        except TLEFormatError as problem:
            builder.reject(problem)
            continue
        _add(builder, satrec, record, number, _record_text(record))
    return builder.build()


def parse_omm_csv(text: str, *, source: str = "<string>", strict: bool = False) -> Catalog:
    """Read CelesTrak OMM CSV: a header row naming the fields, then one row per element set.

    A header that lacks required fields raises `CatalogError`.  A malformed row, or one
    superseded by a newer one for the same NORAD id, is skipped and recorded in
    `Catalog.problems` (``line_number`` is its line in the file); ``strict`` raises it instead.
    """
    stream = io.StringIO(text.removeprefix("\ufeff"), newline="")
    lines = stream.readlines()
    stream.seek(0)
    reader = csv.reader(stream)
    header = [name.strip() for name in next(reader, [])]
    missing = [name for name in OMM_FIELDS if name not in header]
    if missing:
        raise CatalogError(
            f"{source}: the CSV header lacks {', '.join(missing)}; expected CelesTrak OMM CSV "
            f"whose first row names the fields {','.join(OMM_FIELDS)}"
        )
    builder = _CatalogBuilder(source, strict=strict, template=_TEMPLATE, unit="line")
    previous_line = reader.line_num
    for row in reader:
        first_line, previous_line = previous_line + 1, reader.line_num
        if not row:
            continue  # a blank line
        raw = "".join(lines[first_line - 1 : reader.line_num]).rstrip("\r\n")
        if len(row) != len(header):
            problem = f"row has {len(row)} values but the header names {len(header)} fields"
            builder.reject(TLEFormatError(source, first_line, raw, problem, _TEMPLATE))
            continue
        fields = dict(zip(header, row, strict=True))
        try:
            satrec = omm_to_satrec(fields, source=source, record_number=first_line)
        except TLEFormatError as problem:
            builder.reject(TLEFormatError(source, first_line, raw, problem.problem, _TEMPLATE))
            continue
        _add(builder, satrec, fields, first_line, raw)
    return builder.build()
