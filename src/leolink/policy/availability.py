"""Starlink's availability map as data: reading its files, the vendored snapshot, the comparison.

Starlink publishes its map as ``availability-cells.pb``
(https://api.starlink.com/public-files/availability-cells.pb), a Geobuf file (Mapbox's compact
encoding of GeoJSON, https://github.com/mapbox/geobuf) of MultiPolygon features, each the union
of H3 resolution-5 cells in one category, with properties ``status`` (``blacklisted``,
``waitlisted``, ``coming_soon``, ``test``, ``faq``, ...) and, for some, ``expected`` (``Sold
Out``, ``Expanding in 2025``, ``Service date is unknown at this time``).  A category is the
status and its expectation joined as the snapshot names them: ``waitlisted_Sold_Out``.  Any
status is read, including ones not seen before.  Polygons are turned back into cells by their
centres (`leolink.geo.regions.geometry_to_cells`): a union of cells holds exactly the centres of
its cells.

`compare` asks the policy in force at an instant about every cell of a snapshot, for a new
terminal at the cell's centre, and counts per category and per country where it agrees with
what the category calls for (`leolink.policy.records.CellEffect`): a blacklisted cell refused
with CELL_IS_DISABLED, a waitlisted or coming-soon cell refused to a new terminal; categories
with no effect (``test``, ``faq``) are reported as not imported.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final

import geobuf
import numpy as np
import shapely
from shapely.geometry import shape

from leolink.arrays import BoolArray, CellArray
from leolink.errors import InputError
from leolink.geo import grid
from leolink.geo.countries import all_countries
from leolink.geo.regions import geometry_to_cells
from leolink.policy.batch import CompiledPolicy, decide_batch
from leolink.policy.decide import PRECEDENCE, Code
from leolink.policy.records import CellEffect, cell_category_effect
from leolink.time import format_instant

__all__ = [
    "VENDORED_EFFECTIVE_FROM",
    "VENDORED_PUBLISHED",
    "VENDORED_SOURCE",
    "CategoryAgreement",
    "Comparison",
    "MapSnapshot",
    "category_of",
    "compare",
    "load_vendored_snapshot",
    "read_snapshot",
    "snapshot_to_geojson",
]

_VENDORED_FILE: Final = "starlink-availability-cells-2025-01.csv.gz"
#: The month the vendored map was published: the source's README describes the categories "as of
#: January 2025" (clarkzjw/starlink-geoip-data, availability/README.md).
VENDORED_PUBLISHED: Final = "2025-01"
#: From when the default policy holds the vendored map: the start of the month it describes.
VENDORED_EFFECTIVE_FROM: Final = "2025-01-01T00:00:00Z"
VENDORED_SOURCE: Final = (
    "Starlink availability-cells.pb <https://api.starlink.com/public-files/availability-cells.pb>"
    ", as converted to GeoJSON in github.com/clarkzjw/starlink-geoip-data (availability/)"
)
MAP_RESOLUTION: Final = 5


def category_of(properties: dict[str, Any] | None, where: str) -> str:
    """A map feature's category: ``status`` and ``expected`` joined (``waitlisted_Sold_Out``)."""
    props = properties or {}
    status = str(props.get("status") or props.get("category") or "").strip()
    if not status:
        raise InputError(f"{where} has no 'status' property: not a feature of Starlink's map")
    expected = str(props.get("expected") or "").strip()
    return f"{status}_{expected.replace(' ', '_')}" if expected else status


@dataclass(frozen=True)
class MapSnapshot:
    """One published availability map: (cell, category) rows, when and where it came from.

    ``cells`` are resolution-5 H3 cells (``uint64``), ``categories`` the category of each row; a
    cell may be in more than one category (a snapshot mixing the old and new category names).
    """

    cells: CellArray
    categories: tuple[str, ...]
    published: str
    source: str

    def by_category(self) -> dict[str, list[str]]:
        """The cells (hex, sorted) of every category, categories sorted."""
        out: dict[str, list[str]] = {}
        for cell, category in zip(grid.cells_to_hex(self.cells), self.categories, strict=True):
            out.setdefault(category, []).append(cell)
        return {k: sorted(v) for k, v in sorted(out.items())}


def _from_rows(rows: list[tuple[str, str]], published: str, source: str, where: str) -> MapSnapshot:
    unique = sorted(set(rows))
    cells = grid.hex_to_cells([c for c, _ in unique]) if unique else np.zeros(0, np.uint64)
    res = grid.cells_to_resolution(cells)
    if np.any(res != MAP_RESOLUTION):
        bad = grid.cells_to_hex(cells[res != MAP_RESOLUTION][:1])[0]
        raise InputError(f"{where}: cell {bad} is not at resolution 5, the map's resolution")
    return MapSnapshot(cells, tuple(k for _, k in unique), published, source)


