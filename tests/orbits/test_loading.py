"""load_catalog: the embedded real catalog, format detection, gzip, and files it must refuse."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from leolink.errors import CatalogError, TLEFormatError
from leolink.orbits.loading import EMBEDDED_CATALOG, detect_catalog_format, load_catalog

DATA = Path(__file__).parent.parent / "data"
SAMPLES = {
    "tle": DATA / "starlink-sample.tle",
    "omm-json": DATA / "starlink-sample.omm.json",
    "omm-csv": DATA / "starlink-sample.omm.csv",
}
SAMPLE_NAMES = (
    "STARLINK-1008",
    "STARLINK-1012",
    "STARLINK-3096",
    "STARLINK-4362",
    "STARLINK-5382",
    "STARLINK-37614",
)


def test_the_embedded_catalog_has_all_10361_satellites() -> None:
    catalog = load_catalog()
    assert len(catalog) == 10_361
    assert catalog.skipped == 0
    assert EMBEDDED_CATALOG in catalog.source
    assert len(np.unique(catalog.norad_ids)) == 10_361
    assert all(name.startswith("STARLINK-") for name in catalog.names)
    days = np.unique(catalog.epochs.astype("datetime64[D]"))
    assert days.tolist() == np.array(["2026-05-12", "2026-05-13"], "datetime64[D]").tolist()


def test_the_embedded_catalog_is_parsed_once_per_process() -> None:
    assert load_catalog() is load_catalog()
    assert load_catalog(strict=True).names == load_catalog().names


@pytest.mark.parametrize(
    ("suffix", "sample"),
    [
        (".tle", "tle"),
        (".txt", "tle"),
        (".3le", "tle"),
        (".json", "omm-json"),
        (".csv", "omm-csv"),
        (".TLE", "tle"),
    ],
)
@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gz"])
def test_the_extension_tells_the_format(
    tmp_path: Path, suffix: str, sample: str, compressed: bool
) -> None:
    data = SAMPLES[sample].read_bytes()
    path = tmp_path / f"catalog{suffix}{'.gz' if compressed else ''}"
    path.write_bytes(gzip.compress(data, mtime=0) if compressed else data)
    catalog = load_catalog(path)
    assert catalog.names == SAMPLE_NAMES
    assert catalog.source == str(path)


@pytest.mark.parametrize("sample", ["tle", "omm-json", "omm-csv"])
@pytest.mark.parametrize("name", ["catalog.dat", "catalog", "catalog.gz"])
def test_without_a_known_extension_the_content_tells_the_format(
    tmp_path: Path, sample: str, name: str
) -> None:
    data = SAMPLES[sample].read_bytes()
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    assert load_catalog(str(path)).names == SAMPLE_NAMES


def test_a_2_line_file_is_recognised_by_its_content(tmp_path: Path) -> None:
    lines = SAMPLES["tle"].read_text().splitlines()
    path = tmp_path / "two-line.dat"
    path.write_text("\n".join(line for line in lines if line[:2] in ("1 ", "2 ")))
    assert load_catalog(path).names[0] == "44714"


def test_detect_catalog_format_prefers_the_extension() -> None:
    tle_text = SAMPLES["tle"].read_text()
    assert detect_catalog_format("x.json.gz", tle_text) == "omm-json"
    assert detect_catalog_format("x.bin", tle_text) == "tle"
    assert detect_catalog_format("x.bin", "[]") == "omm-json"
    assert detect_catalog_format("x.bin", "OBJECT_NAME,NORAD_CAT_ID\n") == "omm-csv"
    assert detect_catalog_format("x.bin", "hello\nworld\n") is None


def test_malformed_records_are_skipped_or_raised_with_strict(tmp_path: Path) -> None:
    text = SAMPLES["tle"].read_text().splitlines()
    text[1] = text[1][:68] + "0"  # wrong checksum in the first record
    path = tmp_path / "broken.tle"
    path.write_text("\n".join(text))
    catalog = load_catalog(path)
    assert len(catalog) == 5
    assert catalog.problems[0].path == str(path)
    assert catalog.problems[0].line_number == 2
    with pytest.raises(TLEFormatError, match=r"broken\.tle:2: checksum"):
        load_catalog(path, strict=True)


# --- files that cannot be read at all ---------------------------------------------------


def refused(path: Path | str) -> str:
    with pytest.raises(CatalogError) as raised:
        load_catalog(path)
    assert type(raised.value) is CatalogError
    return str(raised.value)


def test_a_missing_file_is_refused_with_its_path_and_what_is_expected(tmp_path: Path) -> None:
    message = refused(tmp_path / "nowhere.tle")
    assert str(tmp_path / "nowhere.tle") in message
    assert "does not exist" in message
    assert "expected a TLE file" in message


def test_a_directory_is_refused(tmp_path: Path) -> None:
    assert "is a directory" in refused(tmp_path)


@pytest.mark.parametrize(
    "content",
    [b"", b"  \n\n\t\n", gzip.compress(b"", mtime=0)],
    ids=["empty", "whitespace", "gzip-of-nothing"],
)
def test_an_empty_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.tle"
    path.write_bytes(content)
    message = refused(path)
    assert f"catalog {path} is empty" in message
    assert "expected a TLE file" in message


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.dat"
    path.write_text("these are\nnot element sets\n")
    message = refused(path)
    assert f"cannot tell the format of catalog {path}" in message
    assert "OMM as JSON (.json) or CSV (.csv)" in message


def test_a_damaged_gzip_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cut.tle.gz"
    path.write_bytes(gzip.compress(SAMPLES["tle"].read_bytes())[:50])
    assert "cannot be decompressed" in refused(path)


def test_a_misnamed_file_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "really-tle.json"
    path.write_bytes(SAMPLES["tle"].read_bytes())
    message = refused(path)
    assert f"{path} is not valid JSON" in message
    assert "its content looks like tle" in message


def test_a_file_without_any_valid_record_is_refused_with_the_first_problem(
    tmp_path: Path,
) -> None:
    lines = SAMPLES["tle"].read_text().splitlines()
    # The point of every mean motion (column 55 of line 2) becomes a comma.
    damaged = [line[:54] + "," + line[55:] if line.startswith("2 ") else line for line in lines]
    path = tmp_path / "all-bad.tle"
    path.write_text("\n".join(damaged))
    message = refused(path)
    assert f"catalog {path} holds no valid element set as tle (6 record(s) skipped)" in message
    assert f"the first problem:\n{path}:3: columns 53-63 (mean motion" in message
