"""Load test: 30+ students at once in headless Chromium, with and without one hostile student.

Starts ``streamlit run app.py`` on 127.0.0.1 (a free port), then drives N concurrent browser
sessions (one Chromium, one context per session). Each session opens the app with its own
function in the URL (``?fn=...&at_x1=...``), reads the gradient off the page, then types R more
functions of its own into the function box (Ctrl+Enter) and reads each result. Every figure is
checked against diffzoo's own reverse mode. Reported: sessions completed with correct figures,
p50/p95 time to results, and the server's memory (RSS of the server and all its children:
forkserver and sympy workers) before, during and after.

The same run is then repeated with one extra session that sends the slowest hostile inputs over
and over (simplifications that run into their time limit, ``9^9^9^9``, 10,000-character
functions), each slightly changed so no cache helps it. Goal: the others' p95 within 2x.

    .venv/bin/python tests/load/load_test.py                # 30 sessions, 3 typed rounds each
    .venv/bin/python tests/load/load_test.py --sessions 5 --rounds 1 --no-hostile   # quick

Loopback only; every loop and wait is bounded. Exit status 0 when every session got every figure
right and the memory came back down, 1 otherwise. Needs Debian's /usr/bin/chromium and playwright.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import diffzoo as dz  # noqa: E402
from diffzoo import families  # noqa: E402

HOST = "127.0.0.1"  # never anything else
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def fmt(v: float) -> str:
    """As the app prints figures (views/_ui.py fmt)."""
    return f"{float(v):.12g}"


# --- the server and its memory ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


#: With --pin: the server (and its sympy workers) get the last CPU, the browser the others, so the figures
#: show the server's own latency rather than 31 browser pages competing with it for the same cores.
SERVER_CPUS: set[int] | None = None


def start_server(port: int, log_path: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", HOST, "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]  # a deployment does not reload modules while sessions run
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    pin = (lambda: os.sched_setaffinity(0, SERVER_CPUS)) if SERVER_CPUS else None
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=pin)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"http://{HOST}:{port}/_stcore/health", timeout=1).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError(f"the server did not come up; see {log_path}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: the server, forkserver and workers only
        except ProcessLookupError:
            pass
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its descendants (live ones, plus reaped children)."""
    kids = _children()
    tick = os.sysconf("SC_CLK_TCK")
    todo, total = [pid], 0
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
        except OSError:
            pass
        todo.extend(kids.get(p, []))
    return total / tick


def machine_cpu_s() -> float:
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    busy = sum(int(x) for i, x in enumerate(parts) if i not in (3, 4))  # all but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def tree_rss_mb_alone(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024
    except (OSError, StopIteration):
        return math.nan


def tree_rss_mb(pid: int) -> tuple[float, int]:
    """RSS of ``pid`` and all its descendants (VmRSS from /proc), in MB, and how many processes."""
    kids = _children()
    todo, total, count = [pid], 0, 0
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        count += 1
                        break
        except OSError:
            pass
        todo.extend(kids.get(p, []))
    return total / 1024, count


class MemorySampler:
    def __init__(self, pid: int, every: float = 0.5):
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, float, int]] = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            mb, n = tree_rss_mb(self.pid)
            self.samples.append((time.monotonic(), mb, n))
            self._stop.wait(self.every)

    def __enter__(self) -> MemorySampler:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join(5)


# --- what each student types, and what the page must show -------------------------------------------


@dataclass
class Task:
    text: str
    point: dict[str, float]
    expected: list[str]  # texts the page must show: the figures, as the app formats them


#: Which page the students use, and what on it shows the figures. The compare page is light in the browser
#: (plain tables); the traces page draws a graphviz graph and LaTeX tables, so 30 of them load the browser more.
PAGE = "compare"


def task(session: int, round_: int, phase: int) -> Task:
    """A different function for every session, round and phase (so no cache is shared)."""
    a = 1 + session / 10 + phase * 7
    b = 2 + round_
    c = 1 + round_ / 3 + session / 100
    text = f"sin({a:g}*x1) + x1*x2^{b} - ln(x2 + {c:g})"
    point = {"x1": round(0.5 + 0.01 * session, 4), "x2": 1.5}
    r = dz.differentiate(text, point, method="reverse")
    if PAGE == "traces":
        expected = [", ".join(f"∂y/∂{x} = {fmt(g)}" for x, g in r.gradient.items())]
    else:  # every figure of the reverse-mode row of the comparison table
        expected = [fmt(r.value)] + [fmt(g) for g in r.gradient.values()]
    return Task(text, point, expected)


