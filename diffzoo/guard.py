"""Runaway work is run in a worker process that is killed when it overruns its time or memory.

A Streamlit script runs in a thread, where signals cannot interrupt and threads cannot be
killed, so the only limit that really stops sympy's slow paths is a separate process: it gets
an address-space limit (and a CPU-time limit as a backstop), its result comes back through a
pipe, and it is ended on timeout. Workers are forked from a ``forkserver`` that has already
imported sympy, so each costs milliseconds, and a crash or a kill in one never touches the
server or another session.

Three things make this safe on a shared server:

* A worker never re-runs the caller's ``__main__``. multiprocessing normally re-imports the main
  module in every child; under Streamlit ``__main__`` is the app script itself, so every worker
  would run the whole page (and a page that simplifies would start workers from inside a worker,
  which multiprocessing refuses). Workers only import the modules their function lives in, so
  ``fn`` must be importable (defined at the top level of a module, not in ``__main__``).
* At most :data:`MAX_WORKERS` workers run at once (one per core by default), so thirty users
  asking for simplifications cannot start thirty 400 MB processes; a caller that cannot get a
  slot within its timeout is told the server is busy.
* Workers run at a lower CPU priority (``nice``), so runaway work slows interactive requests
  as little as possible.
* The forkserver (with sympy loaded, about 150 MB) is stopped after :data:`IDLE_SECONDS` without
  a worker or a :func:`warm_up`, so the server's memory comes back down when a class ends; the next
  worker starts a new one (about a second, several on a busy server).

A user's time limit is the worker's own working time: it starts when the worker says it has
started, never while a forkserver is being started or sympy imported (that start-up has its own,
generous bound, :data:`START_SECONDS`). A page that will need workers calls :func:`warm_up` when it
loads, which starts the forkserver in the background and keeps it alive while requests come.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import popen_forkserver, spawn
from typing import Any

#: Workers that may run at the same time (the rest wait, within their own timeout, for a slot).
MAX_WORKERS = max(1, int(os.environ.get("DIFFZOO_MAX_WORKERS", os.cpu_count() or 2)))
#: How much lower than the server a worker's CPU priority is.
WORKER_NICE = 10
#: Seconds without any worker (or warm-up) after which the forkserver is stopped.
IDLE_SECONDS = float(os.environ.get("DIFFZOO_WORKER_IDLE", 120))
#: At most this many seconds for a worker to start (a forkserver started, sympy imported, a fork); not
#: counted against the caller's time limit.
START_SECONDS = 30.0
#: Modules the forkserver imports once, so that each worker forked from it has them.
PRELOAD = ["sympy", "diffzoo.symbolic"]

_ctx = None
_ctx_lock = threading.Lock()
_slots = threading.BoundedSemaphore(MAX_WORKERS)
_launching = threading.local()
_active = 0  # workers running or being started (guarded by _ctx_lock)
_idle_timer: threading.Timer | None = None
_warming: threading.Thread | None = None
_original_preparation_data = spawn.get_preparation_data


def _preparation_data(name: str) -> dict:
    """multiprocessing's preparation data, without the main module when a diffzoo worker is launched."""
    d = _original_preparation_data(name)
    if getattr(_launching, "worker", False):
        d.pop("init_main_from_path", None)
        d.pop("init_main_from_name", None)
    return d


class _Process(mp.context.ForkServerProcess):
    """A forkserver process whose child does not re-run ``__main__`` (see the module docstring)."""

    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        _launching.worker = True
        try:
            return popen_forkserver.Popen(process_obj)
        finally:
            _launching.worker = False


def _context() -> Any:
    global _ctx
    with _ctx_lock:
        if _ctx is None:
            # Installed once; it changes nothing unless the calling thread is launching a diffzoo worker.
            if spawn.get_preparation_data is _original_preparation_data:
                spawn.get_preparation_data = _preparation_data
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload(list(PRELOAD))
            _ctx = ctx
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


