"""``leolink witness``: an independent witness of a leolink log (c2sp.org/tlog-witness).

A witness has its own Ed25519 key (``--key``, a PEM file made with mode 0600 if missing), its
own small state file (``--state``) and the public keys of the logs it follows (``--log-key``).
Either the log pushes each new checkpoint to it with a consistency proof (``serve``), or it
pulls them from the log's public endpoints and posts its cosignatures back (``follow --url``,
`leolink.service.witness_follow`); either way it cosigns only if the checkpoint extends the
last one it cosigned (`leolink.policy.witness`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leolink.errors import InputError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from leolink.api import Verifier

__all__ = ["register"]

KeyOption = Annotated[
    Path,
    typer.Option("--key", help="The witness's Ed25519 key (PEM; made with mode 0600 if missing)."),
]
NameOption = Annotated[
    str,
    typer.Option(
        "--name", help="The witness's name, e.g. witness.example.org (no spaces, no '+')."
    ),
]


def _key(path: Path) -> Ed25519PrivateKey:
    from leolink.store.signing import load_or_create_key

    if path.is_dir():
        raise InputError(f"--key {path} is a folder, not a key file")
    return load_or_create_key(path)


def witness_public_key(key: KeyOption, name: NameOption) -> None:
    """Print the witness's verifier key (name+id+base64), to configure a log's witness policy."""
    from leolink.api import note_vkey

    typer.echo(note_vkey(name, _key(key).public_key(), cosigner=True))


StateOption = Annotated[
    Path, typer.Option("--state", help="The witness's state file (JSON; made if missing).")
]
LogKeyOption = Annotated[
    list[str],
    typer.Option(
        "--log-key",
        help="A log to follow: its verifier key (origin+id+base64, as `leolink audit "
        "public-key` prints it) or a file holding one. Repeatable.",
    ),
]


def _follows(log_key: list[str]) -> list[Verifier]:
    from leolink.api import verifier_from_vkey

    follows = []
    for given in log_key:
        path = Path(given)
        text = path.read_text(encoding="utf-8") if path.is_file() else given
        try:
            verifier = verifier_from_vkey(text)
        except InputError as exc:
            raise InputError(f"--log-key {given}: {exc}") from exc
        if verifier.cosigner:
            raise InputError(f"--log-key {given} is a witness's key, not a log's")
        follows.append(verifier)
    return follows


def witness_serve(
    key: KeyOption,
    name: NameOption,
    state: StateOption,
    log_key: LogKeyOption,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8001,
) -> None:
    """Run the witness: POST /add-checkpoint (c2sp.org/tlog-witness) and GET /status."""
    import uvicorn

    from leolink.api import note_vkey
    from leolink.cli._output import stderr_console
    from leolink.service.witness_server import WitnessFile, create_witness_app

    follows = _follows(log_key)
    secret = _key(key)
    app = create_witness_app(name, secret, WitnessFile(state, follows))
    stderr_console.print(
        f"witness {note_vkey(name, secret.public_key(), cosigner=True)}",
        markup=False,
        highlight=False,
    )
    typer.echo(f"http://{host}:{port}")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def witness_follow(
    key: KeyOption,
    name: NameOption,
    state: StateOption,
    log_key: LogKeyOption,
    url: Annotated[
        str, typer.Option("--url", help="The log service's base URL, e.g. http://127.0.0.1:8000.")
    ],
    interval_s: Annotated[
        float, typer.Option("--interval-s", min=0.1, help="Seconds between rounds.")
    ] = 10.0,
    once: Annotated[bool, typer.Option("--once", help="One round, then exit.")] = False,
) -> None:
    """Pull the log's newest checkpoint and a consistency proof from its public endpoints, check
    them, cosign, and post the cosignature back (POST /v1/log/cosignatures); one JSON line a
    round on stdout.  A refused checkpoint (split view, rebuilt or rolled-back history) exits
    1 with --once, and is reported on stderr and retried otherwise."""
    import json
    import time

    from leolink.cli._output import stderr_console
    from leolink.service.witness_follow import FollowError, follow_once, log_base
    from leolink.service.witness_server import WitnessFile

    log_base(url)  # a bad --url is an input error before anything is made
    follows = _follows(log_key)
    secret = _key(key)
    state_file = WitnessFile(state, follows)
    while True:
        try:
            done = follow_once(url, name=name, key=secret, state_file=state_file)
        except FollowError as exc:
            stderr_console.print(f"witness {name}: {exc}", markup=False, highlight=False)
            if once:
                raise typer.Exit(1) from exc
        else:
            typer.echo(json.dumps(done.to_dict(), sort_keys=True))
            if once:
                return
        time.sleep(interval_s)


def register(app: typer.Typer) -> None:
    """Add ``leolink witness serve|follow|public-key``."""
    witness_app = typer.Typer(
        help="A witness that cosigns the log's checkpoints.", no_args_is_help=True
    )
    witness_app.command("serve")(witness_serve)
    witness_app.command("follow")(witness_follow)
    witness_app.command("public-key")(witness_public_key)
    app.add_typer(witness_app, name="witness")
