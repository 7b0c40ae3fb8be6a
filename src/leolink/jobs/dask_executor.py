"""An executor on Dask distributed: a local cluster of worker processes, or an existing one.

``DaskExecutor(2)`` starts a ``LocalCluster`` of two single-threaded worker processes (the
kernels are numba code that releases the GIL, but SGP4 holds it, so processes scale and threads
do not); ``DaskExecutor(scheduler="tcp://host:8786")`` connects to a running scheduler, whose
workers must have the same leolink installed.  The function is sent to every worker once
(``scatter(broadcast=True)``), so a large piece of shared input - a sweep's two million cells -
travels once per worker rather than once per piece, and a worker keeps what it builds from it
(prepared ground points) from one piece to the next.  At most ``max_in_flight`` pieces (by
default one more than the workers) are submitted at a time and results are handed back in
order, which bounds the memory the results waiting to be merged can take: a whole-world
sweep's piece returns ~200 MB.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Generator, Iterable
from types import TracebackType
from typing import Any, Self, TypeVar

from leolink.errors import InputError, WorkerError

__all__ = ["CONNECT_TIMEOUT_S", "WORKER_MALLOC_ENVIRON", "DaskExecutor"]

T = TypeVar("T")
R = TypeVar("R")

#: glibc settings for the workers of a local cluster (see `DaskExecutor`).
WORKER_MALLOC_ENVIRON = {
    "MALLOC_MMAP_THRESHOLD_": str(64 * 2**20),
    "MALLOC_TRIM_THRESHOLD_": str(128 * 2**20),
}
#: Seconds to wait for an existing scheduler to answer before giving up.
CONNECT_TIMEOUT_S = 10.0


def _apply(fn: Callable[[T], R], chunk: T) -> R:
    """Run one piece on a worker (``fn`` arrives as the scattered object)."""
    return fn(chunk)


class DaskExecutor:
    """Runs pieces of work on Dask distributed workers and yields the results in order.

    Use it as a context manager (or call `close`) so that the cluster it started, and the
    connection, are shut down cleanly.
    """

    def __init__(
        self,
        n_workers: int | None = None,
        *,
        scheduler: str | None = None,
        max_in_flight: int | None = None,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ) -> None:
        import dask
        import distributed

        # distributed is only partly typed (its constructors are not): it is used through Any.
        dd: Any = distributed
        self._cluster: Any = None
        if scheduler is not None:
            if n_workers is not None:
                raise InputError(
                    f"give either n_workers={n_workers!r} or scheduler={scheduler!r}, not both"
                )
            try:
                self._client: Any = dd.Client(scheduler, timeout=connect_timeout_s)
            except (OSError, TimeoutError, ValueError) as error:
                raise InputError(
                    f"cannot connect to the Dask scheduler at {scheduler!r} ({error}); give its "
                    "address as tcp://HOST:PORT (start one with `dask scheduler` and workers "
                    "with `dask worker tcp://HOST:PORT`), or use --workers N for a local cluster"
                ) from None
            info = self._client.scheduler_info()
            self._workers = max(1, len(info.get("workers", {})))
        else:
            n = n_workers if n_workers is not None else (os.cpu_count() or 1)
            if n < 1:
                raise InputError(f"n_workers={n!r} must be a positive number of processes, e.g. 2")
            # Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, which also pins glibc's
            # mmap threshold at 128 KiB: every array of a cell-sized step (16 MB for two million
            # cells) is then mapped and unmapped afresh, ~35 ms of page faults per whole-world
            # step.  Arrays under 64 MiB come from the heap instead, trimmed past 128 MiB free.
            environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
            environ |= WORKER_MALLOC_ENVIRON
            with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
                self._cluster = dd.LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    # The scheduler always serves HTTP (health, metrics); a free port chosen by the
                    # system never clashes with another cluster's 8787 (which would warn).
                    dashboard_address="127.0.0.1:0",
                    silence_logs=logging.ERROR,
                )
            self._client = dd.Client(self._cluster)
            self._workers = n
        self._max_in_flight = max_in_flight if max_in_flight is not None else self._workers + 1
        if self._max_in_flight < 1:
            raise InputError(f"max_in_flight={self._max_in_flight!r} must be at least 1")

    @property
    def workers(self) -> int:
        """Number of worker processes (of the scheduler's workers when connected, at start)."""
        return self._workers

    @property
    def in_process(self) -> bool:
        """Never: pieces run in the workers' processes."""
        return False

    @property
    def client(self) -> Any:
        """The Dask client, for callers that want to look at the cluster."""
        return self._client

    def map(self, fn: Callable[[T], R], chunks: Iterable[T]) -> Generator[R, None, None]:
        """``fn(chunk)`` for each chunk on the workers, yielded in the order of ``chunks``.

        An exception raised by ``fn`` on a worker is raised here unchanged; a worker that dies
        (killed, out of memory) raises `WorkerError`.  Closing the iterator early cancels the
        pieces still pending.
        """
        client = self._client
        [shared] = client.scatter([fn], broadcast=True, hash=False)
        pending: deque[Any] = deque()
        try:
            for chunk in chunks:
                pending.append(client.submit(_apply, shared, chunk, pure=False))
                if len(pending) >= self._max_in_flight:
                    yield self._result(pending.popleft())
            while pending:
                yield self._result(pending.popleft())
        finally:
            for future in pending:
                future.cancel()
            shared.release()

    def _result(self, future: Any) -> Any:
        from distributed import KilledWorker

        try:
            return future.result()
        except KilledWorker as error:
            raise WorkerError(
                f"a Dask worker died while running a piece of work ({error}); it was probably "
                "killed for lack of memory: retry with fewer workers, or split the work finer"
            ) from None
        finally:
            future.release()

    def close(self) -> None:
        """Close the client, and the local cluster if this executor started it."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        where = "local cluster" if self._cluster is not None else str(self._client.scheduler)
        return f"DaskExecutor({self._workers} workers, {where})"
