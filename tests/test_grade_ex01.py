"""Exercise 01 graded end to end through `autograder grade`, on the bundled sample submissions."""

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder import spec

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "ex01"
POINTS = {item.id: item.points for item in spec.load("ex01").items}
MAX_SCORE = spec.load("ex01").max_score


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    db_url = f"sqlite:///{out}/gradebook.db"
    bindir = str(Path(sys.executable).parent)
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "HOME": str(out)}
    done = subprocess.run([f"{bindir}/autograder", "grade", "ex01", "--submissions", str(SAMPLES), "--out", str(out),
                           "--db-url", db_url, "--no-progress"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(out / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    return out, db_url, rows, done.stdout


def test_csv_has_the_promised_columns_one_row_per_student(graded):
    _, _, rows, _ = graded
    assert sorted(rows) == sorted(p.name for p in SAMPLES.iterdir())
    assert {"student_id", "assignment", "score", "max_score", "status"} <= set(next(iter(rows.values())))


def test_solution_gets_full_marks_and_untouched_exercise_zero(graded):
    _, _, rows, _ = graded
    assert rows["alice"]["status"] == "ok" and float(rows["alice"]["score"]) == float(rows["alice"]["max_score"]) == MAX_SCORE
    assert (float(rows["bob"]["score"]), rows["bob"]["status"]) == (0.0, "ok")


def test_backward_twice_loses_the_item_and_feedback_names_accumulation(graded):
    out, _, rows, _ = graded
    assert float(rows["carol"]["q3_backward"]) < POINTS["q3_backward"]
    assert float(rows["carol"]["q4_derivative_at"]) == POINTS["q4_derivative_at"]
    assert "accumulate" in (out / "feedback" / "carol" / "ex01.html").read_text()


def test_hard_coded_gradient_and_fake_derivative_lose_the_hidden_items(graded):
    out, _, rows, _ = graded
    assert float(rows["dave"]["q4_derivative_at"]) < POINTS["q4_derivative_at"]
    html = (out / "feedback" / "dave" / "ex01.html").read_text()
    hidden = [p for item in spec.load("ex01").items for p in spec.item_probes("ex01", item, "any secret") if p.hidden]
    assert html.count("<li>hidden check") == len(hidden) and not re.search(r"<li>hidden check[^<]*: passed</li>", html)
    assert "lambda t: torch.exp" not in html  # hidden probes are never shown


def test_crash_is_a_status_not_a_silent_zero(graded):
    _, _, rows, stdout = graded
    assert rows["erin"]["status"] == "crashed" and "kernel died" in rows["erin"]["detail"]
    assert float(rows["erin"]["q1_tensors"]) == POINTS["q1_tensors"]  # work before the crash still counts
    assert "crashed" in stdout  # the summary table


def test_integer_tensor_is_named(graded):
    out, _, rows, _ = graded
    assert float(rows["frank"]["q1_tensors"]) < POINTS["q1_tensors"]
    assert "floating-point" in (out / "feedback" / "frank" / "ex01.html").read_text()


def test_grades_are_in_nbgraders_gradebook(graded):
    _, db_url, rows, _ = graded
    with Gradebook(db_url) as gb:
        for student, row in rows.items():
            assert gb.find_submission("ex01", student).score == pytest.approx(float(row["score"]))
