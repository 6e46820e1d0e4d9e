"""The ``diffzoo`` command: traces and side-by-side comparisons in a terminal.

    diffzoo trace "ln(x1) + x1*x2 - sin(x2)" --at x1=2 x2=5
    diffzoo compare "ln(x1) + x1*x2 - sin(x2)" --at x1=2 x2=5
    diffzoo hessian "ln(x1) + x1*x2 - sin(x2)" --at x1=2 x2=5 [--method forward-over-reverse ...]

Bad input prints the caret message and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import unicodedata
from collections.abc import Sequence

from . import fmt as fmt_
from .api import METHODS, PointError, differentiate
from .compare import compare
from .errors import EvaluationError, LimitError, ParseError
from .hessians import HESSIAN_METHODS, VectorFunctionError, compare_hessians
from .parse import parse
from .points import read_number
from .traces import TraceTable


def _table(t: TraceTable) -> str:
    """An aligned plain-text table (no dependencies beyond pandas' data)."""
    df = t.frame()
    cells = [[str(c) for c in df.columns]] + [[_fmt(v) for v in row] for row in df.itertuples(index=False)]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(cells[0]))]
    lines = [t.title, "-" * _width(t.title)]
    for n, r in enumerate(cells):
        lines.append("  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(s: str) -> int:
    """Columns a string takes in a terminal: combining marks (the dot of v̇) take none."""
    return sum(1 for c in s if not unicodedata.combining(c))


_fmt = fmt_.cell


def _point(items: Sequence[str], variables: Sequence[str]) -> dict[str, float]:
    """The point of ``--at``: every value as name=value, or every value bare in the variables' order; each
    number read by the app's allow-list (:func:`~diffzoo.points.read_number`: 2, -0.5, 1e-3, pi)."""
    example = f"--at {' '.join(f'{v}=1' for v in variables)}"
    named = sum("=" in item for item in items)
    if 0 < named < len(items):
        raise PointError(f"--at mixes name=value with bare values ({' '.join(items)}): write every value as "
                         f"name=value, e.g. {example}")
    if not named and items and len(items) != len(variables):
        raise PointError(f"--at gives {len(items)} bare value(s) for {len(variables)} variable(s) "
                         f"({', '.join(variables)}): write the point as name=value, e.g. {example}")
    point: dict[str, float] = {}
    for i, item in enumerate(items):
        name, _, value = item.partition("=") if named else (variables[i], "=", item)
        name = name.strip()
        if name in point:
            raise PointError(f"--at gives {name} twice: give each variable once, e.g. {example}")
        try:
            point[name] = read_number(value)
        except ValueError as exc:
            raise PointError(f"the value of {name} in --at: {exc}") from None
    missing = [v for v in variables if v not in point]
    if missing and not set(point) - set(variables):  # (a name f does not use is the point reader's to name)
        raise PointError(f"--at gives no value for {', '.join(missing)}: e.g. {example}")
    return point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; a closed pipe (``diffzoo trace ... | head -1``) ends it quietly, as for any Unix tool."""
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show v̇ or ∂ gets '?' there, not a traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    try:
        return _main(argv)
    except BrokenPipeError:
        # Python would print a traceback when it flushes stdout at exit: point stdout at /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="diffzoo", description="Differentiate a function four ways and show the work.")
    sub = ap.add_subparsers(dest="command", required=True)
    for name, help_ in (("trace", "print the primal, tangent and adjoint traces"),
                        ("compare", "print every method side by side with errors and costs"),
                        ("hessian", "print the Hessian by each method with its error and cost")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("function", nargs="?", default=None, help='e.g. "ln(x1) + x1*x2 - sin(x2)"')
        p.add_argument("--file", default=None, metavar="PATH",
                       help="read the function or program from a file (e.g. prog.dz) instead")
        p.add_argument("--at", nargs="*", default=[], metavar="NAME=VALUE", help="the point, e.g. x1=2 x2=5")
        p.add_argument("--vars", nargs="*", default=None, help="the order of the variables")
        p.add_argument("--format", choices=("text", "markdown", "latex"), default="text")
    trace = sub.choices["trace"]
    trace.add_argument("--seed", nargs="*", type=_seed_number, default=None, help="forward-mode seed direction")
    sub.choices["hessian"].add_argument("--method", nargs="+", choices=HESSIAN_METHODS, default=None,
                                        help="the methods to show (all by default)")
    args, extra = ap.parse_known_args(argv)
    if extra:  # a function that starts with "-" reads as an option: say how to pass it
        ap.error(f"unrecognized arguments: {' '.join(extra)}. A function that starts with '-' reads as an option: "
                 "put it after -- at the end (diffzoo trace --at x=1 -- \"-x^2\"), or start it with a space")
    try:
        f = parse(_text(args), args.vars)
        point = _point(args.at, f.variables)
        if args.command == "trace":
            out = _trace(f, point, args.seed, args.format)
        elif args.command == "hessian":
            out = _hessian(f, point, args.method or HESSIAN_METHODS, args.format)
        else:
            out = _compare(f, point, args.format)
    except (ParseError, EvaluationError, PointError, LimitError, VectorFunctionError) as exc:
        print(f"diffzoo: error: {exc}", file=sys.stderr)
        return 2
    try:
        print(out)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:  # a full disk, a closed terminal: said in a line, not a traceback
        print(f"diffzoo: error: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def _text(args: argparse.Namespace) -> str:
    """The function's text: the argument, or the file's contents (read as text, never run)."""
    if (args.function is None) == (args.file is None):
        stray = [item for item in args.at if "=" not in item and not _number(item)]
        if args.function is None and args.file is None and stray:
            raise ParseError(f"no function: '{stray[-1]}' came after --at, which takes the point; put the function "
                             f"first: diffzoo {args.command} \"{stray[-1]}\" --at ...")
        raise ParseError("give the function as an argument or with --file PATH (one of the two)")
    if args.file is None:
        return args.function
    try:
        with open(args.file, encoding="utf-8") as fh:
            text = fh.read(1_000_001)
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}") from None
    if len(text) > 1_000_000:
        raise ParseError(f"{args.file} is too large (more than 1,000,000 characters)")
    return text


def _seed_number(text: str) -> float:
    """A number of ``--seed``, read as ``--at``'s are (:func:`~diffzoo.points.read_number`), never by float()."""
    try:
        return read_number(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _number(text: str) -> bool:
    try:
        read_number(text)
    except ValueError:
        return False
    return True


def _trace(f, point, seed, fmt: str) -> str:
    fwd = differentiate(f, point, "forward", seed=seed) if seed else differentiate(f, point, "forward")
    rev = differentiate(f, point, "reverse")
    tables = list(fwd.trace.tables().values()) + list(rev.trace.tables().values())[1:]
    header = f"f = {f}  at  " + ", ".join(f"{k} = {v:g}" for k, v in point.items())
    path = rev.function.wengert
    if path.origins:  # a program: where each step came from, and the branch decisions taken
        where = [f"{path.name_of(k + 1)}: {o}" for k, o in enumerate(path.origins)]
        header += ("\n\nsteps by source line:\n" + "\n".join(where[:200])
                   + (f"\n... and {len(where) - 200:,} more" if len(where) > 200 else ""))
        if path.guards:
            header += "\n\nbranch decisions:\n" + "\n".join(g.describe() for g in path.guards[:100])
    notes = list(dict.fromkeys(fwd.warnings + rev.warnings))
    if fmt == "latex":
        return "\n\n".join([t.to_latex() for t in tables] + [f"% warning: {fmt_.latex_text(w)}" for w in notes])
    warned = "".join(f"\n\nwarning: {w}" for w in notes)
    if fmt == "markdown":
        return header + "\n\n" + "\n\n".join(t.to_markdown() for t in tables) + warned
    return header + "\n\n" + "\n\n".join(_table(t) for t in tables) + warned


def _compare(f, point, fmt: str) -> str:
    if f.program is not None:  # a program is compared along the path it takes at the point
        f = f.at(point)
    df = compare(f, point)
    notes = [f"{m}: {w}" for m, w in zip(df["method"], df["warnings"]) if w]
    table = df.drop(columns=["warnings"])
    if fmt == "markdown":
        return (fmt_.markdown_table(list(table.columns), list(table.itertuples(index=False)))
                + "".join(f"\n\nwarning ({n})" for n in notes))
    if fmt == "latex":
        return (fmt_.latex_table(list(table.columns), list(table.itertuples(index=False)), f"f = {f}")
                + "".join(f"\n% warning ({fmt_.latex_text(n)})" for n in notes))
    return (f"f = {f}\n\n" + table.to_string(index=False, float_format=lambda v: f"{v:.17g}")
            + "".join(f"\n\nwarning ({n})" for n in notes))


def _hessian(f, point, methods: Sequence[str], fmt: str) -> str:
    """Each method's Hessian (the entries on and above the diagonal), its error against 50 digits and its cost."""
    if f.program is not None:  # a program: the Hessian along the path it takes at the point, as compare does
        f = f.at(point)
    df = compare_hessians(f, point, list(dict.fromkeys(methods)), timed=False)
    ref = df.attrs["reference"]
    entries = [c for c in df.columns if c.startswith("∂²")]
    pairs = [(i, j) for i in range(len(ref)) for j in range(i, len(ref))]
    reference = ", ".join(f"{c} = {fmt_.exact(ref[i, j])}" for c, (i, j) in zip(entries, pairs))
    notes = [f"{m}: {w}" for m, w in zip(df["method"], df["warnings"]) if w]
    table = df.drop(columns=["warnings"])
    if not table["note"].astype(bool).any():
        table = table.drop(columns=["note"])
    header = f"f = {f}  at  " + ", ".join(f"{k} = {v:g}" for k, v in point.items())
    if fmt == "markdown":
        return (f"{header}\n\nreference (50 digits): {reference}\n\n"
                + fmt_.markdown_table(list(table.columns), list(table.itertuples(index=False)))
                + "".join(f"\n\nwarning ({n})" for n in notes))
    if fmt == "latex":  # the entries as H[x1,x2]: plain pdflatex has no superscript two in text
        names = [f.variables[i] for i in range(len(ref))]
        plain = {c: f"H[{names[i]},{names[j]}]" for c, (i, j) in zip(entries, pairs)}
        reference = ", ".join(f"{plain[c]} = {fmt_.exact(ref[i, j])}" for c, (i, j) in zip(entries, pairs))
        return (fmt_.latex_table([plain.get(c, c) for c in table.columns], list(table.itertuples(index=False)),
                                 f"Hessian of f = {f}")
                + f"\n% reference (50 digits): {fmt_.latex_text(reference)}"
                + "".join(f"\n% warning ({fmt_.latex_text(n.replace('²', '^2'))})" for n in notes))
    return (f"{header}\n\nreference (50 digits): {reference}\n\n"
            + table.to_string(index=False, float_format=lambda v: f"{v:.17g}")
            + "".join(f"\n\nwarning ({n})" for n in notes))


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["main", "METHODS"]
