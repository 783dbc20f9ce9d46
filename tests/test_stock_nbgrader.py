"""Stock nbgrader (generate_assignment + autograde, no autograder code in the loop) on a copy of the course.

The course must stay a plain nbgrader course: an instructor who never runs ``autograder grade``
gets full marks for the solutions and no marks for the blank exercises, from nbgrader alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import stock  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = stock.copy_course(tmp_path_factory.mktemp("stock") / "course")
    results = {}
    for assignment in stock.assignments():
        notebooks = sorted((stock.ROOT / "solutions" / assignment).glob("*.ipynb"))
        stock.submit(course, assignment, "solution", {p.name: p for p in notebooks})
        stock.submit(course, assignment, "blank", {p.name: stock.ROOT / "exercises" / assignment / p.name for p in notebooks})
        stock.generate(course, assignment)
        stock.autograde(course, assignment)
        results[assignment] = stock.scores(course, assignment)
    return results


@pytest.mark.parametrize("assignment", stock.assignments())
def test_solutions_get_full_marks_from_stock_nbgrader(graded, assignment):
    score, max_score, needs_manual = graded[assignment]["solution"]
    assert max_score > 0
    assert (score, needs_manual) == (max_score, False)


@pytest.mark.parametrize("assignment", stock.assignments())
def test_blank_exercises_get_nothing_from_stock_nbgrader(graded, assignment):
    score, max_score, _ = graded[assignment]["blank"]
    assert score == 0.0 and max_score > 0
