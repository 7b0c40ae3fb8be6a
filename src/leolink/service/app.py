"""The application factory: `create_app` wires the store, the catalog, the routers and the map."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware

import leolink
from leolink import api
from leolink.api import parse_instant
from leolink.service import basemap
from leolink.service.catalog_refresh import CatalogRefresher
from leolink.service.docs import install_docs
from leolink.service.idempotency import IdempotentPosts
from leolink.service.middleware import RequestGuard
from leolink.service.problems import install_problem_handlers
from leolink.service.query import reject_unknown_query
from leolink.service.routers import (
    audit,
    availability,
    coverage,
    decisions,
    forensics,
    geofences,
    ground,
    keys,
    orbits,
    places,
    public,
    routes,
    statuses,
    telemetry,
    terminals,
    transparency,
)
from leolink.service.routers import witnesses as witnesses_router
from leolink.service.schemas import ProblemDetails
from leolink.service.state import ServiceLimits, ServiceState
from leolink.service.static import DEFAULT_STATIC_DIR, install_static
from leolink.service.witnessing import Publisher, WitnessPolicy, read_witness_policy
from leolink.store import Store

__all__ = [
    "ENV_CATALOG",
    "ENV_CATALOG_REFRESH",
    "ENV_DB_URL",
    "ENV_SIGNING_KEY",
    "ENV_WITNESSES",
    "create_app",
    "create_app_from_env",
]

_log = logging.getLogger(__name__)

#: Environment variables through which `leolink serve` configures its worker processes.
ENV_DB_URL: Final = "LEOLINK_DB_URL"
ENV_SIGNING_KEY: Final = "LEOLINK_SIGNING_KEY"
ENV_CATALOG: Final = "LEOLINK_CATALOG"
ENV_WITNESSES: Final = "LEOLINK_WITNESSES"
#: ``<seconds> <source>``: refresh the catalog from the source this often.
ENV_CATALOG_REFRESH: Final = "LEOLINK_CATALOG_REFRESH"

_DESCRIPTION = """\
The operator service of leolink, an open model of a Starlink-class satellite-internet system.

