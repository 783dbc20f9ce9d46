"""One late student through the CLI: one worker with a smaller warm-up, and still the right grades.

A server that skips the batch-only preloads (torch.optim, torch._dynamo, ...) must still grade an
exercise whose solution uses an optimizer, the kernel importing those parts itself.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
import submissions as S

from autograder import spec
from autograder.cli import build_parser, named_students_notebooks
from autograder.sandbox.bubblewrap import unavailable_reason

ROOT = Path(__file__).resolve().parents[1]


def test_named_students_ask_for_as_many_workers_as_notebooks_and_a_class_for_the_default():
    parse = build_parser().parse_args
    one = parse(["grade", "ex07", "--submissions", "s", "--out", "o", "--student", "late"])
    two = parse(["grade", "ex07", "ex08", "--submissions", "s", "--out", "o", "--student", "a", "--student", "b"])
    everyone = parse(["grade", "ex07", "--submissions", "s", "--out", "o"])
    on_cluster = parse(["grade", "ex07", "--submissions", "s", "--out", "o", "--student", "a", "--scheduler", "local"])
    assert named_students_notebooks(ROOT, one) == 1
    assert named_students_notebooks(ROOT, two) == 4  # one notebook per exercise here
    assert named_students_notebooks(ROOT, everyone) is None and named_students_notebooks(ROOT, on_cluster) is None


@pytest.mark.slow
@pytest.mark.skipif(unavailable_reason() is not None, reason=f"no sandbox here: {unavailable_reason()}")
def test_a_late_student_whose_solution_uses_an_optimizer_gets_full_marks(tmp_path):
    course = S.copy_course(tmp_path / "course")  # autograded/ goes there, not into the repository
    S.write(tmp_path / "subs", "late", S.solution("ex07"), name="ex07.ipynb")
    S.write(tmp_path / "subs", "ontime", S.blank("ex07"), name="ex07.ipynb")  # not asked for: not graded
    run = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", "ex07", "--student", "late",
                          "--submissions", str(tmp_path / "subs"), "--out", str(tmp_path / "out"),
                          "--db-url", f"sqlite:///{tmp_path / 'gb.db'}", "--no-progress", "--seed", "3"],
                         cwd=course, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = list(csv.DictReader(open(tmp_path / "out" / "grades.csv", encoding="utf-8")))
    assert [(r["student_id"], float(r["score"]), r["status"]) for r in rows] == [("late", spec.load("ex07").max_score, "ok")]
