"""Printing command results: JSON or CSV on stdout for machines, a rich table for people.

Progress and logs go to stderr (`stderr_console`), so ``--format json`` output stays parseable.
"""

from __future__ import annotations

import csv
import enum
import json
import math
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

stderr_console = Console(stderr=True, soft_wrap=True)


class Format(enum.StrEnum):
    """Output formats every command offers; ``auto``, every command's default, is a table for a
    person at a terminal and JSON for a pipe or a file (`resolve_format`)."""

    json = "json"
    csv = "csv"
    table = "table"
    auto = "auto"


def resolve_format(fmt: Format) -> Format:
    """``auto`` as it applies now: ``table`` when stdout is a terminal, else ``json``."""
    if fmt is not Format.auto:
        return fmt
    return Format.table if sys.stdout.isatty() else Format.json


def _plain(value: Any) -> Any:
    """JSON-safe value: NaN becomes null, NumPy scalars become Python numbers."""
    if hasattr(value, "item") and not isinstance(value, list | dict | str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def emit(
    result: Mapping[str, Any] | Sequence[Mapping[str, Any]], fmt: Format, title: str = ""
) -> None:
    """Print a record or a list of records in the chosen format on stdout."""
    data = _plain(result)
    fmt = resolve_format(fmt)
    if fmt is Format.json:
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    rows = [data] if isinstance(data, dict) else list(data)
    columns = list(rows[0]) if rows else []
    if fmt is Format.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in row.items()}
            )
        return
    # Every cell is a Text, never markup: "[confidence: high]" is data to show, not a style.
    table = Table(title=Text(title) if title else None)
    if isinstance(data, dict):
        # One record reads down, as key and value; values wrap instead of being cut, so that
        # codes, cell ids and reasons are shown whole.
        table.add_column("field", style="bold", no_wrap=True)
        table.add_column("value", overflow="fold")
        for key, value in data.items():
            table.add_row(Text(str(key)), Text(_cell(value)))
    else:
        for column in columns:
            table.add_column(
                Text(column),
                justify="right" if _is_numeric(rows, column) else "left",
                overflow="fold",
            )
        for row in rows:
            table.add_row(*(Text(_cell(row.get(c))) for c in columns))
    console = Console()
    if not console.is_terminal:  # files and pipes get the whole table, not 80 columns of it
        console = Console(width=1000)
    console.print(table)


def _is_numeric(rows: Sequence[Mapping[str, Any]], column: str) -> bool:
    return all(isinstance(r.get(column), int | float) or r.get(column) is None for r in rows)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
