"""Commands of the service-control plane: ``check``, ``scenario``, ``audit``, ``policy``,
``terminals enforce`` (and ``load-demo``, from `leolink.cli.demo`) and ``geofence impact``.

Without ``--db`` the commands use the default store, a SQLite file in the user's data
directory; ``leolink check`` seeds it with the default policy dataset the first time, when it
holds no status and no geofence yet (as ``leolink serve`` does), and says so on stderr.  A
store given with ``--db`` is never seeded implicitly: ``leolink policy load-defaults`` does it.
Decisions are read from the store as of the instant asked (``--at``); the serving satellite
comes from the embedded catalog unless ``--catalog`` names another or ``--no-satellites``.
"""

from __future__ import annotations

import getpass
import math
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leolink.api import AsOf, CustomerClass, GeofenceEffect
from leolink.cli import audit
from leolink.cli._common import (
    CatalogOption,
    DbOption,
    FormatOption,
    SigningKeyOption,
    load_catalog,
)
from leolink.cli._output import Format, emit, stderr_console
from leolink.cli.demo import terminals_load_demo
from leolink.errors import InputError

if TYPE_CHECKING:  # the model, the store, the sky and the scenarios load when a command runs
    import numpy as np

    from leolink.api import GeofenceSpec, ImpactEstimate, ScenarioClock, Sky, StepOutcome
    from leolink.store import Store

__all__ = ["register"]

NoSatellitesOption = Annotated[
    bool,
    typer.Option("--no-satellites", help="Decide on policy only; do not look for a satellite."),
]
ElevationOption = Annotated[
    float | None,
    typer.Option(
        "--min-elevation-deg",
        help="Elevation mask for the serving satellite, degrees (default: the sky's, 25).",
    ),
]


