"""``leolink audit``: the transparency log from the outside — checkpoint, verify, prove, export.

A verifier trusts only what it brings: the log's public key (``--public-key``, a C2SP verifier
key ``origin+id+base64`` or a file holding one, as ``leolink audit public-key`` prints it) and
checkpoints it saved before (``--checkpoint``).  Keys recorded in the database under test are
never trusted.  The log can be read from a store (``--db``), a running service (``--url``, its
public endpoints) or a saved copy (``--log``, from ``leolink audit export``).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leolink.cli._common import DbOption, FormatOption, SigningKeyOption
from leolink.cli._output import Format, emit
from leolink.errors import InputError

if TYPE_CHECKING:  # the log's model and the store (SQLAlchemy, Alembic) load when a command runs
    from sqlalchemy.engine import URL

    from leolink.api import AuditRecord, SignedCheckpoint, Verifier
    from leolink.store import Store

__all__ = ["register"]

PublicKeyOption = Annotated[
    str | None,
    typer.Option(
        "--public-key",
        help="The log's verifier key (origin+id+base64, as `leolink audit public-key` prints "
        "it) or a file holding it; the only key verification trusts.",
    ),
]
CheckpointOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--checkpoint",
        help="A checkpoint note saved earlier (repeatable): the log must extend it.",
    ),
]
UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="A running leolink service to check through its public log."),
]
LogOption = Annotated[
    Path | None,
    typer.Option("--log", help="A saved log (JSON lines from `leolink audit export`)."),
]


def _existing_store(db: str | None, signing_key: str | None = None) -> Store:
    """Open ``db`` for reading; a SQLite file that does not exist is an error, not a new store."""
    from leolink.store import Store
    from leolink.store.engine import default_url, normalise_url

    url = normalise_url(db if db is not None else default_url())
    path = url.database
    on_disk = url.get_backend_name() == "sqlite" and path not in (None, "", ":memory:")
    if on_disk and not Path(str(path)).exists():
        raise InputError(f"there is no database at {path} (--db {db or 'default'})")
    if signing_key is not None and not Path(signing_key).is_file():
        raise InputError(f"--signing-key {signing_key}: no such key file")
    _require_schema(url)
    return Store.open(db, migrate=False, signing_key=signing_key)


def _require_schema(url: URL) -> None:
    """Refuse a database that cannot be reached or holds no leolink store (never make one)."""
    from sqlalchemy.exc import SQLAlchemyError

    from leolink.store.engine import make_engine
    from leolink.store.migrate import current_revision

    shown = url.render_as_string(hide_password=True)
    engine = make_engine(url)
    try:
        found = current_revision(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip()
        raise InputError(
            f"cannot open the database {shown} (--db): {reason.splitlines()[0]}; "
            "check that it exists: verification never creates one"
        ) from exc
    finally:
        engine.dispose()
    if found is None:
        raise InputError(
            f"the database {shown} (--db) holds no leolink store: there is nothing to verify"
        )


def _verifier(public_key: str | None) -> Verifier:
    from leolink.api import verifier_from_vkey

    if public_key is None:
        raise InputError(
            "give --public-key (the log's verifier key, as `leolink audit public-key` prints "
            "it): verification never trusts a key read from the log it checks"
        )
    path = Path(public_key)
    text = path.read_text(encoding="utf-8") if path.is_file() else public_key
    return verifier_from_vkey(text)


def _checkpoints(paths: list[Path] | None) -> list[SignedCheckpoint]:
    from leolink.api import parse_checkpoint

    out = []
    for path in paths or []:
        if not path.is_file():
            raise InputError(f"--checkpoint {path}: no such file")
        try:
            out.append(parse_checkpoint(path.read_text(encoding="utf-8")))
        except InputError as exc:
            raise InputError(f"--checkpoint {path}: {exc}") from exc
    return out


def audit_public_key(db: DbOption = None, signing_key: SigningKeyOption = None) -> None:
    """Print the log's verifier key (origin + public key) to hand to verifiers and witnesses."""
    with _existing_store(db, signing_key) as store:
        typer.echo(store.log_verifier().vkey())


