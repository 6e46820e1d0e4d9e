"""Practice page: fill in the primal, tangent and adjoint traces of a generated exercise, and check them.

What it shows is ``diffzoo.practice.practice_view``: this page reads the level, the seed and the typed
answers, draws the tables to fill and what the check said. Score and streak live in this browser session
only (``st.session_state``), never on the server.
"""

from __future__ import annotations

import streamlit as st

from diffzoo import fmt, practice
from diffzoo.practice import TABLES, TITLES, Exercise, Feedback, PracticeView
from pages import _cache, _frame, _render, _url
from pages._render import md

INTRO = (
    "Fill in the traces of a small function by hand, as in the survey's Tables 2 and 3: the **primal** "
    "values vᵢ, the **tangents** v̇ᵢ along the seed ẋ, and every **adjoint** update v̄ of the reverse sweep. "
    "Type a number in each empty cell of the column *your value* and press **Check**: each number is read to "
    "the precision you typed (−0.284 is right for −0.28366), and a wrong one gets a hint naming the usual "
    "mistake behind it. A **seed** gives everyone the same set: share the address (`?level=2&set=7`). "
    "This page makes its own functions; the sidebar's function is not used here."
)
SHORT = {1: "1: + − × only", 2: "2: sin, exp, log", 3: "3: reuse, vectors"}
MARK = {"right": "✓ right", "wrong": "✗ wrong", "digits": "more digits", "unreadable": "? unread", "empty": "",
        "given": "given"}


def _editor_key(v: PracticeView, table: str) -> str:
    return f"pr_{table}_{v.level}_{v.seed}_{v.index}"


def typed(v: PracticeView, ex: Exercise) -> dict[str, dict[int, str]]:
    """What the student has typed in each table (the editors' edits over the blank tables)."""
    out: dict[str, dict[int, str]] = {}
    for t in TABLES:
        state = st.session_state.get(_editor_key(v, t)) or {}
        edits = state.get("edited_rows", {}) if isinstance(state, dict) else {}
        rows = {}
        for i, c in enumerate(ex.cells(t)):
            cell = edits.get(i, edits.get(str(i), {})) if isinstance(edits, dict) else {}
            text = cell.get("your value") if isinstance(cell, dict) else None
            rows[i] = fmt.exact(c.value) if c.given else (str(text) if text is not None else "")
        out[t] = rows
    return out


def _check(level: int, seed: int, index: int) -> None:
    """The Check button: read every table, keep the answers checked, and count score and streak."""
    v = practice.practice_view(level, seed, index, cache=_cache.call)
    if not v.exercise.ok:
        return
    answers = typed(v, v.exercise.get())
    checked = practice.practice_view(level, seed, index, answers, cache=_cache.call)
    st.session_state.setdefault("pr_checked", {})[(level, seed, index)] = answers
    solved = st.session_state.setdefault("pr_solved", set())
    if checked.solved and (level, seed, index) not in solved:
        solved.add((level, seed, index))
        st.session_state["pr_streak"] = st.session_state.get("pr_streak", 0) + 1
    elif any(f.status == "wrong" for fb in checked.feedback.values() for f in fb):
        st.session_state["pr_streak"] = 0


def _next(count: int) -> None:
    st.session_state["pr_index"] = (int(st.session_state.get("pr_index", 0)) + 1) % count


def _int_setting(key: str, url: str, default: int, ok: range) -> int:
    """A number from the address on a fresh page (``url``), kept in the session under ``key``."""
    if key not in st.session_state:
        raw = _url.qp(url)
        try:
            value = int(raw) if raw is not None else default
        except ValueError:
            value = default
        st.session_state[key] = value if value in ok else default
    _url.note(url, int(st.session_state[key]))
    return int(st.session_state[key])


