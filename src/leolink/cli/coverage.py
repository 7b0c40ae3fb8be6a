"""The ``coverage`` command: figures of merit of a region's cells over a time window.

``leolink coverage (--country CC | --bbox W,S,E,N | --world | --geojson FILE) --start T --end T
--step-s S`` sweeps the window, prints a summary of the region, and on request writes the
per-cell table (Parquet), the cells with their figures (GeoJSON) and a map (PNG).  Every input is
checked before any work starts; outputs are written to temporary files beside their targets and
renamed only once all of them are complete, so a failed run leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leolink.api import COMMAND_LINE_LIMITS, describe_limits
from leolink.cli._common import (
    CatalogOption,
    FormatOption,
    StrictOption,
    load_catalog,
)
from leolink.cli._output import Format, emit, stderr_console
from leolink.errors import InputError, RegionError

if TYPE_CHECKING:  # the model loads when the command runs, not for --help
    import numpy as np

    from leolink import api

#: Sweeps of at least this many cell-instants show a progress bar (when stderr is a terminal).
PROGRESS_FROM_CELL_STEPS = 20_000_000


def _bbox(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    try:
        if len(parts) != 4:
            raise ValueError(text)
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise RegionError(
            f"--bbox {text!r} is not W,S,E,N: give four numbers of degrees separated by commas, "
            "e.g. 22,44,41,53 (west > east crosses the antimeridian: 170,-20,-170,-10)"
        ) from None
    return west, south, east, north


def _geojson_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegionError(f"GeoJSON file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RegionError(f"cannot read GeoJSON file {str(path)!r} ({error})") from None


def _at_least(text: str | None) -> tuple[int, ...]:
    if not text:
        return (1,)
    try:
        ks = tuple(int(p) for p in text.split(",") if p.strip())
    except ValueError:
        ks = ()
    if not ks or min(ks) < 1:
        raise InputError(
            f"--at-least {text!r} is not a list of satellite counts >= 1; expected e.g. 2,4"
        )
    return ks


def _check_output(path: Path | None, option: str) -> None:
    """Refuse an output whose directory does not exist, before any work is done."""
    if path is None:
        return
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{option} {str(path)!r}: directory {str(parent)!r} does not exist")
    if path.is_dir():
        raise InputError(f"{option} {str(path)!r} is a directory; give a file name")


@contextlib.contextmanager
def _staged(paths: list[Path]) -> Iterator[dict[Path, Path]]:
    """Temporary files beside each target, renamed onto the targets only if the block succeeds."""
    staged: dict[Path, Path] = {}
    try:
        for path in paths:
            handle, name = tempfile.mkstemp(
                prefix=f".{path.name}.",
                suffix=".part",
                dir=path.parent if str(path.parent) else ".",
            )
            os.close(handle)
            # mkstemp makes the file private (0600); give it the mode a new file would get.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(name, 0o666 & ~umask)
            staged[path] = Path(name)
        yield staged
        for path, temporary in staged.items():
            os.replace(temporary, path)
        staged.clear()
    finally:
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)


def _write_parquet(result: api.SweepResult, summary: dict[str, Any], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = result.columns()
    table = pa.table({name: pa.array(values) for name, values in columns.items()})
    metadata = {b"leolink.coverage": json.dumps(_json_safe(summary)).encode()}
    table = table.replace_schema_metadata(metadata)
    pq.write_table(table, path, compression="zstd")


def _json_safe(value: Any) -> Any:
    import numpy as np

    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write_geojson(result: api.SweepResult, summary: dict[str, Any], path: Path) -> None:
    """A FeatureCollection of the cells (polygons cut at the antimeridian), one at a time."""
    import shapely

    from leolink.api import cells_to_polygons

    columns = result.columns()
    names = list(columns)
    rows = [columns[name].tolist() for name in names]
    with path.open("w", encoding="utf-8") as out:
        head = {"type": "FeatureCollection", "leolink": _json_safe(summary)}
        out.write(json.dumps(head)[:-1] + ', "features": [\n')
        for i, polygon in enumerate(cells_to_polygons(result.cells)):
            properties = {name: _json_safe(row[i]) for name, row in zip(names, rows, strict=True)}
            geometry = shapely.to_geojson(polygon) if polygon is not None else "null"
            feature = (
                f'{{"type": "Feature", "geometry": {geometry}, '
                f'"properties": {json.dumps(properties)}}}'
            )
            out.write(("," if i else "") + feature + "\n")
        out.write("]}\n")


def _warn_if_stale(catalog: api.Catalog, instants: list[np.datetime64]) -> None:
    age_days = max(catalog.days_from_epochs(t) for t in instants)
    if age_days > catalog.STALE_AFTER_DAYS:
        stderr_console.print(
            f"warning: the window is up to {age_days:.0f} days from the epochs of "
            f"{catalog.source}; SGP4 errors grow by km per day, so coverage is indicative only "
            "(give a fresher --catalog)",
            style="yellow",
            markup=False,
            highlight=False,
        )


@contextlib.contextmanager
def _progress(total: int, show: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not show:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("sweeping"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("instants"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr_console,
        transient=True,
    )
    task = bar.add_task("sweep", total=total)
    with bar:
        yield lambda done, _total: bar.update(task, completed=done)


def coverage(
    start: Annotated[str, typer.Option("--start", help="Start of the window, ISO 8601 UTC.")],
    end: Annotated[str, typer.Option("--end", help="End of the window (included if on a step).")],
    step_s: Annotated[float, typer.Option("--step-s", help="Seconds between instants.")],
    country: Annotated[
        str | None, typer.Option("--country", help="Region: a country, ISO code (UA, UKR, 804).")
    ] = None,
    bbox: Annotated[
        str | None,
        typer.Option("--bbox", help="Region: W,S,E,N degrees; W > E crosses the antimeridian."),
    ] = None,
    world: Annotated[bool, typer.Option("--world", help="Region: the whole Earth.")] = False,
    geojson: Annotated[
        Path | None,
        typer.Option("--geojson", help="Region: a GeoJSON Polygon/MultiPolygon/Feature file."),
    ] = None,
    resolution: Annotated[int, typer.Option("--resolution", help="H3 resolution, 0-9.")] = 5,
    min_elevation_deg: Annotated[
        float,
        typer.Option("--min-elevation-deg", help="Elevation mask of every satellite, degrees."),
    ] = 25.0,
    shell_mask: Annotated[
        list[str] | None,
        typer.Option(
            "--shell-mask",
            help="LOW-HIGH:DEG - satellites with mean altitude in [LOW, HIGH) km get mask DEG "
            "instead (e.g. 400-500:20); repeatable, ranges must not overlap.",
        ),
    ] = None,
    at_least: Annotated[
        str | None,
        typer.Option(
            "--at-least",
            help="Also the percent of time with >= K satellites in view, for each K (e.g. 2,4).",
        ),
    ] = None,
    catalog: CatalogOption = None,
    strict: StrictOption = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the per-cell table here (Parquet).")
    ] = None,
    geojson_out: Annotated[
        Path | None,
        typer.Option("--geojson-out", help="Write the cells and their figures here (GeoJSON)."),
    ] = None,
    png: Annotated[
        Path | None, typer.Option("--png", help="Draw a map of --figure here (PNG).")
    ] = None,
    figure: Annotated[
        str,
        typer.Option(
            "--figure",
            help="Figure for --png: a per-cell figure of the summary (pct_time_covered, "
            "mean_visible, max_gap_s, ...) or pct_time_at_least_K (K >= 2); a wrong name "
            "lists them all.",
        ),
    ] = "pct_time_covered",
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Run on a local Dask cluster of N worker processes."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Run on the Dask cluster at this address (tcp://H:P)."),
    ] = None,
    chunk_steps: Annotated[
        int | None,
        typer.Option("--chunk-steps", help="Instants per chunk (default: from the work)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Sweep even beyond the command line's limits (see above), after the estimate.",
        ),
    ] = False,
    fmt: FormatOption = Format.auto,
) -> None:
    """Coverage of a region over a time window: a summary, and per-cell figures on request.

    Summary: mean_visible, pct_time_covered (percent of area-time with a satellite in view),
    pct_time_covered_p5, pct_area_always/never_covered, mean_gap_s and mean_max_elevation_deg
    are area-weighted over the cells; min_visible, max_visible, max_gap_s and
    max_elevation_deg are extremes over cells.
    """
    from leolink import api
    from leolink.api import figure_label, make_executor, map_figures

    # Everything is checked before any cell is swept or any worker started.
    instants = api.count_instants(start, end, step_s)
    ks = _at_least(at_least)
    masks = [api.ShellMask.parse(text) for text in shell_mask or []]
    for path, option in ((out, "--out"), (geojson_out, "--geojson-out"), (png, "--png")):
        _check_output(path, option)
    if png is not None:
        figure_label(figure)
        if figure not in map_figures(ks) and figure.startswith("pct_time_at_least_"):
            raise InputError(f"--figure {figure} needs --at-least {figure.rsplit('_', 1)[-1]}")
    if workers is not None and scheduler is not None:
        raise InputError("give either --workers N (a local cluster) or --scheduler ADDR, not both")
    given = [name for name, v in (("--country", country), ("--bbox", bbox), ("--geojson", geojson))
             if v is not None] + (["--world"] if world else [])  # fmt: skip
    if len(given) != 1:
        raise InputError(
            "give exactly one region: --country CC, --bbox W,S,E,N, --world or --geojson FILE"
            + (f" (got {', '.join(given)})" if given else "")
        )
    region: dict[str, Any] = {
        "country": country,
        "bbox": _bbox(bbox) if bbox is not None else None,
        "geojson": _geojson_text(geojson) if geojson is not None else None,
        "world": world,
    }
    cat = load_catalog(catalog, strict, api.parse_instant(start))
    estimate = api.estimate_sweep(
        api.estimate_region_cells(resolution, **region), instants, len(cat)
    )
    api.check_sweep(estimate, COMMAND_LINE_LIMITS, force=force)
    cells, label = api.region_cells(resolution=resolution, **region)
    if geojson is not None:
        label = f"GeoJSON {geojson.name}"
    in_process = workers is None and scheduler is None
    plan = api.plan_sweep(
        cells,
        start,
        end,
        step_s,
        cat,
        min_elevation_deg=min_elevation_deg,
        shell_masks=masks,
        at_least=ks,
        chunk_steps=chunk_steps,
        kernel_parallel=in_process,
        region=label,
    )
    _warn_if_stale(cat, [plan.times[0], plan.times[-1]])

    with make_executor(workers, scheduler) as executor:
        if chunk_steps is None:
            plan = plan.rechunked(executor.workers)
        where = "in process" if in_process else f"on {executor.workers} Dask worker(s)"
        stderr_console.print(
            f"sweeping {plan.cells.size:,} cells x {plan.times.size:,} instants "
            f"({len(plan.chunks)} chunk(s) of up to {plan.chunk_steps}) {where}",
            markup=False,
            highlight=False,
        )
        show = (
            plan.cells.size * plan.times.size >= PROGRESS_FROM_CELL_STEPS
            and stderr_console.is_terminal
        )
        with _progress(plan.times.size, show) as progress:
            result = api.sweep(plan, None if in_process else executor.map, progress=progress)

    summary = api.coverage_summary(result)
    targets = [p for p in (out, geojson_out, png) if p is not None]
    with _staged(targets) as staged:
        if out is not None:
            _write_parquet(result, summary, staged[out])
        if geojson_out is not None:
            _write_geojson(result, summary, staged[geojson_out])
        if png is not None:
            api.coverage_map(result, figure).savefig(staged[png], dpi=120, format="png")
    # The window as instants ('now' resolved), not the words it was given in.
    title = (
        f"Coverage of {label}, {api.format_instant(plan.times[0])} .. "
        f"{api.format_instant(plan.times[-1])}"
    )
    if fmt is Format.table:  # one row of 25 columns reads badly: one row per figure instead
        rows = [{"figure": k, "value": v} for k, v in summary.items() if k != "area_weighted"]
        stderr_console.print(
            "area-weighted over the cells: " + ", ".join(summary["area_weighted"]),
            markup=False,
            highlight=False,
        )
        emit(rows, fmt, title=title)
    else:
        emit(summary, fmt, title=title)


def register(app: typer.Typer) -> None:
    """Add the ``coverage`` command to the ``leolink`` app."""
    limits = describe_limits(COMMAND_LINE_LIMITS)
    app.command(
        "coverage",
        help=f"{inspect.cleandoc(coverage.__doc__ or '')}\n\nLimits without --force "
        f"(leolink.limits.COMMAND_LINE_LIMITS): {limits}.  A sweep beyond them is refused "
        "with an estimate of its memory and time.",
    )(coverage)