def audit_checkpoint(db: DbOption = None, signing_key: SigningKeyOption = None) -> None:
    """Print the log's newest signed checkpoint (a C2SP signed note); save it to verify later."""
    with _existing_store(db, signing_key) as store:
        typer.echo(store.latest_checkpoint().note(), nl=False)


def audit_export(db: DbOption = None, signing_key: SigningKeyOption = None) -> None:
    """Print every record of the log as JSON lines: a copy to verify offline with ``--log``."""
    with _existing_store(db, signing_key) as store:
        after = 0
        while page := store.audit_log(after_seq=after, limit=5000):
            for rec in page:
                typer.echo(json.dumps(rec.to_dict(), ensure_ascii=False, sort_keys=True))
            after = page[-1].seq


def audit_verify(
    db: DbOption = None,
    signing_key: SigningKeyOption = None,
    public_key: PublicKeyOption = None,
    checkpoint: CheckpointOption = None,
    url: UrlOption = None,
    log: LogOption = None,
    fmt: FormatOption = Format.auto,
) -> None:
    """Verify the log: chain, Merkle tree, signed checkpoints, and that it extends every
    ``--checkpoint`` given; exit 1 when it does not, naming the first bad record.  With a
    store, also every table that holds state: the logged ones replayed from the records,
    the derived ones (witnessed checkpoints, compiled areas) computed again, each with its
    first difference (``tables``)."""
    earlier = _checkpoints(checkpoint)
    if url is not None:
        result = _verify_url(url, _verifier(public_key), earlier)
    elif log is not None:
        result = _verify_saved(log, _verifier(public_key), earlier)
    else:
        from leolink.store.replay import table_checks

        with _existing_store(db, signing_key) as store:
            # Without --public-key: the public half of the operator's own key file (--signing-key
            # or the default one), never a key recorded in the database under test.
            verifier = _verifier(public_key) if public_key else store.log_verifier()
            chain = store.verify([verifier.key], log_key=verifier, earlier=earlier)
            checks = table_checks(store.engine, verifier)
        result = {**chain.to_dict(), "tables": [c.to_dict() for c in checks]}
        differing = [str(c.first_difference) for c in checks if not c.ok]
        if differing and result["ok"]:
            result.update(ok=False, reason="; ".join(differing))
    emit(result, fmt, title="Audit log")
    if not result["ok"]:
        raise typer.Exit(1)


def _verify_saved(path: Path, verifier: Verifier, cps: list[SignedCheckpoint]) -> dict[str, Any]:
    from leolink.api import verify_log

    if not path.is_file():
        raise InputError(f"--log {path}: no such file")
    if not cps:
        raise InputError("--log needs at least one --checkpoint: a saved log proves nothing alone")
    records = _read_log(path)
    latest = max(cps, key=lambda c: c.size)
    tree = verify_log(
        records,
        latest=latest,
        earlier=[c for c in cps if c is not latest],
        verifier=verifier,
    )
    return {
        "ok": tree.ok,
        "records": tree.records,
        "first_bad": tree.first_bad,
        "reason": tree.reason,
    }


def _read_log(path: Path) -> list[AuditRecord]:
    from leolink.api import record_from_dict

    records = []
    with path.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                records.append(record_from_dict(json.loads(line)))
            except ValueError as exc:
                raise InputError(f"--log {path} line {n}: {exc}") from exc
    return records


def _get(url: str) -> bytes:
    import urllib.error
    import urllib.request  # with ssl and http.client: only when a command reads a service

    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body: bytes = response.read()
            return body
    except (urllib.error.URLError, OSError) as exc:
        raise InputError(f"--url: could not read {url}: {exc}") from exc


