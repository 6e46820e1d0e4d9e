"""Source-to-source compilation: a Wengert list written out as straight-line Python, and run.

Any list compiles the same way: the primal, and the derivative programs ``transforms.jvp(wl)``
and ``transforms.vjp(wl)``, which are lists too. :func:`shown` is the text people read, one line per
step, and for a derived list one line per tangent (``vdot2 = vdot_m1 * v0 + vdot0 * v_m1``) or per
adjoint update (``vbar0 += vbar2 * v_m1``), as in the trace tables. :func:`compiled` is the function
that runs: the same steps, after four rewrites that change no float: copies are propagated
(``vbar4 = vbar5 * 1.0`` renames), statements are scheduled depth first, a value read once is
computed inside the expression that reads it, and the others live in a few reused registers (``r0``,
``r1``...), because a frame with thousands of locals is what makes long straight-line Python slow.
The compiled code performs the very operations the interpreter performs, so it gives the same
floats bit for bit.

The text is built only from diffzoo's own names (``v_m1`` is v_{-1}), the primitive table's names
(``sin``, ``pow``) and float literals written with ``repr(float)``; the user's variable names never
appear as code (inputs are positional), only as string constants ``repr(name)`` of checked identifiers,
the keys of a dict answer (:meth:`Compiled.entry`, which ``grad(f)`` calls with the user's point). It is
compiled with ``compile`` and run by ``exec`` in a namespace holding only the primitive functions: math's
for floats, numpy's for arrays (element-wise, so a whole plot or step sweep is one call; an entry also
gets the few builtins its checks use). On floats the values that could turn inf or nan finite are summed
into ``check``; a check that is not finite, or a math error, sends the call to the interpreter, which
answers, or raises its precise :class:`~diffzoo.EvaluationError`.
"""

from __future__ import annotations

import contextlib
import gc
import math
import operator
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .primitives import PRIMITIVES
from .wengert import Const, WengertList

#: Python operators for the arithmetic primitives: ``x + y`` computes what ``np.add``/``x + y`` do.
_BINOP = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
_CHUNK = 40  # names per line in long sums and assignments (keeps every line and expression short)


def name(i: int, kind: str = "v") -> str:
    """``v_m1`` for v_{-1}, ``v0``, ``v12``; ``vbar``/``vdot`` likewise."""
    return f"{kind}_m{-i}" if i < 0 else f"{kind}{i}"


def literal(x: float) -> str:
    """A float literal (``repr(float)``); negative ones in parentheses; inf and nan by name."""
    v = float(x)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "(-inf)"
    s = repr(v)
    return f"({s})" if s.startswith("-") else s


def namespace(flavour: str) -> dict[str, Any]:
    """The only names the generated code can see: the primitive table's functions (and inf, nan)."""
    ns: dict[str, Any] = {"__builtins__": {}, "inf": math.inf, "nan": math.nan}
    for p in PRIMITIVES.values():
        if p.name in _BINOP or p.name == "neg":
            continue
        ns[p.name] = p.scalar if flavour == "float" else p.array
    return ns


def _strip(s: str) -> str:
    """Drop one pair of outer parentheses if they enclose the whole text."""
    if not (s.startswith("(") and s.endswith(")")):
        return s
    depth = 0
    for i, c in enumerate(s):
        depth += c == "("
        depth -= c == ")"
        if depth == 0 and i < len(s) - 1:
            return s
    return s[1:-1]


def _tuple(items: list[str]) -> str:
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _call(op: str, a: list[str]) -> str:
    if op in _BINOP:
        return f"({a[0]} {_BINOP[op]} {a[1]})"
    if op == "neg":
        return f"(-{a[0]})"
    return f"{op}({', '.join(_strip(x) for x in a)})"


