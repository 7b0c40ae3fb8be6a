"""The warm-up reaches every numba kernel of leolink, so that none compiles in a user's request.

The warm-up runs in a fresh process with an empty cache directory of its own (numba's
``NUMBA_CACHE_DIR``), so kernels cached earlier by other tests cannot hide one it misses; each
kernel of the package must then have its cache index there.  It compiles everything: ~20 s.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from numba.core.registry import CPUDispatcher

import leolink

#: Kernels only the tests call: the brute-force reference of the visibility kernel.
TEST_ORACLES = {"leolink.coverage.kernel._brute_force"}


def _kernels() -> dict[str, CPUDispatcher]:
    """Every jitted function of the package that is compiled on its own (not inlined)."""
    found = {}
    for info in pkgutil.walk_packages(leolink.__path__, "leolink."):
        if info.name.startswith(("leolink.service", "leolink.cli", "leolink.store.migrations")):
            continue  # no kernels there; migration scripts run only under Alembic
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                isinstance(value, CPUDispatcher)
                and value.__module__ == info.name
                and value.targetoptions.get("inline") != "always"
            ):
                found[f"{info.name}.{name}"] = value
    return found


@pytest.mark.slow
def test_warmup_compiles_and_caches_every_kernel(tmp_path: Path) -> None:
    kernels = {name: k for name, k in _kernels().items() if name not in TEST_ORACLES}
    assert len(kernels) >= 15  # coverage, merit, frames, propagation, network
    done = subprocess.run(
        [sys.executable, "-m", "leolink.warmup"],
        env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "kernels compiled and cached" in done.stdout
    cached = {path.name for path in tmp_path.rglob("*.nbi")}
    missing = [
        name
        for name, kernel in kernels.items()
        if not any(
            entry.startswith(
                f"{Path(kernel.py_func.__code__.co_filename).stem}.{kernel.py_func.__name__}-"
            )
            for entry in cached
        )
    ]
    assert missing == []
