"""Start-up time of the ``leolink`` command: ``--help`` and an argument error.

Each command is run ``--repeat`` times as a fresh process (what a user waits for); the median
and the minimum wall time are printed beside two baselines measured in the same run: the bare
interpreter (``python -c pass``) and the interpreter importing Typer, the floor any Typer
command pays.  The target (issue 16) is 0.5 s for ``--help`` and for an argument error.

    .venv/bin/python benchmarks/bench_cli_startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def _wall_s(argv: list[str], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    leolink = shutil.which("leolink") or f"{sys.prefix}/bin/leolink"
    cases = {
        "baseline: python -c pass": [sys.executable, "-c", "pass"],
        "baseline: python -c 'import typer'": [sys.executable, "-c", "import typer"],
        "leolink --help": [leolink, "--help"],
        "leolink route --help": [leolink, "route", "--help"],
        "leolink positions (missing --at)": [leolink, "positions"],
        "leolink check --lat x (bad value)": [leolink, "check", "--lat", "x", "--lon", "0"],
    }
    print(f"{'command':<40} {'median s':>9} {'min s':>7}   ({repeat} runs each)")
    for label, argv in cases.items():
        median, least = _wall_s(argv, repeat)
        print(f"{label:<40} {median:>9.3f} {least:>7.3f}")


if __name__ == "__main__":
    main()
