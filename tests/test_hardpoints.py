"""The hard-points corpus: poles, overflow edges, subnormals, kinks, zero bases and cancellation.

Every case goes through every method, the compiled forward and reverse paths, and every numeric
scheme at its default step. A case passes only if the method

- refuses with a clear ``ValueError`` (an ``EvaluationError`` naming the step), or
- warns (``Result.warnings`` says what is wrong with the figure), or
- is right within its error model against the 50-digit reference (``compare.reference_jacobian``):
  1e-12 relative for the exact methods and the complex step; for the real-step schemes 1e-5 relative,
  or an absolute error below 1e-6 |f| / max(|x|, 1) (finite differences err by an absolute amount,
  rounding over h: a derivative far below that, tanh' at 20 = 1.7e-17, is 0 within it; above 1e-6 of
  the estimate they warn).

Where the derivative does not exist (``exists=False``: a kink or a jump, an infinite slope) only a
refusal or a warning passes: a number alone is a believable wrong number. Relative errors are taken
with an absolute floor of 2^-1000 (9.3e-302): a derivative near or in the subnormal floats (1e-320) is
met by 0.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import diffzoo as dz
from diffzoo.compare import reference_jacobian

# (function, point, exists): exists=False where f has no derivative at the point.
CASES = [
    # poles beside the point
    ("1/x", [1e-20], True),
    ("x^-2", [1e-20], True),
    ("tan(x)", [1.5707963267948966], True),
    ("1/(x - 1)", [1 + 2**-40], True),
    ("1/x", [-1e-300], True),
    ("ln(x)", [1e-300], True),
    ("1/sin(x)", [3.141592653589793], True),
    ("x/(x^2 + 1e-30)", [1e-15], True),
    # overflow edges
    ("exp(x)", [709.7], True),
    ("exp(x)", [709.0], True),  # Richardson's 4 d2 overflowed (inf), then its extrapolation hid a 1.6e-4 error
    ("exp(x)", [-745.0], True),
    ("x^300", [10.0], True),
    ("1e300*x^2", [3.0], True),
    ("sinh(x)", [710.0], True),
    ("x*x", [1e154], True),
    ("1e308*x", [1.0], True),
    ("atan(x)", [1e160], True),
    ("sigmoid(x)", [-800.0], True),
    ("sigmoid(x)", [800.0], True),
    ("tanh(x)", [20.0], True),
    # subnormals
    ("1e-300*exp(x)", [1.0], True),
    ("sqrt(x)", [1e-320], True),
    ("x*1e-310", [1.0], True),
    ("1e-300*x^3", [1e-5], True),
    ("sin(x)", [1e-310], True),
    # kinks, jumps, infinite slopes: no derivative
    ("abs(x)", [0.0], False),
    ("abs(x - 1)", [1.0], False),
    ("sqrt(abs(x))", [0.0], False),
    ("abs(x)^0.5", [0.0], False),
    ("sign(x) + x", [0.0], False),
    ("abs(x) + abs(y)", [0.0, 1.0], False),
    ("sqrt(x)", [0.0], False),
    ("asin(x)", [1.0], False),
    ("acos(x)", [-1.0], False),
    ("(x^3)^(1/3)", [0.0], False),
    ("(x^2)^(1/3)", [0.0], False),
    # a kink that does not matter: x|x| is differentiable at 0
    ("x*abs(x)", [0.0], True),
    # zero bases
    ("x^y", [0.0, 2.0], True),
    ("x^y", [0.0, 1.0], True),
    ("x^y", [-0.0, 3.0], True),
    ("0^x", [0.5], True),
    ("x^y", [0.0, 0.0], False),
    ("x^y", [-2.0, 3.0], False),
    ("x^1.5", [0.0], True),
    # structurally constant parts
    ("acos(sign(x))", [-3.0], True),
    ("sqrt(y - y) + x", [1.0, 2.0], True),
    ("(-2)^(x*0)", [1.0], True),
    ("((y - y) + tan(1e-300))^(y*sigmoid(y))*y", [0.5], True),
    # cancellation: the derivative is far smaller than the terms it is made of
    ("sin(x)*1e16 - x*1e16", [1e-9], True),
    ("(x + 1e8) - 1e8", [0.5], True),
]

METHODS = [("symbolic", {}), ("forward", {}), ("reverse", {}), ("forward", {"compiled": True}),
           ("reverse", {"compiled": True})] + [("numeric", {"scheme": s}) for s in dz.SCHEMES]
TOLERANCE = {"symbolic": 1e-12, "forward": 1e-12, "reverse": 1e-12, "numeric": 1e-5, "numeric complex": 1e-12}
FLOOR = 2.0**-1000


def _label(method: str, kw: dict) -> str:
    return method + "".join(f" {k}={v}" for k, v in kw.items())


@pytest.mark.parametrize(("text", "point", "exists"), CASES, ids=[f"{t} at {p}" for t, p, _ in CASES])
def test_every_method_is_right_refuses_or_warns(text, point, exists):
    f = dz.parse(text)
    ref = reference_jacobian(f, dict(zip(f.variables, point)))
    for method, kw in METHODS:
        start = time.perf_counter()
        try:
            r = dz.differentiate(f, point, method, **kw)
        except (dz.EvaluationError, dz.LimitError) as exc:
            assert str(exc), (text, method)  # refused, with a reason
            continue
        finally:
            assert time.perf_counter() - start < 5, f"{text}: {_label(method, kw)} took too long"
        if r.warnings:
            assert all(isinstance(w, str) and w.endswith(".") for w in r.warnings)
            continue
        what = f"{text} at {point}: {_label(method, kw)} gave {r.jacobian.tolist()} with no warning"
        assert exists, f"{what}, where f has no derivative"
        assert np.isfinite(r.jacobian).all(), what
        tol = TOLERANCE.get(f"{method} {kw.get('scheme')}", TOLERANCE[method])
        err = np.abs(r.jacobian - ref)
        allowed = np.maximum(tol * np.abs(ref), FLOOR)
        if method == "numeric" and kw["scheme"] != "complex":
            size = float(np.max(np.abs(np.atleast_1d(r.value))))
            allowed = np.maximum(allowed, 1e-6 * (size / max(1.0, *map(abs, point)) if size else 1.0))
        assert (err <= allowed).all(), f"{what}; reference {ref.tolist()}, error {err.tolist()} > {allowed.tolist()}"


def test_the_corpus_covers_every_kind():
    # the kinds the issue names, each with several cases
    kinds = {"pole": 8, "overflow": 11, "subnormal": 5, "kink": 11, "zero base": 7, "structural": 4}
    assert len(CASES) >= sum(kinds.values())
    assert sum(1 for _, _, exists in CASES if not exists) >= 11


@pytest.mark.parametrize(("text", "point", "exact"), [
    ("1/x", [1e-20], -1e40),
    ("x^-2", [1e-20], -2e60),
    ("ln(x)", [1e-300], 1e300),
    ("1/(x - 1)", [1 + 2**-20], -(2.0**40)),
])
@pytest.mark.parametrize("scheme", ["forward", "backward", "central", "richardson", "complex"])
def test_default_steps_stay_where_f_is_smooth(text, point, exact, scheme):
    # Issue #10 A1: the default step jumped over the pole (1/x at 1e-20 gave +100 with h = 0.1).
    # Exact values by hand: d/dx 1/x = -1/x^2, d/dx x^-2 = -2/x^3, d/dx ln x = 1/x.
    r = dz.differentiate(text, point, "numeric", scheme=scheme)
    assert not r.warnings, r.warnings
    assert r.derivative == pytest.approx(exact, rel=1e-5, abs=0)
    assert r.details["steps"][0] < abs(point[0] - (1 if "x - 1" in text else 0))  # the stencil stays on one side


def test_a_pole_closer_than_any_step_can_resolve():
    # 1/(x - 1) at 1 + 2^-40: the pole is 9.1e-13 away, 4096 ulps of x. Forward differences would need
    # h = 7e-21 (2 sqrt(noise / f'')), far below ulp(1) = 2.2e-16: the best step errs by 2e-3 (relative),
    # and they say that no step can be trusted. Central differences and Richardson extrapolation, at a few
    # ulps, get within 1e-6, or say so too. The complex step gets -2^80.
    exact = -(2.0**80)
    for scheme in ("forward", "backward", "central", "richardson"):
        r = dz.differentiate("1/(x - 1)", [1 + 2**-40], "numeric", scheme=scheme)
        untrusted = any("could be trusted" in w for w in r.warnings)
        assert untrusted or (scheme in ("central", "richardson") and abs(r.derivative / exact - 1) < 1e-5), scheme
        if scheme in ("forward", "backward"):
            assert untrusted
    r = dz.differentiate("1/(x - 1)", [1 + 2**-40], "numeric", scheme="complex")
    assert not r.warnings and r.derivative == pytest.approx(-(2.0**80), rel=1e-15)


def test_a_step_that_cannot_be_trusted_says_so():
    # tan at the float nearest pi/2 (6.1e-17 below the pole): no real step resolves it (ulp(x) = 2.2e-16).
    for scheme in ("forward", "backward", "central", "richardson"):
        r = dz.differentiate("tan(x)", [1.5707963267948966], "numeric", scheme=scheme)
        assert not r.details["estimates"][0].trusted
        assert any("could be trusted" in w for w in r.warnings), scheme
    # the complex step has no cancellation: it gets there (exact: sec^2 x = 2.6670937881135714e32, reverse mode)
    r = dz.differentiate("tan(x)", [1.5707963267948966], "numeric", scheme="complex")
    assert not r.warnings
    assert r.derivative == pytest.approx(2.6670937881135714e32, rel=1e-12)
