"""``leolink terminals load-demo``: the synthetic demo fleet of ``data/demo-terminals.yaml``.

The fleet is made up (see the file and ``data/PROVENANCE.md``); ``./scripts/run`` loads it so
that an operator opening the map sees terminals.  It goes through the store like any change
an operator makes: every registration, batch of position reports and suspension is an audit
record, by the actor `DEMO_ACTOR`.  Report times are given relative to the load (``ago``), so
the fleet is current whenever it is loaded.  Terminals already registered are left alone, so
loading twice changes nothing the second time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from leolink.api import CustomerClass, Plan, TerminalState
from leolink.cli._common import DbOption, FormatOption, SigningKeyOption
from leolink.cli._output import Format, emit, stderr_console
from leolink.errors import InputError

if TYPE_CHECKING:  # the model and the store load when a command runs
    import numpy as np

    from leolink.store import Store

__all__ = ["DEMO_ACTOR", "DemoTerminal", "demo_fleet", "load_demo", "terminals_load_demo"]

#: Who the audit log records for the demo fleet's changes.
DEMO_ACTOR: Final = "demo-loader"
_FILE: Final = "demo-terminals.yaml"
_AGO: Final = re.compile(r"^(\d+(?:\.\d+)?)([mhd])$")
_UNIT_S: Final = {"m": 60.0, "h": 3_600.0, "d": 86_400.0}


@dataclass(frozen=True)
class DemoTerminal:
    """One terminal of the demo fleet; ``reports`` are (seconds before the load, lat, lon)."""

    id: str
    account: str
    home_country: str
    customer_class: CustomerClass
    plan: Plan
    funding_party: str | None
    suspended: str | None
    note: str
    reports: tuple[tuple[float, float, float], ...]


def _seconds(text: object, where: str) -> float:
    match = _AGO.match(str(text).strip())
    if match is None:
        raise InputError(f"{where}: ago {text!r} is not a duration such as 15m, 6h or 80d")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def _terminal(raw: Any, account: str, where: str) -> DemoTerminal:
    try:
        reports = tuple(
            (_seconds(ago, f"{where}.reports[{k}]"), float(lat), float(lon))
            for k, (ago, lat, lon) in enumerate(raw.get("reports") or [])
        )
        return DemoTerminal(
            id=str(raw["id"]),
            account=account,
            home_country=str(raw["home"]),
            customer_class=CustomerClass(raw["class"]),
            plan=Plan(raw.get("plan", Plan.STANDARD.value)),
            funding_party=raw.get("funding"),
            suspended=raw.get("suspended"),
            note=str(raw.get("note", "")),
            reports=reports,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(
            f"{where}: not a demo terminal ({type(exc).__name__}: {exc}); expected "
            "{id, home, class, reports: [[ago, lat, lon], ...]}"
        ) from None


def demo_fleet() -> list[DemoTerminal]:
    """The terminals of ``data/demo-terminals.yaml``, in file order."""
    from importlib import resources

    import yaml

    text = resources.files("leolink.data").joinpath(_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    account = str(data["account"])
    return [
        _terminal(raw, account, f"{_FILE}: terminals[{i}]")
        for i, raw in enumerate(data["terminals"])
    ]


def load_demo(store: Store, now: np.datetime64, *, actor: str = DEMO_ACTOR) -> dict[str, Any]:
    """Register the demo fleet in ``store`` with reports relative to ``now``; what was done.

    Terminals whose id is taken are skipped, with their reports and suspension, and counted.
    """
    import numpy as np

    from leolink.api import format_instant

    taken = {t.id for t in store.terminals()}
    registered, skipped, reports, suspended = [], [], 0, 0
    for terminal in demo_fleet():
        if terminal.id in taken:
            skipped.append(terminal.id)
            continue
        why = f"demo fleet (synthetic): {terminal.note}" if terminal.note else "demo fleet"
        store.register_terminal(
            terminal.id,
            account=terminal.account,
            home_country=terminal.home_country,
            customer_class=terminal.customer_class,
            plan=terminal.plan,
            funding_party=terminal.funding_party,
            actor=actor,
            reason=why,
        )
        registered.append(terminal.id)
        if terminal.reports:
            ordered = sorted(terminal.reports, key=lambda r: -r[0])
            times = [now - np.timedelta64(int(ago * 1e6), "us") for ago, _, _ in ordered]
            store.report_positions(
                terminal.id,
                np.asarray(times, dtype="datetime64[us]"),
                [lat for _, lat, _ in ordered],
                [lon for _, _, lon in ordered],
                actor=actor,
                reason="demo fleet (synthetic) position reports",
            )
            reports += len(ordered)
        if terminal.suspended:
            store.update_terminal(
                terminal.id, state=TerminalState.SUSPENDED, actor=actor, reason=terminal.suspended
            )
            suspended += 1
    return {
        "dataset": _FILE,
        "at": format_instant(now),
        "registered": len(registered),
        "skipped": len(skipped),
        "reports": reports,
        "suspended": suspended,
    }


def terminals_load_demo(
    at: Annotated[
        str,
        typer.Option("--at", help="The instant the reports' 'ago' counts back from (UTC)."),
    ] = "now",
    db: DbOption = None,
    signing_key: SigningKeyOption = None,
    fmt: FormatOption = Format.auto,
) -> None:
    """Register the synthetic demo fleet (account 'demo') with its position reports, audited."""
    from leolink.api import parse_instant
    from leolink.store import Store

    now = parse_instant(at)
    with Store.open(db, signing_key=signing_key) as store:
        done = load_demo(store, now)
    stderr_console.print(
        f"demo fleet (synthetic, {_FILE}): {done['registered']} terminals registered with "
        f"{done['reports']} position reports, {done['suspended']} suspended, "
        f"{done['skipped']} already there",
        markup=False,
        highlight=False,
    )
    emit(done, fmt, title="Demo fleet")