def _cli_actor() -> str:
    """Who the audit log records for a change made from the command line."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"cli:{user}"


def _open(db: str | None, signing_key: str | None = None) -> Store:
    from leolink.store import Store

    return Store.open(db, signing_key=signing_key)


def _note(text: str) -> None:
    stderr_console.print(text, markup=False, highlight=False)


def _sky(
    catalog: Path | None,
    no_satellites: bool,
    min_elevation_deg: float | None,
    at: np.datetime64 | None = None,
) -> Sky | None:
    from leolink.api import DEFAULT_MIN_ELEVATION_DEG, Sky

    if no_satellites:
        return None
    mask_deg = DEFAULT_MIN_ELEVATION_DEG if min_elevation_deg is None else min_elevation_deg
    return Sky(load_catalog(catalog, False, at), min_elevation_deg=mask_deg)


def check(
    lat: Annotated[float, typer.Option("--lat", help="Latitude, degrees (WGS84).")],
    lon: Annotated[float, typer.Option("--lon", help="Longitude, degrees east.")],
    at: Annotated[
        str, typer.Option("--at", help="UTC instant, ISO 8601 with Z, or 'now'.")
    ] = "now",
    terminal: Annotated[
        str | None,
        typer.Option("--terminal", help="Terminal id (default: a new terminal asking)."),
    ] = None,
    known_at: Annotated[
        str | None,
        typer.Option("--known-at", help="Decide with the policy as approved by this instant."),
    ] = None,
    view: Annotated[
        AsOf | None,
        typer.Option(
            "--as",
            help="'recorded': with only what had been recorded by --at (as recorded then); "
            "'known': with everything recorded so far (as known now). Either shows the other "
            "answer too where they differ.",
        ),
    ] = None,
    db: DbOption = None,
    signing_key: SigningKeyOption = None,
    catalog: CatalogOption = None,
    no_satellites: NoSatellitesOption = False,
    min_elevation_deg: ElevationOption = None,
    receipt: Annotated[
        Path | None,
        typer.Option(
            "--receipt",
            help="Also write a signed receipt of the decision here (check it with `leolink "
            "receipt verify`).",
        ),
    ] = None,
    fmt: FormatOption = Format.auto,
) -> None:
    """Decide whether a terminal (or a new one) gets service at a position and instant."""
    from leolink.api import (
        DEFAULT_APPROVER,
        DEFAULT_PROPOSER,
        decide_from,
        format_instant,
        parse_instant,
        seed_if_empty,
    )

    if not (math.isfinite(lat) and abs(lat) <= 90.0 and math.isfinite(lon) and abs(lon) <= 180.0):
        raise InputError(
            f"--lat {lat} --lon {lon} is not a position: give a latitude within ±90 and a "
            "longitude within ±180 degrees (latitude first)"
        )
    instant = parse_instant(at)
    if view is not None and known_at is not None:
        raise InputError(
            f"--as {view.value} and --known-at {known_at} both say which records to use: "
            "give one of them"
        )
    with _open(db, signing_key) as store:
        if db is None:
            seeded = seed_if_empty(store)
            if seeded is not None:
                _note(
                    f"seeded the default store with the default policy {seeded.dataset} "
                    f"({seeded.approved} statuses; proposed by {DEFAULT_PROPOSER}, approved by "
                    f"{DEFAULT_APPROVER})"
                )
        sky = _sky(catalog, no_satellites, min_elevation_deg, instant)
        if view is None:
            decision = decide_from(
                store,
                terminal,
                (lat, lon),
                instant,
                sky=sky,
                known_at=known_at,
                areas=store.compiled_areas,  # the geofences as compiled at their proposal
            )
            if receipt is not None:
                _write_receipt(store, receipt, lat, lon, instant, terminal, decision.to_dict())
            emit(decision.to_dict(), fmt, title=f"Decision at {format_instant(instant)}")
            return
        if receipt is not None:
            raise InputError("--receipt signs the decision as decided: give it without --as")
        from leolink.api import ViewedDecision, known_at_for

        now = parse_instant("now")
        asked, other = (
            decide_from(
                store,
                terminal,
                (lat, lon),
                instant,
                sky=s,
                known_at=known_at_for(v, instant),
                areas=store.compiled_areas,
            )
            for v, s in ((view, sky), (view.other, None))
        )
    viewed = ViewedDecision.of(asked, view, instant if view is AsOf.RECORDED else now, other)
    words = "as recorded then" if view is AsOf.RECORDED else f"as known now ({format_instant(now)})"
    emit(viewed.to_dict(), fmt, title=f"Decision at {format_instant(instant)}, {words}")


def _write_receipt(
    store: Store,
    path: Path,
    lat: float,
    lon: float,
    instant: np.datetime64,
    terminal: str | None,
    decision: dict[str, Any],
) -> None:
    """Sign a receipt of ``decision`` (`leolink.policy.receipts`) and write it to ``path``."""
    from leolink.api import format_instant
    from leolink.store.receipts import issue_receipt

    if path.is_dir() or not path.parent.is_dir():
        raise InputError(f"--receipt {path}: give a file in an existing folder")
    at = format_instant(instant)
    asked = {"lat": lat, "lon": lon, "at": at, "terminal_id": terminal}
    path.write_text(issue_receipt(store, asked, {"at": at, **decision}), encoding="utf-8")


def load_defaults(
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Dataset name (default: the newest).")
    ] = None,
    db: DbOption = None,
    signing_key: SigningKeyOption = None,
    fmt: FormatOption = Format.auto,
) -> None:
    """Load the default country statuses (two system actors propose and approve); idempotent."""
    from leolink.api import apply_defaults, load_default_dataset

    data = load_default_dataset(dataset)
    with _open(db, signing_key) as store:
        result = apply_defaults(store, data)
    emit(result.to_dict(), fmt, title=f"Default policy {data.name}")


def scenario_list(fmt: FormatOption = Format.auto) -> None:
    """List the shipped scenarios."""
    from leolink.api import load_scenario, scenario_names

    rows = []
    for name in scenario_names():
        scenario = load_scenario(name)
        rows.append({"name": name, "steps": len(scenario.steps), "title": scenario.title})
    emit(rows, fmt, title="Scenarios")


def _scenario_store(clock: ScenarioClock) -> Store:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from leolink.store import Store

    # A fresh in-memory store with a throw-away key: nothing of a run outlives it.
    return Store.open("sqlite://", signing_key=Ed25519PrivateKey.generate(), clock=clock)


def scenario_run(
    name: Annotated[
        str, typer.Argument(help="A scenario name (see `scenario list`) or a YAML file.")
    ],
    catalog: CatalogOption = None,
    fmt: FormatOption = Format.auto,
) -> None:
    """Replay a scenario in a fresh store: expected and actual per step.

    Exits 1 when an expectation is not met, and 2 (with the store's message) when a step is
    refused as bad input (an unknown country code, a duplicate id, ...): the file is wrong.
    """
    from leolink.api import Sky, load_scenario, run_scenario
    from leolink.api import load_catalog as load_catalog_file

    scenario = load_scenario(name)
    # The scenarios' expectations were written against the embedded catalog, not a snapshot.
    sky = Sky(load_catalog_file(catalog)) if scenario.satellites else None
    run = run_scenario(scenario, _scenario_store, sky=sky)
    refused = [o for o in run.outcomes if o.actual.startswith("error: ")]
    if refused:
        step = refused[0].step
        raise InputError(
            f"{scenario.origin} step {step.number} ({step.do}) was refused: "
            f"{refused[0].actual.removeprefix('error: ')}"
        )
    if fmt is Format.json:
        emit(run.to_dict(), fmt)
    else:
        _note(f"{scenario.name}: {scenario.title}")
        emit([_step_row(o) for o in run.outcomes], fmt, title=scenario.title)
        audit = run.audit.to_dict() if run.audit is not None else {"ok": False}
        _note(
            f"{'PASS' if run.ok else 'FAIL'}: {len(run.outcomes)} of {len(scenario.steps)} steps "
            f"run, {run.mismatches} mismatch(es); audit chain ok={audit['ok']}"
        )
    if not run.ok:
        raise typer.Exit(1)


def scenario_load(
    name: Annotated[
        str, typer.Argument(help="A scenario name (see `scenario list`) or a YAML file.")
    ],
    db: DbOption = None,
    signing_key: SigningKeyOption = None,
    fmt: FormatOption = Format.auto,
) -> None:
    """Put a scenario's records into a store, as a reconstruction of the past, to replay it.

    Through the store's audited writes: windows and effective dates from the scenario,
    recorded now, flagged as a reconstruction; checks are not asked (`scenario run` does).
    Ask it afterwards with `leolink check --as recorded|known`.
    """
    from leolink.api import load_scenario, load_scenario_into

    scenario = load_scenario(name)
    with _open(db, signing_key) as store:
        steps = load_scenario_into(store, scenario, loaded_by=_cli_actor())
    rows = [s.to_dict() for s in steps]
    if fmt is Format.json:
        emit({"scenario": scenario.name, "steps": rows}, fmt)
        return
    emit(rows, fmt, title=f"{scenario.title} (loaded as a reconstruction)")
    written = sum(s.written is not None for s in steps)
    _note(f"{scenario.name}: {written} step(s) written, {len(steps) - written} question(s) skipped")


def _step_row(o: StepOutcome) -> dict[str, Any]:
    from leolink.api import format_instant

    return {
        "step": o.step.number,
        "at": format_instant(o.step.at),
        "do": o.step.do,
        "note": o.step.note,
        "expected": o.expected or "",
        "actual": o.actual,
        "ok": "yes" if o.ok else "NO",
    }


def terminals_enforce(
    since: Annotated[
        str | None, typer.Option("--since", help="Only reports from this instant on.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Only reports before this instant.")
    ] = None,
    do_suspend: Annotated[
        bool, typer.Option("--suspend", help="Suspend the active terminals found (audited).")
    ] = False,
    actor: Annotated[
        str | None, typer.Option("--actor", help="Who suspends (default: cli:<user>).")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (required with --suspend).")
    ] = None,
    db: DbOption = None,
    signing_key: SigningKeyOption = None,
    fmt: FormatOption = Format.auto,
) -> None:
    """Terminals whose position reports place them in a blocked country or area, with evidence."""
    from leolink import api
    from leolink.api import find_violations, suspend_violations

    if do_suspend and not (reason and reason.strip()):
        raise InputError(
            "--suspend needs --reason: the audit log records why terminals were suspended"
        )
    with _open(db, signing_key) as store:
        violations = find_violations(
            # The geofences' cells as compiled at their proposal (not parsed and repaired again).
            api.compile_policy(store.policy_history(), area_store=store.compiled_areas),
            store.terminals(),
            store.position_reports(start=since, end=until),
        )
        out: dict[str, Any] = {"violations": [v.to_dict() for v in violations]}
        if do_suspend:
            assert reason is not None
            done = suspend_violations(store, violations, actor=actor or _cli_actor(), reason=reason)
            out["suspensions"] = [s.to_dict() for s in done]
    if fmt is Format.json:
        emit(out, fmt)
    else:
        rows = [
            {
                k: v.to_dict()[k]
                for k in (
                    "terminal_id",
                    "home_country",
                    "state",
                    "codes",
                    "countries",
                    "first_seen",
                    "last_seen",
                    "report_count",
                )
            }
            for v in violations
        ]
        emit(rows, fmt, title="Terminals reporting from refusing places")
        for s in out.get("suspensions", []):
            _note(f"{s['terminal_id']}: {s['outcome']}")


def _classes(text: str | None) -> tuple[CustomerClass, ...] | None:
    if text is None:
        return None
    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            out.append(CustomerClass(part))
        except ValueError:
            allowed = ", ".join(c.value for c in CustomerClass)
            raise InputError(f"--classes: {part!r} is not one of {allowed}") from None
    return tuple(out)


def geofence_impact_command(
    geojson: Annotated[
        Path | None, typer.Option("--geojson", help="GeoJSON file of the area (lon, lat).")
    ] = None,
    cells: Annotated[
        str | None, typer.Option("--cells", help="Comma-separated H3 cells of the area.")
    ] = None,
    geofence: Annotated[
        str | None,
        typer.Option(
            "--geofence",
            help="A stored geofence's id: its impact from its area as compiled at its proposal "
            "(instead of --geojson/--cells).",
        ),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Name of the proposal.")] = "proposal",
    effect: Annotated[
        str, typer.Option("--effect", help="deny or allowlist.")
    ] = GeofenceEffect.DENY.value,
    classes: Annotated[
        str | None,
        typer.Option("--classes", help="Comma-separated customer classes (default: all)."),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="Window start (default: now).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Window end (default: open; 24 h are counted).")
    ] = None,
    step_s: Annotated[float, typer.Option("--step-s", help="Time step, seconds.")] = 600.0,
    list_cells: Annotated[bool, typer.Option("--list-cells", help="Print the cells too.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Preview even beyond the limits (after printing the estimate of memory and "
            "time on stderr).",
        ),
    ] = False,
    db: DbOption = None,
    catalog: CatalogOption = None,
    no_satellites: NoSatellitesOption = False,
    min_elevation_deg: ElevationOption = None,
    fmt: FormatOption = Format.auto,
) -> None:
    """What a proposed geofence would do: cells, km², terminals affected, satellite-hours."""
    from leolink.api import (
        COMMAND_LINE_LIMITS,
        DEFAULT_RESOLUTION,
        average_cells,
        estimate_impact,
        fence_area,
        geofence_impact,
        region_vertices,
    )
    from leolink.store.checks import check_geofence_spec

    if (geofence is None) == (geojson is None and cells is None):
        raise InputError(
            "give the area: --geojson FILE and/or --cells CELL,CELL,..., or a stored --geofence ID"
        )
    limits = COMMAND_LINE_LIMITS
    with _open(db) as store:
        region = None
        if geofence is not None:
            fence = store.geofence(geofence)
            spec = fence.spec()
            name = fence.name
            found = store.compiled_areas.load(
                fence_area(fence.area_geojson, fence.cells).key, DEFAULT_RESOLUTION
            )
            vertices = region_vertices(fence.area_geojson) if found is None else 0
            cells_about = (
                average_cells(fence.size_km2) if found is None else sum(c.size for c in found)
            )
        else:
            spec = _impact_spec(geojson, cells, name, effect, classes, start, end)
            vertices = region_vertices(spec.area_geojson)
            # The vertices first: their check is the costly part of a big region.
            _check_impact(estimate_impact(vertices=vertices, cells=1, limits=limits), force)
            checked = check_geofence_spec(
                spec, replace(limits, max_geofence_vertices=max(vertices, 1)) if force else limits
            )
            spec = replace(spec, area_geojson=checked.area_geojson, cells=checked.cells)
            region = checked.geometry
            cells_about = average_cells(checked.size_km2)
        estimate = estimate_impact(vertices=vertices, cells=cells_about, limits=limits)
        _check_impact(estimate, force)
        impact = geofence_impact(
            spec,
            terminals=store.terminals(),
            last_reports=store.last_position_reports(),
            sky=_sky(catalog, no_satellites, min_elevation_deg),
            step_s=step_s,
            max_steps=estimate.steps,
            areas=store.compiled_areas,
            region=region,
        )
    emit(impact.to_dict(list_cells=list_cells), fmt, title=f"Impact of {name!r}")


def _check_impact(estimate: ImpactEstimate, force: bool) -> None:
    """`leolink.policy.impact.check_impact` against the command line's limits, with the
    estimate on stderr when ``--force`` goes beyond them."""
    from leolink.api import COMMAND_LINE_LIMITS, check_impact
    from leolink.errors import LimitError

    try:
        check_impact(estimate, COMMAND_LINE_LIMITS)
    except LimitError:
        if not force:
            raise
        _note(f"--force: beyond the limits, {estimate.describe()} (rough)")


def _impact_spec(
    geojson: Path | None,
    cells: str | None,
    name: str,
    effect: str,
    classes: str | None,
    start: str | None,
    end: str | None,
) -> GeofenceSpec:
    """The spec ``geofence impact`` previews, from its options."""
    from leolink.api import GeofenceSpec, parse_instant

    area = None
    if geojson is not None:
        try:
            area = geojson.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise InputError(f"cannot read --geojson {str(geojson)!r}: {why}") from None
    try:
        chosen_effect = GeofenceEffect(effect)
    except ValueError:
        raise InputError(f"--effect {effect!r} is not one of: deny, allowlist") from None
    return GeofenceSpec(
        name=name,
        effect=chosen_effect,
        reason="impact analysis",
        area_geojson=area,
        cells=tuple(c.strip() for c in (cells or "").split(",") if c.strip()),
        customer_classes=_classes(classes),
        window_start=None if start is None else parse_instant(start),
        window_end=None if end is None else parse_instant(end),
    )


def register(app: typer.Typer) -> None:
    """Add the service-control commands to the ``leolink`` app."""
    app.command("check")(check)
    scenario_app = typer.Typer(
        help="Scenarios that replay the public record.", no_args_is_help=True
    )
    scenario_app.command("list")(scenario_list)
    scenario_app.command("run")(scenario_run)
    scenario_app.command("load")(scenario_load)
    app.add_typer(scenario_app, name="scenario")
    audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
    audit.register(audit_app)
    app.add_typer(audit_app, name="audit")
    policy_app = typer.Typer(help="The policy data.", no_args_is_help=True)
    policy_app.command("load-defaults")(load_defaults)
    app.add_typer(policy_app, name="policy")
    terminals_app = typer.Typer(help="Terminals.", no_args_is_help=True)
    terminals_app.command("enforce")(terminals_enforce)
    terminals_app.command("load-demo")(terminals_load_demo)
    app.add_typer(terminals_app, name="terminals")
    geofence_app = typer.Typer(help="Geofences.", no_args_is_help=True)
    geofence_app.command("impact")(geofence_impact_command)
    app.add_typer(geofence_app, name="geofence")
