"""Executors: where independent pieces of work (time chunks of a sweep, ...) run.

The core computes one piece as a pure function; an executor only decides where the calls run
and hands the results back in order.  `InProcessExecutor` calls them here, one after another;
`DaskExecutor` runs them on a Dask distributed cluster (a local one it starts, or an existing
scheduler).  Both return identical results for the same function and pieces.

This layer may import the core; the core never imports it (the import-linter contract in
``pyproject.toml``).
"""

from leolink.jobs.dask_executor import DaskExecutor
from leolink.jobs.executor import Executor, InProcessExecutor, make_executor

__all__ = ["DaskExecutor", "Executor", "InProcessExecutor", "make_executor"]
