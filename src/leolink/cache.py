"""The one cache of leolink: a least-recently-used map (`cachetools.LRUCache`) behind a lock.

Satellite positions per instant, routing trees, policy snapshots, networks and coverage results
are each kept in one of these; the service shares them between threads, hence the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import LRUCache

__all__ = ["LruCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A thread-safe least-recently-used cache of ``size`` entries.

    Two threads missing the same key at once may both compute it; the values are equal, so
    the cost is only time, and no lock is held while computing.
    """

    def __init__(self, size: int) -> None:
        self._data: LRUCache[K, V] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        """The cached value of ``key``, computing and keeping it on a miss."""
        with self._lock:
            try:
                return self._data[key]  # a hit counts as a use
            except KeyError:
                pass  # a miss: compute outside the lock, below
        value = compute()
        with self._lock:
            self._data[key] = value
        return value

    def get(self, key: K) -> V | None:
        """The cached value of ``key``, None on a miss (nothing is computed)."""
        with self._lock:
            return self._data.get(key)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data
