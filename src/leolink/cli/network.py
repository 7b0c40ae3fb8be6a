"""Commands about the network: ``route`` (lowest-delay path, hops and RTT between two points)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

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
            "user's PoP (as Starlink's GeoIP feed assigns it, or --pop), with its RTT.",
        ),
    ] = None,
    pop: Annotated[
        str | None,
        typer.Option(
            "--pop",
            help="Route to this 2026 PoP (reverse-DNS code, e.g. frntdeu1) without --to; by "
            "default the PoP Starlink's GeoIP feed assigns to --from.",
        ),
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
    fmt: FormatOption = Format.auto,
) -> None:
    """Lowest-delay route between two points (or to the Internet), with its hops and RTT.

    An unreachable destination is a result (reachable: false, with the reason), not an error.
    """
    from leolink import api
    from leolink.api import (
        DEFAULT_MAX_ISL_KM,
        IslPattern,
        ground_link_elevation_deg,
        parse_isls,
        parse_route_endpoints,
    )

    try:
        isl_pattern = IslPattern(isl)
    except ValueError:
        choices = ", ".join(p.value for p in IslPattern)
        raise InputError(
            f"--isl {isl!r} is not a laser-link pattern; expected one of: {choices}"
        ) from None
    if max_isl_km is None:
        max_isl_km = DEFAULT_MAX_ISL_KM
    src, dst = parse_route_endpoints(
        from_, to, pop, min_elevation_deg, max_gsl_km, not no_gateways, spelling="option"
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
    options: dict[str, Any] = {
        "isl": isl_pattern,
        "isl_pairs": isl_pairs,
        "min_elevation_deg": ground_link_elevation_deg(min_elevation_deg, max_gsl_km),
        "max_gsl_km": max_gsl_km,
        "max_isl_km": max_isl_km,
        "ground_relays": ground_relays,
    }
    breakdown = None
    if dst is None:
        network = api.build_network(cat, pops=False, **options)
        result, breakdown = api.internet_route(network, instant, src, pop=pop)
    else:
        result = api.route(
            cat, instant, src, dst, gateways=not no_gateways, pops=not no_gateways, **options
        )
    record = result.as_dict()
    if breakdown is not None:
        record["latency"] = api.latency_record(breakdown, cat.days_from_epochs(instant))
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
    places: Annotated[
        list[str] | None,
        typer.Option(
            "--place",
            help="A place LAT,LON (repeat the option): one row per place instead of countries.",
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--end", help="Pool the instants from --at to this one (with --step-s)."),
    ] = None,
    step_s: Annotated[
        float, typer.Option("--step-s", help="Step between pooled instants, s.")
    ] = 3600.0,
    floor: Annotated[
        bool,
        typer.Option(
            "--floor",
            help="The propagation-only floor instead: best satellite, PoP nearest in delay "
            "(StarPerf 2024 ground segment), light only.",
        ),
    ] = False,
    resolution: Annotated[
        int, typer.Option("--resolution", help="H3 resolution of the sample points (0-9).")
    ] = 3,
    catalog: CatalogOption = None,
    strict: StrictOption = False,
    fmt: FormatOption = Format.auto,
) -> None:
    """RTT a user measures to their PoP, per country or per place, with its components.

    Each cell centre (or place) is a terminal homed to the PoP Starlink's GeoIP feed assigns
    there; every satellite in view may serve it (Starlink's scheduler does not pick the best),
    and the RTT adds propagation in space and on the ground, radio access and processing.
    """
    from leolink import api
    from leolink.api import GEOIP_FEED_DATE, parse_lat_lon

    codes = None if countries is None else [c.strip() for c in countries.split(",") if c.strip()]
    points = None if not places else [parse_lat_lon(p, "--place") for p in places]
    if floor and points is not None:
        raise InputError("--floor is per country; leave out --place with it")
    cat, instant = catalog_at(catalog, strict, at)
    instants = [instant] if end is None else list(api.time_grid(instant, end, step_s))
    # Titles give the instants themselves ('now' resolved), not the words they were given in.
    window = (
        api.format_instant(instant)
        if end is None
        else f"{api.format_instant(instant)} .. {api.format_instant(instants[-1])} "
        f"every {step_s:g} s"
    )
    if floor:
        network = api.build_network(cat)
        floor_rows = api.country_rtt_table(
            network, instants, countries=codes, resolution=resolution
        )
        records = [asdict(row) for row in floor_rows]
        title = f"Propagation-only RTT floor to the nearest PoP, {window}"
    else:
        network = api.build_network(cat, pops=False)
        rows = api.latency_table(
            network, instants, countries=codes, places=points, resolution=resolution
        )
        records = [asdict(row) for row in rows]
        title = f"RTT to the assigned PoP (GeoIP feed {GEOIP_FEED_DATE}), {window}"
    emit(records, fmt, title=title)


def register(app: typer.Typer) -> None:
    """Add the network commands to the ``leolink`` app."""
    app.command("route")(route)
    app.command("latency")(latency)
