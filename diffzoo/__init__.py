"""diffzoo: four ways to differentiate a function, side by side, each showing its work.

    >>> import diffzoo as dz
    >>> r = dz.differentiate("ln(x1) + x1*x2 - sin(x2)", {"x1": 2, "x2": 5}, method="reverse")
    >>> r.value, r.gradient["x1"]
    (11.652071455223084, 5.5)
"""

from .api import METHODS, Cost, PointError, Result, differentiate
from .errors import EvaluationError, LimitError, ParseError
from .expr import Expr
from .forward import Dual, derivative
from .functions import grad, jacobian, jvp, value_and_grad, vjp
from .hessians import HESSIAN_METHODS, HessianResult, compare_hessians, hessian, hessian_reference, hvp
from .numeric import SCHEMES
from .parse import Function, Limits, parse
from .practice import Exercise, exercise_set
from .primitives import FUNCTIONS, PRIMITIVES
from .program import Guard, Origin, Program, ProgramLimits, is_program, parse_program
from .taylormode import TaylorResult, taylor
from .wengert import WengertList

__all__ = ["METHODS", "SCHEMES", "FUNCTIONS", "PRIMITIVES", "Cost", "Dual", "EvaluationError", "Expr",
           "Function", "LimitError", "Limits", "ParseError", "PointError", "Result", "WengertList",
           "derivative", "differentiate", "parse", "grad", "value_and_grad", "jacobian", "jvp", "vjp",
           "HESSIAN_METHODS", "HessianResult", "hessian", "hvp", "hessian_reference", "compare_hessians",
           "taylor", "TaylorResult", "Program", "ProgramLimits", "Guard", "Origin", "parse_program", "is_program",
           "Exercise", "exercise_set"]