def body(_c: object) -> None:
    level = _int_setting("pr_level", "level", 1, range(1, 4))
    seed = _int_setting("pr_seed", "set", 1, range(0, 1_000_000))
    index = _int_setting("pr_index", "ex", 0, range(0, practice.SET_SIZE))

    c1, c2, c3 = st.columns([5, 2, 3], vertical_alignment="bottom")
    c1.selectbox("Level", [1, 2, 3], key="pr_level", format_func=SHORT.get,
                 help="1: " + practice.LEVELS[1] + ". 2: " + practice.LEVELS[2] + ". 3: " + practice.LEVELS[3] + ".",
                 on_change=lambda: st.session_state.update(pr_index=0))
    c2.number_input("Seed", min_value=0, max_value=999_999, step=1, key="pr_seed",
                    help="The same level and seed give the same set of exercises: share the address.",
                    on_change=lambda: st.session_state.update(pr_index=0))
    v0 = practice.practice_view(level, seed, index, cache=_cache.call)
    c3.button("Next exercise ▶", on_click=_next, args=(v0.count,), key="pr_next", width="stretch")

    checked = st.session_state.get("pr_checked", {}).get((level, seed, index))
    v = practice.practice_view(level, seed, index, checked, cache=_cache.call) if checked else v0
    m1, m2, m3 = st.columns(3)
    m1.metric("Solved this session", len(st.session_state.get("pr_solved", set())))
    m2.metric("Streak", st.session_state.get("pr_streak", 0), help="Exercises solved in a row without a wrong check.")
    if v.exercise.ok:
        m3.metric("Cells right", f"{v.right} / {v.exercise.get().to_fill}")
    _frame.show(v.exercise, lambda ex: draw_exercise(v, ex))
    with _frame.part("the answer key"):
        st.markdown("**For the teacher:** the answer key of the whole set (every exercise of this level and seed).")
        _render.downloads([("Answer key (LaTeX)", v.key_latex, f"practice-level{level}-seed{seed}.tex",
                            "text/x-tex"),
                           ("Answer key (CSV)", v.key_csv, f"practice-level{level}-seed{seed}.csv", "text/csv")],
                          key="prkey")


def draw_exercise(v: PracticeView, ex: Exercise) -> None:
    point = ", ".join(f"{x} = {fmt.exact(p)}" for x, p in zip(ex.variables, ex.point))
    st.markdown(f"### Exercise {v.index + 1} of {v.count}")
    st.markdown(f"f = `{ex.text}` at **{md(point)}**; seeds {md(ex.seeds_text())}.")
    left, right = st.columns([2, 3])
    with left:
        st.markdown("**Wengert list**")
        st.code("\n".join(ex.wengert), language=None)
    with right:
        st.markdown("**How to fill in**")
        st.caption("Primal: vₖ from its rule. Tangent: v̇ₖ = Σ ∂vₖ/∂vⱼ · v̇ⱼ. Adjoint, row by row in the order "
                   "given: v̄ⱼ = (v̄ⱼ +) v̄ₖ · ∂vₖ/∂vⱼ; a row whose rule starts with v̄ⱼ + adds to what v̄ⱼ was. "
                   "Give at least 3 significant digits (or the exact number).")
    for t in TABLES:
        with _frame.part(f"the {TITLES[t].lower()}"):
            draw_table(v, ex, t)
    st.button("Check", type="primary", key="pr_check", on_click=_check, args=(v.level, v.seed, v.index),
              width="stretch")
    if v.solved:
        st.success("Every cell is right. Press **Next exercise** for another.", icon=":material/celebration:")


def draw_table(v: PracticeView, ex: Exercise, table: str) -> None:
    import pandas as pd

    fb = v.feedback.get(table)
    cells = ex.cells(table)
    title = TITLES[table] + (f", seed {ex.seeds_text().split(';')[0]}" if table == "tangent" else "")
    st.markdown(f"**{md(title)}**")
    df = pd.DataFrame({"variable": [c.name for c in cells], "rule": [c.rule for c in cells],
                       "your value": [fmt.exact(c.value) if c.given else "" for c in cells],
                       "check": [MARK[f.status] for f in fb] if fb else ["given" if c.given else "" for c in cells]})
    st.data_editor(df, key=_editor_key(v, table), hide_index=True, num_rows="fixed", width="stretch",
                   disabled=["variable", "rule", "check"],
                   column_config={"variable": st.column_config.TextColumn(width="small"),
                                  "rule": st.column_config.TextColumn(width="medium"),
                                  "your value": st.column_config.TextColumn(width="small", max_chars=40),
                                  "check": st.column_config.TextColumn(width="small")})
    if fb:
        draw_feedback(fb)


def draw_feedback(fb: tuple[Feedback, ...]) -> None:
    """The hints of the wrong cells (and the short ones), one line each; the right ones in a count."""
    for f in fb:
        if f.status == "wrong":
            st.error(md(f.message), icon=":material/close:")
        elif f.status in ("digits", "unreadable"):
            st.warning(md(f.message), icon=":material/edit:")
    right = sum(1 for f in fb if f.status == "right")
    todo = sum(1 for f in fb if f.status != "given")
    st.caption(f"{right} of {todo} right" + ("." if right == todo else
               f"; {sum(1 for f in fb if f.status == 'empty')} not filled in."))


_frame.run_page("Practice: fill in the traces", INTRO, body, needs_function=False)
