"""Entry point of the ``leolink`` command: builds the Typer app from the command modules.

Each command module owns one area (``orbits`` for catalog/positions/visible, ...) and registers
its commands on the app given to its ``register`` function.  Errors from bad input
(`leolink.errors.InputError`) are printed as one clear message with exit code 2, never as a
traceback.
"""

from __future__ import annotations

import sys

import typer

from leolink.cli import (
    availability,
    coverage,
    forensics,
    network,
    orbits,
    policy,
    receipt,
    service,
    witness,
)
from leolink.cli._output import stderr_console
from leolink.errors import LeolinkError

app = typer.Typer(
    name="leolink",
    help="An open model of a Starlink-class satellite-internet system.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
orbits.register(app)
network.register(app)
coverage.register(app)
service.register(app)
policy.register(app)
availability.register(app)
forensics.register(app)
witness.register(app)
receipt.register(app)


def main() -> None:
    """Run the command line, turning leolink's input errors into a message and exit code 2."""
    try:
        app()
    except LeolinkError as error:
        stderr_console.print(f"error: {error}", style="red", highlight=False, markup=False)
        sys.exit(2)