async def shows(page, t: Task, wait_s: float) -> None:
    """Wait until the page shows every expected figure."""
    await page.wait_for_function("want => want.every(s => document.body.innerText.includes(s))", arg=t.expected,
                                 polling=250, timeout=wait_s * 1000)


SIMPLIFY_DONE = r"Simplification cut short|Not simplified|operations after simplification"


def hostile_inputs(k: int) -> list[tuple[str, dict[str, str], str, str]]:
    """The slowest inputs we know, each changed by ``k`` so no cache serves them.

    (page, query, a regex the page shows once it has answered, an extra action).
    """
    long_sum = "+".join([f"sin(x*{1 + k % 7})"] * 1111)[:9_990]
    long_sum = long_sum[: long_sum.rfind("+")]
    long_product = "*".join(["x"] * 4_990) + f"*{k + 2}"
    return [
        ("symbolic", {"fn": f"(x1+x2+{k + 1})^200", "at_x1": "0.5", "at_x2": "0.5", "timeout": "10"},
         SIMPLIFY_DONE, ""),
        ("symbolic", {"fn": families.logistic_map(7).replace("4*", f"{4 + k / 1000:g}*"), "at_x": "0.3",
                      "timeout": "10"}, SIMPLIFY_DONE, ""),
        ("", {"fn": f"9^9^9^{9 + k}"}, r"cannot be evaluated", ""),
        ("", {"fn": long_sum, "at_x": "0.5"}, r"Reverse, one sweep", ""),
        ("symbolic", {"fn": "x" + "+1" * 4_990 + f"+{k}", "at_x": "0.5", "timeout": "10"}, SIMPLIFY_DONE, ""),
        ("compare", {"fn": long_product, "at_x": "1"}, r"Every method, side by side", "measure"),
    ]
@dataclass
class SessionResult:
    times: list[float] = field(default_factory=list)
    first: list[float] = field(default_factory=list)  # opening the app (page load + first result)
    typed: list[float] = field(default_factory=list)  # typing a function until its figures show
    correct: int = 0
    wanted: int = 0
    errors: list[str] = field(default_factory=list)


def url(port: int, page: str, query: dict[str, str]) -> str:
    return f"http://{HOST}:{port}/{page}?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)


