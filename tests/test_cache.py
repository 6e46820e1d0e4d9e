"""The pages' byte-bounded cache (issue 10, A10: bounds by entries let 64 traces of 20 MB each pile up)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the app's pages/ beside diffzoo/
from pages import _cache  # noqa: E402


def test_deep_size_counts_what_a_result_holds():
    # 1,000 distinct floats in a list: 1,000 float objects of 24 bytes (CPython 3.11) plus the list itself.
    values = [float(i) + 0.5 for i in range(1000)]
    assert _cache.deep_size(values) == sys.getsizeof(values) + 1000 * 24
    # The same float a thousand times is one object: counted once.
    same = [0.5] * 1000
    assert _cache.deep_size(same) == sys.getsizeof(same) + 24


def test_least_recently_used_results_go_once_the_bytes_are_spent():
    store = _cache.ByteLRU(max_bytes=1000, sizer=lambda v: v)  # each value is its own size in bytes
    for key in "abcd":
        store.put(key, 200)  # 800 bytes held
    assert store.get("a") == (True, 200)  # a is now the most recently used
    store.put("e", 250)  # 1,050 > 1,000: the least recently used (b) goes
    assert store.get("b") == (False, None)
    assert [store.get(k)[0] for k in "acde"] == [True, True, True, True]
    assert store.bytes == 850 <= store.max_bytes
    store.put("huge", 300)  # more than a quarter of the budget: returned by memo, never kept
    assert store.get("huge") == (False, None) and store.refused == 1


def test_memo_computes_once_per_argument_and_not_for_an_exception():
    calls = []

    @_cache.memo
    def square(x: int) -> int:
        calls.append(x)
        if x < 0:
            raise ValueError("negative")
        return x * x

    assert square(12) == 144 and square(12) == 144 and calls == [12]
    for _ in range(2):
        try:
            square(-1)
        except ValueError:
            pass
    assert calls == [12, -1, -1]  # an error is raised again each time, never cached
    square.clear()
    assert square(12) == 144 and calls == [12, -1, -1, 12]