@dataclass
class Program:
    """A generated function as statements: ``targets op rhs`` with op ``=``, ``+=`` or ``-=``."""

    fname: str
    params: list[str]
    stmts: list[tuple[list[str], str, str]]
    returns: list[str]  # the returned tuples, as text
    checks: list[str]  # variables whose finiteness the float code checks (in definition order)
    outs: list[str]  # the outputs, one operand each

    def text(self) -> str:
        """The text shown to people: one line per statement."""
        lines = [f"def {self.fname}({', '.join(self.params)}):"]
        lines += [f"    {' = '.join(t)} {op} {rhs}" for t, op, rhs in self.stmts]
        lines.append(f"    return {', '.join(self.returns)}")
        return "\n".join(lines) + "\n"


def program(wl: WengertList, fname: str = "f") -> Program:
    """Every step of ``wl`` as one statement, in order: what :func:`compiled` runs.

    The float code returns the outputs, and its caller checks them. A non-finite value met on the
    way either reaches them, or is absorbed by a step that can turn it finite (atan(inf) = pi/2, a
    denominator): the arguments of such steps are summed into ``check``.
    """
    n, off = wl.n, wl.n - 1
    params = [name(i - off) for i in range(n)]

    def operand(a: Any) -> str:
        return name(a) if isinstance(a, int) else literal(a.value)

    odd = any(isinstance(a, Const) and not math.isfinite(a.value) for st in wl.steps for a in st.args)
    checks = [a for st in wl.steps if odd or not st.prim.passes_nonfinite
              for a in dict.fromkeys(operand(x) for x in st.args if isinstance(x, int))]
    stmts = [([name(st.index)], "=", _strip(_call(st.prim.name, [operand(x) for x in st.args])))
             for st in wl.steps]
    outs = [operand(o) for o in wl.outputs]
    return Program(fname, params, stmts, [_tuple(outs)], checks, outs)


_VAR = re.compile(r"\b(?:vbar|vdot|v)(?:_m\d+|\d+)\b|\bybar\d+\b")


