"""Dated catalog snapshots in the user's data directory, and fetching fresh ones.

``leolink catalog update`` keeps every catalog it fetched as a snapshot: the element sets
(gzip-compressed, as received) beside a small JSON record of where and when they came from and
what they hold (``*.meta.json``).  A question about instant T uses the snapshot whose element
sets are closest to T (`catalog_path_for`); the embedded catalog of 2026-05-13 is one of the
candidates and stays the default when there is no snapshot (offline, a fresh install).

Fetching follows CelesTrak's usage rules for its GP queries
(https://celestrak.org/NORAD/documentation/gp-data-formats.php): the data change at most every
two hours, so a source is not asked again within `MIN_REFETCH_INTERVAL_S` of the last request,
and each request is conditional (``If-None-Match`` / ``If-Modified-Since`` from the last
answer), so an unchanged catalog costs a ``304 Not Modified`` and no new snapshot.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Final

import numpy as np
import platformdirs

from leolink.errors import CatalogError
from leolink.orbits.catalog import Catalog
from leolink.orbits.loading import detect_catalog_format, load_catalog, parse_catalog_bytes

__all__ = [
    "CELESTRAK_STARLINK_URL",
    "EMBEDDED_EPOCH",
    "MIN_REFETCH_INTERVAL_S",
    "CatalogSnapshot",
    "UpdateResult",
    "catalog_path_for",
    "load_catalog_for",
    "snapshot_dir",
    "snapshots",
    "update_catalog",
]

#: CelesTrak's GP query for the Starlink group as OMM JSON (the format without the 5-digit
#: catalog-number limit of TLEs).
CELESTRAK_STARLINK_URL: Final = (
    "https://celestrak.org/NORAD/elements/gp.php?GROUP=starlink&FORMAT=json"
)
#: CelesTrak updates GP data every two hours and asks clients not to download the same data
#: more often (gp-data-formats.php, "please do not"... section on update frequency).
MIN_REFETCH_INTERVAL_S: Final = 2 * 3600
#: Median element-set epoch of the embedded catalog (``EMBEDDED_CATALOG``); a test checks it
#: against the parsed file so that choosing a catalog need not parse the embedded one.
EMBEDDED_EPOCH: Final = np.datetime64("2026-05-13T00:25:42", "ns")
#: A fetched catalog is refused when more than this share of its records is malformed: a
#: truncated download or an error page parsed leniently must not become the newest snapshot.
MAX_SKIPPED_FRACTION: Final = 0.05
#: A Starlink catalog with fewer satellites than this is not the constellation (an error page,
#: a wrong group); the constellation has had thousands of satellites since 2021.
MIN_SATELLITES: Final = 100

_TIMEOUT_S: Final = 60.0
_STAMP: Final = "%Y%m%dT%H%M%SZ"
_USER_AGENT: Final = "leolink (catalog update; https://github.com/leolink)"


@dataclass(frozen=True)
class CatalogSnapshot:
    """One kept catalog: its file and what the ``.meta.json`` beside it records."""

    path: Path
    source: str
    fetched_at: str
    satellites: int
    skipped: int
    epoch_median: str
    sha256: str
    etag: str | None = None
    last_modified: str | None = None

    @property
    def epoch(self) -> np.datetime64:
        """The median element-set epoch, ``datetime64[ns]``."""
        return np.datetime64(self.epoch_median.rstrip("Z"), "ns")


@dataclass(frozen=True)
class UpdateResult:
    """What ``catalog update`` did: ``fetched`` (a new snapshot), ``unchanged`` or ``too_soon``."""

    outcome: str
    source: str
    message: str
    snapshot: CatalogSnapshot | None


def snapshot_dir() -> Path:
    """Where snapshots are kept: ``catalogs`` in leolink's per-user data directory."""
    return Path(platformdirs.user_data_dir("leolink", appauthor=False)) / "catalogs"


def snapshots(directory: Path | None = None) -> list[CatalogSnapshot]:
    """The kept snapshots, oldest fetch first; a snapshot without its record is ignored."""
    directory = snapshot_dir() if directory is None else directory
    found = []
    for meta in sorted(directory.glob("*.meta.json")):
        try:
            record = json.loads(meta.read_text(encoding="utf-8"))
            snapshot = CatalogSnapshot(path=directory / record.pop("file"), **record)
        except (OSError, ValueError, TypeError, KeyError):
            continue  # a record being written, or not ours
        if snapshot.path.is_file():
            found.append(snapshot)
    return sorted(found, key=lambda s: s.fetched_at)


