"""The web map shipped in the package is built from the sources in web/, and is complete.

``scripts/build_web.sh`` writes ``build-manifest.json`` with a hash of every input of the
bundle (``web/src/**``, ``web/package-lock.json``, ``web/vite.config.*``); here it is
recomputed from the sources with the same recipe, so a change under web/ without a rebuild
(and a commit of the new bundle) fails with what to do.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
STATIC = ROOT / "src" / "leolink" / "service" / "static"


def bundle_inputs() -> list[str]:
    """The inputs of the bundle as paths relative to web/, sorted (as vite.config.ts lists)."""
    paths = [p for p in (WEB / "src").rglob("*") if p.is_file()]
    paths.append(WEB / "package-lock.json")
    paths.extend(p for p in WEB.iterdir() if p.name.startswith("vite.config."))
    return sorted(p.relative_to(WEB).as_posix() for p in paths)


def sources_sha256(inputs: list[str]) -> str:
    """sha256 over "<path>\\n<sha256 of its bytes>\\n" per input, in order."""
    digest = hashlib.sha256()
    for path in inputs:
        file_hash = hashlib.sha256((WEB / path).read_bytes()).hexdigest()
        digest.update(f"{path}\n{file_hash}\n".encode())
    return digest.hexdigest()


def test_bundle_is_built_from_the_current_sources() -> None:
    manifest_path = STATIC / "build-manifest.json"
    assert manifest_path.exists(), "no web bundle: run scripts/build_web.sh and commit it"
    manifest = json.loads(manifest_path.read_text())
    inputs = bundle_inputs()
    assert manifest["inputs"] == inputs, (
        "the web sources changed (files added or removed) since the bundle was built: "
        "run scripts/build_web.sh and commit src/leolink/service/static"
    )
    assert manifest["sources_sha256"] == sources_sha256(inputs), (
        "the shipped web bundle is older than web/src, web/package-lock.json or "
        "web/vite.config.*: run scripts/build_web.sh and commit src/leolink/service/static"
    )


def test_index_references_only_shipped_assets() -> None:
    html = (STATIC / "index.html").read_text()
    referenced = re.findall(r'(?:src|href)="\./(assets/[^"]+)"', html)
    assert any(name.endswith(".js") for name in referenced), html
    assert any(name.endswith(".css") for name in referenced), html
    for name in referenced:
        assert (STATIC / name).is_file(), f"index.html refers to {name}, which is not shipped"


def test_bundle_fetches_nothing_from_the_internet() -> None:
    """No tiles, fonts, glyphs or scripts from other hosts: the map works offline."""
    html = (STATIC / "index.html").read_text()
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    css = "".join(p.read_text() for p in (STATIC / "assets").glob("*.css"))
    assert not re.search(r"url\((['\"]?)(?:https?:)?//", css)


def test_bundle_is_package_data() -> None:
    """pip install ships the bundle: pyproject's package-data covers service/static."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["leolink"]
    assert "service/static/**/*" in patterns
