"""Entry point of the ``leolink`` command: builds the Typer app from the command modules.

Each command module owns one area (``orbits`` for catalog/positions/visible, ...) and registers
its commands on the app given to its ``register`` function.  Errors from bad input
(`leolink.errors.InputError`) are printed as one clear message with exit code 2, never as a
traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer

from leolink.cli._output import stderr_console
from leolink.errors import LeolinkError

#: The command modules of ``leolink.cli`` and the top-level commands each registers.  A command
#: line imports only the module of the command it runs, so that ``leolink route --help`` or an
#: argument error does not wait for every other command's imports (issue 16: start-up within
#: 0.5 s); ``leolink --help``, an unknown command and the tests get them all.
#: ``tests/cli/test_cli_main.py`` checks the table against what the modules register.
COMMANDS: dict[str, tuple[str, ...]] = {
    "orbits": ("positions", "visible", "catalog"),
    "network": ("route", "latency"),
    "coverage": ("coverage",),
    "service": ("serve", "keys"),
    "policy": ("check", "scenario", "audit", "policy", "terminals", "geofence"),
    "availability": ("availability",),
    "forensics": ("forensics",),
    "witness": ("witness",),
    "receipt": ("receipt",),
}


def build_app(modules: tuple[str, ...] = tuple(COMMANDS)) -> typer.Typer:
    """The ``leolink`` Typer app with the commands of ``modules`` (names in `COMMANDS`)."""
    app = typer.Typer(
        name="leolink",
        help="An open model of a Starlink-class satellite-internet system.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    # A callback keeps the app a group of commands even when it holds a single one (Typer
    # would otherwise run that command as the app itself).
    app.callback()(_group)
    for module in modules:
        importlib.import_module(f"leolink.cli.{module}").register(app)
    return app


def _group() -> None:
    """An open model of a Starlink-class satellite-internet system."""


def _modules_for(argv: list[str]) -> tuple[str, ...]:
    """The command modules a command line needs: the one owning its command, else all."""
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    owners = tuple(module for module, names in COMMANDS.items() if command in names)
    return owners or tuple(COMMANDS)


def __getattr__(name: str) -> Any:
    """``app``: the whole command line, built on first use (tests run it in process)."""
    if name == "app":
        app = build_app()
        globals()["app"] = app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Run the command line, turning leolink's input errors into a message and exit code 2."""
    try:
        build_app(_modules_for(sys.argv[1:]))()
    except LeolinkError as error:
        stderr_console.print(f"error: {error}", style="red", highlight=False, markup=False)
        sys.exit(2)