def _child(conn: Any, fn: Callable[..., Any], args: tuple, memory_mb: int, cpu_seconds: int) -> None:
    limit = memory_mb * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        # A backstop: even if the parent never kills it, the kernel ends the worker.
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        os.nice(WORKER_NICE)
    except (OSError, ValueError):
        pass
    conn.send(("started", None))  # the caller's time limit starts now
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
    """Run ``fn(*args)`` in a worker process; give up (and kill it) after ``timeout`` seconds of its work.

    ``fn`` must be importable by name (a top-level function of a module other than ``__main__``).
    ``timeout`` is counted from the moment the worker has started, so a forkserver that is (re)started
    first, with sympy to import, does not eat into it; the start has a bound of its own
    (:data:`START_SECONDS`). Waiting for a free worker slot is bounded by ``timeout`` too.
    """
    start = time.perf_counter()
    if not _slots.acquire(timeout=max(0.0, timeout)):
        return Outcome("timeout", message=f"the server is busy: no free worker within {timeout:g} s; try again",
                       seconds=time.perf_counter() - start)
    _busy(+1)
    try:
        return _run(fn, args, start, timeout, memory_mb)
    finally:
        _busy(-1)
        _slots.release()


def _busy(delta: int) -> None:
    """Count running workers; when none is left, stop the forkserver after IDLE_SECONDS."""
    global _active
    with _ctx_lock:
        _active += delta
        _rearm_idle_timer()


def _rearm_idle_timer() -> None:
    """(Re)start the idle countdown while no worker runs (the caller holds ``_ctx_lock``)."""
    global _idle_timer
    if _idle_timer is not None:
        _idle_timer.cancel()
        _idle_timer = None
    if _active == 0:
        _idle_timer = threading.Timer(IDLE_SECONDS, _stop_if_idle)
        _idle_timer.daemon = True
        _idle_timer.start()


def warm_up() -> None:
    """Start the forkserver (sympy loaded) in the background if it is not running, and keep it alive.

    Cheap and non-blocking: a page that will simplify calls it on every run, so that the first
    simplification finds sympy already loaded, and the forkserver stays while sessions use the page
    (each call restarts the idle countdown of :data:`IDLE_SECONDS`).
    """
    global _warming
    with _ctx_lock:
        _rearm_idle_timer()
        if _warming is not None and _warming.is_alive():
            return
        _warming = threading.Thread(target=_start_forkserver, name="diffzoo-warm-up", daemon=True)
        _warming.start()


def _start_forkserver() -> None:
    from multiprocessing import forkserver

    _context()
    try:
        forkserver.ensure_running()  # a no-op when it runs; its own lock makes it safe beside a worker's start
    except OSError:
        pass  # the next worker tries again, and says so if it cannot start


def _stop_if_idle() -> None:
    from multiprocessing import forkserver

    with _ctx_lock:
        if _active == 0:
            forkserver._forkserver._stop()  # the next worker starts a new one


def forkserver_running() -> bool:
    from multiprocessing import forkserver

    return forkserver._forkserver._forkserver_pid is not None


def _run(fn: Callable[..., Any], args: tuple, start: float, timeout: float, memory_mb: int) -> Outcome:
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    cpu = max(1, math.ceil(timeout) + 1)
    proc = _Process(target=_child, args=(child, fn, args, memory_mb, cpu), daemon=True)
    begun = time.perf_counter()
    try:
        proc.start()  # starts the forkserver first when there is none (sympy imported: seconds)
    finally:
        child.close()
    status, value = "error", "the worker did not answer"
    working = None
    try:
        if not parent.poll(max(0.0, START_SECONDS - (time.perf_counter() - begun))):
            status, value = "timeout", f"the worker did not start within {START_SECONDS:g} s: the server is busy"
        else:
            status, value = _receive(parent, proc, memory_mb)
            if status == "started":
                working = time.perf_counter()
                if parent.poll(timeout):
                    status, value = _receive(parent, proc, memory_mb)
                else:
                    status, value = "timeout", f"stopped after {timeout:g} s"
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(1)
        parent.close()
        try:
            proc.close()
        except ValueError:
            pass
    seconds = time.perf_counter() - (working if working is not None else start)
    if status == "ok":
        return Outcome("ok", value, seconds=seconds)
    return Outcome(status, message=value, seconds=seconds)


def _receive(conn: Any, proc: Any, memory_mb: int) -> tuple[str, Any]:
    """The worker's next message, or why it ended without one."""
    try:
        return conn.recv()
    except (EOFError, OSError):
        proc.join(1)
        return _died(proc.exitcode, memory_mb)


def _died(exitcode: int | None, memory_mb: int) -> tuple[str, str]:
    """Why a worker ended without answering, as (status, message)."""
    import signal

    if exitcode is not None and exitcode < 0:
        sig = -exitcode
        if sig == signal.SIGXCPU:
            return "timeout", "the worker used up its CPU time and was stopped"
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return "memory", f"the worker was ended by {name} (probably more than {memory_mb} MB)"
    return "error", f"the worker failed without an answer (exit code {exitcode})"
