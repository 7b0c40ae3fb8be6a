"""Commands about the network: ``route`` (lowest-delay path, hops and RTT between two points)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from leolink.cli._common import (
    AtOption,
    CatalogOption,
    FormatOption,
    StrictOption,
    catalog_at,
)
from leolink.cli._output import Format, emit, stderr_console
from leolink.errors import InputError


def route(
    from_: Annotated[
        str,
        typer.Option("--from", help="Start: LAT,LON in decimal degrees, e.g. 48.8534,2.3488."),
    ],
    at: AtOption,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Destination LAT,LON; without it, the route goes through a gateway to the "
            "PoP nearest in delay (or --pop).",
        ),
    ] = None,
    pop: Annotated[
        str | None, typer.Option("--pop", help="Route to this PoP id (e.g. POP12) without --to.")
    ] = None,
    catalog: CatalogOption = None,
    isl: Annotated[
        str,
        typer.Option("--isl", help="Laser links: plus-grid (the +Grid), or none (bent pipe only)."),
    ] = "plus-grid",
    min_elevation_deg: Annotated[
        float | None,
        typer.Option(
            "--min-elevation-deg",
            help="Elevation mask of ground links, degrees (default 25 unless --max-gsl-km).",
        ),
    ] = None,
    max_gsl_km: Annotated[
        float | None,
        typer.Option("--max-gsl-km", help="Ground links up to this slant range instead, km."),
    ] = None,
    isl_file: Annotated[
        Path | None,
        typer.Option(
            "--isl-file",
            help="Lasers from a Hypatia isls.txt (two satellite indices a line, catalog order "
            "from 0) instead of the inferred +Grid.",
        ),
    ] = None,
    max_isl_km: Annotated[
        float | None,
        typer.Option(
            "--max-isl-km", help="Longest laser link, km (default 5,400, SpaceX's stated range)."
        ),
    ] = None,
    no_gateways: Annotated[
        bool,
        typer.Option("--no-gateways", help="Leave out the gateways and PoPs (satellites only)."),
    ] = False,
    ground_relays: Annotated[
        bool,
        typer.Option(
            "--ground-relays", help="Let paths pass through gateways and the destination's site."
        ),
    ] = False,
    strict: StrictOption = False,
    fmt: FormatOption = Format.json,
) -> None:
    """Lowest-delay route between two points (or to the Internet), with its hops and RTT.

    An unreachable destination is a result (reachable: false, with the reason), not an error.
    """
    from leolink import api
    from leolink.network import DEFAULT_MAX_ISL_KM, IslPattern, parse_isls, parse_lat_lon

    try:
        isl_pattern = IslPattern(isl)
    except ValueError:
        choices = ", ".join(p.value for p in IslPattern)
        raise InputError(
            f"--isl {isl!r} is not a laser-link pattern; expected one of: {choices}"
        ) from None
    if max_isl_km is None:
        max_isl_km = DEFAULT_MAX_ISL_KM
    src = parse_lat_lon(from_, "--from")
    dst = None if to is None else parse_lat_lon(to, "--to")
    if min_elevation_deg is not None and max_gsl_km is not None:
        raise InputError(
            f"give either --min-elevation-deg ({min_elevation_deg:g}) or --max-gsl-km "
            f"({max_gsl_km:g}), not both"
        )
    if dst is not None and pop is not None:
        raise InputError(f"--pop {pop} is for routes to the Internet; leave out --to {to} with it")
    if dst is None and no_gateways:
        raise InputError(
            "without --to the route ends at a PoP through a gateway; drop --no-gateways"
        )
    cat, instant = catalog_at(catalog, strict, at)
    isl_pairs = None
    if isl_file is not None:
        if isl_pattern is IslPattern.NONE:
            raise InputError(f"--isl none leaves out the lasers; drop --isl-file {isl_file}")
        try:
            text = isl_file.read_text()
        except OSError as error:
            raise InputError(f"--isl-file {isl_file}: cannot read it ({error.strerror})") from None
        isl_pairs = parse_isls(text, len(cat), source=str(isl_file))
    result = api.route(
        cat,
        instant,
        src,
        dst,
        pop=pop,
        isl=isl_pattern,
        isl_pairs=isl_pairs,
        gateways=not no_gateways,
        pops=not no_gateways,
        min_elevation_deg=None
        if max_gsl_km is not None
        else (25.0 if min_elevation_deg is None else min_elevation_deg),
        max_gsl_km=max_gsl_km,
        max_isl_km=max_isl_km,
        ground_relays=ground_relays,
    )
    record = result.as_dict()
    if fmt is Format.json:
        emit(record, fmt)
        return
    if not result.reachable:
        emit({k: v for k, v in record.items() if k != "path"}, fmt)
        return
    stderr_console.print(
        f"RTT {result.rtt_ms:.3f} ms over {result.hops} links at {record['at']}",
        markup=False,
        highlight=False,
    )
    emit(record["path"], fmt, title=f"Route at {record['at']}: RTT {result.rtt_ms:.3f} ms")


def latency(
    at: AtOption,
    countries: Annotated[
        str | None,
        typer.Option("--countries", help="Comma-separated ISO codes (default: all 248)."),
    ] = None,
    resolution: Annotated[
        int, typer.Option("--resolution", help="H3 resolution of the sample points (0-9).")
    ] = 3,
    catalog: CatalogOption = None,
    strict: StrictOption = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Modelled RTT to the nearest PoP, country by country, over each country's H3 cells.

    Every cell centre is a terminal; its route goes up to the satellites, along the +Grid
    lasers, down to a gateway and over fibre to the PoP nearest in delay.
    """
    from leolink import api

    codes = None if countries is None else [c.strip() for c in countries.split(",") if c.strip()]
    cat, instant = catalog_at(catalog, strict, at)
    network = api.build_network(cat)
    rows = api.country_rtt_table(network, instant, countries=codes, resolution=resolution)
    emit(
        [asdict(row) for row in rows],
        fmt,
        title=f"RTT to the nearest PoP at {api.format_instant(instant)}",
    )


def register(app: typer.Typer) -> None:
    """Add the network commands to the ``leolink`` app."""
    app.command("route")(route)
    app.command("latency")(latency)
