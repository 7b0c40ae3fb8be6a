"""``leolink forensics``: findings from terminal telemetry, matched against the log; synthetic
telemetry from scenarios.

``infer`` reads the log from the store (``--db``, default the user's store) or from a scenario
replayed in memory (``--scenario``): the policy history and its audit records, given to the pure
`leolink.forensics.match_log`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leolink.cli._common import CatalogOption, DbOption, FormatOption
from leolink.cli._output import Format, emit, stderr_console
from leolink.errors import InputError

if TYPE_CHECKING:  # the model, the store and the scenarios load when a command runs
    import numpy as np
    import numpy.typing as npt
    from rich.progress import Progress

    from leolink.api import (
        Jamming,
        PolicyLog,
        ReportsRead,
        Restriction,
    )

__all__ = ["register"]

forensics_app = typer.Typer(
    name="forensics",
    help="Shutdown forensics: what terminals saw, what it was, and whether it was logged.",
    no_args_is_help=True,
)


def _progress() -> Progress:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=stderr_console,
        transient=True,
    )


def _scenario_log(name: str) -> PolicyLog:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from leolink.api import (
        PolicyLog,
        ScenarioClock,
        load_scenario,
        run_scenario,
    )
    from leolink.store import Store

    scenario = load_scenario(name)
    holder: list[Store] = []

    def open_store(clock: ScenarioClock) -> Store:
        store = Store.open("sqlite://", signing_key=Ed25519PrivateKey.generate(), clock=clock)
        holder.append(store)
        return store

    run_scenario(scenario, open_store)
    store = holder[0]
    try:
        return PolicyLog(store.policy_history(), store.audit_log(limit=None))
    finally:
        store.close()


def _store_log(db: str | None) -> PolicyLog:
    from leolink.api import (
        PolicyLog,
    )
    from leolink.store import Store

    with Store.open(db) as store:
        return PolicyLog(store.policy_history(), store.audit_log(limit=None))


def _stored_reports(db: str | None, start: str | None, end: str | None) -> ReportsRead:
    from leolink.api import (
        ReportsRead,
        parse_instant,
    )
    from leolink.store import Store

    if start is None or end is None:
        raise InputError(
            "give --reports FILE, or --start and --end to read the reports terminals posted "
            "to the store (--db)"
        )
    t0, t1 = parse_instant(start), parse_instant(end)
    with Store.open(db) as store:
        stored = store.telemetry.window(t0, t1)
    return ReportsRead(stored, len(stored), (), {})


def _row(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": f["kind"],
        "cells": len(f["cells"]),
        "start": f["start"],
        "end": f["end"],
        "confidence": f["confidence"],
        "terminals": f["terminals"],
        "logged": "" if f["logged"] is None else ("yes" if f["logged"] else "NO"),
        "log_records": ",".join(map(str, f["log_records"])),
    }


@forensics_app.command("infer")
def infer(
    reports: Annotated[
        Path | None,
        typer.Option(
            "--reports",
            help="Telemetry: .jsonl (JSON Lines), .csv or .parquet.  Without it, the reports "
            "terminals posted to the store (--db) in [--start, --end).",
        ),
    ] = None,
    db: DbOption = None,
    start: Annotated[
        str | None, typer.Option("--start", help="Stored reports from this instant (ISO 8601 Z).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Stored reports before this instant (ISO 8601 Z).")
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario",
            help="Match against this scenario's log (replayed in memory) instead of a store's.",
        ),
    ] = None,
    catalog: CatalogOption = None,
    fmt: FormatOption = Format.auto,
) -> None:
    """Infer restrictions, coverage gaps, GNSS interference and ground outages; match the log."""
    from leolink.api import (
        CoverageModel,
        findings_document,
        infer_findings,
        load_catalog,
        match_log,
        read_reports,
    )

    if db is not None and scenario is not None:
        raise InputError("give --db or --scenario, not both: the log comes from one of them")
    if reports is not None and (start is not None or end is not None):
        raise InputError("--start and --end choose stored reports: give them without --reports")
    with _progress() as progress:
        if reports is None:
            progress.add_task(f"reading stored reports from {db or 'the default store'}")
            read = _stored_reports(db, start, end)
        else:
            progress.add_task(f"reading {reports}")
            read = read_reports(reports)
    if read.skipped:
        first = read.problems[0]
        stderr_console.print(
            f"skipped {read.skipped} malformed line(s) of {read.lines} in {reports}; first: "
            f"line {first.line}: {first.message}",
            style="yellow",
            markup=False,
            highlight=False,
        )
    model = CoverageModel(load_catalog(catalog))
    with _progress() as progress:
        progress.add_task(f"inferring from {len(read.reports):,} reports")
        inference = infer_findings(read.reports, coverage=model)
        log = _scenario_log(scenario) if scenario is not None else _store_log(db)
        matched = match_log(inference, log)
    document = findings_document(read, inference, matched)
    if fmt is Format.json:
        emit(
            {
                "log": scenario if scenario is not None else (db or "default store"),
                "source": str(reports) if reports is not None else f"stored [{start}, {end})",
                **document,
            },
            fmt,
        )
        return
    findings, not_enforced = document["findings"], document["not_enforced"]
    emit([_row(f) for f in findings], fmt, title="findings")
    if not_enforced:
        emit(
            [
                {k: v for k, v in n.items() if k != "cells"} | {"cells": len(n["cells"])}
                for n in not_enforced
            ],
            fmt,
            title="logged restrictions not enforced",
        )


def _parse_event(text: str, what: str, n_extra: int) -> list[str]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (5, 5 + n_extra):
        raise InputError(
            f"{what} {text!r}: expected LAT,LON,RINGS,START,END"
            + (",CODE" if n_extra else "")
            + " (e.g. 46.6,32.6,2,2022-09-16T10:00:00Z,2022-09-16T16:00:00Z)"
        )
    return parts


def _disk_of(parts: list[str], what: str) -> npt.NDArray[np.uint64]:
    try:
        lat, lon, rings = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise InputError(f"{what}: LAT and LON must be numbers and RINGS a whole number") from None
    if not 0 <= rings <= 20 or not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise InputError(f"{what}: RINGS must be 0-20 and LAT, LON in degrees")
    from leolink.api import (
        disk_cells,
    )

    return disk_cells(lat, lon, rings)


@forensics_app.command("simulate")
def simulate(
    scenario: Annotated[
        str,
        typer.Argument(
            help="A scenario name or YAML file; its deny geofences are simulated as restrictions."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Reports file: .jsonl, .csv or .parquet.")],
    terminals: Annotated[int, typer.Option("--terminals", help="Number of dishes.")] = 2000,
    cadence_s: Annotated[int, typer.Option("--cadence-s", help="Seconds between reports.")] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="Start of the simulated day (default: midnight of the first restriction's start).",
        ),
    ] = None,
    hours: Annotated[float, typer.Option("--hours", help="Length of the window.")] = 24.0,
    restriction: Annotated[
        list[str] | None,
        typer.Option(
            "--restriction",
            help="An extra restriction, not in the scenario's log: "
            "LAT,LON,RINGS,START,END[,CODE] (repeatable).",
        ),
    ] = None,
    jamming: Annotated[
        list[str] | None,
        typer.Option("--jamming", help="GNSS jamming: LAT,LON,RINGS,START,END (repeatable)."),
    ] = None,
    outage: Annotated[
        list[str] | None,
        typer.Option(
            "--outage",
            help="A gateway (GS12) or a Starlink PoP (wrswpol1, sfiabgr1) down: "
            "SITE_ID,START,END (repeatable).",
        ),
    ] = None,
    catalog: CatalogOption = None,
    fmt: FormatOption = Format.auto,
) -> None:
    """Synthetic telemetry from a scenario, with noise; the hidden truth printed on stdout."""
    import numpy as np

    from leolink.api import (
        CoverageModel,
        GroundOutage,
        Jamming,
        Restriction,
        Simulation,
        cells_to_hex,
        format_instant,
        load_catalog,
        load_scenario,
        parse_instant,
        scenario_restrictions,
        simulate_reports,
        study_area,
        write_reports,
    )

    sc = load_scenario(scenario)
    hidden = scenario_restrictions(sc)
    extra: list[Restriction] = []
    for i, text in enumerate(restriction or ()):
        parts = _parse_event(text, "--restriction", 1)
        extra.append(
            Restriction(
                _disk_of(parts, "--restriction"),
                parse_instant(parts[3]),
                parse_instant(parts[4]),
                code=parts[5] if len(parts) > 5 else "CELL_IS_DISABLED",
                name=f"unlogged-{i + 1}",
            )
        )
    jams = []
    for text in jamming or ():
        parts = _parse_event(text, "--jamming", 0)
        jams.append(
            Jamming(_disk_of(parts, "--jamming"), parse_instant(parts[3]), parse_instant(parts[4]))
        )
    outages = []
    for text in outage or ():
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 3:
            raise InputError(f"--outage {text!r}: expected SITE_ID,START,END")
        outages.append(GroundOutage(parts[0], parse_instant(parts[1]), parse_instant(parts[2])))
    events: list[Restriction | Jamming] = [*hidden, *extra, *jams]
    if start is not None:
        t0 = parse_instant(start)
    elif events:
        t0 = parse_instant(str(min(e.start for e in events).astype("datetime64[D]")) + "T00:00:00Z")
    else:
        raise InputError("give --start: the scenario has no restriction and none was added")
    t1 = t0 + np.timedelta64(int(hours * 3600), "s")
    model = CoverageModel(load_catalog(catalog))
    in_view = model.in_view if model.is_valid_at(t0) else None
    if in_view is None:
        stderr_console.print(
            f"note: the catalog is {model.age_days(t0):.0f} days from {format_instant(t0)}; "
            "satellites are taken to be in view throughout (give a contemporary --catalog)",
            style="yellow",
            markup=False,
            highlight=False,
        )
    sim = Simulation(
        study_area(events),
        t0,
        t1,
        terminals=terminals,
        cadence_s=cadence_s,
        seed=seed,
        restrictions=[*hidden, *extra],
        jamming=jams,
        outages=outages,
        in_view=in_view,
    )
    with _progress() as progress:
        progress.add_task(f"simulating {terminals:,} dishes")
        reports = simulate_reports(sim)
        write_reports(reports, out)
    truth = (
        [
            {
                "kind": "policy_restriction",
                "name": r.name,
                "logged": i < len(hidden),
                "cells": len(r.cells),
                "start": format_instant(max(r.start, t0)),
                "end": format_instant(min(r.end, t1)),
                "code": r.code,
            }
            for i, r in enumerate((*hidden, *extra))
        ]
        + [
            {
                "kind": "gnss_interference",
                "name": f"jamming-{i + 1}",
                "logged": None,
                "cells": len(j.cells),
                "start": format_instant(j.start),
                "end": format_instant(j.end),
                "code": "",
            }
            for i, j in enumerate(jams)
        ]
        + [
            {
                "kind": "ground_segment",
                "name": o.site_id,
                "logged": None,
                "cells": 0,
                "start": format_instant(o.start),
                "end": format_instant(o.end),
                "code": "",
            }
            for o in outages
        ]
    )
    stderr_console.print(
        f"{len(reports):,} reports of {terminals:,} dishes over "
        f"{cells_to_hex(sim.area_cells).__len__():,} cells written to {out}",
        markup=False,
        highlight=False,
    )
    emit(truth, fmt, title=f"hidden in {out}")


def register(app: typer.Typer) -> None:
    """Add the ``forensics`` group to the command line."""
    app.add_typer(forensics_app)
