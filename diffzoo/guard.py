"""Runaway work is run in a worker process that is killed when it overruns its time or memory.

A Streamlit script runs in a thread, where signals cannot interrupt and threads cannot be
killed, so the only limit that really stops sympy's slow paths is a separate process: it gets
an address-space limit, its result comes back through a pipe, and it is ended on timeout.
Workers are forked from a ``forkserver`` that has already imported sympy, so each costs
milliseconds, and a crash or a kill in one never touches the server or another session.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from dataclasses import dataclass
from typing import Any, Callable

_ctx = None


def _context() -> Any:
    global _ctx
    if _ctx is None:
        _ctx = mp.get_context("forkserver")
        _ctx.set_forkserver_preload(["sympy", "diffzoo.symbolic"])
    return _ctx


@dataclass(frozen=True)
class Outcome:
    status: str  # "ok", "timeout", "memory", "error"
    value: Any = None
    message: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _child(conn: Any, fn: Callable[..., Any], args: tuple, memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        conn.send(("ok", fn(*args)))
    except MemoryError:
        conn.send(("memory", f"the computation needed more than {memory_mb} MB"))
    except RecursionError:
        conn.send(("error", "the expression is too deeply nested for this computation"))
    except Exception as exc:  # report, never crash: the parent shows this as a message
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:300]))
    finally:
        conn.close()


def run_limited(fn: Callable[..., Any], *args: Any, timeout: float = 3.0, memory_mb: int = 400) -> Outcome:
    """Run ``fn(*args)`` in a worker process; give up (and kill it) after ``timeout`` seconds."""
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    start = time.perf_counter()
    proc = ctx.Process(target=_child, args=(child, fn, args, memory_mb), daemon=True)
    proc.start()
    child.close()
    try:
        if parent.poll(timeout):
            try:
                status, value = parent.recv()
            except EOFError:
                status, value = "memory", f"the worker died (more than {memory_mb} MB or a crash)"
        else:
            status, value = "timeout", f"stopped after {timeout:g} s"
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(1)
        parent.close()
    seconds = time.perf_counter() - start
    if status == "ok":
        return Outcome("ok", value, seconds=seconds)
    return Outcome(status, message=value, seconds=seconds)