def _executable(prog: Program, checked: bool, inplace: bool, entry: tuple[str, list[str]] | None = None) -> str:
    """The text that runs: the shown text with copies propagated and variables kept in few registers.

    The function takes the list of inputs and returns the list of outputs ``out``, each stored in it as
    soon as it is final. With ``entry`` (a shape of :data:`_ENTRIES` and one literal per output but the
    first) it is an entry instead: it takes the point as the user gave it, and gives back the first output
    and the others in the point's shape (see :meth:`Compiled.entry`). A value read once is computed inside
    the expression that reads it (:func:`_fuse`).

    A line ``vbar4 = vbar5`` only renames, so later lines read vbar5 instead; every value is
    kept in a register (``r12``) that is reused once the value is dead, so the function's locals
    stay few however long the list is (a large frame is what makes long straight-line Python
    slow). With ``checked``, the sum of the values that could be inf or nan is accumulated in
    ``check`` a chunk at a time. ``inplace=False`` writes ``a = a + b`` (numpy arrays: ``+=``
    would modify an array another name may share).
    """
    stmts = [(list(t), op, rhs) for t, op, rhs in prog.stmts]
    # 1. copy propagation (a target assigned once from a bare variable becomes that variable)
    assigned: dict[str, int] = {}
    for t, _op, _ in stmts:
        for v in t:
            assigned[v] = assigned.get(v, 0) + 1
    alias: dict[str, str] = {}

    def sub(text: str) -> str:
        text = _VAR.sub(lambda m: alias.get(m.group(0), m.group(0)), text) if alias else text
        if text.startswith("1.0 * "):  # 1.0 * x is x, bit for bit (a nan is caught by the check)
            text = text[6:]
            text = _strip(text) if text.startswith("(") else text
        elif text.endswith(" * 1.0") and _VAR.fullmatch(text[:-6]):  # the adjoint update v̄_5 * 1
            text = text[:-6]
        return text

    out_stmts: list[tuple[list[str], str, str]] = []
    for t, op, rhs in stmts:
        rhs = sub(rhs)
        if op == "=" and len(t) == 1 and assigned[t[0]] == 1 and (_VAR.fullmatch(rhs) or rhs == "1.0"):
            alias[t[0]] = rhs
            continue
        out_stmts.append((t, op, rhs))
    returns = ["out"] if entry is None else ["value", "out"]
    checks = [c2 for c in prog.checks if _VAR.fullmatch(c2 := alias.get(c, c))]
    out_stmts = _schedule(out_stmts)
    out_stmts = _fuse(out_stmts, set(checks) | {sub(o) for o in prog.outs} | set(prog.params), returns)
    # 2. finiteness: add each checked value to ``check`` soon after it is defined
    if checked:
        pending = {c for c in checks}
        with_checks: list[tuple[list[str], str, str]] = []
        group: list[str] = [c for c in prog.params if c in pending]
        pending -= set(group)
        first = True

        def flush() -> None:
            nonlocal first, group
            for k in range(0, len(group), _CHUNK):
                rhs = " + ".join(group[k: k + _CHUNK])
                with_checks.append((["check"], "=", rhs if first else f"check + ({rhs})"))
                first = False
            group = []

        for t, op, rhs in out_stmts:
            with_checks.append((t, op, rhs))
            for v in t:
                if v in pending and op == "=" and not v.startswith("vbar"):
                    group.append(v)
                    pending.discard(v)
            if len(group) >= _CHUNK:
                flush()
        group += [c for c in checks if c in pending]  # adjoints: final only at the end
        flush()
        if first:
            with_checks.append((["check"], "=", "0.0"))
        out_stmts = with_checks
        returns = returns + ["check"]
    # 3. outputs stored in ``out`` as soon as they are final (their registers then free)
    if entry is None:
        slots = [f"out[{i}]" for i in range(len(prog.outs))]
    else:  # the first output alone, the others in the answer
        slots = ["value"] + [f"out[{k}]" for k in entry[1]]
    final: dict[str, int] = {}
    for i, (t, _op, _rhs) in enumerate(out_stmts):
        final.update(dict.fromkeys(t, i))
    read = {v for _, _, rhs in out_stmts for v in _VAR.findall(rhs)}
    stores: dict[int, list[tuple[list[str], str, str]]] = {}
    direct: dict[str, str] = {}  # outputs computed straight into their slot
    for slot, o in zip(slots, (sub(o) for o in prog.outs)):
        i = final.get(o, -1)
        if o in direct:  # the same output twice: a copy of the first slot
            stores.setdefault(i, []).append(([slot], "=", direct[o]))
        elif i >= 0 and out_stmts[i][0] == [o] and out_stmts[i][1] == "=" and o not in read:
            out_stmts[i] = ([slot], "=", out_stmts[i][2])
            direct[o] = slot
        else:
            stores.setdefault(i, []).append(([slot], "=", o))
    placed = stores.get(-1, [])
    for i, stmt in enumerate(out_stmts):
        placed.append(stmt)
        placed += stores.get(i, [])
    out_stmts = placed
    # 4. registers: liveness, then reuse of dead registers
    last: dict[str, int] = {}
    for i, (t, op, rhs) in enumerate(out_stmts):
        for v in _VAR.findall(rhs):
            last[v] = i
        if op != "=":
            for v in t:
                last[v] = i
    end = len(out_stmts)
    for r in returns:
        for v in _VAR.findall(r):
            last[v] = end
    reg: dict[str, str] = {p: p for p in prog.params}
    free: list[str] = []
    count = 0
    unpack = ", ".join(prog.params) + ("," if len(prog.params) == 1 else "")
    if entry is None:
        lines = [f"def {prog.fname}(inputs):"] + ([f"    {unpack} = inputs"] if prog.params else [])
        lines.append(f"    out = [0.0] * {len(prog.outs)}")
    else:
        head, tail = _ENTRIES[entry[0]]
        lines = [f"def {prog.fname}(inputs, both=False):"]
        lines += ["    " + line.format(n=len(prog.params)) for line in head.splitlines()]
        lines += [f"    {unpack} = xs"] if prog.params else []
        if entry[0] != "array":  # plain floats only (an array's tolist() gives nothing else); a chunk a line
            for k in range(0, len(prog.params), _CHUNK):
                test = " or ".join(f"type({p}) is not float" for p in prog.params[k: k + _CHUNK])
                lines += [f"    if {test}:", "        return None"]
        lines += ["    if (s := sum(xs)) - s != 0.0:", "        return None", "    out = blank.copy()"]
    for i, (t, op, rhs) in enumerate(out_stmts):
        text = _VAR.sub(lambda m: reg[m.group(0)], rhs)
        used = set(_VAR.findall(rhs))
        for v in used:
            if last.get(v) == i and v not in t:
                free.append(reg[v])
        names = []
        for v in t:
            if v in ("check", "value") or v.endswith("]"):  # the check, an output's slot
                names.append(v)
                continue
            if v in reg:
                names.append(reg[v])
                continue
            if free:
                r = free.pop()
            else:
                r, count = f"r{count}", count + 1
            reg[v] = r
            names.append(r)
        if op == "=":
            if names != [text]:  # a value that stays in its register needs no copy
                lines.append(f"    {' = '.join(names)} = {text}")
        elif inplace:
            lines.append(f"    {names[0]} {op} {text}")
        else:
            lines.append(f"    {names[0]} = {names[0]} {op[0]} {text}")
        for v in t:
            if last.get(v, -1) <= i and v in reg:
                free.append(reg[v])  # defined but never read again
    if entry is None:
        lines.append(f"    return {', '.join(_VAR.sub(lambda m: reg[m.group(0)], r) for r in returns)}")
    else:
        lines += ["    " + line.format(n=len(prog.outs) - 1) for line in tail.splitlines()]
    return "\n".join(lines) + "\n"


