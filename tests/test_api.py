"""The facade: a sorted, complete ``__all__`` and the layering contract of docs/DESIGN.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from leolink import api


def test_all_is_sorted_and_unique() -> None:
    assert list(api.__all__) == sorted(set(api.__all__))


def test_all_names_exist_and_every_public_name_is_exported() -> None:
    public = {name for name in vars(api) if not name.startswith("_") and name != "annotations"}
    assert set(api.__all__) == public


def test_core_layers_import_no_edges() -> None:
    """The import-linter contract in pyproject.toml holds (core free of store/service/cli/jobs)."""
    root = Path(__file__).resolve().parents[1]
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports)], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout
