"""``leolink availability``: Starlink's availability map — import it, compare the policy with it.

``import`` reads Starlink's ``availability-cells.pb`` (Geobuf), a GeoJSON conversion of it or
a CSV of ``cell,category`` and proposes one cell-status change per category (every category,
including ones not seen before); the categories that withdraw service wait for a second
operator (``POST /v1/cell-statuses/{id}/approve``), the others are in force at once.
``compare`` asks the policy in force at ``--at`` about every cell of a snapshot and prints the
agreement per category and per country; it writes the disagreeing cells as GeoJSON and a PNG
map of all cells.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leolink.cli._common import DbOption, FormatOption, SigningKeyOption
from leolink.cli._output import Format, emit, stderr_console
from leolink.cli.policy import _cli_actor, _open
from leolink.errors import InputError

if TYPE_CHECKING:  # the policy engine and the map's drawing load when a command runs
    from leolink.api import MapSnapshot

__all__ = ["register"]

#: The name that stands for the vendored snapshot instead of a file.
VENDORED: str = "vendored"


def _snapshot(path: str, published: str | None, source: str | None) -> MapSnapshot:
    from leolink.api import VENDORED_PUBLISHED, load_vendored_snapshot, read_availability_snapshot

    if path == VENDORED:
        return load_vendored_snapshot()
    file = Path(path)
    if not file.is_file():
        raise InputError(
            f"snapshot {path!r} is not a file: give availability-cells.pb, a .geojson, a "
            f".csv[.gz] of cell,category, or {VENDORED!r} for the vendored map of "
            f"{VENDORED_PUBLISHED}"
        )
    return read_availability_snapshot(
        file.read_bytes(),
        file.name,
        published=published or "unknown date",
        source=source or f"Starlink availability map file {file.name}",
    )


def import_map(
    path: Annotated[str, typer.Argument(help="availability-cells.pb, .geojson or .csv[.gz].")],
    published: Annotated[
        str, typer.Option("--published", help="When Starlink published it (e.g. 2025-01).")
    ],
    effective_from: Annotated[
        str, typer.Option("--effective-from", help="UTC instant it applies from (ISO 8601 Z).")
    ],
    effective_until: Annotated[
        str | None, typer.Option("--effective-until", help="UTC instant it stops (open: none).")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Where the file was taken from (URL).")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why, for the audit log.")] = (
        "import of Starlink's availability map"
    ),
    db: DbOption = None,
    signing_key: SigningKeyOption = None,
    fmt: FormatOption = Format.auto,
) -> None:
    """Propose the map's cells, one change per category (any category is accepted)."""
    snapshot = _snapshot(path, published, source)
    rows = []
    with _open(db, signing_key) as store:
        for category, cells in snapshot.by_category().items():
            change = store.propose_cell_statuses(
                category,
                cells,
                effective_from=effective_from,
                effective_until=effective_until,
                published=snapshot.published,
                source=snapshot.source,
                actor=_cli_actor(),
                reason=reason,
            )
            rows.append(change.to_dict(with_cells=False))
    emit(
        [{k: r[k] for k in ("id", "category", "effect", "cell_count", "state")} for r in rows]
        if fmt is Format.table
        else rows,
        fmt,
        title=f"Imported {path} (published {snapshot.published})",
    )


def compare_map(
    snapshot_path: Annotated[
        str,
        typer.Argument(
            metavar="SNAPSHOT", help=f"A map file, or {VENDORED!r} for the vendored snapshot."
        ),
    ],
    at: Annotated[str, typer.Option("--at", help="UTC instant, ISO 8601 with Z, or 'now'.")] = (
        "now"
    ),
    out_dir: Annotated[
        Path, typer.Option("--out-dir", help="Where to write the differences and the map.")
    ] = Path("."),
    published: Annotated[
        str | None, typer.Option("--published", help="When the snapshot was published.")
    ] = None,
    db: DbOption = None,
    signing_key: SigningKeyOption = None,
    fmt: FormatOption = Format.auto,
) -> None:
    """Agreement of the policy in force at --at with a snapshot, per category and country."""
    from leolink.api import (
        compare_availability,
        comparison_map,
        compile_policy,
        format_instant,
        parse_instant,
        seed_if_empty,
    )

    instant = parse_instant(at)
    snapshot = _snapshot(snapshot_path, published, None)
    if not out_dir.is_dir():
        raise InputError(f"--out-dir {out_dir} is not a directory: create it first")
    with _open(db, signing_key) as store:
        if db is None:
            seed_if_empty(store)
        history = store.policy_history()
    result = compare_availability(snapshot, compile_policy(history), instant)
    geojson_path = out_dir / "availability-differences.geojson"
    png_path = out_dir / "availability-compare.png"
    geojson_path.write_text(json.dumps(result.differences_geojson()), encoding="utf-8")
    comparison_map(result).savefig(png_path, dpi=110)
    if fmt is Format.json:
        emit(result.to_dict(), fmt)
    else:
        emit(
            [_row(c.to_dict()) for c in result.categories],
            fmt,
            title=(
                f"Per category, policy at {format_instant(instant)} vs map of {snapshot.published}"
            ),
        )
        emit(
            [_row(c.to_dict()) for c in result.countries],
            fmt,
            title="Per country (imported categories)",
        )
    stderr_console.print(
        f"{'full agreement' if result.full_agreement else 'DISAGREEMENT'} on the imported "
        f"categories; differences: {geojson_path}, map: {png_path}",
        markup=False,
        highlight=False,
    )


def _row(entry: dict[str, object]) -> dict[str, object]:
    codes = entry["codes"]
    assert isinstance(codes, dict)
    imported = entry["effect"] not in (None, "none")
    return {
        "key": entry["key"],
        "effect": entry["effect"] or "",
        "cells": entry["cells"],
        "agree": entry["agree"] if imported or entry["effect"] is None else "not imported",
        "disagree": entry["disagree"] if imported or entry["effect"] is None else "",
        "policy codes": ", ".join(f"{k} {v}" for k, v in codes.items()),
    }


def register(app: typer.Typer) -> None:
    """Add ``leolink availability import|compare``."""
    group = typer.Typer(help="Starlink's availability map.", no_args_is_help=True)
    group.command("import")(import_map)
    group.command("compare")(compare_map)
    app.add_typer(group, name="availability")