#: The entries' own lines (:meth:`Compiled.entry`): the head reads the point ``inputs`` into ``xs``, or
#: returns None for a point of the wrong length (then the inputs' types and sum are checked, and anything
#: but finite plain floats returns None too, for the caller to read carefully); the tail returns None
#: unless ``check`` and the outputs are finite, then the first output and the others.
_ENTRIES = {
    "list": ("""if len(inputs) != {n}:
    return None
xs = inputs""", """s = check + value + sum(out)
if s - s != 0.0:
    return None
return (value, out) if both else out"""),
    "dict": ("""if len(inputs) != {n}:
    return None
xs = inputs.values() if [*inputs] == names else get(inputs)""", """s = check + value + sum(out.values())
if s - s != 0.0:
    return None
return (value, out) if both else out"""),
    "array": ("""if inputs.dtype is not F64 or inputs.shape != ({n},):
    return None
xs = inputs.tolist()""", """s = check + value + sum(out)
if s - s != 0.0:
    return None
out = fromiter(out, F64, {n})
return (value, out) if both else out"""),
}


_FUSE = 4  # operations per fused expression at most (keeps every expression shallow)


def _fuse(stmts: list[tuple[list[str], str, str]], keep: set[str], returns: list[str]
          ) -> list[tuple[list[str], str, str]]:
    """Write a value read once straight into the expression that reads it: ``r = cos(v0); r = v_m3 * r``
    becomes ``r = v_m3 * cos(v0)``. Each operation still computes the same float from the same operands
    (values are assigned once), but it lives on the interpreter's stack instead of in a local: fewer
    loads and stores, and fewer locals. Checked values, outputs and inputs keep their names."""
    if any(op != "=" or len(t) != 1 for t, op, _ in stmts):
        return stmts
    uses: dict[str, int] = {}
    for text in [rhs for _, _, rhs in stmts] + returns:
        for v in _VAR.findall(text):
            uses[v] = uses.get(v, 0) + 1
    defined = {t[0] for t, _, _ in stmts}
    if len(defined) != len(stmts):
        return stmts
    pending: dict[str, tuple[str, int]] = {}
    out = []
    for t, op, rhs in stmts:
        size = 1

        def inline(m: re.Match[str]) -> str:
            nonlocal size
            v = m.group(0)
            if v not in pending:
                return v
            text, n = pending.pop(v)
            size += n
            return f"({text})"

        if pending:
            rhs = _VAR.sub(inline, rhs)
        v = t[0]
        if uses.get(v) == 1 and v not in keep and size < _FUSE:
            pending[v] = (rhs, size)
            continue
        out.append((t, op, rhs))
    return out


