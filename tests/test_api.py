"""The facade: a sorted, complete ``__all__``, lazy imports, and the import-linter contracts."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from leolink import api

#: Libraries that take most of a cold start; importing the facade must load none of them.
HEAVY = ("numpy", "shapely", "sgp4", "numba", "h3", "pandas", "scipy", "pyproj")


def test_all_is_sorted_and_unique() -> None:
    assert list(api.__all__) == sorted(set(api.__all__))


def test_all_names_exist_and_every_public_name_is_exported() -> None:
    public = {name for name in dir(api) if not name.startswith("_") and name != "annotations"}
    assert set(api.__all__) == public
    for name in api.__all__:
        assert getattr(api, name) is not None, name


def test_each_name_is_the_implementation_object() -> None:
    for name, target in api._EXPORTS.items():
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name)
        assert getattr(api, name) is getattr(module, attribute or name), name


def test_the_type_checking_imports_say_what_the_table_says() -> None:
    """Type checkers read the ``if TYPE_CHECKING:`` imports; at run time ``_EXPORTS`` is used."""
    tree = ast.parse(Path(api.__file__).read_text(encoding="utf-8"))
    (block,) = (
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    imported: dict[str, str] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        assert node.module is not None
        for alias in node.names:
            public = alias.asname or alias.name
            imported[public] = node.module + ("" if public == alias.name else f":{alias.name}")
    assert imported == api._EXPORTS


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        api.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return list(json.loads(out))


def test_importing_the_facade_loads_no_numerics() -> None:
    loaded = _loaded_after("import leolink.api")
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
    assert [m for m in loaded if m.startswith("leolink.")] == ["leolink.api"]


def test_a_name_loads_only_its_own_modules() -> None:
    """``format_instant`` needs leolink.time; not the propagator, the store or the service."""
    loaded = _loaded_after("from leolink.api import format_instant")
    assert "leolink.time" in loaded
    assert not {"sgp4", "shapely", "leolink.orbits", "leolink.store", "leolink.service"} & set(
        loaded
    )


def test_import_contracts_are_kept() -> None:
    """Every import-linter contract in pyproject.toml holds: the core is free of the edges, the
    edges reach the core through leolink.api, and only the CLI imports the service."""
    root = Path(__file__).resolve().parents[1]
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports)], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout
    assert "BROKEN" not in result.stdout
