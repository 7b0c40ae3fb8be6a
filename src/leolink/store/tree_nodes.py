"""The Merkle tree's stored nodes: the complete subtrees a proof needs, in one statement.

A proof needs O(log n) complete subtrees (`leolink.policy.merkle.subtrees_for_inclusion`,
`subtrees_for_consistency`), each one primary-key row of ``audit_tree_nodes``.  What costs is
not reading them but the round trips around the read: a transaction's BEGIN, isolation level
and COMMIT, and a separate read of the log's size.  `proof_nodes` reads the rows and the log's
size in one statement on an autocommit connection (one statement is one snapshot), so a proof
against a size the caller names takes a single round trip.  Without a size, the caller's guess
(the log's size when it last looked) is tried in that same statement: the statement also reads
the log's size, so when the guess is still the size — the common case, proofs being read far
more often than records are written — the proof is right in one round trip; otherwise the size
is read first and the nodes after it, two round trips.
On PostgreSQL the wanted keys travel as two arrays joined against the table (one statement
shape, which psycopg prepares on the server after a few uses); SQLite, in process, takes the
same rows with a row-value ``IN``.

`proof_engine` gives PostgreSQL proofs an engine of their own without the store's "pre-ping"
(a round trip before every use of a pooled connection): a connection the server dropped fails
its statement instead, and the read is retried once on a fresh one (SQLAlchemy's "optimistic"
disconnect handling).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, create_engine, select, tuple_
from sqlalchemy.exc import DBAPIError

from leolink.errors import StoreError
from leolink.policy.merkle import Subtree, hashes_by_subtree
from leolink.store.models import AuditHeadRow, AuditTreeNodeRow

__all__ = ["proof_engine", "proof_nodes"]

_PG_NODES = """
SELECT -1, h.seq, NULL FROM audit_head AS h WHERE h.id = 1
UNION ALL
SELECT n.level, n.idx, n.hash
FROM unnest(%s::smallint[], %s::bigint[]) AS w(level, idx)
JOIN audit_tree_nodes AS n ON n.level = w.level AND n.idx = w.idx
"""

Wanted = Callable[[int], list[Subtree]]


def proof_engine(engine: Engine) -> Engine:
    """The engine proofs read through: ``engine`` itself, or on PostgreSQL a small one of its
    own without pre-ping (see the module doc)."""
    if engine.dialect.name != "postgresql":
        return engine
    return create_engine(engine.url, pool_pre_ping=False, pool_size=4, max_overflow=8)


def proof_nodes(
    engine: Engine, size: int | None, wanted: Wanted, *, guess: int | None = None
) -> tuple[int, int, dict[Subtree, bytes]]:
    """``(log_size, size, nodes)``: the log's size, the tree size used (``size``, or the log's
    when None) and the stored hashes of ``wanted(size)`` (which also checks its arguments).

    ``guess``: with no ``size``, the log's size as last seen; tried first (see the module doc).
    """
    if size is None and guess is not None:
        try:
            wanted(guess)
        except (LookupError, ValueError):
            guess = None  # the guess cannot hold what is asked for: read the size first
    if size is None and guess is not None:
        log_size, _, nodes = _retrying(engine, guess, wanted)
        if log_size == guess:
            return log_size, guess, nodes
    return _retrying(engine, size, wanted)


def _retrying(
    engine: Engine, size: int | None, wanted: Wanted
) -> tuple[int, int, dict[Subtree, bytes]]:
    try:
        return _proof_nodes(engine, size, wanted)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        return _proof_nodes(engine, size, wanted)  # the server dropped a pooled connection


def _proof_nodes(
    engine: Engine, size: int | None, wanted: Wanted
) -> tuple[int, int, dict[Subtree, bytes]]:
    rows: list[tuple[int, int, bytes | None]]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if size is None:
            head = conn.execute(select(AuditHeadRow.seq).where(AuditHeadRow.id == 1)).scalar()
            size = int(head or 0)
        subtrees = wanted(size)
        unique = sorted(set(subtrees))
        if engine.dialect.name == "postgresql":
            result = conn.exec_driver_sql(
                _PG_NODES, ([lv for lv, _ in unique], [ix for _, ix in unique])
            )
            rows = [(int(r[0]), int(r[1]), None if r[2] is None else bytes(r[2])) for r in result]
        else:
            head_rows = conn.execute(select(AuditHeadRow.seq).where(AuditHeadRow.id == 1)).all()
            node_rows = (
                conn.execute(
                    select(
                        AuditTreeNodeRow.level, AuditTreeNodeRow.idx, AuditTreeNodeRow.hash
                    ).where(tuple_(AuditTreeNodeRow.level, AuditTreeNodeRow.idx).in_(unique))
                ).all()
                if unique
                else []
            )
            rows = [(-1, int(r[0]), None) for r in head_rows] + [
                (int(r[0]), int(r[1]), bytes(r[2])) for r in node_rows
            ]
    log_size = next((int(r[1]) for r in rows if r[0] == -1), 0)
    found = ((int(r[0]), int(r[1]), bytes(r[2] or b"")) for r in rows if r[0] != -1)
    try:
        nodes = dict(hashes_by_subtree(subtrees, found)) if subtrees else {}
    except LookupError as exc:
        if size > log_size:
            return log_size, size, {}
        raise StoreError(f"the audit log's Merkle tree is incomplete: {exc}") from exc
    return log_size, size, nodes