Public reads need no key: health, the countries layer, availability, satellites, visible
satellites, coverage, decisions and routes.  Everything else takes `Authorization: Bearer <token>`
with a key made by `leolink keys create --role ROLE --name NAME`; roles are viewer, terminal,
operator, auditor and admin.  Times are ISO 8601 UTC with `Z`; latitude comes before longitude
except in GeoJSON.  Errors are `application/problem+json` (RFC 9457).  Lists are pages
`{items, next}`: pass `next` as `after` (for the audit log, newest first: as `before_seq`).
"""


def create_app(
    store_url: str | None = None,
    *,
    store: Store | None = None,
    catalog: api.Catalog | None = None,
    signing_key: Ed25519PrivateKey | str | Path | None = None,
    migrate: bool = True,
    static_dir: Path = DEFAULT_STATIC_DIR,
    limits: ServiceLimits | None = None,
    witnesses: WitnessPolicy | None = None,
    witness_interval_s: float = 2.0,
    catalog_refresh_s: float | None = None,
    catalog_source: str = "celestrak",
    catalog_dir: Path | None = None,
) -> FastAPI:
    """The leolink service as an ASGI app.

    The store is ``store`` if given (the caller keeps and closes it), else opened at
    ``store_url`` (default: the SQLite file in the user's data directory), its schema migrated
    unless ``migrate=False``, with ``signing_key`` for its audit checkpoints; the app closes it
    on shutdown.  ``catalog`` defaults to the newest kept snapshot (``leolink catalog
    update``), else the embedded real catalog.  ``static_dir`` holds the
    built web map.  ``witnesses``: publish only checkpoints cosigned as this policy requires,
    pushing each new one to the witnesses every ``witness_interval_s``
    (`leolink.service.witnessing`).  ``catalog_refresh_s``: fetch ``catalog_source`` at start
    and then this often, as its usage rules allow, and compute with the newest snapshot in
    ``catalog_dir`` (default: the user's) (`leolink.service.catalog_refresh`).
    """
    own = store is None
    if store is None:
        store = Store.open(store_url, migrate=migrate, signing_key=signing_key)
    try:
        state = ServiceState(
            store=store,
            catalog=catalog if catalog is not None else api.load_catalog_for(),
            limits=limits or ServiceLimits(),
            owns_store=own,
            witness_policy=witnesses,
        )
    except BaseException:
        if own:
            store.close()
        raise

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Warm what the first requests would otherwise wait for (the simplified borders, the
        # point-in-country index, the policy), then move everything loaded so far out of the
        # garbage collector's sight: its full collections would otherwise walk the catalog and
        # the borders (millions of objects) and stall requests for tens of milliseconds.
        await run_in_threadpool(basemap.base_features)
        state.decider.decide(0.0, 0.0, parse_instant("now"))
        gc.collect()
        gc.freeze()
        if witnesses is not None:
            state.publisher = Publisher(state.store, witnesses, witness_interval_s)
            state.publisher.start()
        if catalog_refresh_s is not None:
            state.catalog_refresher = CatalogRefresher(
                state, catalog_source, catalog_refresh_s, directory=catalog_dir
            )
            state.catalog_refresher.start()
        try:
            yield
        finally:
            if state.catalog_refresher is not None:
                state.catalog_refresher.stop()
            if state.publisher is not None:
                state.publisher.stop()
            state.close()

    app = FastAPI(
        title="leolink",
        version=leolink.__version__,
        description=f"{_DESCRIPTION}\nLimits of one request (`ServiceLimits`):\n\n"
        f"{state.limits.markdown()}\n",
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_query)],
        docs_url=None,
        redoc_url=None,
    )
    app.state.leolink = state
    install_problem_handlers(app)
    # Level 1: it compresses on the event loop, and for the large columnar bodies (satellites,
    # cells, coverage: ~2 MB of JSON) level 9 takes ~430 ms for a body 16 % smaller than
    # level 1's in ~20 ms.
    # Inside gzip: a replayed response is the plain body, compressed as the client asks.
    app.add_middleware(IdempotentPosts, store=state.store)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=1)
    # Added last, so it runs first: bodies are bounded before anything reads them.
    app.add_middleware(RequestGuard, limits=state.limits)
    for module in (
        public,
        coverage,
        routes,
        decisions,
        statuses,
        geofences,
        availability,
        terminals,
        audit,
        transparency,
        witnesses_router,
        forensics,
        telemetry,
        ground,
        places,
        orbits,
        keys,
    ):
        app.include_router(module.router)
    install_docs(app)
    install_static(app, static_dir)
    app.openapi = _openapi_with_problems(app)  # type: ignore[method-assign]
    return app


def _openapi_with_problems(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi`` plus the ProblemDetails schema the error responses refer to."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["ProblemDetails"] = ProblemDetails.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def create_app_from_env() -> FastAPI:
    """`create_app` configured by `ENV_DB_URL`, `ENV_SIGNING_KEY` and `ENV_CATALOG` (for uvicorn
    workers).

    The schema is not migrated here: `leolink serve` migrates once before starting workers,
    so that several workers do not race to do it.
    """
    refresh = (os.environ.get(ENV_CATALOG_REFRESH) or "").split(" ", 1)
    return create_app(
        os.environ.get(ENV_DB_URL) or None,
        catalog_refresh_s=float(refresh[0]) if len(refresh) == 2 else None,
        catalog_source=refresh[1] if len(refresh) == 2 else "celestrak",
        signing_key=os.environ.get(ENV_SIGNING_KEY) or None,
        catalog=api.load_catalog(catalog) if (catalog := os.environ.get(ENV_CATALOG)) else None,
        migrate=False,
        witnesses=read_witness_policy(Path(w)) if (w := os.environ.get(ENV_WITNESSES)) else None,
    )
