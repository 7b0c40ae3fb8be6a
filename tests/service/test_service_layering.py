"""Only the outermost layers import the service: the core, the store and the jobs never do."""

from __future__ import annotations

import ast
from pathlib import Path

import leolink

PACKAGE = Path(leolink.__file__).resolve().parent
#: What may import leolink.service: itself and the command line that runs it.
ALLOWED = ("service", "cli")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_layer_below_the_service_imports_it() -> None:
    checked = 0
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ALLOWED:
            continue
        service_imports = {n for n in _imports(path) if n.split(".")[:2] == ["leolink", "service"]}
        assert not service_imports, f"{relative} imports {sorted(service_imports)}"
        checked += 1
    assert checked > 50
