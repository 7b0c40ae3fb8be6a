"""What several commands share: their common options, loading the catalog, parsing ``--at``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leolink.cli._output import Format, resolve_format, stderr_console

if TYPE_CHECKING:  # the command line imports the model only when a command runs
    import numpy as np

    from leolink import api

CatalogOption = Annotated[
    Path | None,
    typer.Option(
        "--catalog",
        help="TLE (2- or 3-line) or CelesTrak OMM (JSON/CSV) file, optionally .gz; "
        "default: the kept snapshot (`leolink catalog update`) closest to the instant asked "
        "about, else the embedded real catalog of 2026-05-13.",
    ),
]
StrictOption = Annotated[
    bool,
    typer.Option("--strict", help="Stop at the first malformed record instead of skipping it."),
]
FormatOption = Annotated[
    Format,
    typer.Option(
        "--format",
        help="Output format; auto (the default): a table at a terminal, JSON in a pipe or file.",
        callback=resolve_format,
    ),
]
AtOption = Annotated[str, typer.Option("--at", help="UTC instant, ISO 8601 with Z, or 'now'.")]


def load_catalog(path: Path | None, strict: bool, at: np.datetime64 | None = None) -> api.Catalog:
    """Load ``--catalog``, or without it the kept snapshot closest to ``at`` (the newest when
    ``at`` is None; the embedded catalog when none is kept or it is closer), saying on stderr
    which one and what was skipped."""
    from leolink import api

    if path is None:
        catalog = api.load_catalog_for(at)
        if catalog.source != api.load_catalog().source:
            _note(f"using the catalog snapshot {catalog.source}")
    else:
        catalog = api.load_catalog(path, strict=strict)
    if catalog.skipped:
        _note(
            f"skipped {catalog.skipped} malformed record(s) in {catalog.source}; first: "
            f"{catalog.problems[0]}\n(use --strict to stop at the first one)",
            style="yellow",
        )
    return catalog


def catalog_at(path: Path | None, strict: bool, at_text: str) -> tuple[api.Catalog, np.datetime64]:
    """Parse ``--at`` and load the catalog for that instant (`load_catalog`), warning on
    stderr when its element sets are stale by then."""
    from leolink import api

    at = api.parse_instant(at_text)
    catalog = load_catalog(path, strict, at)
    age_days = catalog.days_from_epochs(at)
    if age_days > catalog.STALE_AFTER_DAYS:
        _note(
            f"warning: {api.format_instant(at)} is {age_days:.0f} days from the epochs of "
            f"{catalog.source}; SGP4 errors grow by km per day, so positions are indicative only "
            "and satellites SGP4 can no longer follow are left out (run `leolink catalog "
            "update` online, or give a --catalog of that time)",
            style="yellow",
        )
    return catalog, at


def _note(text: str, style: str | None = None) -> None:
    stderr_console.print(text, style=style, markup=False, highlight=False)


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL: sqlite:///path.db or postgresql+psycopg://user:pw@host/db "
        "(default: a SQLite file in the user's data directory).",
    ),
]


def _existing_key_file(path: str | None) -> str | None:
    """``--signing-key`` must name a key file that exists: a missing or mistyped path would
    otherwise sign the log with a new key, splitting it between two keys."""
    if path is not None and not Path(path).is_file():
        raise typer.BadParameter(
            f"{path}: no such key file (make a new one with `leolink audit new-key {path}`, or "
            "leave --signing-key out to use the one in the user's data directory)"
        )
    return path


SigningKeyOption = Annotated[
    str | None,
    typer.Option(
        "--signing-key",
        help="PEM file of the Ed25519 key that signs the audit log; it must exist (make one "
        "with `leolink audit new-key PATH`). Default: audit-signing-key.pem in the user's "
        "data directory, created by the first write.",
        callback=_existing_key_file,
    ),
]