def _polygons(geometry: dict[str, Any]) -> shapely.Geometry:
    """A (Multi)Polygon of the map, rings closed and degenerate ones (< 3 corners) left out.

    Geobuf stores rings without their closing point, and the union of cells at 6 decimals
    (Starlink's precision) has slivers of holes with two corners; a polygon is kept whole.
    """
    kind, coords = geometry["type"], geometry["coordinates"]
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else None
    if polygons is None:
        raise ValueError(f"type {kind!r}")
    parts = []
    for rings in polygons:
        closed = [r if r[0] == r[-1] else [*r, r[0]] for r in rings if len(r) >= 3]
        closed = [r for r in closed if len({tuple(p) for p in r}) >= 3]
        if closed:
            parts.append(shapely.make_valid(shape({"type": "Polygon", "coordinates": closed})))
    return shapely.unary_union(parts)


def geojson_to_snapshot(doc: Any, published: str, source: str, where: str) -> MapSnapshot:
    """A snapshot from a GeoJSON FeatureCollection of the map (categories in properties)."""
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
        raise InputError(f"{where}: expected a GeoJSON FeatureCollection of the map's features")
    features = doc.get("features", []) if doc["type"] == "FeatureCollection" else [doc]
    rows: list[tuple[str, str]] = []
    for i, feature in enumerate(features):
        at = f"{where} feature #{i + 1}"
        category = category_of(feature.get("properties"), at)
        try:
            geom = _polygons(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise InputError(f"{at}: its geometry is not a GeoJSON (Multi)Polygon: {exc}") from exc
        cells = geometry_to_cells(geom, MAP_RESOLUTION)
        rows += [(c, category) for c in grid.cells_to_hex(cells)]
    return _from_rows(rows, published, source, where)


def _csv_to_snapshot(text: str, published: str, source: str, where: str) -> MapSnapshot:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"cell", "category"} <= set(reader.fieldnames):
        raise InputError(f"{where}: expected CSV columns 'cell' and 'category'")
    rows = [(r["cell"].strip().lower(), r["category"].strip()) for r in reader]
    return _from_rows(rows, published, source, where)


def read_snapshot(data: bytes, name: str, *, published: str, source: str) -> MapSnapshot:
    """Read a map file by its name: ``.pb`` (Geobuf), ``.geojson``/``.json``, ``.csv[.gz]``."""
    lower = name.lower()
    if lower.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except OSError as exc:
            raise InputError(f"{name} is not gzip: {exc}") from exc
        lower = lower.removesuffix(".gz")
    if lower.endswith(".pb"):
        try:
            doc = geobuf.decode(data)
        except Exception as exc:  # the protobuf runtime raises its own DecodeError types
            raise InputError(f"{name} is not a Geobuf file: {exc}") from exc
        return geojson_to_snapshot(doc, published, source, name)
    if lower.endswith((".geojson", ".json")):
        try:
            doc = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{name} is not JSON: {exc}") from exc
        return geojson_to_snapshot(doc, published, source, name)
    if lower.endswith(".csv"):
        return _csv_to_snapshot(data.decode("utf-8"), published, source, name)
    raise InputError(
        f"{name}: give Starlink's availability-cells.pb (Geobuf), a GeoJSON conversion of it "
        "(.geojson) or a CSV of cell,category (.csv, .csv.gz)"
    )


@cache
def load_vendored_snapshot() -> MapSnapshot:
    """The vendored map of January 2025 (``data/starlink-availability-cells-2025-01.csv.gz``).

    Read once per process (its arrays must not be changed)."""
    ref = resources.files("leolink.data").joinpath(_VENDORED_FILE)
    return read_snapshot(
        ref.read_bytes(),
        _VENDORED_FILE,
        published=VENDORED_PUBLISHED,
        source=VENDORED_SOURCE,
    )


def snapshot_to_geojson(snapshot: MapSnapshot) -> dict[str, Any]:
    """The snapshot as Starlink publishes it: one MultiPolygon per category, with properties."""
    features = []
    for category, cells in snapshot.by_category().items():
        polygons = grid.cells_to_polygons(grid.hex_to_cells(cells))
        union = shapely.unary_union(list(polygons))
        status, _, expected = category.partition("_")
        props: dict[str, Any] = {"status": status}
        if expected:
            props["expected"] = expected.replace("_", " ")
        features.append(
            {"type": "Feature", "geometry": shapely.geometry.mapping(union), "properties": props}
        )
    return {"type": "FeatureCollection", "features": features}


@dataclass(frozen=True)
class CategoryAgreement:
    """How the policy answers for the cells of one category (or one country)."""

    key: str
    effect: CellEffect | None
    cells: int
    agree: int
    codes: dict[str, int]

    @property
    def disagree(self) -> int:
        """Cells the policy answers otherwise than the category calls for."""
        return self.cells - self.agree

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "key": self.key,
            "effect": None if self.effect is None else self.effect.value,
            "cells": self.cells,
            "agree": self.agree,
            "disagree": self.disagree,
            "codes": self.codes,
        }