def _schedule(stmts: list[tuple[list[str], str, str]]) -> list[tuple[list[str], str, str]]:
    """Reorder statements depth first, so that a value is used soon after it is made.

    A statement waits for the last writer of every variable it reads, for the previous writer
    of a variable it accumulates into (so every adjoint is summed in the same order), and for
    the readers of a value it overwrites. Among the statements ready to run, the one made ready
    most recently runs first (Kahn's algorithm with a stack): the primal and the adjoint
    updates that consume it interleave, and few values are alive at any time. Each statement
    computes the same float from the same operands, so results do not change.
    """
    k = len(stmts)
    deps: list[set[int]] = [set() for _ in range(k)]
    writer: dict[str, int] = {}
    readers: dict[str, list[int]] = {}
    for i, (t, _op, rhs) in enumerate(stmts):
        for v in _VAR.findall(rhs):
            if v in writer:
                deps[i].add(writer[v])
            readers.setdefault(v, []).append(i)
        for v in t:
            if v in writer:
                deps[i].add(writer[v])
            deps[i].update(r for r in readers.get(v, ()) if r != i)
            writer[v] = i
            readers[v] = []
    users: list[list[int]] = [[] for _ in range(k)]
    waiting = [len(d) for d in deps]
    for i, d in enumerate(deps):
        for j in d:
            users[j].append(i)
    stack = [i for i in range(k - 1, -1, -1) if waiting[i] == 0]
    order: list[int] = []
    while stack:
        i = stack.pop()
        order.append(i)
        ready = []
        for u in users[i]:
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
        stack.extend(sorted(ready, reverse=True))
    if len(order) != k:  # cannot happen for straight-line code; keep the original order if it does
        return stmts
    return [stmts[i] for i in order]



def source(wl: WengertList, checked: bool = True, inplace: bool = True, entry: str | None = None,
           names: Sequence[str] = ()) -> str:
    """The text that runs for ``wl`` (``checked``: float code that also returns its ``check`` sum).

    ``entry``: the text of :meth:`Compiled.entry` for that shape of point ("list", "dict" or "array";
    ``names`` name the outputs but the first, for "dict").
    """
    keys = [repr(k) for k in names] if entry == "dict" else [str(i) for i in range(len(wl.outputs) - 1)]
    with _no_gc():  # many small objects, none of them garbage: collecting would only scan them
        return _executable(program(wl), checked, inplace, None if entry is None else (entry, keys))


@contextlib.contextmanager
def _no_gc() -> Any:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _function(src: str, flavour: str, **extra: Any) -> Callable[..., Any]:
    ns = namespace(flavour) | extra
    with _no_gc():
        code = compile(src, "<diffzoo>", "exec")
    exec(code, ns)  # noqa: S102 - our own text, see the module doc
    return ns["f"]


