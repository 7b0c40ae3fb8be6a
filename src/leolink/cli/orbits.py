"""Commands about the space segment: ``catalog info``, ``positions``, ``visible``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from leolink import api
from leolink.cli._common import (
    AtOption,
    CatalogOption,
    FormatOption,
    StrictOption,
    load_catalog,
    parse_at,
)
from leolink.cli._output import Format, emit, stderr_console
from leolink.errors import InputError


def _norad_list(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(
            f"--norad {text!r} is not a comma-separated list of NORAD ids; "
            "expected e.g. 44714,44718"
        ) from None


def catalog_info(
    catalog: CatalogOption = None, strict: StrictOption = False, fmt: FormatOption = Format.table
) -> None:
    """Summarise a catalog: satellites, inferred shells with planes, and skipped records."""
    cat = load_catalog(catalog, strict)
    summary = api.catalog_summary(cat)
    if fmt is Format.table:
        stderr_console.print(
            f"{summary['satellites']} satellites from {cat.source}, "
            f"{summary['unassigned']} in no shell; 'satellites' are those settled in a shell, "
            "'manoeuvring' those raising, lowering or parked off it (no lasers until settled), "
            f"{summary['skipped']} record(s) skipped",
            markup=False,
            highlight=False,
        )
        emit(summary["shells"], fmt, title="Shells inferred from the catalog")
    else:
        emit(summary, fmt)


def positions(
    at: AtOption,
    catalog: CatalogOption = None,
    norad: Annotated[
        str | None, typer.Option("--norad", help="Comma-separated NORAD ids (default: all).")
    ] = None,
    strict: StrictOption = False,
    fmt: FormatOption = Format.json,
) -> None:
    """Earth-fixed (ITRF) and geodetic positions of satellites at one instant."""
    cat = load_catalog(catalog, strict)
    rows = api.positions(cat, parse_at(at, cat), norad_ids=_norad_list(norad))
    emit([asdict(r) for r in rows], fmt, title=f"Satellite positions at {at}")


def visible(
    lat: Annotated[float, typer.Option("--lat", help="Observer geodetic latitude, degrees.")],
    lon: Annotated[float, typer.Option("--lon", help="Observer longitude, degrees east.")],
    at: AtOption,
    min_elevation_deg: Annotated[
        float, typer.Option("--min-elevation-deg", help="Elevation mask, degrees.")
    ] = 25.0,
    catalog: CatalogOption = None,
    strict: StrictOption = False,
    fmt: FormatOption = Format.json,
) -> None:
    """Satellites above the elevation mask from a point, highest first."""
    cat = load_catalog(catalog, strict)
    rows = api.visible(
        cat, lat_deg=lat, lon_deg=lon, at=parse_at(at, cat), min_elevation_deg=min_elevation_deg
    )
    emit([asdict(r) for r in rows], fmt, title=f"Visible from {lat:.4f}, {lon:.4f} at {at}")


def register(app: typer.Typer) -> None:
    """Add the space-segment commands to the ``leolink`` app."""
    catalog_app = typer.Typer(help="Satellite catalogs.", no_args_is_help=True)
    catalog_app.command("info")(catalog_info)
    app.add_typer(catalog_app, name="catalog")
    app.command("positions")(positions)
    app.command("visible")(visible)
