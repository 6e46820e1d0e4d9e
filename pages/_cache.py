"""One cache for the pages, bounded by bytes rather than by entries, shared by every session.

``st.cache_data(max_entries=64)`` bounds how many results are kept, not how big they are: 64 traces of
4,999-step functions held about 20 MB each, and the server grew by 600 MB (issue 10, A10). Here every
cached result is measured when it is stored (:func:`deep_size`, an estimate of the memory it holds)
and the least recently used results are dropped once all caches together pass the budget
(``DIFFZOO_CACHE_MB``, 100 MB by default). A result larger than a quarter of the budget is returned
but not kept.

Results are kept as they are, not pickled: a hit costs a dictionary look-up, not the unpickling
of megabytes on every rerun. So a cached result is shared between sessions and must be treated as
read-only (copy before changing it). Exceptions are not cached. To use it in a page::

    from pages import _cache

    @_cache.memo
    def trace_data(text: str, point: tuple[float, ...]) -> dict: ...

The arguments must be hashable (text, tuples of floats, ints). ``trace_data.clear()`` empties that
function's entries; :func:`stats` says what the cache holds. :func:`call` keeps a call of any function
(``call(fn, *args)``): it is the ``cache`` the pages hand to :mod:`diffzoo.views`, whose pieces it keeps.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import threading
import types
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

MB = 1 << 20


def _budget_from_env() -> int:
    try:
        return max(1, int(float(os.environ.get("DIFFZOO_CACHE_MB", "100")) * MB))
    except ValueError:
        return 100 * MB


# --- measuring a result ------------------------------------------------------------------------------

_NOT_RESULT = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def deep_size(obj: Any, limit: int = 5_000_000) -> int:
    """Bytes held by ``obj`` and everything it refers to (each object counted once), an estimate.

    ``sys.getsizeof`` of every object reachable through ``gc.get_referents`` (numpy arrays count their
    buffers, containers their slots; objects reached twice are counted once), walked a level at a time
    in C, so a 5,000-step trace of a quarter of a million objects is measured in about 0.1 s. Classes,
    modules and functions belong to the program, not to the result, and are not followed. After
    ``limit`` objects the walk stops and the rest is estimated at the average size so far.
    """
    seen: set[int] = set()
    todo: list[Any] = [obj]
    total = count = 0
    while todo:
        batch = []
        for o in todo:
            if id(o) not in seen and not isinstance(o, _NOT_RESULT):
                seen.add(id(o))
                batch.append(o)
        total += sum(map(sys.getsizeof, batch))
        count += len(batch)
        if count > limit:
            return int(total * (1 + len(todo) / count))
        todo = gc.get_referents(*batch)
    return total


# --- the shared store ---------------------------------------------------------------------------------


@dataclass
class _Entry:
    value: Any
    size: int


class ByteLRU:
    """A least-recently-used store whose entries' sizes add up to at most ``max_bytes``."""

    def __init__(self, max_bytes: int, sizer: Callable[[Any], int] = deep_size) -> None:
        self.max_bytes = int(max_bytes)
        self.sizer = sizer
        self._data: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0
        self.hits = self.misses = self.evictions = self.refused = 0

    def get(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            e = self._data.get(key)
            if e is None:
                self.misses += 1
                return False, None
            self._data.move_to_end(key)
            self.hits += 1
            return True, e.value

    def put(self, key: Hashable, value: Any, size: int | None = None) -> None:
        size = self.sizer(value) if size is None else int(size)
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self.bytes -= old.size
            if size > self.max_bytes // 4:  # one huge result would push out everything else
                self.refused += 1
                return
            self._data[key] = _Entry(value, size)
            self.bytes += size
            while self.bytes > self.max_bytes and self._data:
                _, e = self._data.popitem(last=False)
                self.bytes -= e.size
                self.evictions += 1

    def drop(self, test: Callable[[Hashable], bool]) -> None:
        """Remove every entry whose key passes ``test``."""
        with self._lock:
            for k in [k for k in self._data if test(k)]:
                self.bytes -= self._data.pop(k).size

    def __len__(self) -> int:
        return len(self._data)


STORE = ByteLRU(_budget_from_env())


def memo(func: Callable[P, R]) -> Callable[P, R]:
    """Cache ``func``'s results in the shared byte-bounded store (keys: its qualified name and arguments)."""
    name = f"{func.__code__.co_filename}:{func.__qualname__}"

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        key = (name, args, tuple(sorted(kwargs.items())))
        found, value = STORE.get(key)
        if found:
            return value
        value = func(*args, **kwargs)
        STORE.put(key, value)
        return value

    wrapper.clear = lambda: STORE.drop(lambda k: k[0] == name)  # type: ignore[attr-defined]
    return wrapper


def call(fn: Callable[..., R], *args: Hashable) -> R:
    """``fn(*args)``, kept in the shared store (keys: ``fn``'s module and name, and the arguments)."""
    key = (f"{fn.__module__}:{fn.__qualname__}", args, ())
    found, value = STORE.get(key)
    if found:
        return value
    value = fn(*args)
    STORE.put(key, value)
    return value


def stats() -> dict[str, int]:
    """Entries, bytes held, the budget, hits, misses, evictions and results too large to keep."""
    s = STORE
    return {"entries": len(s), "bytes": s.bytes, "max_bytes": s.max_bytes, "hits": s.hits, "misses": s.misses,
            "evictions": s.evictions, "refused": s.refused}


__all__ = ["memo", "call", "deep_size", "ByteLRU", "STORE", "stats"]
