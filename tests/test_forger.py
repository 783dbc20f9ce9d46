"""A generic forger earns (almost) nothing, and is flagged for review where it can be seen.

The forger is a blank notebook plus one prelude cell. The cell finds the probe harness in the
kernel's namespace (any ``_autograder_*`` global holding a dict with 'probe') and wraps it so
that every visible probe returns a value the published expectation in autograder/specs/
accepts (Close and Equal values, made-up tensors and exceptions), passing anything else through.
Points come from probes on secret inputs, so it must stay under 15 % of every assignment.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import nbformat
import pytest
import submissions as S
from fairness import grade_variant

from autograder import course, spec

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = course.assignments(ROOT)
FORGED_SHARE = 0.15

FORGER = r'''
import json as _json
from autograder import spec as _spec

def _forge(expect):
    """Candidate plain values that the published expectation accepts."""
    if isinstance(expect, _spec.Close):
        return [expect.value]
    if isinstance(expect, _spec.Equal):
        return [list(expect.value) if isinstance(expect.value, tuple) else expect.value]
    if isinstance(expect, _spec.Raised):
        return [{"type": "exception", "class": expect.cls, "message": expect.contains}]
    if isinstance(expect, _spec.Tensor):
        shape = list(expect.shape or [])
        values = 0.5
        for n in reversed(shape):
            values = [values] * n
        return [{"type": "tensor", "dtype": expect.dtype if expect.dtype not in (None, "float") else "float32",
                 "shape": shape, "device": expect.device or "cpu", "requires_grad": bool(expect.requires_grad),
                 "is_leaf": expect.is_leaf is not False, "grad_fn": None if expect.is_leaf is not False else "MulBackward0",
                 "values": values}]
    if isinstance(expect, _spec.AllOf):
        singles = [c for part in expect.parts for c in _forge(part)]
        tensors = [c for c in singles if isinstance(c, dict) and c.get("type") == "tensor"]
        numbers = [_nested(c) for c in singles if not (isinstance(c, dict) and c.get("type") == "tensor")]
        return [dict(t, values=n) for t in tensors for n in numbers] + singles
    return []

def _nested(value):
    """A published value as the nested lists a tensor's values are."""
    if isinstance(value, dict) and value.get("type") in ("list", "tuple"):
        return [_nested(v) for v in value["items"]]
    if isinstance(value, dict) and value.get("type") == "tensor":
        return value["values"]
    return value

_TABLE = {}
for _item in _spec.load("{assignment}").items:
    for _probe in _item.probes:
        if not _probe.hidden:
            _good = [c for c in _forge(_probe.expect) if _probe.expect.explain(c, None) is None]
            if _good:
                _TABLE[_probe.expr] = _good[0]

for _name, _harness in list(globals().items()):
    if _name.startswith("_autograder_") and isinstance(_harness, dict) and "probe" in _harness:
        def _forged(expressions, namespace, *rest, _real=_harness["probe"]):
            real = _json.loads(_real(expressions, namespace, *rest))
            return _json.dumps([{"ok": True, "value": _TABLE[e]} if e in _TABLE else r for e, r in zip(expressions, real)])
        _harness["probe"] = _forged
