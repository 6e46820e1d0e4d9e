"""Derivatives as functions you keep and call again, as ``jax.grad(f)`` gives one: compiled once, fast after.

``grad(f)`` returns a function of the point that runs the compiled gradient program (the adjoint
program ``transforms.vjp`` with its weight ȳ = 1 bound in, ``transforms.bind``); ``jacobian``, ``jvp``
and ``vjp`` likewise. A point may be a list, a tuple, a dict by name or a numpy array, and the answer
comes back in the same shape. Reading the point is O(n): a list of plain floats is taken as it is,
anything else goes through the careful path of ``api.vector``, which names a wrong entry.

The same compiled programs serve ``differentiate(..., compiled=True)``; where the compiled code meets
a value that does not exist, the interpreter answers, or raises its precise error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from . import forward, reverse, transforms
from .compile import Compiled, compiled
from .parse import Function
from .wengert import WengertList

_PLAIN = {float, int}


def _code(wl: WengertList, kind: str) -> Compiled:
    """The compiled program ``kind`` of ``wl``: "gradient", "tangent" or "adjoint" (kept on the list)."""
    store = wl.__dict__.setdefault("_code", {})
    if store.get("_steps") is not wl.steps:
        store.clear()
        store["_steps"] = wl.steps
    if kind not in store:
        n, m = wl.n, wl.m
        if kind == "gradient":
            if m != 1:
                raise ValueError(f"a gradient needs a scalar function; this one has {m} outputs (use jacobian or vjp)")

            def fallback(x: list[float]) -> list[float]:
                vals = wl.evaluate(x)
                return wl.output_values(vals) + reverse.adjoint_sweep(wl, vals, [1.0])[0][:n]

            store[kind] = compiled(transforms.bind(transforms.vjp_of(wl), {0: 1.0}), fallback)
        elif kind == "tangent":
            def fallback(xs: list[float]) -> list[float]:
                vals = wl.evaluate(xs[n:])
                return wl.output_values(vals) + forward.output_tangents(wl, forward.tangent_sweep(wl, vals, xs[:n]))

            store[kind] = compiled(transforms.jvp_of(wl), fallback)
        else:
            def fallback(xs: list[float]) -> list[float]:
                vals = wl.evaluate(xs[m:])
                return wl.output_values(vals) + reverse.adjoint_sweep(wl, vals, xs[:m])[0][:n]

            store[kind] = compiled(transforms.vjp_of(wl), fallback)
    return store[kind]


def floats(values: Any, names: Sequence[str], what: str = "point") -> list[float]:
    """``values`` as finite floats in the order of ``names``: at once for plain numbers, else ``api.vector``.

    The quick path costs two C-level passes (the types, the sum: a sum of floats is finite only if every
    term is); whatever it cannot vouch for (text, nan, an int beyond 1.8e308) takes the careful path,
    which says what is wrong.
    """
    t = type(values)
    items: Any = None
    if (t is list or t is tuple) and len(values) == len(names):
        items = values
    elif t is np.ndarray and values.ndim == 1 and values.dtype.kind in "fi" and len(values) == len(names):
        items = values.tolist()
    elif isinstance(values, Mapping) and len(values) == len(names):
        try:
            items = [values[k] for k in names]
        except (KeyError, TypeError):
            items = None
    if items is not None:
        kinds = set(map(type, items))
        if kinds <= _PLAIN:
            try:
                xs = list(items) if kinds == {float} else [float(v) for v in items]
            except OverflowError:
                xs = None
            if xs is not None:
                total = sum(xs)
                if total - total == 0.0:
                    return xs
    from .api import vector

    return vector(values, names, what)


def _shaped(values: list[float], like: Any, names: Sequence[str]) -> Any:
    """The answer in the shape of the point: a dict by name, a numpy array, or a list."""
    if isinstance(like, Mapping):
        return dict(zip(names, values))
    if isinstance(like, np.ndarray):
        return np.array(values)
    return values


def _function(f: Function | str, variables: Sequence[str] | None) -> Function:
    from .api import as_function

    return as_function(f, variables)


def grad(f: Function | str, variables: Sequence[str] | None = None) -> Callable[[Any], Any]:
    """The gradient of a scalar function, as a function of the point (compiled on first use)."""
    function = _function(f, variables)
    wl, names = function.wengert, function.variables
    code = _code(wl, "gradient")

    def gradient(point: Any) -> Any:
        x = floats(point, names)
        return _shaped(code(x)[1:], point, names)

    gradient.__doc__ = f"The gradient of {function} at a point (list, dict or array of {', '.join(names)})."
    return gradient


def value_and_grad(f: Function | str, variables: Sequence[str] | None = None) -> Callable[[Any], tuple[float, Any]]:
    """f and its gradient at a point, from one compiled sweep."""
    function = _function(f, variables)
    wl, names = function.wengert, function.variables
    code = _code(wl, "gradient")

    def both(point: Any) -> tuple[float, Any]:
        out = code(floats(point, names))
        return out[0], _shaped(out[1:], point, names)

    return both


def jacobian(f: Function | str, mode: str = "auto", variables: Sequence[str] | None = None
             ) -> Callable[[Any], np.ndarray]:
    """The m x n Jacobian as a function of the point: n compiled forward passes or m reverse sweeps.

    ``mode="auto"`` takes reverse mode when there are no more outputs than inputs, forward mode otherwise.
    """
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"unknown mode {mode!r}; choose auto, forward or reverse")
    function = _function(f, variables)
    wl, names = function.wengert, function.variables
    n, m = wl.n, wl.m
    use = ("reverse" if m <= n else "forward") if mode == "auto" else mode

    def jac(point: Any) -> np.ndarray:
        x = floats(point, names)
        J = np.zeros((m, n))
        if use == "reverse" and m == 1:
            J[0] = _code(wl, "gradient")(x)[1:]
        elif use == "reverse":
            code = _code(wl, "adjoint")
            for j in range(m):
                J[j] = code([float(k == j) for k in range(m)] + x)[m:]
        else:
            code = _code(wl, "tangent")
            for i in range(n):
                J[:, i] = code([float(k == i) for k in range(n)] + x)[m:]
        return J

    return jac


def jvp(f: Function | str, variables: Sequence[str] | None = None
        ) -> Callable[[Any, Any], tuple[list[float], list[float]]]:
    """``(f(x), J(x) ẋ)`` as a function of the point and the tangent: one compiled forward pass."""
    function = _function(f, variables)
    wl, names = function.wengert, function.variables
    code = _code(wl, "tangent")

    def push(point: Any, tangent: Any) -> tuple[list[float], list[float]]:
        out = code(floats(tangent, names, "seed") + floats(point, names))
        return out[: wl.m], out[wl.m:]

    return push


def vjp(f: Function | str, variables: Sequence[str] | None = None) -> Callable[[Any, Any], tuple[list[float], Any]]:
    """``(f(x), ȳ J(x))`` as a function of the point and the output weights: one compiled reverse sweep."""
    function = _function(f, variables)
    wl, names = function.wengert, function.variables
    outs = wl.output_names()
    code = _code(wl, "adjoint")

    def pull(point: Any, cotangent: Any) -> tuple[list[float], Any]:
        out = code(floats(cotangent, outs, "ybar") + floats(point, names))
        return out[: wl.m], _shaped(out[wl.m:], point, names)

    return pull


__all__ = ["grad", "value_and_grad", "jacobian", "jvp", "vjp", "floats"]
