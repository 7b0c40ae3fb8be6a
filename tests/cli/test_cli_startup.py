"""Help and argument errors do not import the model (issue 16: ``leolink --help`` within 0.5 s).

Each command line runs in a fresh interpreter with ``-X importtime``, which lists every module
the process imported; a help page or an argument error must list none of the heavy libraries
nor the numerical core.  What it costs in seconds is measured by
``benchmarks/bench_cli_startup.py``, not asserted here.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

#: Libraries (and leolink modules) that only a command's work needs, never its help or its
#: argument checks.
HEAVY = (
    "numpy",
    "shapely",
    "sgp4",
    "h3",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "pyarrow",
    "yaml",
    "cryptography",
    "leolink.time",
    "leolink.policy.records",
    "leolink.store",
)

_RUN = "import sys; from leolink.cli.main import main; sys.argv[0] = 'leolink'; main()"


def _imported(argv: list[str]) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """The modules a ``leolink`` command line imports, and how it ended."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _RUN, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "[us]" not in line
    }
    return names, done


def _heavy(names: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == h or n.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["--help"], 0, "Usage"),
        (["check", "--lat", "x", "--lon", "0"], 2, "Invalid value for '--lat'"),
        (["positions"], 2, "Missing option '--at'"),
        (["route", "--help"], 0, "--from"),
        (["coverage", "--help"], 0, "--step-s"),
        (["serve", "--help"], 0, "--port"),
        (["scenario", "load", "--help"], 0, "--db"),
        (["audit", "verify", "--help"], 0, "--public-key"),
        (["receipt", "verify", "--help"], 0, "--public-key"),
        (["forensics", "simulate", "--help"], 0, "--jamming"),
        (["availability", "--help"], 0, "Usage"),
        (["terminals", "load-demo", "--help"], 0, "--at"),
    ],
)
def test_help_and_argument_errors_import_no_heavy_module(
    argv: list[str], code: int, says: str
) -> None:
    names, done = _imported(argv)
    assert done.returncode == code, done.stderr[-2000:]
    assert says in done.stdout + done.stderr
    assert "leolink.cli.main" in names  # the listing is real: the command line was imported
    assert _heavy(names) == []


def test_the_check_sees_a_heavy_import() -> None:
    """The same listing does show the model once a command runs (the test can fail)."""
    names, done = _imported(["catalog", "info", "--format", "json"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert {"numpy", "sgp4"} <= set(_heavy(names))
