"""The command line loads only the module of the command it runs, and the table saying which
module owns which command is the modules' own truth."""

from __future__ import annotations

import pytest
import typer

from leolink.cli.main import COMMANDS, _modules_for, build_app


def _names(app: typer.Typer) -> set[str]:
    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("module", sorted(COMMANDS))
def test_each_module_registers_the_commands_the_table_gives_it(module: str) -> None:
    assert _names(build_app((module,))) == set(COMMANDS[module])


def test_the_table_holds_every_command_once() -> None:
    listed = [name for names in COMMANDS.values() for name in names]
    assert len(listed) == len(set(listed))
    assert _names(build_app()) == set(listed)


@pytest.mark.parametrize(
    ("argv", "modules"),
    [
        (["route", "--help"], ("network",)),
        (["check", "--lat", "x"], ("policy",)),
        (["audit", "verify"], ("policy",)),
        (["--help"], tuple(COMMANDS)),
        ([], tuple(COMMANDS)),
        (["no-such-command"], tuple(COMMANDS)),
    ],
)
def test_a_command_line_loads_the_module_of_its_command(
    argv: list[str], modules: tuple[str, ...]
) -> None:
    assert _modules_for(argv) == modules