class Compiled:
    """A list as a Python function of floats (or of numpy arrays): outputs for inputs.

    On floats, a math error or a non-finite ``check`` (or output) hands the call to ``fallback``,
    the interpreter, whose answer or precise error is returned: the compiled code never answers
    where the interpreter would not. Two ways in: ``code(x)`` for any list of floats, and ``finite(x)``
    for inputs known to be finite floats (the list of outputs comes back as the code built it).
    """

    def __init__(self, wl: WengertList, fallback: Callable[[list[float]], list[float]] | None = None):
        self.wl = wl
        self.fallback = fallback or (lambda x: wl.output_values(wl.evaluate(x)))
        self._float: Callable[..., Any] | None = None
        self._array: Callable[..., Any] | None = None
        self._entries: dict[str, Callable[..., Any]] = {}

    @property
    def float_function(self) -> Callable[..., Any]:
        if self._float is None:
            self._float = _function(source(self.wl), "float")
        return self._float

    def __call__(self, x: list[float]) -> list[float]:
        """The outputs at ``x`` (floats), as the interpreter gives them."""
        fn = self._float or self.float_function
        try:
            out, check = fn(x)
            s = check + sum(x) + sum(out)
            if s - s == 0.0:  # finite (inf - inf and nan - nan are nan; an overflowing sum only costs a detour)
                return out
        except (ValueError, ArithmeticError):
            pass
        return self.fallback(x)

    def finite(self, x: list[float]) -> list[float]:
        """As calling, for inputs already known to be finite floats (``functions.floats``)."""
        fn = self._float or self.float_function
        try:
            out, check = fn(x)
            s = check + sum(out)
            if s - s == 0.0:
                return out
        except (ValueError, ArithmeticError):
            pass
        return self.fallback(x)

    def entry(self, shape: str, names: Sequence[str] = ()) -> Callable[..., Any]:
        """The code as a function of the point as the user gave it: ``entry(point, both=False)``.

        ``shape`` is "list", "dict" (by ``names``, one identifier per input and per output but the first;
        the dict may be in any order) or "array" (float64, shape (n,)). The entry answers the others
        outputs in the point's shape (``both``: the first output too, ``(value, others)``), written
        straight by the generated code: ``grad(f)`` answers a dict with a dict and no second pass. It returns
        None for a point of anything but finite plain floats, or where ``check`` or an output is not finite,
        and raises a math error (or KeyError, for a dict without a name) as the code meets it: the caller
        then reads the point carefully and asks :meth:`finite`.
        """
        fn = self._entries.get(shape)
        if fn is None:
            m = len(self.wl.outputs)
            extra: dict[str, Any] = {"len": len, "type": type, "float": float, "sum": sum, "blank": [0.0] * (m - 1)}
            if shape == "dict":
                names = list(names)
                if len(names) != m - 1 or len(names) != self.wl.n or not all(k.isidentifier() for k in names):
                    raise ValueError(f"a dict entry needs {m - 1} identifiers, one per input and output but the first")
                # interned, as the code's string constants are: each store finds its key by identity
                extra["blank"] = dict.fromkeys(map(sys.intern, names), 0.0)
                extra["names"] = names
                extra["get"] = operator.itemgetter(*names) if len(names) > 1 else (lambda p: (p[names[0]],))
            elif shape == "array":
                import numpy as np

                extra |= {"F64": np.dtype(np.float64), "fromiter": np.fromiter}
            elif shape != "list":
                raise ValueError(f"unknown entry shape {shape!r}; choose list, dict or array")
            fn = self._entries[shape] = _function(source(self.wl, entry=shape, names=names), "float", **extra)
        return fn

    def arrays(self, *x: Any) -> list[Any]:
        """The outputs at arrays (one per input, broadcast together): element-wise, nan where no value."""
        import numpy as np

        if self._array is None:
            self._array = _function(source(self.wl, checked=False, inplace=False), "array")
        with np.errstate(all="ignore"):
            return [np.asarray(v) for v in self._array(list(x))]


def compiled(wl: WengertList, fallback: Callable[[list[float]], list[float]] | None = None) -> Compiled:
    """The compiled function of ``wl``, made on first use and kept on the list."""
    cached = wl.__dict__.get("_compiled")
    if cached is None or cached[0] is not wl.steps:
        cached = (wl.steps, Compiled(wl, fallback))
        wl.__dict__["_compiled"] = cached
    return cached[1]


# --- what people read --------------------------------------------------------------------------------