'''


def forger_cell(assignment: str) -> str:
    return FORGER.replace("{assignment}", assignment)


def forged_notebook(assignment: str):
    """The released (blank) notebook with the forger as its first cell."""
    (path,) = course.notebooks(ROOT / "exercises" / assignment)
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(forger_cell(assignment)))
    return nb


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_forger_scores_at_most_15_percent(assignment):
    results = grade_variant(assignment, blank=True, prelude=forger_cell(assignment), seed=3)
    the_spec = spec.load(assignment)
    visible = [p for r in results.values() for p in r.probes if not p.hidden]
    # The forger is real: it passes the visible checks it can forge (almost all of them) ...
    assert sum(p.passed for p in visible) >= 0.8 * len(visible), [p.expr for p in visible if not p.passed]
    # ... and they are worth little: points come from secret inputs.
    score = sum(r.score for r in results.values())
    assert score <= FORGED_SHARE * the_spec.max_score, {k: r.score for k, r in results.items()}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_without_the_forger_a_blank_notebook_scores_almost_nothing(assignment):
    results = grade_variant(assignment, blank=True, seed=3)
    assert sum(r.score for r in results.values()) <= 0.05 * spec.load(assignment).max_score


def test_a_copy_that_finds_no_answer_where_its_probe_found_one_is_flagged():
    from autograder.grading.grade import contradicted_copies

    answered, missing = {"ok": True, "value": 8.0}, {"ok": False, "error": "NameError", "message": "name 'x' is not defined"}
    copies = {"q3": (0, "[x.grad, 5][0]")}
    assert contradicted_copies(copies, {"q3": [answered, answered, missing]}).startswith("review: probe harness tampered")
    assert contradicted_copies(copies, {"q3": [answered, answered, answered]}) == ""
    assert contradicted_copies(copies, {"q3": [missing, answered, missing]}) == ""  # honest and unanswered: no flag
    assert contradicted_copies(copies, {"q3": None}) == ""  # the notebook never got there


def test_the_summary_names_the_notebooks_to_review():
    from autograder.grading import report
    from autograder.grading.results import StudentResult

    results = [StudentResult("ann", "ex01", score=1, max_score=12, review="review: probe harness tampered (the probe "
                             "harness was replaced or changed before q1_tensors) in ex01.ipynb"),
               StudentResult("ben", "ex01", score=12, max_score=12)]
    lines = report.summary(results).splitlines()
    assert "review: probe harness tampered: ann/ex01" in lines
    assert not any("ben" in line and "review" in line for line in lines)


# ------------------------------------------------------------------------------------------------
# End to end: the forger in a sandboxed kernel, next to an honest notebook


E2E_ASSIGNMENTS = ["ex01", "ex09"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from test_hostile import course_copy, executor

    from autograder.grading.grade import grade

    base = tmp_path_factory.mktemp("forger")
    root, db_url = course_copy(base)
    from autograder.cli import ensure_registered
    from autograder.course.generate import generate

    for assignment in ASSIGNMENTS:
        ensure_registered(root, assignment, db_url, generate)
        S.write(base / "subs", "honest", S.solution(assignment), f"{assignment}.ipynb")
        if assignment in E2E_ASSIGNMENTS:
            S.write(base / "subs", "forger", forged_notebook(assignment), f"{assignment}.ipynb")
    pool, _ = executor()
    results = grade(ASSIGNMENTS, base / "subs", base / "out", root=root, db_url=db_url, seed=11, progress=False,
                    executor=pool)
    with open(base / "out" / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {(row["student_id"], row["assignment"]): row for row in csv.DictReader(f)}
    results = [r for r in results if r.student == "honest" or r.assignment in E2E_ASSIGNMENTS]  # a forger only where written
    return {(r.student, r.assignment): r for r in results}, rows, base


@pytest.mark.slow
@pytest.mark.parametrize("assignment", E2E_ASSIGNMENTS)
def test_forger_in_the_kernel_earns_little_and_is_flagged(graded, assignment):
    results, rows, base = graded
    forger = results[("forger", assignment)]
    assert forger.status == "ok"
    assert forger.score <= FORGED_SHARE * forger.max_score
    assert any(p.passed for item in forger.items for p in item.probes if not p.hidden)  # the forgery did run
    assert rows[("forger", assignment)]["review"].startswith("review: probe harness tampered")
    assert "tampered" not in (base / "out" / "feedback" / "forger" / f"{assignment}.html").read_text()  # for the instructor only


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_honest_notebook_is_never_flagged(graded, assignment):
    results, rows, _ = graded
    honest = results[("honest", assignment)]
    assert honest.score == honest.max_score
    assert honest.review == "" and rows[("honest", assignment)]["review"] == ""


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