def _verify_url(base: str, verifier: Verifier, earlier: list[SignedCheckpoint]) -> dict[str, Any]:
    from leolink.api import parse_checkpoint, verify_consistency

    if not base.startswith(("http://", "https://")):
        raise InputError(f"--url {base!r} must be an http:// or https:// address")
    base = base.rstrip("/")
    latest = parse_checkpoint(_get(f"{base}/v1/log/checkpoint").decode())
    problems = []
    if not latest.signed_by(verifier):
        problems.append(f"the service's checkpoint is not signed by {verifier.vkey()}")
    for old in earlier:
        if not old.signed_by(verifier):
            problems.append(f"the checkpoint of size {old.size} given is not signed by that key")
            continue
        if old.size > latest.size:
            problems.append(
                f"the service's log has {latest.size} records but a checkpoint given vouches "
                f"for {old.size}: it rolled back"
            )
            continue
        data = json.loads(
            _get(f"{base}/v1/log/proof/consistency?size1={old.size}&size2={latest.size}")
        )
        proof = [base64.b64decode(p) for p in data["proof"]]
        if not verify_consistency(old.size, latest.size, proof, old.root, latest.root):
            problems.append(
                f"the service's log of {latest.size} records is not an append-only extension "
                f"of the checkpoint of size {old.size} given (the history was rewritten)"
            )
    if problems:
        return {
            "ok": False,
            "records": latest.size,
            "first_bad": None,
            "reason": "; ".join(problems),
        }
    return {
        "ok": True,
        "records": latest.size,
        "first_bad": None,
        "reason": f"checkpoint of {latest.size} records is signed and extends "
        f"{len(earlier)} earlier checkpoint(s)",
    }


def audit_prove(
    seq: Annotated[int, typer.Option("--seq", help="The record to prove (1-based).")],
    db: DbOption = None,
    signing_key: SigningKeyOption = None,
    public_key: PublicKeyOption = None,
    fmt: FormatOption = Format.auto,
) -> None:
    """Prove that record ``--seq`` is in the log's newest signed checkpoint; exit 1 if not."""
    from leolink.api import record_leaf, verify_inclusion

    with _existing_store(db, signing_key) as store:
        verifier = _verifier(public_key) if public_key else store.log_verifier()
        cp = store.latest_checkpoint()
        record = store.audit_log(after_seq=seq - 1, limit=1)
        size, proof = store.inclusion_proof(seq, cp.size)
    rec = record[0]
    signed = cp.signed_by(verifier)
    included = verify_inclusion(seq - 1, size, record_leaf(rec), proof, cp.root)
    intact = rec.compute_hash() == rec.hash
    result = {
        "ok": signed and included and intact,
        "seq": seq,
        "record_hash": rec.hash,
        "checkpoint_size": size,
        "root": base64.b64encode(cp.root).decode(),
        "proof": [base64.b64encode(p).decode() for p in proof],
        "checkpoint_signed": signed,
        "included": included,
        "record_intact": intact,
    }
    emit(result, fmt, title=f"Record {seq}")
    if not result["ok"]:
        raise typer.Exit(1)


def audit_new_key(
    path: Annotated[Path, typer.Argument(help="Where to write the new key (must not exist).")],
) -> None:
    """Make a new Ed25519 signing key (PEM, mode 0600) at PATH and print its public key."""
    from leolink.api import public_key_to_hex
    from leolink.store.signing import load_or_create_key

    if path.exists():
        raise InputError(f"{path} exists: a signing key is never overwritten; choose another path")
    key = load_or_create_key(path)
    typer.echo(public_key_to_hex(key.public_key()))


def register(audit_app: typer.Typer) -> None:
    """Add the transparency-log commands to ``leolink audit``."""
    audit_app.command("verify")(audit_verify)
    audit_app.command("checkpoint")(audit_checkpoint)
    audit_app.command("prove")(audit_prove)
    audit_app.command("export")(audit_export)
    audit_app.command("public-key")(audit_public_key)
    audit_app.command("new-key")(audit_new_key)