@dataclass(frozen=True)
class Comparison:
    """A snapshot compared with the policy in force at ``at``.

    ``categories`` has a row per category (those without effect count no agreement: the
    policy does not import them); ``countries`` a row per country of the cells of imported
    categories (``--`` at sea); ``differences`` the imported cells where the policy disagrees.
    """

    at: np.datetime64
    published: str
    policy_version: int
    categories: tuple[CategoryAgreement, ...]
    countries: tuple[CategoryAgreement, ...]
    cells: CellArray
    category: tuple[str, ...]
    country: tuple[str, ...]
    code: tuple[str, ...]
    agrees: BoolArray
    imported: BoolArray

    @property
    def full_agreement(self) -> bool:
        """True when every cell of an imported category agrees."""
        return bool(np.all(self.agrees[self.imported]))

    def differences_geojson(self) -> dict[str, Any]:
        """The imported cells that disagree, as GeoJSON polygons with what was expected."""
        rows = np.flatnonzero(self.imported & ~self.agrees)
        polygons = grid.cells_to_polygons(self.cells[rows])
        features = []
        for r, poly in zip(rows.tolist(), polygons, strict=True):
            features.append(
                {
                    "type": "Feature",
                    "geometry": shapely.geometry.mapping(poly),
                    "properties": {
                        "cell": grid.cells_to_hex(self.cells[r : r + 1])[0],
                        "category": self.category[r],
                        "expected": cell_category_effect(self.category[r]).value,
                        "code": self.code[r],
                        "country": self.country[r],
                    },
                }
            )
        return {"type": "FeatureCollection", "features": features}

    def imported_cells(self) -> dict[str, list[Any]]:
        """The cells of imported categories, columnar: what the map says and what the policy
        answers there (what the web map's comparison layer draws; a few hundred cells)."""
        rows = np.flatnonzero(self.imported)
        return {
            "cell": grid.cells_to_hex(self.cells[rows]),
            "category": [self.category[r] for r in rows.tolist()],
            "country": [self.country[r] for r in rows.tolist()],
            "code": [self.code[r] for r in rows.tolist()],
            "agrees": self.agrees[rows].tolist(),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no per-cell rows)."""
        return {
            "at": format_instant(self.at),
            "published": self.published,
            "policy_version": self.policy_version,
            "full_agreement": self.full_agreement,
            "categories": [c.to_dict() for c in self.categories],
            "countries": [c.to_dict() for c in self.countries],
            "differences": int(np.count_nonzero(self.imported & ~self.agrees)),
        }


def _agrees(effect: CellEffect, rank: int, fired: int) -> bool:
    if effect is CellEffect.DISABLED:
        return bool(fired >> PRECEDENCE.index(Code.CELL_IS_DISABLED) & 1)
    if effect is CellEffect.CLOSED_TO_NEW:
        return PRECEDENCE[rank] is not Code.OKAY
    return False


def _table(
    keys: list[str],
    effects: dict[str, CellEffect | None],
    mask: BoolArray,
    agrees: BoolArray,
    codes: list[str],
) -> tuple[CategoryAgreement, ...]:
    rows_of: dict[str, list[int]] = {}
    for i, (k, m) in enumerate(zip(keys, mask.tolist(), strict=True)):
        if m:
            rows_of.setdefault(k, []).append(i)
    out = []
    for key, rows in sorted(rows_of.items()):
        out.append(
            CategoryAgreement(
                key,
                effects.get(key),
                len(rows),
                int(np.count_nonzero(agrees[rows])),
                dict(Counter(codes[i] for i in rows).most_common()),
            )
        )
    return tuple(out)


def compare(snapshot: MapSnapshot, policy: CompiledPolicy, at: np.datetime64) -> Comparison:
    """Ask ``policy`` at ``at`` about every cell of ``snapshot`` (a new terminal at its centre)."""
    lat, lon = grid.cells_to_latlng(snapshot.cells)
    t: np.datetime64 = at.astype("datetime64[ns]")
    batch = decide_batch(policy, lat, lon, t)
    effects = {c: cell_category_effect(c) for c in set(snapshot.categories)}
    imported = np.asarray([effects[c] is not CellEffect.NONE for c in snapshot.categories], bool)
    ranks, fired = batch.rank.tolist(), batch.fired.tolist()
    agrees = np.asarray(
        [
            _agrees(effects[c], r, f)
            for c, r, f in zip(snapshot.categories, ranks, fired, strict=True)
        ],
        dtype=bool,
    )
    codes = [PRECEDENCE[r].value for r in ranks]
    table = all_countries()
    country = [table[i].code if i >= 0 else "--" for i in batch.country_index.tolist()]
    all_rows = np.ones(len(codes), dtype=bool)
    category_effects: dict[str, CellEffect | None] = dict(effects.items())
    return Comparison(
        at=t,
        published=snapshot.published,
        policy_version=policy.version,
        categories=_table(list(snapshot.categories), category_effects, all_rows, agrees, codes),
        countries=_table(country, {}, imported, agrees, codes),
        cells=snapshot.cells,
        category=snapshot.categories,
        country=tuple(country),
        code=tuple(codes),
        agrees=agrees,
        imported=imported,
    )
