"""The worker guard: a user's time limit is the worker's working time, and the forkserver stays warm.

Issue 10, C15: "Simplification cut short after 2 s" on the survey example (whose ∂y/∂x1 is 1/x1 + x2),
and after two minutes of idle the first x^6 took 6.2 s and timed out: starting the forkserver and
importing sympy was counted against the user's 2 s. Each test runs in a fresh interpreter, so that
it starts from no forkserver at all, as a server does after a restart or an idle stop; a slow start
(a busy server) is simulated by a forkserver that takes 3 s to start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SLOW_START = """
import json, sys, time
import multiprocessing.forkserver as fs

_ensure = fs.ForkServer.ensure_running

def slow_start(self):
    if self._forkserver_pid is None:  # a forkserver to start: 3 s, as on a busy server
        time.sleep(3)
    return _ensure(self)

fs.ForkServer.ensure_running = slow_start
import diffzoo as dz
from diffzoo import guard, symbolic

f = dz.parse("ln(x1) + x1*x2 - sin(x2)")
dx1, dx2 = (symbolic.derive(f.outputs[0], v) for v in ("x1", "x2"))

def simplify(e, timeout):
    t = time.perf_counter()
    out = symbolic.simplify([e], timeout=timeout)
    return {"status": out.status, "text": list(out.text), "wall": time.perf_counter() - t}
"""


def run(code: str, **env: str) -> dict:
    """Run ``code`` in a fresh interpreter in the project's folder; it prints one JSON object."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=environment,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_slow_worker_start_does_not_count_against_the_time_limit():
    # 1 s to simplify 1/x1 + x2 is plenty (sympy takes ~0.1 s); the 3 s start of the forkserver is not
    # the user's. Before: "timeout" after 1 s, the forkserver not even up.
    r = run(SLOW_START + """
print(json.dumps(simplify(dx1, 1.0)))
""")
    assert r["status"] == "ok" and r["text"] == ["x2 + 1/x1"], r
    assert r["wall"] >= 3.0  # the start did happen, and was waited for


def test_the_first_simplification_after_an_idle_stop_is_not_cut_short():
    # The forkserver is stopped after DIFFZOO_WORKER_IDLE seconds without work (here 0.5 s); the next
    # simplification restarts it (3 s here) and still gets its full 1 s.
    r = run(SLOW_START + """
first = simplify(dx2, 20.0)
time.sleep(2.0)
stopped = not guard.forkserver_running()
again = simplify(dx1, 1.0)
print(json.dumps({"first": first, "stopped": stopped, "again": again}))
""", DIFFZOO_WORKER_IDLE="0.5")
    assert r["first"]["status"] == "ok" and r["first"]["text"] == ["x1 - cos(x2)"]
    assert r["stopped"]
    assert r["again"]["status"] == "ok" and r["again"]["text"] == ["x2 + 1/x1"], r


def test_warm_up_starts_the_forkserver_and_keeps_it_while_requests_come():
    # warm_up() returns at once and starts the forkserver in the background; called on every page run
    # it keeps the forkserver past the idle limit (here 1.5 s), and once the calls stop it goes.
    r = run("""
import json, time
from diffzoo import guard

t = time.perf_counter()
guard.warm_up()
returned = time.perf_counter() - t
deadline = time.time() + 60
while not guard.forkserver_running() and time.time() < deadline:
    time.sleep(0.05)
up = guard.forkserver_running()
alive = []
for _ in range(12):  # 3.6 s of page runs, more than twice the idle limit
    guard.warm_up()
    time.sleep(0.3)
    alive.append(guard.forkserver_running())
time.sleep(3.0)
print(json.dumps({"returned": returned, "up": up, "alive": alive, "after": guard.forkserver_running(),
                  "works": guard.run_limited(len, "abc", timeout=5).value}))
""", DIFFZOO_WORKER_IDLE="1.5")
    assert r["returned"] < 0.5  # never blocks the page
    assert r["up"] and all(r["alive"])
    assert not r["after"]
    assert r["works"] == 3  # and a worker after the stop starts a new one
