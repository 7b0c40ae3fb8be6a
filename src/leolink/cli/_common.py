"""What several commands share: their common options, loading the catalog, parsing ``--at``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from leolink import api
from leolink.cli._output import Format, stderr_console

CatalogOption = Annotated[
    Path | None,
    typer.Option(
        "--catalog",
        help="TLE (2- or 3-line) or CelesTrak OMM (JSON/CSV) file, optionally .gz; "
        "default: the embedded real catalog of 2026-05-13.",
    ),
]
StrictOption = Annotated[
    bool,
    typer.Option("--strict", help="Stop at the first malformed record instead of skipping it."),
]
FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]
AtOption = Annotated[str, typer.Option("--at", help="UTC instant, ISO 8601 with Z, or 'now'.")]


def load_catalog(path: Path | None, strict: bool) -> api.Catalog:
    """Load ``--catalog`` (or the embedded one), saying on stderr what was skipped."""
    catalog = api.load_catalog(path, strict=strict)
    if catalog.skipped:
        stderr_console.print(
            f"skipped {catalog.skipped} malformed record(s) in {catalog.source}; first: "
            f"{catalog.problems[0]}\n(use --strict to stop at the first one)",
            style="yellow",
            markup=False,
            highlight=False,
        )
    return catalog


def parse_at(text: str, catalog: api.Catalog) -> np.datetime64:
    """Parse ``--at``, warning on stderr when the catalog's element sets are stale by then."""
    at = api.parse_instant(text)
    age_days = catalog.days_from_epochs(at)
    if age_days > catalog.STALE_AFTER_DAYS:
        stderr_console.print(
            f"warning: {api.format_instant(at)} is {age_days:.0f} days from the epochs of "
            f"{catalog.source}; SGP4 errors grow by km per day, so positions are indicative only "
            "and satellites SGP4 can no longer follow are left out (give a fresher --catalog)",
            style="yellow",
            markup=False,
            highlight=False,
        )
    return at


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL: sqlite:///path.db or postgresql+psycopg://user:pw@host/db "
        "(default: a SQLite file in the user's data directory).",
    ),
]
SigningKeyOption = Annotated[
    str | None,
    typer.Option(
        "--signing-key",
        help="PEM file of the Ed25519 key that signs the audit log (created if missing; "
        "default: audit-signing-key.pem in the user's data directory).",
    ),
]
