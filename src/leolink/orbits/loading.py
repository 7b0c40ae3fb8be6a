"""Loading a satellite catalog from a file, or the embedded real one, whatever its format.

This is the I/O edge of the catalog readers: it reads bytes, undoes gzip, decides between TLE
and OMM (JSON or CSV) and hands the text to `leolink.orbits.tle` or `leolink.orbits.omm`.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Final, Literal

from leolink.errors import CatalogError
from leolink.orbits.catalog import Catalog
from leolink.orbits.omm import parse_omm_csv, parse_omm_json
from leolink.orbits.tle import parse_tle

__all__ = [
    "EMBEDDED_CATALOG",
    "CatalogFormat",
    "detect_catalog_format",
    "load_catalog",
    "parse_catalog_bytes",
]

#: The real Starlink catalog shipped in ``leolink/data`` (see its ``PROVENANCE.md``).
EMBEDDED_CATALOG: Final = "starlink-2026-05-13.tle.gz"

#: The formats a catalog file can have: TLE (2- or 3-line), CelesTrak OMM JSON or CSV.
CatalogFormat = Literal["tle", "omm-json", "omm-csv"]

_BY_SUFFIX: Final[dict[str, CatalogFormat]] = {
    ".tle": "tle",
    ".txt": "tle",
    ".3le": "tle",
    ".2le": "tle",
    ".json": "omm-json",
    ".csv": "omm-csv",
}
_PARSERS: Final[dict[CatalogFormat, Callable[..., Catalog]]] = {
    "tle": parse_tle,
    "omm-json": parse_omm_json,
    "omm-csv": parse_omm_csv,
}
_EXPECTED: Final = (
    "expected a TLE file (2- or 3-line; .tle, .txt, .3le) or CelesTrak OMM as JSON (.json) or "
    "CSV (.csv), optionally gzip-compressed (.gz)"
)
_GZIP_MAGIC: Final = b"\x1f\x8b"


def _sniff(text: str) -> CatalogFormat | None:
    """Guess a catalog's format from its first non-blank characters, or None."""
    head = text.lstrip()
    if head.startswith(("[", "{")):
        return "omm-json"
    first_line = head.split("\n", 1)[0]
    if "," in first_line and ("NORAD_CAT_ID" in first_line or "OBJECT_NAME" in first_line):
        return "omm-csv"
    lines = [line for line in head.split("\n", 8)[:8] if line.strip()]
    if any(line.startswith("1 ") for line in lines) and any(
        line.startswith("2 ") for line in lines
    ):
        return "tle"
    return None


def detect_catalog_format(name: str, text: str) -> CatalogFormat | None:
    """The format of a catalog named ``name`` with content ``text``, or None if unclear.

    The extension decides (a ``.gz`` ending is looked through); without a known one the
    content does: JSON starts with ``[`` or ``{``, CSV with a header naming the OMM fields,
    TLE has lines starting ``1 `` and ``2 ``.
    """
    suffixes = [s.lower() for s in Path(name).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    if suffixes and suffixes[-1] in _BY_SUFFIX:
        return _BY_SUFFIX[suffixes[-1]]
    return _sniff(text)


def _decode(data: bytes, source: str) -> str:
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise CatalogError(
                f"catalog {source} looks gzip-compressed but cannot be decompressed ({error}); "
                "give an intact .gz file or the uncompressed one"
            ) from None
    # Element sets are ASCII; a stray byte is replaced so that its record is reported, not
    # the whole file refused.
    return data.decode("utf-8-sig", errors="replace")


def _parse(text: str, name: str, source: str, strict: bool) -> Catalog:
    if not text.strip():
        raise CatalogError(f"catalog {source} is empty; {_EXPECTED}")
    catalog_format = detect_catalog_format(name, text)
    if catalog_format is None:
        raise CatalogError(f"cannot tell the format of catalog {source}; {_EXPECTED}")
    try:
        catalog = _PARSERS[catalog_format](text, source=source, strict=strict)
    except CatalogError as error:
        # A reader's own verdict on one record (TLEFormatError) stands; a whole-file failure
        # may come from a misnamed file.
        if type(error) is not CatalogError:
            raise
        raise CatalogError(f"{error}{_hint(text, catalog_format)}") from None
    if len(catalog) == 0:
        first = f"\nthe first problem:\n{catalog.problems[0]}" if catalog.problems else ""
        raise CatalogError(
            f"catalog {source} holds no valid element set as {catalog_format} "
            f"({catalog.skipped} record(s) skipped); {_EXPECTED}"
            f"{_hint(text, catalog_format)}{first}"
        )
    return catalog


def _hint(text: str, catalog_format: CatalogFormat) -> str:
    content_format = _sniff(text)
    if content_format in (None, catalog_format):
        return ""
    return f"\n(its content looks like {content_format}: rename the file to match)"


@cache
def _embedded(strict: bool) -> Catalog:
    # Parsed once per process: the embedded file never changes and the Catalog is immutable.
    ref = resources.files("leolink.data").joinpath(EMBEDDED_CATALOG)
    source = f"leolink/data/{EMBEDDED_CATALOG}"
    return _parse(_decode(ref.read_bytes(), source), EMBEDDED_CATALOG, source, strict)


def load_catalog(path: str | os.PathLike[str] | None = None, *, strict: bool = False) -> Catalog:
    """Load a satellite catalog: the embedded real Starlink catalog, or the file at ``path``.

    The format is told by the extension (``.tle``, ``.txt``, ``.3le``: TLE; ``.json``, ``.csv``:
    CelesTrak OMM; any of them may end in ``.gz``) or, without a known one, by the content;
    gzip is recognised by its magic bytes.  Malformed records are skipped and kept in
    `Catalog.problems` (``strict`` raises the first as `TLEFormatError`).  A missing, empty
    or unreadable file, one of unknown format, or one with no valid record raises
    `CatalogError` naming the path.  The embedded catalog is parsed once per process.
    """
    if path is None:
        return _embedded(strict)
    source = os.fspath(path)
    try:
        data = Path(source).read_bytes()
    except FileNotFoundError:
        raise CatalogError(
            f"catalog file {source!r} does not exist; {_EXPECTED}, "
            "or give no path for the embedded catalog"
        ) from None
    except IsADirectoryError:
        raise CatalogError(f"catalog path {source!r} is a directory; {_EXPECTED}") from None
    except OSError as error:
        raise CatalogError(f"cannot read catalog file {source!r} ({error.strerror})") from None
    return _parse(_decode(data, source), source, source, strict)


def parse_catalog_bytes(data: bytes, name: str, *, source: str | None = None) -> Catalog:
    """A catalog from the bytes of a file called ``name`` (as `load_catalog` reads a file),
    e.g. one just downloaded; ``source`` names it in messages (default: ``name``)."""
    source = name if source is None else source
    return _parse(_decode(data, source), name, source, strict=False)
