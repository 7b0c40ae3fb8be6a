"""Executors: results in the order of the pieces, errors passed through, clean shutdown."""

from __future__ import annotations

import functools
import operator
import os
import time
from collections.abc import Iterator

import pytest
from distributed import LocalCluster

from leolink.errors import InputError
from leolink.jobs import DaskExecutor, InProcessExecutor, make_executor
from leolink.jobs.dask_executor import WORKER_MALLOC_ENVIRON


def _slow_square(delay_s: float, x: int) -> int:
    """Square ``x`` after a pause that makes early pieces finish last."""
    time.sleep(delay_s / (x + 1))
    return x * x


def _refuse_three(x: int) -> int:
    if x == 3:
        raise InputError(f"piece {x} is refused")
    return x


def test_in_process_is_lazy_and_ordered() -> None:
    calls: list[int] = []

    def record(x: int) -> int:
        calls.append(x)
        return -x

    results = InProcessExecutor().map(record, range(4))
    assert calls == []
    assert next(results) == 0
    assert calls == [0]
    assert list(results) == [-1, -2, -3]


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[DaskExecutor]:
    with DaskExecutor(2, max_in_flight=3) as executor:
        yield executor


def test_dask_results_come_back_in_order(dask_executor: DaskExecutor) -> None:
    fn = functools.partial(_slow_square, 0.2)
    assert dask_executor.workers == 2
    assert not dask_executor.in_process
    assert list(dask_executor.map(fn, range(8))) == list(InProcessExecutor().map(fn, range(8)))


def _malloc_environ() -> dict[str, str | None]:
    return {name: os.environ.get(name) for name in WORKER_MALLOC_ENVIRON}


def test_dask_workers_get_the_malloc_settings(dask_executor: DaskExecutor) -> None:
    """Workers allocate cell-sized arrays from the heap, not from fresh mappings each step."""
    on_workers = dask_executor.client.run(_malloc_environ)
    assert len(on_workers) == 2
    assert all(env == WORKER_MALLOC_ENVIRON for env in on_workers.values())


def test_dask_passes_a_workers_exception_through(dask_executor: DaskExecutor) -> None:
    with pytest.raises(InputError, match="piece 3 is refused"):
        list(dask_executor.map(_refuse_three, range(6)))
    # The executor is still usable afterwards.
    assert list(dask_executor.map(_refuse_three, range(3))) == [0, 1, 2]


def test_dask_closing_the_iterator_early_cancels_the_rest(dask_executor: DaskExecutor) -> None:
    results = dask_executor.map(functools.partial(operator.add, 10), range(100))
    assert next(results) == 10
    results.close()
    assert list(dask_executor.map(functools.partial(operator.add, 1), range(3))) == [1, 2, 3]


def test_dask_on_an_existing_scheduler() -> None:
    cluster_options = {"n_workers": 1, "threads_per_worker": 1, "dashboard_address": "127.0.0.1:0"}
    with (
        LocalCluster(**cluster_options) as cluster,  # type: ignore[no-untyped-call]
        DaskExecutor(scheduler=cluster.scheduler_address) as executor,
    ):
        assert executor.workers == 1
        assert list(executor.map(functools.partial(operator.mul, 2), range(5))) == [0, 2, 4, 6, 8]


def test_unreachable_scheduler_is_one_clear_error() -> None:
    with pytest.raises(InputError, match="cannot connect to the Dask scheduler at 'tcp://127"):
        DaskExecutor(scheduler="tcp://127.0.0.1:1", connect_timeout_s=1.0)
    with pytest.raises(InputError, match="missing port"):
        DaskExecutor(scheduler="no-port-here", connect_timeout_s=1.0)


def test_make_executor_choices() -> None:
    assert isinstance(make_executor(), InProcessExecutor)
    with pytest.raises(InputError, match="not both"):
        make_executor(2, "tcp://127.0.0.1:8786")
    with pytest.raises(InputError, match="positive"):
        make_executor(0)
    with make_executor(1) as executor:
        assert isinstance(executor, DaskExecutor)
        assert executor.workers == 1
