"""Running ``leolink`` in this process, through the entry point the installed script calls.

`run_leolink` isolates the run with Typer's `CliRunner` (stdin, stdout, stderr and the
environment) and calls `leolink.cli.main.main`, which turns leolink's input errors into one
message and exit code 2 exactly as the script does; an unexpected exception is not caught, so a
test fails on it as it would on a traceback.  Starting an interpreter per call (seconds: NumPy,
numba, SciPy, the catalog) is left to one smoke test per command group, which passes
``installed=True`` to run the installed script in a subprocess instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from leolink.cli.main import main

#: The installed ``leolink`` script, for the subprocess smoke tests.
LEOLINK = str(Path(sys.executable).with_name("leolink"))


@dataclass(frozen=True)
class CliResult:
    """What a run of ``leolink`` left: exit code and the text it wrote on each stream."""

    returncode: int
    stdout: str
    stderr: str


def run_leolink(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    installed: bool = False,
) -> CliResult:
    """``leolink ARGS`` in this process (``installed``: the script, in a subprocess), with
    ``env`` as its environment and ``cwd`` its folder."""
    if installed:
        done = subprocess.run(
            [LEOLINK, *args], capture_output=True, text=True, check=False, env=env, cwd=cwd
        )
        return CliResult(done.returncode, done.stdout, done.stderr)
    here = Path.cwd()
    argv = sys.argv
    with CliRunner().isolation(env=dict(env) if env is not None else None) as (out, err, _):
        sys.argv = ["leolink", *args]
        try:
            if cwd is not None:
                os.chdir(cwd)
            main()
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        finally:
            sys.argv = argv
            os.chdir(here)
            sys.stdout.flush()
            sys.stderr.flush()
        return CliResult(code, out.getvalue().decode(), err.getvalue().decode())