def shown(wl: WengertList, fname: str = "f") -> str:
    """The text people read: one line per step of a primal list; for a derived one, one line per primal
    step and per tangent or adjoint update, each partial written where it is used, as in the traces."""
    d = wl.derivation
    if d is None:
        return program(wl, fname).text()
    primal = d.primal
    k = len(primal.steps)
    n = wl.n
    kind = "vdot" if d.kind == "jvp" else "vbar"
    named: dict[int, str] = {}
    for i, slot in d.seeds.items():  # the seeds' own parameter names: vdot_m1 (ẋ1) or ybar0 (ȳ1)
        named[slot] = name(i + 1 - primal.n, "vdot") if d.kind == "jvp" else f"ybar{i}"
    for i in range(1 - primal.n, k + 1):
        named.setdefault(i, name(i))
    if d.kind == "jvp":
        for v, t in d.tangents.items():
            if isinstance(t, int) and t > k:
                named[t] = name(v, kind)
    else:
        for u in d.updates:
            if isinstance(u.operand, int) and u.operand > k:
                named[u.operand] = name(u.target, kind)

    def const(a: Any, v: float) -> bool:
        return isinstance(a, Const) and a.value == v

    def text(a: Any, top: bool = False) -> str:
        """The expression of ``a`` with its unnamed steps written in, as the traces write them: a partial of
        1 or -1 leaves no product (``vdot1 + vdot2``, ``vdot4 - vdot3``), one of 1/y divides."""
        if isinstance(a, Const):
            return literal(a.value)
        if a in named and not top:
            return named[a]
        st = wl.steps[a - 1]
        x = st.args
        if st.prim.name == "mul" and const(x[1], 1.0):
            return text(x[0])
        if st.prim.name == "mul" and const(x[1], -1.0):
            return f"(-{text(x[0])})"
        if st.prim.name == "mul" and isinstance(x[1], int) and x[1] not in named:
            den = wl.steps[x[1] - 1]
            if den.prim.name == "div" and const(den.args[0], 1.0):
                return f"({text(x[0])} / {text(den.args[1])})"
        if st.prim.name == "add" and isinstance(x[1], int) and x[1] not in named:
            right = wl.steps[x[1] - 1]
            if right.prim.name == "mul" and const(right.args[1], -1.0):
                return f"({text(x[0])} - {text(right.args[0])})"
        return _call(st.prim.name, [text(v) for v in x])

    params = [named[i - n + 1] for i in range(n)]
    lines = [f"def {fname}({', '.join(params)}):"]
    lines += [f"    {name(st.index)} = {_strip(text(st.index, top=True))}" for st in primal.steps]
    if d.kind == "jvp":
        for st in primal.steps:
            t = d.tangents.get(st.index)
            if isinstance(t, int) and t > k:
                lines.append(f"    {name(st.index, kind)} = {_strip(text(t, top=True))}")
        outs = [named.get(d.tangents.get(o), "0.0") if isinstance(o, int) else "0.0" for o in primal.outputs]
    else:
        for u in d.updates:
            target = name(u.target, kind)
            if u.first:
                rhs = named.get(u.operand) if u.source is None else _strip(text(u.operand, top=True))
                lines.append(f"    {target} = {rhs}")
                named[u.operand] = target  # from here on, an output's weight is read as its adjoint
            else:
                step = wl.steps[u.operand - 1]  # prev + contribution
                term = _strip(text(step.args[1]))
                if term.startswith("-") and "(" not in term:
                    lines.append(f"    {target} -= {term[1:]}")
                else:
                    lines.append(f"    {target} += {term}")
        outs = [name(i + 1 - primal.n, kind) if (i + 1 - primal.n) in d.adjoints else "0.0"
                for i in range(primal.n)]
    values = [name(o) if isinstance(o, int) else literal(o.value) for o in primal.outputs]
    lines.append(f"    return {_tuple(values)}, {_tuple(outs)}")
    return "\n".join(lines) + "\n"


def identifiers(src: str) -> set[str]:
    """Every identifier in a generated text (for checking that no user text got in)."""
    import io
    import tokenize

    return {t.string for t in tokenize.generate_tokens(io.StringIO(src).readline) if t.type == tokenize.NAME}


__all__ = ["Compiled", "compiled", "program", "source", "shown", "namespace", "identifiers", "name", "literal"]