def catalog_path_for(
    at: np.datetime64 | None = None, directory: Path | None = None
) -> CatalogSnapshot | None:
    """The snapshot whose median epoch is closest to ``at`` (the newest fetch if ``at`` is
    None), or None when the embedded catalog is at least as close (or there is no snapshot)."""
    kept = snapshots(directory)
    if not kept:
        return None
    if at is None:
        return kept[-1]
    target = np.asarray(at, dtype="datetime64[ns]")

    def gap_ns(epoch: np.datetime64) -> int:
        return abs(int((epoch - target).astype(np.int64)))

    best = min(kept, key=lambda s: gap_ns(s.epoch))
    return best if gap_ns(best.epoch) < gap_ns(EMBEDDED_EPOCH) else None


@lru_cache(maxsize=2)
def _load_kept(path: Path, sha256: str) -> Catalog:
    # Keyed by content too: a snapshot is never rewritten, but a test directory may be reused.
    return load_catalog(path)


def load_catalog_for(at: np.datetime64 | None = None, directory: Path | None = None) -> Catalog:
    """The catalog to answer a question about ``at`` with: the kept snapshot closest to it
    (the newest if ``at`` is None), or the embedded catalog when it is closer or none is kept."""
    chosen = catalog_path_for(at, directory)
    return load_catalog() if chosen is None else _load_kept(chosen.path, chosen.sha256)


def _newest_from(source: str, directory: Path) -> CatalogSnapshot | None:
    kept = [s for s in snapshots(directory) if s.source == source]
    return kept[-1] if kept else None


def _checked_path(directory: Path, source: str) -> Path:
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    return directory / f".checked-{digest}.json"


def _last_checked(directory: Path, source: str) -> datetime | None:
    try:
        stamp = json.loads(_checked_path(directory, source).read_text(encoding="utf-8"))
        return datetime.strptime(stamp["checked_at"], _STAMP).replace(tzinfo=UTC)
    except (OSError, ValueError, KeyError):
        return None


def _mark_checked(directory: Path, source: str, now: datetime) -> None:
    _checked_path(directory, source).write_text(
        json.dumps({"source": source, "checked_at": now.strftime(_STAMP)}), encoding="utf-8"
    )


def _resolve_source(source: str) -> str:
    return CELESTRAK_STARLINK_URL if source == "celestrak" else source


