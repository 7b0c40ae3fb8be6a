"""``leolink serve --workers N``: each worker listens on a socket of its own, in one
``SO_REUSEPORT`` group, and the kernel spreads connections over them
(`leolink.service.workers`)."""

from __future__ import annotations

import pickle
import socket
from multiprocessing.reduction import ForkingPickler

import pytest

from leolink.service import workers
from leolink.service.workers import has_reuseport


def test_the_supported_platform_has_reuseport() -> None:
    """leolink's platform (Debian, README) has ``SO_REUSEPORT``: these tests are never skipped
    (elsewhere ``serve`` falls back to uvicorn's shared socket)."""
    assert has_reuseport()


def _as_a_worker_receives_it(sock: socket.socket) -> socket.socket:
    """The socket as a spawned worker process gets it (multiprocessing pickles its arguments)."""
    received: socket.socket = pickle.loads(bytes(ForkingPickler.dumps(sock)))
    return received


def test_a_busy_address_is_refused_not_joined() -> None:
    """Another server on the port, one with ``SO_REUSEPORT`` too (another ``leolink serve``):
    the new one is refused rather than silently sharing its connections."""
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        with pytest.raises(OSError, match=r"(?i)in use"):
            workers._reserve("127.0.0.1", other.getsockname()[1])


def test_each_worker_listens_on_its_own_socket_and_connections_reach_both() -> None:
    with workers._reserve("127.0.0.1", 0) as reserved:
        address = reserved.getsockname()
        assert address[1] != 0
        with (
            _as_a_worker_receives_it(reserved) as first,
            _as_a_worker_receives_it(reserved) as second,
        ):
            assert first.getsockname() == second.getsockname() == address
            assert first.fileno() != second.fileno() != reserved.fileno()
            first.listen()
            second.listen()
            first.setblocking(False)
            second.setblocking(False)
            clients = [socket.create_connection(address, timeout=5.0) for _ in range(64)]
            try:
                accepted = {"first": 0, "second": 0}
                for name, listener in (("first", first), ("second", second)):
                    while True:
                        try:
                            conn, _ = listener.accept()
                        except BlockingIOError:
                            break
                        conn.close()
                        accepted[name] += 1
            finally:
                for client in clients:
                    client.close()
    # Every connection reached a listening worker (none queued on the supervisor's socket),
    # and the kernel's hash gave each worker some: all 64 on one has odds of 2^-63.
    assert accepted["first"] + accepted["second"] == 64
    assert accepted["first"] > 0
    assert accepted["second"] > 0
