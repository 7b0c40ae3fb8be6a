"""Start-up time of the ``leolink`` command: ``--help`` and an argument error.

Each command is run ``--repeat`` times as a fresh process (what a user waits for); the median
and the minimum wall time, and the median CPU time (user + system, steadier than wall time on a
loaded machine), are printed beside two baselines measured in the same run: the bare
interpreter (``python -c pass``) and the interpreter importing Typer, the floor any Typer
command pays.  The target (issue 16) is 0.5 s for ``--help`` and for an argument error.

``--compare-src DIR`` also runs each command with ``PYTHONPATH=DIR``, i.e. with the ``leolink``
package of another source tree (an earlier commit exported with ``git archive REV src | tar -x
-C /tmp/before``), in the same run, so that a change is measured beside its own before.

    .venv/bin/python benchmarks/bench_cli_startup.py [--repeat 7] [--compare-src /tmp/before/src]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time


def _run_s(argv: list[str], env: dict[str, str] | None) -> tuple[float, float]:
    """Wall time and the child's CPU time (user + system) of one run, seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=False, env=env)
    wall_s = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall_s, cpu_s


def _figures(runs: list[tuple[float, float]]) -> str:
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    return f"{statistics.median(walls):>9.3f} {min(walls):>7.3f} {statistics.median(cpus):>7.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--compare-src", help="a source tree whose leolink package to time beside this one"
    )
    args = parser.parse_args()
    envs: dict[str, dict[str, str] | None] = {"": None}
    if args.compare_src is not None:
        envs["compared: "] = {**os.environ, "PYTHONPATH": args.compare_src}
    leolink = shutil.which("leolink") or f"{sys.prefix}/bin/leolink"
    cases = {
        "baseline: python -c pass": [sys.executable, "-c", "pass"],
        "baseline: python -c 'import typer'": [sys.executable, "-c", "import typer"],
        "leolink --help": [leolink, "--help"],
        "leolink route --help": [leolink, "route", "--help"],
        "leolink positions (missing --at)": [leolink, "positions"],
        "leolink check --lat x (bad value)": [leolink, "check", "--lat", "x", "--lon", "0"],
    }
    print(f"{'command':<50} {'median s':>9} {'min s':>7} {'cpu s':>7}   ({args.repeat} runs each)")
    for label, argv in cases.items():
        trees = envs if label.startswith("leolink") else {"": None}
        runs: dict[str, list[tuple[float, float]]] = {tree: [] for tree in trees}
        for _ in range(args.repeat):  # the trees interleaved, so that both see the same load
            for tree, env in trees.items():
                runs[tree].append(_run_s(argv, env))
        for tree in trees:
            print(f"{tree + label:<50} {_figures(runs[tree])}")


if __name__ == "__main__":
    main()