def _download(
    url: str, previous: CatalogSnapshot | None
) -> tuple[bytes | None, str | None, str | None]:
    """GET ``url`` conditionally: (body, ETag, Last-Modified), body None on 304."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    if previous is not None:
        if previous.etag:
            request.add_header("If-None-Match", previous.etag)
        if previous.last_modified:
            request.add_header("If-Modified-Since", previous.last_modified)
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            return (
                response.read(),
                response.headers.get("ETag"),
                response.headers.get("Last-Modified"),
            )
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return None, None, None
        detail = error.read(300).decode("utf-8", "replace").strip()
        raise CatalogError(
            f"catalog source {url} answered HTTP {error.code} {error.reason}"
            f"{': ' + detail if detail else ''}; the catalog in use is unchanged"
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise CatalogError(
            f"cannot reach catalog source {url} ({reason}); the catalog in use is unchanged "
            "(the newest snapshot, or the embedded one offline)"
        ) from None


def _keep(
    data: bytes,
    source: str,
    name: str,
    now: datetime,
    directory: Path,
    etag: str | None,
    last_modified: str | None,
) -> CatalogSnapshot | None:
    """Verify ``data`` as a catalog and keep it as a snapshot fetched at ``now``.

    None when it is byte for byte the newest snapshot already kept.
    """
    if data.startswith(b"\x1f\x8b"):
        data = gzip.decompress(data)
    catalog = parse_catalog_bytes(data, name, source=source)
    if len(catalog) < MIN_SATELLITES or catalog.skipped > MAX_SKIPPED_FRACTION * (
        len(catalog) + catalog.skipped
    ):
        raise CatalogError(
            f"the catalog from {source} holds {len(catalog)} satellites and {catalog.skipped} "
            f"malformed record(s); a Starlink catalog has at least {MIN_SATELLITES} satellites "
            f"and at most {MAX_SKIPPED_FRACTION:.0%} bad records, so it is not kept"
        )
    digest = hashlib.sha256(data).hexdigest()
    kept = snapshots(directory)
    if kept and kept[-1].sha256 == digest:
        return None
    epoch = np.median(catalog.epochs.astype(np.int64)).astype(np.int64).astype("datetime64[ns]")
    suffix = {"omm-json": ".json", "omm-csv": ".csv", "tle": ".tle"}[
        detect_catalog_format(name, data[:4096].decode("utf-8", "replace")) or "omm-json"
    ]
    stem = f"starlink-{now.strftime(_STAMP)}"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}{suffix}.gz"
    path.write_bytes(gzip.compress(data, mtime=0))
    snapshot = CatalogSnapshot(
        path=path,
        source=source,
        fetched_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        satellites=len(catalog),
        skipped=catalog.skipped,
        epoch_median=str(epoch.astype("datetime64[s]")) + "Z",
        sha256=digest,
        etag=etag,
        last_modified=last_modified,
    )
    record = {**asdict(snapshot), "file": path.name}
    del record["path"]
    # The record is written last and atomically: a snapshot without one is not used.
    meta = directory / f"{stem}.meta.json"
    part = meta.with_name(meta.name + ".part")
    part.write_text(json.dumps(record, indent=2), encoding="utf-8")
    os.replace(part, meta)
    return snapshot


def _kept_result(kept: CatalogSnapshot | None, source: str, directory: Path) -> UpdateResult:
    if kept is None:
        return UpdateResult(
            "unchanged",
            source,
            f"{source} holds the same element sets as the newest snapshot: none kept",
            snapshots(directory)[-1],
        )
    return UpdateResult(
        "fetched",
        source,
        f"kept {kept.satellites} satellites from {source} (median epoch {kept.epoch_median}) "
        f"as {kept.path}",
        kept,
    )


def update_catalog(
    source: str = "celestrak",
    *,
    directory: Path | None = None,
    now: datetime | None = None,
) -> UpdateResult:
    """Fetch a fresh catalog from ``source`` and keep it as a dated snapshot.

    ``source`` is ``celestrak`` (its Starlink group as OMM JSON), an ``http(s)://`` URL, or a
    catalog file.  A URL is not asked again within `MIN_REFETCH_INTERVAL_S` of the last
    request, and is asked conditionally.  The catalog is verified before it is kept: it must
    parse, hold at least `MIN_SATELLITES` satellites and have at most `MAX_SKIPPED_FRACTION`
    malformed records; otherwise `CatalogError` says why and nothing is kept.
    """
    directory = snapshot_dir() if directory is None else directory
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    url = _resolve_source(source)
    if not url.startswith(("http://", "https://")):
        path = Path(url)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CatalogError(
                f"catalog file {url!r} cannot be read ({error.strerror}); give 'celestrak', "
                "an http(s) URL or a catalog file"
            ) from None
        source_id = str(path.resolve())
        kept = _keep(data, source_id, path.name, now, directory, None, None)
        return _kept_result(kept, source_id, directory)
    directory.mkdir(parents=True, exist_ok=True)
    previous = _newest_from(url, directory)
    checked = _last_checked(directory, url)
    if checked is not None and (now - checked).total_seconds() < MIN_REFETCH_INTERVAL_S:
        wait_min = (MIN_REFETCH_INTERVAL_S - (now - checked).total_seconds()) / 60
        return UpdateResult(
            "too_soon",
            url,
            f"{url} was asked at {checked.strftime('%Y-%m-%dT%H:%M:%SZ')}; its data change at "
            f"most every {MIN_REFETCH_INTERVAL_S // 3600} hours, so it is not asked again for "
            f"{wait_min:.0f} min",
            previous,
        )
    body, etag, last_modified = _download(url, previous)
    _mark_checked(directory, url, now)
    if body is None:
        return UpdateResult(
            "unchanged", url, f"{url} answered 304 Not Modified: no new element sets", previous
        )
    kept = _keep(body, url, "catalog.json", now, directory, etag, last_modified)
    return _kept_result(kept, url, directory)
