"""Commands of the operator service: ``serve`` (the HTTP API and the web map) and ``keys``.

``leolink serve`` migrates the store's schema once, seeds an empty store with the default
policy, prints the address on stdout and runs uvicorn (``--workers N`` processes share the
store, each with a listening socket of its own: `leolink.service.workers`).  ``leolink keys
create`` makes an API key and prints its token, which is shown this once only (the store keeps
a salted hash).
"""

from __future__ import annotations

import getpass
import inspect
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leolink.api import CLIENT_SHARE, Role, describe_limits
from leolink.cli._common import CatalogOption, DbOption, FormatOption, SigningKeyOption
from leolink.cli._output import Format, emit, stderr_console

if TYPE_CHECKING:
    from leolink.store import Store

__all__ = ["register"]


def _cli_actor() -> str:
    """Who the audit log records for a change made from the command line."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"cli:{user}"


def _address(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}"


def _seed_defaults(store: Store) -> str | None:
    """Load the default policy into a store that has none; what was done, or None."""
    from leolink.api import seed_if_empty

    loaded = seed_if_empty(store)
    if loaded is None:
        return None
    return (
        f"seeded the empty store with the default policy {loaded.dataset}: "
        f"{loaded.approved} country statuses"
    )


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    db: DbOption = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes.")] = 1,
    signing_key: SigningKeyOption = None,
    catalog: CatalogOption = None,
    seed: Annotated[
        bool,
        typer.Option(
            "--seed/--no-seed", help="Load the default policy into a store that has none."
        ),
    ] = True,
    log_level: Annotated[
        str, typer.Option("--log-level", help="uvicorn's log level (info, warning, ...).")
    ] = "info",
    catalog_refresh: Annotated[
        str | None,
        typer.Option(
            "--catalog-refresh",
            help="Fetch a fresh catalog at start and then this often (e.g. 2h), as the "
            "source's usage rules allow, and compute with the newest snapshot.",
        ),
    ] = None,
    catalog_source: Annotated[
        str,
        typer.Option(
            "--catalog-source", help="Where --catalog-refresh fetches: celestrak or a URL."
        ),
    ] = "celestrak",
    witnesses: Annotated[
        Path | None,
        typer.Option(
            "--witnesses",
            help="A witness policy (TOML: quorum = k and [[witness]] key/url entries): publish "
            "only checkpoints that k witnesses cosigned.",
        ),
    ] = None,
) -> None:
    """Run the operator service: the HTTP API (/v1, docs at /docs) and the web map at /."""
    import uvicorn

    from leolink import api
    from leolink.service.app import ENV_CATALOG, ENV_DB_URL, ENV_SIGNING_KEY, ENV_WITNESSES
    from leolink.service.witnessing import read_witness_policy
    from leolink.service.workers import has_reuseport, run_workers
    from leolink.store import Store, default_url

    if witnesses is not None:
        read_witness_policy(witnesses)  # a bad file is refused here, not in every worker
        os.environ[ENV_WITNESSES] = str(witnesses.resolve())

    if catalog_refresh is not None:
        from leolink.errors import InputError
        from leolink.service.app import ENV_CATALOG_REFRESH
        from leolink.service.catalog_refresh import parse_duration_s

        if catalog is not None:
            raise InputError(
                f"--catalog {catalog} pins the catalog and --catalog-refresh {catalog_refresh} "
                "replaces it: give one of them"
            )
        if not catalog_source.startswith(("http://", "https://")) and catalog_source != "celestrak":
            raise InputError(
                f"--catalog-source {catalog_source!r}: give celestrak or an http(s) URL"
            )
        every_s = parse_duration_s(catalog_refresh)
        os.environ[ENV_CATALOG_REFRESH] = f"{every_s} {catalog_source}"
    url = db or default_url()
    with Store.open(url, signing_key=signing_key) as store:  # migrates, once, here
        if seed and (done := _seed_defaults(store)):
            stderr_console.print(done, markup=False, highlight=False)
    os.environ[ENV_DB_URL] = url
    if signing_key:
        os.environ[ENV_SIGNING_KEY] = signing_key
    if catalog is not None:
        api.load_catalog(catalog)  # a bad file is refused here, not in every worker
        os.environ[ENV_CATALOG] = str(catalog.resolve())
    typer.echo(_address(host, port))
    app = "leolink.service.app:create_app_from_env"
    if workers > 1 and has_reuseport():
        # One listening socket per worker, so that connections are spread evenly over them.
        config = uvicorn.Config(
            app,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            proxy_headers=False,
        )
        run_workers(config)
        return
    uvicorn.run(
        app,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=False,
    )


def keys_create(
    role: Annotated[Role, typer.Option("--role", help="What the key may do.")],
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="Who holds it: the audit log records this name as the actor (a terminal "
            "key's name is its terminal's id). Default: the role and a random suffix.",
        ),
    ] = None,
    db: DbOption = None,
    signing_key: SigningKeyOption = None,
    reason: Annotated[
        str, typer.Option("--reason", help="Why the key is made (recorded in the audit log).")
    ] = "created with leolink keys create",
    fmt: Annotated[
        Format, typer.Option("--format", help="table: the token alone; json: with the key.")
    ] = Format.table,
) -> None:
    """Make an API key and print its token, which is shown this once only."""
    import secrets

    from leolink.store import Store

    key_name = name if name is not None else f"{role.value}-{secrets.token_hex(3)}"
    with Store.open(db, signing_key=signing_key) as store:
        key, token = store.create_api_key(role, name=key_name, actor=_cli_actor(), reason=reason)
    if fmt is Format.table:
        stderr_console.print(
            f"API key {key.id} {key.name!r} with role {key.role.value}; the token below is "
            "shown only now: keep it (use it as 'Authorization: Bearer <token>')",
            markup=False,
            highlight=False,
        )
        typer.echo(token)
    else:
        emit({**key.model_dump(mode="json"), "token": token}, fmt)


def keys_list(db: DbOption = None, fmt: FormatOption = Format.auto) -> None:
    """List the API keys (never their secrets)."""
    from leolink.store import Store

    with Store.open(db) as store:
        emit([k.model_dump(mode="json") for k in store.api_keys()], fmt, title="API keys")


def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `leolink keys list`).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")],
    db: DbOption = None,
    signing_key: SigningKeyOption = None,
    fmt: FormatOption = Format.auto,
) -> None:
    """Revoke an API key: its token authenticates no more."""
    from leolink.store import Store

    with Store.open(db, signing_key=signing_key) as store:
        key = store.revoke_api_key(key_id, actor=_cli_actor(), reason=reason)
    emit(key.model_dump(mode="json"), fmt, title="Revoked")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``keys`` to the ``leolink`` app."""
    share = describe_limits(CLIENT_SHARE)
    app.command(
        "serve",
        help=f"{inspect.cleandoc(serve.__doc__ or '')}\n\nEach worker process computes 4 "
        "decisions at once; one client (its valid API key, else its address) holds at most its "
        f"share of them (leolink.limits.CLIENT_SHARE: {share}): more waiting is a 429 with "
        "Retry-After, a longer wait for a turn a 503.",
    )(serve)
    keys_app = typer.Typer(help="API keys of the service.", no_args_is_help=True)
    keys_app.command("create")(keys_create)
    keys_app.command("list")(keys_list)
    keys_app.command("revoke")(keys_revoke)
    app.add_typer(keys_app, name="keys")
