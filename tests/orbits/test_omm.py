"""OMM reader (CelesTrak GP JSON and CSV): agreement with the TLE it came from, malformations.

The fixtures ``tests/data/starlink-sample.omm.json`` and ``.omm.csv`` are the six real records
of ``starlink-sample.tle`` converted by `write_omm_fixtures` below (``sgp4.exporter.export_omm``,
keeping CelesTrak's 17 GP keys in CelesTrak's order).  Regenerate them with
``PYTHONPATH=src .venv/bin/python tests/orbits/test_omm.py``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sgp4.api import Satrec
from sgp4.exporter import export_omm

from leolink.errors import CatalogError, DuplicateElementSetError, TLEFormatError
from leolink.orbits.catalog import Catalog
from leolink.orbits.omm import OMM_FIELDS, omm_to_satrec, parse_omm_csv, parse_omm_json
from leolink.orbits.tle import parse_tle

DATA = Path(__file__).parent.parent / "data"
TLE_FIXTURE = DATA / "starlink-sample.tle"
JSON_FIXTURE = DATA / "starlink-sample.omm.json"
CSV_FIXTURE = DATA / "starlink-sample.omm.csv"

# Named tolerances.
one_meter_km = 1e-3
one_millisecond_days = 1e-3 / 86_400


def omm_records(tle_text: str) -> list[dict[str, Any]]:
    """The element sets of a TLE text as CelesTrak GP records (its 17 keys, its order)."""
    catalog = parse_tle(tle_text)
    records = []
    for name, satrec in zip(catalog.names, catalog.satrecs, strict=True):
        full = export_omm(satrec, name)
        records.append({key: full[key] for key in OMM_FIELDS})
    return records


def omm_csv_text(records: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=OMM_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def write_omm_fixtures(directory: Path = DATA) -> None:
    """Write the JSON and CSV fixtures from ``starlink-sample.tle``."""
    records = omm_records((directory / TLE_FIXTURE.name).read_text())
    (directory / JSON_FIXTURE.name).write_text(json.dumps(records, indent=1) + "\n")
    (directory / CSV_FIXTURE.name).write_text(omm_csv_text(records))


@pytest.fixture(scope="module")
def tle_catalog() -> Catalog:
    return parse_tle(TLE_FIXTURE.read_text(), source=str(TLE_FIXTURE))


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(JSON_FIXTURE.read_text())
    return loaded


def test_the_fixtures_are_what_the_generator_writes(tmp_path: Path) -> None:
    (tmp_path / TLE_FIXTURE.name).write_text(TLE_FIXTURE.read_text())
    write_omm_fixtures(tmp_path)
    assert json.loads((tmp_path / JSON_FIXTURE.name).read_text()) == json.loads(
        JSON_FIXTURE.read_text()
    )
    assert (tmp_path / CSV_FIXTURE.name).read_text() == CSV_FIXTURE.read_text()


@pytest.mark.parametrize(
    "read",
    [
        lambda: parse_omm_json(JSON_FIXTURE.read_text(), source="s.json"),
        lambda: parse_omm_csv(CSV_FIXTURE.read_text(), source="s.csv"),
    ],
    ids=["json", "csv"],
)
def test_omm_and_tle_readings_propagate_to_the_same_position(
    read: Any, tle_catalog: Catalog
) -> None:
    catalog = read()
    assert catalog.names == tle_catalog.names
    assert catalog.norad_ids.tolist() == tle_catalog.norad_ids.tolist()
    assert catalog.skipped == 0
    # OMM epochs are written to the microsecond, TLE epochs to 1e-8 day (0.86 ms).
    np.testing.assert_allclose(catalog.epoch_jd, tle_catalog.epoch_jd, atol=one_millisecond_days)
    for from_omm, from_tle in zip(catalog.satrecs, tle_catalog.satrecs, strict=True):
        assert (from_omm.classification, from_omm.intldesg) == ("C", from_tle.intldesg)
        assert (from_omm.elnum, from_omm.revnum) == (from_tle.elnum, from_tle.revnum)
        for days_after_epoch in (-1.0, 0.0, 0.25, 1.0, 3.0):
            jd, fr = from_tle.jdsatepoch, from_tle.jdsatepochF + days_after_epoch
            error_omm, r_omm_km, _ = from_omm.sgp4(jd, fr)
            error_tle, r_tle_km, _ = from_tle.sgp4(jd, fr)
            assert error_omm == error_tle == 0
            assert np.linalg.norm(np.subtract(r_omm_km, r_tle_km)) < one_meter_km


def test_string_values_extra_keys_and_a_single_object_are_accepted(
    records: list[dict[str, Any]],
) -> None:
    record = {key: str(value) for key, value in records[0].items()}
    record |= {"CENTER_NAME": "EARTH", "REF_FRAME": "TEME", "EPOCH": record["EPOCH"] + "Z"}
    catalog = parse_omm_json(json.dumps(record))
    assert catalog.names == ("STARLINK-1008",)
    assert catalog.norad_ids.tolist() == [44714]


def test_an_epoch_without_fraction_or_with_nanoseconds_is_read() -> None:
    record = omm_records(TLE_FIXTURE.read_text())[0]
    whole = omm_to_satrec(record | {"EPOCH": "2026-05-12T22:48:42"})
    nano = omm_to_satrec(record | {"EPOCH": "2026-05-12T22:48:41.999904321"})
    micro = omm_to_satrec(record)
    assert whole.jdsatepoch + whole.jdsatepochF == pytest.approx(
        micro.jdsatepoch + micro.jdsatepochF, abs=one_millisecond_days
    )
    assert (nano.jdsatepoch, nano.jdsatepochF) == (micro.jdsatepoch, micro.jdsatepochF)


def test_csv_with_bom_crlf_and_blank_lines_is_read() -> None:
    text = "\ufeff" + CSV_FIXTURE.read_text().replace("\n", "\r\n") + "\r\n"
    assert len(parse_omm_csv(text)) == 6


def test_an_empty_name_falls_back_to_the_norad_id(records: list[dict[str, Any]]) -> None:
    catalog = parse_omm_json(json.dumps([records[0] | {"OBJECT_NAME": ""}]))
    assert catalog.names == ("44714",)


# --- malformed records ------------------------------------------------------------------

# (what, changes to the first record, words of the problem); None deletes the key.
MALFORMED: list[tuple[str, dict[str, Any], str]] = [
    ("missing key", {"MEAN_MOTION": None}, "missing or empty field(s) MEAN_MOTION"),
    ("empty value", {"BSTAR": ""}, "missing or empty field(s) BSTAR"),
    ("text for a number", {"INCLINATION": "fifty-three"}, "INCLINATION is 'fifty-three'"),
    ("boolean for a number", {"ECCENTRICITY": True}, "expected a number"),
    ("not finite", {"BSTAR": "nan"}, "expected a finite number"),
    ("eccentricity 1", {"ECCENTRICITY": 1.0}, "expected at least 0 and below 1"),
    ("inclination 181", {"INCLINATION": 181}, "expected at least 0 and at most 180"),
    ("negative anomaly", {"MEAN_ANOMALY": -1}, "expected at least 0 and at most 360"),
    ("zero mean motion", {"MEAN_MOTION": 0}, "expected above 0"),
    ("fractional NORAD id", {"NORAD_CAT_ID": "44714.5"}, "expected a whole number"),
    ("NORAD id past Alpha-5", {"NORAD_CAT_ID": 340000}, "expected 0 to 339999"),
    ("epoch not ISO", {"EPOCH": "26132.95048611"}, "EPOCH is '26132.95048611'"),
    ("epoch with offset", {"EPOCH": "2026-05-12T22:48:41+02:00"}, "expected a UTC time"),
    ("bad designator", {"OBJECT_ID": "19074B"}, "OBJECT_ID is '19074B'"),
    ("bad classification", {"CLASSIFICATION_TYPE": "X"}, "CLASSIFICATION_TYPE is 'X'"),
    ("number for a name", {"OBJECT_NAME": 7}, "OBJECT_NAME is 7; expected a string"),
]


def changed(record: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    result = record | changes
    return {key: value for key, value in result.items() if value is not None}


@pytest.mark.parametrize(
    ("changes", "words"), [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED]
)
def test_a_malformed_json_record_is_skipped_with_its_index(
    changes: dict[str, Any], words: str, records: list[dict[str, Any]]
) -> None:
    bad = changed(records[0], changes)
    text = json.dumps([records[1], bad, records[2]])
    catalog = parse_omm_json(text, source="f.json")
    assert catalog.names == ("STARLINK-1012", "STARLINK-3096")
    (problem,) = catalog.problems
    assert (problem.path, problem.line_number) == ("f.json", 2)
    assert words in problem.problem
    assert problem.template.startswith("OMM record with the fields OBJECT_NAME, OBJECT_ID")
    assert json.loads(problem.text) == bad
    with pytest.raises(TLEFormatError, match=r"^f\.json:2: "):
        parse_omm_json(text, source="f.json", strict=True)


# A CSV cell is always text and always present: only the cases that text can express.
CSV_MALFORMED = [
    case
    for case in MALFORMED
    if case[0] not in ("missing key", "boolean for a number", "number for a name")
]


@pytest.mark.parametrize(
    ("changes", "words"),
    [case[1:] for case in CSV_MALFORMED],
    ids=[case[0] for case in CSV_MALFORMED],
)
def test_a_malformed_csv_row_is_skipped_with_its_line(
    changes: dict[str, Any], words: str, records: list[dict[str, Any]]
) -> None:
    text = omm_csv_text([records[1], records[0] | changes, records[2]])
    catalog = parse_omm_csv(text, source="f.csv")
    assert catalog.names == ("STARLINK-1012", "STARLINK-3096")
    (problem,) = catalog.problems
    assert (problem.path, problem.line_number) == ("f.csv", 3)  # the header is line 1
    assert words in problem.problem
    assert problem.text == text.splitlines()[2]
    with pytest.raises(TLEFormatError, match=r"^f\.csv:3: "):
        parse_omm_csv(text, source="f.csv", strict=True)


def test_a_json_record_that_is_not_an_object_is_skipped(records: list[dict[str, Any]]) -> None:
    catalog = parse_omm_json(json.dumps([records[0], [1, 2], "x"]))
    assert len(catalog) == 1
    assert [(p.line_number, p.problem) for p in catalog.problems] == [
        (2, "record 2 is a JSON list, not an object"),
        (3, "record 3 is a JSON str, not an object"),
    ]


def test_a_csv_row_with_the_wrong_number_of_values_is_skipped() -> None:
    lines = CSV_FIXTURE.read_text().splitlines()
    text = "\n".join([lines[0], lines[1] + ",extra", lines[2][: lines[2].rindex(",")], lines[3]])
    catalog = parse_omm_csv(text, source="f.csv")
    assert catalog.names == ("STARLINK-3096",)
    assert [(p.line_number, p.problem) for p in catalog.problems] == [
        (2, "row has 18 values but the header names 17 fields"),
        (3, "row has 16 values but the header names 17 fields"),
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[{]", "f.json is not valid JSON (Expecting property name"),
        ("42", "f.json holds a JSON int; expected CelesTrak OMM JSON"),
    ],
)
def test_text_that_is_not_omm_json_is_refused_whole(text: str, words: str) -> None:
    with pytest.raises(CatalogError) as raised:
        parse_omm_json(text, source="f.json")
    assert type(raised.value) is CatalogError
    assert str(raised.value).startswith(words)


def test_a_csv_header_without_the_omm_fields_is_refused_whole() -> None:
    text = CSV_FIXTURE.read_text().replace("MEAN_MOTION,", "N,", 1)
    with pytest.raises(CatalogError, match=r"f\.csv: the CSV header lacks MEAN_MOTION;"):
        parse_omm_csv(text, source="f.csv")


def test_a_duplicate_norad_id_keeps_the_newest_epoch(records: list[dict[str, Any]]) -> None:
    older = records[0] | {"EPOCH": "2026-05-11T22:48:41.999904", "OBJECT_NAME": "OLD"}
    catalog = parse_omm_json(json.dumps([records[0], records[1], older]), source="d.json")
    assert catalog.names == ("STARLINK-1008", "STARLINK-1012")
    (problem,) = catalog.problems
    assert isinstance(problem, DuplicateElementSetError)
    assert problem.line_number == 3
    assert "the element set at record 1 is at least as new" in problem.problem
    with pytest.raises(DuplicateElementSetError):
        parse_omm_json(json.dumps([records[0], older]), strict=True)


def test_omm_to_satrec_gives_a_ready_satrec(records: list[dict[str, Any]]) -> None:
    satrec = omm_to_satrec(records[0])
    assert isinstance(satrec, Satrec)
    assert satrec.satnum == 44714
    assert satrec.error == 0


if __name__ == "__main__":
    write_omm_fixtures()
