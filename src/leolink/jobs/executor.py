"""The executor protocol, and its in-process twin.

An `Executor` maps a function over pieces of work and yields the results in the order of the
pieces, like the builtin `map`; the function and the pieces must be picklable for executors that
run elsewhere.  Callers that merge results as they arrive (a sweep merges time chunks in time
order) keep only a bounded number in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, TypeVar

from leolink.errors import InputError

if TYPE_CHECKING:
    from leolink.jobs.dask_executor import DaskExecutor

__all__ = ["Executor", "InProcessExecutor", "make_executor"]

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs ``fn`` over pieces of work; results come back in the order of the pieces."""

    @property
    def workers(self) -> int:
        """How many pieces can run at the same time (for choosing how finely to split work)."""
        ...

    @property
    def in_process(self) -> bool:
        """True when ``fn`` runs in this process (so it may use this process's threads)."""
        ...

    def map(self, fn: Callable[[T], R], chunks: Iterable[T]) -> Iterator[R]:
        """``fn(chunk)`` for each chunk, yielded in the order of ``chunks``."""
        ...

    def close(self) -> None:
        """Release what the executor holds (processes, connections); idempotent."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class InProcessExecutor:
    """Calls ``fn`` on each piece in this process, one after another, lazily.

    The reference every other executor must agree with, and the default: no process to start,
    no pickling, exceptions propagate unchanged.
    """

    @property
    def workers(self) -> int:
        """One piece at a time."""
        return 1

    @property
    def in_process(self) -> bool:
        """Always: the function runs here."""
        return True

    def map(self, fn: Callable[[T], R], chunks: Iterable[T]) -> Iterator[R]:
        """``fn(chunk)`` for each chunk in turn, computed as the iterator is consumed."""
        return (fn(chunk) for chunk in chunks)

    def close(self) -> None:
        """Nothing to release."""

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
        return "InProcessExecutor()"


def make_executor(
    workers: int | None = None, scheduler: str | None = None
) -> InProcessExecutor | DaskExecutor:
    """The executor the command line's ``--workers N`` / ``--scheduler ADDR`` ask for.

    Neither: in process.  ``workers`` >= 1: a local Dask cluster of that many single-threaded
    worker processes.  ``scheduler``: the Dask cluster at that address (``tcp://host:8786``),
    whose workers must have leolink installed.  Both at once are refused.
    """
    if workers is not None and scheduler is not None:
        raise InputError(
            f"give either workers={workers!r} (a local cluster) or scheduler={scheduler!r} "
            "(an existing one), not both"
        )
    if workers is not None and workers < 1:
        raise InputError(f"workers={workers!r} must be a positive number of processes, e.g. 2")
    if workers is None and scheduler is None:
        return InProcessExecutor()
    from leolink.jobs.dask_executor import DaskExecutor

    return DaskExecutor(workers, scheduler=scheduler)
