"""The API documentation pages, ``/docs`` (Swagger UI) and ``/redoc``, served offline.

FastAPI's own pages load their scripts from a CDN and are blank without the Internet; these
use the copies vendored in ``docs_assets`` (``scripts/vendor_docs_assets.sh``, licences beside
them), served at ``/docs-assets``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_DIR", "install_docs"]

ASSETS_DIR: Final = Path(__file__).with_name("docs_assets")
_PREFIX: Final = "/docs-assets"


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/redoc`` from the vendored assets (create the app with
    ``docs_url=None, redoc_url=None``)."""
    app.mount(_PREFIX, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{_PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{_PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{_PREFIX}/favicon-32x32.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            redoc_js_url=f"{_PREFIX}/redoc.standalone.js",
            redoc_favicon_url=f"{_PREFIX}/favicon-32x32.png",
            with_google_fonts=False,
        )
