"""Derivatives as functions you keep and call again, as ``jax.grad(f)`` gives one: compiled once, fast after.

``grad(f)`` returns a function of the point that runs the compiled gradient program (the adjoint
program ``transforms.vjp`` with its weight ȳ = 1 bound in, ``transforms.bind``); ``jacobian``, ``jvp``
and ``vjp`` likewise. A point may be a list, a tuple, a dict by name or a numpy array, and the answer
comes back in the same shape. Reading the point is O(n): a list of plain floats is taken as it is,
anything else goes through the careful path of ``points.vector``, which names a wrong entry.

The same compiled programs serve ``differentiate(..., compiled=True)``; where the compiled code meets
a value that does not exist, the interpreter answers, or raises its precise error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from . import forward, reverse, transforms
from .compile import Compiled, compiled
from .parse import Function, as_function
from .points import floats
from .wengert import WengertList


def _code(wl: WengertList, kind: str) -> Compiled:
    """The compiled program ``kind`` of ``wl``: "gradient", "tangent" or "adjoint" (kept on the list)."""
    store = wl.__dict__.setdefault("_code", {})
    if store.get("_steps") is not wl.steps:
        store.clear()
        store["_steps"] = wl.steps
    if kind not in store:
        n, m = wl.n, wl.m
        if kind == "gradient":
            program = transforms.gradient_of(wl)  # raises for a vector function

            def fallback(x: list[float]) -> list[float]:
                vals = wl.evaluate(x)
                return wl.output_values(vals) + reverse.adjoint_sweep(wl, vals, [1.0])[0][:n]

            store[kind] = compiled(program, fallback)
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


def _shaped(values: list[float], like: Any, names: Sequence[str]) -> Any:
    """The answer in the shape of the point: a dict by name, a numpy array, or a list."""
    if isinstance(like, Mapping):
        return dict(zip(names, values))
    if isinstance(like, np.ndarray):
        return np.array(values)
    return values


def _function(f: Function | str, variables: Sequence[str] | None) -> Function:
    return as_function(f, variables)


def _gradient(function: Function, both: bool) -> Callable[[Any], Any]:
    """``point -> gradient`` (``both``: ``point -> (f, gradient)``) by the compiled gradient program, the
    gradient shaped like the point.

    A list, a dict or a float64 array goes to the generated entry for its shape (:meth:`Compiled.entry`),
    which checks it in C-level passes (the types, the sum), runs the gradient program and writes the
    answer's list, dict or array itself. Anything else, and any point the entry sends back (not plain
    finite floats, a math error, a value that is not finite), is read carefully by :func:`floats` and
    answered by the compiled code's careful call, which falls back on the interpreter.
    """
    wl, names = function.wengert, list(function.variables)
    code = _code(wl, "gradient")
    entries: dict[type, Callable[..., Any]] = {}
    shapes = {list: "list", dict: "dict", np.ndarray: "array"}
    if not all(k.isidentifier() for k in names):  # names the generated text cannot hold: dicts go carefully
        del shapes[dict]

    def careful(point: Any) -> Any:
        out = code.finite(floats(point, names))  # PointError naming the entry; the interpreter's answer
        g = _shaped(out[1:], point, names)
        return (out[0], g) if both else g

    def at(point: Any) -> Any:
        fast = entries.get(type(point))
        if fast is None and type(point) in shapes:
            fast = entries[type(point)] = code.entry(shapes[type(point)], names)
        if fast is not None:
            try:
                answer = fast(point, both)
                if answer is not None:
                    return answer
            except (ValueError, ArithmeticError, KeyError):  # a math error, or a name the dict lacks
                pass
        return careful(point)

    return at


def grad(f: Function | str, variables: Sequence[str] | None = None) -> Callable[[Any], Any]:
    """The gradient of a scalar function, as a function of the point (compiled on first use)."""
    function = _function(f, variables)
    gradient = _gradient(function, both=False)
    gradient.__doc__ = (f"The gradient of {function} at a point (list, dict or array of "
                        f"{', '.join(function.variables)}).")
    return gradient


def value_and_grad(f: Function | str, variables: Sequence[str] | None = None) -> Callable[[Any], tuple[float, Any]]:
    """f and its gradient at a point, from one compiled sweep."""
    return _gradient(_function(f, variables), both=True)


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
            J[0] = _code(wl, "gradient").finite(x)[1:]
        elif use == "reverse":
            code = _code(wl, "adjoint")
            for j in range(m):
                J[j] = code.finite(transforms.unit(m, j) + x)[m:]
        else:
            code = _code(wl, "tangent")
            for i in range(n):
                J[:, i] = code.finite(transforms.unit(n, i) + x)[m:]
        return J

    return jac


def jvp(f: Function | str, variables: Sequence[str] | None = None
        ) -> Callable[[Any, Any], tuple[list[float], list[float]]]:
    """``(f(x), J(x) ẋ)`` as a function of the point and the tangent: one compiled forward pass."""
    function = _function(f, variables)
    wl, names = function.wengert, function.variables
    code = _code(wl, "tangent")

    def push(point: Any, tangent: Any) -> tuple[list[float], list[float]]:
        out = code.finite(floats(tangent, names, "seed") + floats(point, names))
        return out[: wl.m], out[wl.m:]

    return push


def vjp(f: Function | str, variables: Sequence[str] | None = None) -> Callable[[Any, Any], tuple[list[float], Any]]:
    """``(f(x), ȳ J(x))`` as a function of the point and the output weights: one compiled reverse sweep."""
    function = _function(f, variables)
    wl, names = function.wengert, function.variables
    outs = wl.output_names()
    code = _code(wl, "adjoint")

    def pull(point: Any, cotangent: Any) -> tuple[list[float], Any]:
        out = code.finite(floats(cotangent, outs, "ybar") + floats(point, names))
        return out[: wl.m], _shaped(out[wl.m:], point, names)

    return pull


__all__ = ["grad", "value_and_grad", "jacobian", "jvp", "vjp", "floats"]