async def student(browser, port: int, i: int, rounds: int, phase: int, wait_s: float, start_at: float,
                  think_s: float) -> SessionResult:
    res = SessionResult(wanted=rounds + 1)
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await ctx.new_page()
        first = task(i, 0, phase)
        q = {"fn": first.text} | {f"at_{k}": repr(v) for k, v in first.point.items()}
        t0 = time.perf_counter()
        await page.goto(url(port, "" if PAGE == "traces" else PAGE, q), wait_until="domcontentloaded",
                        timeout=wait_s * 1000)
        await shows(page, first, wait_s)
        res.times.append(time.perf_counter() - t0)
        res.first.append(res.times[-1])
        res.correct += 1
        box = page.locator('[data-testid="stSidebar"] textarea').first
        for r in range(1, rounds + 1):
            t = task(i, r, phase)
            await asyncio.sleep(think_s * (0.5 + ((i * 7 + r * 3) % 10) / 10))  # reading, thinking, typing
            await box.fill(t.text, timeout=wait_s * 1000)
            t0 = time.perf_counter()
            await box.press("Control+Enter")
            await shows(page, t, wait_s)
            res.times.append(time.perf_counter() - t0)
            res.typed.append(res.times[-1])
            res.correct += 1
    except Exception as exc:  # recorded and reported: a session that did not get its figures
        res.errors.append(f"session {i}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
    finally:
        await ctx.close()
    return res


async def hostile(browser, port: int, stop: asyncio.Event, wait_s: float) -> dict[str, int]:
    """One student who keeps sending the slowest inputs, each slightly changed, until told to stop."""
    import re

    done = {"requests": 0, "answered": 0}
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await ctx.new_page()
        k = 0
        while not stop.is_set() and k < 500:
            for name, q, answered, action in hostile_inputs(k):
                if stop.is_set():
                    break
                done["requests"] += 1
                try:
                    await page.goto(url(port, name, q), wait_until="domcontentloaded", timeout=wait_s * 1000)
                    await page.get_by_text(re.compile(answered)).first.wait_for(timeout=wait_s * 1000)
                    if action == "measure":  # the most expensive button: timings at the largest repeat count
                        slider = page.get_by_role("slider").first
                        await slider.focus()
                        await slider.press("End")
                        await page.get_by_role("button", name="Measure timings").click()
                        await page.get_by_text("Timings (CSV)").first.wait_for(timeout=wait_s * 1000)
                    done["answered"] += 1
                except Exception:
                    pass
            k += 1
    finally:
        await ctx.close()
    return done


async def run_phase(port: int, server_pid: int, sessions: int, rounds: int, phase: int, with_hostile: bool,
                    wait_s: float, settle_s: float, think_s: float, arrive_s: float) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            # Warm up: one page load so imports and the forkserver are counted in "before".
            warm = await browser.new_context()
            p = await warm.new_page()
            w = task(999, 0, phase)
            await p.goto(url(port, "" if PAGE == "traces" else PAGE,
                             {"fn": w.text} | {f"at_{k}": repr(v) for k, v in w.point.items()}))
            await shows(p, w, 60)
            await warm.close()
            await asyncio.sleep(2)
            before, nproc = tree_rss_mb(server_pid)
            stop = asyncio.Event()
            cpu0, machine0, ours0 = tree_cpu_s(server_pid), machine_cpu_s(), tree_cpu_s(os.getpid())
            load0 = os.getloadavg()[0]
            with MemorySampler(server_pid) as mem:
                t_start = time.monotonic()
                hostile_task = asyncio.create_task(hostile(browser, port, stop, wait_s)) if with_hostile else None
                if hostile_task:
                    await asyncio.sleep(3)  # the hostile session is already busy when the class arrives
                start = time.monotonic()
                results = await asyncio.wait_for(asyncio.gather(*[
                    student(browser, port, i, rounds, phase, wait_s, start + arrive_s * i / max(1, sessions), think_s)
                    for i in range(sessions)]), timeout=(wait_s + think_s * 1.5) * (rounds + 2) + arrive_s + 30)
                elapsed = time.monotonic() - t_start
                server_cpu, machine_cpu = tree_cpu_s(server_pid) - cpu0, machine_cpu_s() - machine0
                browser_cpu = tree_cpu_s(os.getpid()) - ours0
                stop.set()
                hostile_done = await asyncio.wait_for(hostile_task, timeout=wait_s + 10) if hostile_task else None
                during = [mb for (t, mb, n) in mem.samples]
        finally:
            await browser.close()
    # Sessions closed: Streamlit drops their state. Wait (bounded) for the last sympy workers to finish too.
    await asyncio.sleep(settle_s)
    for _ in range(int(settle_s) * 2):
        if tree_rss_mb(server_pid)[1] <= 3:  # the server and, once used, its forkserver and resource tracker
            break
        await asyncio.sleep(1)
    after, nproc_after = tree_rss_mb(server_pid)
    server_alone = tree_rss_mb_alone(server_pid)
    times = sorted(t for r in results for t in r.times)
    first = sorted(t for r in results for t in r.first)
    typed = sorted(t for r in results for t in r.typed)
    return {
        "phase": "with hostile session" if with_hostile else "baseline",
        "sessions": sessions, "rounds per session": rounds + 1,
        "sessions with all figures correct": sum(r.correct == r.wanted for r in results),
        "figures correct": sum(r.correct for r in results), "figures wanted": sum(r.wanted for r in results),
        "p50 s": statistics.median(times) if times else math.nan,
        "p95 s": quantile(times, 0.95), "max s": max(times) if times else math.nan,
        "opening: p50 s": quantile(first, 0.5), "opening: p95 s": quantile(first, 0.95),
        "typed: p50 s": quantile(typed, 0.5), "typed: p95 s": quantile(typed, 0.95),
        "wall s": elapsed, "server CPU s": server_cpu, "browser CPU s": browser_cpu,
        "other processes' CPU s": machine_cpu - server_cpu - browser_cpu, "machine CPU s": machine_cpu,
        "machine cores x wall s": elapsed * len(os.sched_getaffinity(0) | (SERVER_CPUS or set())),
        "load average at start": load0,
        "rss before MB": before, "rss peak MB": max(during) if during else math.nan,
        "rss mean during MB": statistics.fmean(during) if during else math.nan,
        "rss after MB": after, "rss after, server process alone MB": server_alone,
        "processes before": nproc, "processes after": nproc_after,
        "hostile requests": hostile_done["requests"] if hostile_done else 0,
        "hostile answered": hostile_done["answered"] if hostile_done else 0,
        "errors": [e for r in results for e in r.errors][:10],
    }


def quantile(xs: list[float], q: float) -> float:
    if not xs:
        return math.nan
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def one_phase(args: argparse.Namespace, phase: int, with_hostile: bool) -> dict:
    port = free_port()
    log = Path(args.log_dir) / f"load_server_{phase}.log"
    proc = start_server(port, log)
    try:
        row = asyncio.run(run_phase(port, proc.pid, args.sessions, args.rounds, phase, with_hostile,
                                    args.wait, args.settle, args.think, args.arrive))
    finally:
        stop_server(proc)
    row["server tracebacks"] = log.read_text(errors="replace").count("Traceback")
    return row


def table(rows: list[dict]) -> str:
    keys = ["sessions", "rounds per session", "sessions with all figures correct", "figures correct",
            "figures wanted", "p50 s", "p95 s", "max s", "opening: p50 s", "opening: p95 s", "typed: p50 s",
            "typed: p95 s", "wall s", "server CPU s", "browser CPU s",
            "other processes' CPU s", "machine CPU s", "machine cores x wall s", "load average at start",
            "rss before MB", "rss peak MB", "rss mean during MB", "rss after MB", "rss after, server process alone MB",
            "processes before",
            "processes after", "hostile requests", "hostile answered", "server tracebacks"]
    head = "| | " + " | ".join(r["phase"] for r in rows) + " |"
    out = [head, "|---" * (len(rows) + 1) + "|"]
    for k in keys:
        cells = [f"{r[k]:.2f}" if isinstance(r[k], float) else str(r[k]) for r in rows]
        out.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3, help="typed functions per session after the first (URL) one")
    ap.add_argument("--wait", type=float, default=90, help="seconds a session waits for one result at most")
    ap.add_argument("--settle", type=float, default=20, help="seconds after the sessions end before 'after' memory")
    ap.add_argument("--think", type=float, default=5, help="mean seconds a student reads before typing the next one")
    ap.add_argument("--arrive", type=float, default=10, help="the class arrives over this many seconds")
    ap.add_argument("--page", choices=["compare", "traces"], default="compare", help="the page the students use")
    ap.add_argument("--pin", action="store_true", help="server on the last CPU, browser on the others")
    ap.add_argument("--no-hostile", action="store_true")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--log-dir", default="/tmp")
    args = ap.parse_args(argv)
    global PAGE, SERVER_CPUS
    PAGE = args.page
    cpus = sorted(os.sched_getaffinity(0))
    if args.pin and len(cpus) > 1:
        SERVER_CPUS = {cpus[-1]}
        os.sched_setaffinity(0, set(cpus[:-1]))  # this process, hence playwright and Chromium
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is missing: apt-get install -y chromium", file=sys.stderr)
        return 2
    print(f"{args.sessions} sessions on the {PAGE} page, {args.rounds + 1} functions each; think {args.think:g} s, "
          f"arrivals over {args.arrive:g} s; loopback {HOST} only"
          + (f"; server pinned to CPU {sorted(SERVER_CPUS)}, browser to {sorted(os.sched_getaffinity(0))}"
             if SERVER_CPUS else ""), flush=True)
    rows = [one_phase(args, 0, False)]
    if not args.no_hostile:
        rows.append(one_phase(args, 1, True))
    print(table(rows))
    for r in rows:
        for e in r["errors"]:
            print(f"  [{r['phase']}] {e}")
    ok = all(r["sessions with all figures correct"] == r["sessions"] for r in rows)
    # "Came back down": once the sessions are gone, at most half of what they added (and at most 30 MB) remains.
    mem_ok = all(r["rss after MB"] - r["rss before MB"] <= max(30.0, 0.5 * (r["rss peak MB"] - r["rss before MB"]))
                 for r in rows)
    if len(rows) == 2:
        ratio = rows[1]["p95 s"] / rows[0]["p95 s"]
        typed = rows[1]["typed: p95 s"] / rows[0]["typed: p95 s"]
        print(f"\np95 with the hostile session / without: {ratio:.2f}x overall, {typed:.2f}x for typed functions "
              "(goal: at most 2x)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    print(f"\nall sessions correct: {ok}; memory came back down: {mem_ok}")
    return 0 if ok and mem_ok else 1


if __name__ == "__main__":
    sys.exit(main())
