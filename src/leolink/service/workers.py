"""The worker processes of ``leolink serve --workers N``: one listening socket each.

uvicorn's own supervisor hands every worker the same listening socket, and whichever worker's
event loop is awake when connections arrive accepts them: a burst of new connections (a client
pool, a load balancer, wrk) lands mostly on one worker.  With wrk's 64 connections on two
workers we counted 48 on one and 16 on the other, so requests on the first waited about three
times as long as on the second while the second had time to spare (``benchmarks/bench_http.py``).

Here each worker binds a socket of its own to the address with ``SO_REUSEPORT``, and the kernel
spreads new connections over the group by a hash of their addresses (Linux >= 3.9, socket(7);
the same counts became 34 and 30).  A worker that dies takes its socket with it, so no
connection waits in a queue that nobody accepts from; its replacement binds a new one.  The
supervisor checks first that nothing holds the address (a busy port is refused as before,
rather than joined), then keeps a socket bound to it that never listens: it reserves the address
(the kernel lets only sockets of the same user with ``SO_REUSEPORT`` join) and receives no
connection.  Where the platform has no ``SO_REUSEPORT``, uvicorn's shared socket is used.
"""

from __future__ import annotations

import socket
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn

__all__ = ["has_reuseport", "run_workers"]


def has_reuseport() -> bool:
    """Whether this platform can spread connections over one socket per worker."""
    return hasattr(socket, "SO_REUSEPORT")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _bind(family: int, address: tuple[Any, ...], *, reuse_port: bool) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


class _AddressOfEachWorker(socket.socket):
    """The supervisor's bound socket, which a worker process receives as a new socket of its
    own bound to the same address (what it unpickles to), not as a copy of this one."""

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return (_bind_reuseport, (int(self.family), self.getsockname()))


def _bind_reuseport(family: int, address: tuple[Any, ...]) -> socket.socket:
    """A worker's own socket in the address's ``SO_REUSEPORT`` group (run in the worker)."""
    return _bind(family, address, reuse_port=True)


def _reserve(host: str, port: int) -> _AddressOfEachWorker:
    """The supervisor's socket: the address checked free, then bound with ``SO_REUSEPORT``."""
    family = _family(host)
    with _bind(family, (host, port), reuse_port=False) as probe:  # refused if the port is busy
        address = probe.getsockname()  # port 0: the port the kernel chose
    sock = _AddressOfEachWorker(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


def run_workers(config: uvicorn.Config) -> None:
    """Run ``config.workers`` uvicorn worker processes (a `uvicorn.Config` with an import
    string for its app), each listening on a socket of its own; returns when they stop."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    try:
        sock = _reserve(config.host, config.port)
    except OSError as exc:
        print(
            f"cannot listen on {config.host}:{config.port} ({exc}): another server holds the "
            "address; stop it or give another --port",
            file=sys.stderr,
        )
        sys.exit(STARTUP_FAILURE)
    with sock:
        Multiprocess(config, sockets=[sock]).run()
