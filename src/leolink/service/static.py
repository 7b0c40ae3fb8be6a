"""The web map: the built bundle in ``leolink/service/static/`` (``index.html``, ``assets/``).

The front end (``web/``, npm + vite) is built into that directory; the service serves
``/`` as ``index.html`` (never cached, so a new build shows at once), ``/assets/*`` (file names
carry a content hash, so they are cached for a year) and the other top-level files of the build
(``favicon.svg``, ...).  Without a build, those paths answer 503 with a page that says how to
make one; the API works all the same.  The directory is looked up on every request, so a
build made while the service runs is picked up.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Receive, Scope, Send

from leolink.service.problems import problem_response

__all__ = ["DEFAULT_STATIC_DIR", "MISSING_BUNDLE_HTML", "install_static"]

#: Where the web engineer's build lands, inside the installed package.
DEFAULT_STATIC_DIR: Final = Path(__file__).resolve().parent / "static"

MISSING_BUNDLE_HTML: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>leolink: web map not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>The web map is not built</h1>
<p>This leolink service has no web bundle in <code>{directory}</code>.
Build it from a checkout with</p>
<pre>npm --prefix web ci
npm --prefix web run build</pre>
<p>and reload this page. The API works without it: see <a href="/docs">/docs</a>.</p>
</body></html>
"""

_IMMUTABLE: Final = "public, max-age=31536000, immutable"


def _missing(directory: Path) -> HTMLResponse:
    return HTMLResponse(
        MISSING_BUNDLE_HTML.format(directory=directory),
        status_code=503,
        headers={"Cache-Control": "no-store", "Retry-After": "60"},
    )


class _Assets(StaticFiles):
    """``StaticFiles`` that answers 503 (not a crash) while the bundle is missing."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, check_dir=False)
        self._root = directory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._root.is_dir():
            await _missing(self._root.parent)(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = _IMMUTABLE
        return response


def install_static(app: FastAPI, directory: Path = DEFAULT_STATIC_DIR) -> None:
    """Serve the bundle in ``directory`` at ``/``, ``/assets/*`` and its top-level files."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def index() -> Response:
        page = directory / "index.html"
        if not page.is_file():
            return _missing(directory)
        return FileResponse(page, headers={"Cache-Control": "no-cache"})

    @router.get("/{name}")
    def top_level_file(name: str, request: Request) -> Response:
        # Only plain file names that the build has (favicon.svg, robots.txt): no paths, no dot
        # files, nothing outside the directory.
        candidate = directory / name
        if (
            name.startswith(".")
            or "/" in name
            or "\\" in name
            or candidate.name == "index.html"
            or not candidate.is_file()
        ):
            if not directory.is_dir() and "." in name and not name.startswith("."):
                return _missing(directory)
            return problem_response(
                request,
                404,
                "not-found",
                "Not found",
                f"there is nothing at {request.url.path}: see /docs for the API's paths",
            )
        return FileResponse(candidate, headers={"Cache-Control": "public, max-age=3600"})

    app.mount("/assets", _Assets(directory / "assets"), name="assets")
    app.include_router(router)
