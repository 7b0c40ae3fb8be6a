"""Commands about the space segment: ``catalog info``, ``positions``, ``visible``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from leolink.cli._common import (
    AtOption,
    CatalogOption,
    FormatOption,
    StrictOption,
    catalog_at,
    load_catalog,
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
    catalog: CatalogOption = None, strict: StrictOption = False, fmt: FormatOption = Format.auto
) -> None:
    """Summarise a catalog: satellites, inferred shells with planes, and skipped records."""
    from leolink import api

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


def catalog_update(
    source: Annotated[
        str,
        typer.Option(
            "--source",
            help="'celestrak' (its Starlink group, OMM JSON), an http(s) URL or a catalog file.",
        ),
    ] = "celestrak",
    fmt: FormatOption = Format.auto,
) -> None:
    """Fetch current element sets and keep them as a dated snapshot that commands then use.

    A URL is asked at most once per two hours and conditionally (CelesTrak's usage rules);
    the catalog is verified before it is kept.  Offline, the newest snapshot (or the embedded
    catalog) stays in use.
    """
    from leolink import api

    result = api.update_catalog(source)
    stderr_console.print(result.message, markup=False, highlight=False)
    snapshot = result.snapshot
    emit(
        {
            "outcome": result.outcome,
            "source": result.source,
            "file": None if snapshot is None else str(snapshot.path),
            "satellites": None if snapshot is None else snapshot.satellites,
            "epoch_median": None if snapshot is None else snapshot.epoch_median,
        },
        fmt,
        title="Catalog update",
    )


def catalog_list(fmt: FormatOption = Format.auto) -> None:
    """The kept catalog snapshots, oldest first (the embedded catalog is always there too)."""
    from leolink import api

    emit(
        [
            {
                "fetched_at": s.fetched_at,
                "epoch_median": s.epoch_median,
                "satellites": s.satellites,
                "source": s.source,
                "file": str(s.path),
            }
            for s in api.catalog_snapshots()
        ],
        fmt,
        title="Catalog snapshots",
    )


def positions(
    at: AtOption,
    catalog: CatalogOption = None,
    norad: Annotated[
        str | None, typer.Option("--norad", help="Comma-separated NORAD ids (default: all).")
    ] = None,
    strict: StrictOption = False,
    fmt: FormatOption = Format.auto,
) -> None:
    """Earth-fixed (ITRF) and geodetic positions of satellites at one instant."""
    from leolink import api

    cat, instant = catalog_at(catalog, strict, at)
    rows = api.positions(cat, instant, norad_ids=_norad_list(norad))
    emit(
        [asdict(r) for r in rows],
        fmt,
        title=f"Satellite positions at {api.format_instant(instant)}",
    )


def visible(
    lat: Annotated[float, typer.Option("--lat", help="Observer geodetic latitude, degrees.")],
    lon: Annotated[float, typer.Option("--lon", help="Observer longitude, degrees east.")],
    at: AtOption,
    min_elevation_deg: Annotated[
        float, typer.Option("--min-elevation-deg", help="Elevation mask, degrees.")
    ] = 25.0,
    catalog: CatalogOption = None,
    strict: StrictOption = False,
    fmt: FormatOption = Format.auto,
) -> None:
    """Satellites above the elevation mask from a point, highest first."""
    from leolink import api

    cat, instant = catalog_at(catalog, strict, at)
    rows = api.visible(
        cat, lat_deg=lat, lon_deg=lon, at=instant, min_elevation_deg=min_elevation_deg
    )
    emit(
        [asdict(r) for r in rows],
        fmt,
        title=f"Visible from {lat:.4f}, {lon:.4f} at {api.format_instant(instant)}",
    )


def register(app: typer.Typer) -> None:
    """Add the space-segment commands to the ``leolink`` app."""
    catalog_app = typer.Typer(help="Satellite catalogs.", no_args_is_help=True)
    catalog_app.command("info")(catalog_info)
    catalog_app.command("update")(catalog_update)
    catalog_app.command("list")(catalog_list)
    app.add_typer(catalog_app, name="catalog")
    app.command("positions")(positions)
    app.command("visible")(visible)
