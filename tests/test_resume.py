"""Incremental recording, `autograder grade --resume` after a SIGKILL, hand-set grades, and the item analysis.

The batch tests grade ex01 through the real command line (tests/test_hostile.py's helpers); the
item-analysis and hand-set-grade tests on their own need no kernel.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import submissions as S
from test_hostile import (
    ASSIGNMENT,
    CELL_TIMEOUT,
    MAX,
    NOTEBOOK_TIMEOUT,
    POINTS,
    SEED,
    VENV_BIN,
    course_copy,
    gradebook_state,
)

from autograder.decide import ItemResult, ProbeResult
from autograder.grading import record, report
from autograder.grading.results import StudentResult

PARTIAL = "def derivative_at(f, x0):\n    return 1.0"
TWICE = "x = torch.tensor(2.0, requires_grad=True)\ny = x**2 + 4 * x + 3\ny.backward(retain_graph=True)\ny.backward()"
ACCUMULATED = "x.grad is 16 = 2 x 8: backward() ran twice"  # the start of ex01's hint for exactly that mistake


def class_of_four(folder: Path) -> None:
    sol = S.solution()
    for student, nb in {"a_honest": sol, "b_blank": S.blank(), "c_partial": S.replace_source(sol, "q4_answer", PARTIAL),
                        "d_twice": S.replace_source(sol, "q3_answer", TWICE)}.items():
        S.write(folder, student, nb)


def grade_cli(subs: Path, out: Path, root: Path, db_url: str, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "AUTOGRADER_COURSE_ROOT": str(root), "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}
    cmd = [str(VENV_BIN / "autograder"), "grade", ASSIGNMENT, "--submissions", str(subs), "--out", str(out),
           "--db-url", db_url, "--seed", str(SEED), "--no-progress", "--workers", "1",
           "--cell-timeout", str(CELL_TIMEOUT), "--timeout", str(NOTEBOOK_TIMEOUT), *extra]
    return subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def finished(proc: subprocess.Popen) -> str:
    log, _ = proc.communicate(timeout=400)
    assert proc.returncode == 0, log
    return log


def csv_rows(out: Path) -> dict[str, dict]:
    """student -> row, without the seconds column (timing differs from run to run)."""
    rows = {r["student_id"]: r for r in csv.DictReader(open(out / "grades.csv", encoding="utf-8"))}
    return {s: {k: v for k, v in r.items() if k != "seconds"} for s, r in rows.items()}


def recorded_students(root: Path) -> set[str]:
    return {p.parts[-3] for p in (root / "autograded").glob(f"*/{ASSIGNMENT}/recorded")}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    base = tmp_path_factory.mktemp("whole")
    root, db_url = course_copy(base)
    class_of_four(base / "subs")
    log = finished(grade_cli(base / "subs", base / "out", root, db_url))
    return {"root": root, "db_url": db_url, "out": base / "out", "log": log}


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """A run SIGKILLed right after its first student was recorded, then `--resume`."""
    base = tmp_path_factory.mktemp("killed")
    root, db_url = course_copy(base)
    subs, out = base / "subs", base / "out"
    class_of_four(subs)
    first = grade_cli(subs, out, root, db_url)
    deadline = time.monotonic() + 240
    while not recorded_students(root) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert first.poll() is None, "the first run ended before it could be killed: " + first.stdout.read()
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    before = recorded_students(root)
    stamps = {s: (root / "autograded" / s / ASSIGNMENT / "ex01.ipynb").stat().st_mtime_ns for s in before}
    log = finished(grade_cli(subs, out, root, db_url, "--resume"))
    return {"root": root, "db_url": db_url, "out": out, "log": log, "before": before, "stamps": stamps, "subs": subs}


@pytest.mark.slow
def test_resume_grades_only_what_was_not_recorded(resumed):
    assert 1 <= len(resumed["before"]) < 4
    assert f"resuming: {len(resumed['before'])} submission(s) already recorded, {4 - len(resumed['before'])} notebook(s)" \
        in resumed["log"]
    for student, stamp in resumed["stamps"].items():  # not executed again
        assert (resumed["root"] / "autograded" / student / ASSIGNMENT / "ex01.ipynb").stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_resumed_batch_ends_with_the_grades_of_an_uninterrupted_run(resumed, uninterrupted):
    rows = csv_rows(resumed["out"])
    assert rows == csv_rows(uninterrupted["out"])
    assert {s: (r["status"], float(r["score"])) for s, r in rows.items() if s in ("a_honest", "b_blank")} == {
        "a_honest": ("ok", MAX), "b_blank": ("ok", 0.0)}
    assert rows["d_twice"]["status"] == "ok" and float(rows["d_twice"]["q3_backward"]) < POINTS["q3_backward"]
    partial = rows["c_partial"]
    assert partial["status"] == "ok" and 0 < float(partial["q4_derivative_at"]) < POINTS["q4_derivative_at"]
    assert float(partial["score"]) == pytest.approx(MAX - POINTS["q4_derivative_at"] + float(partial["q4_derivative_at"]))
    state = gradebook_state(resumed["db_url"])  # no duplicate rows; the gradebook agrees with the CSV
    assert state == gradebook_state(uninterrupted["db_url"])
    assert {s: v[0] for s, v in state.items()} == {s: float(r["score"]) for s, r in rows.items()}
    for student in rows:
        page = f"feedback/{student}/{ASSIGNMENT}.html"
        assert (resumed["out"] / page).read_text(encoding="utf-8") == (uninterrupted["out"] / page).read_text(encoding="utf-8")


@pytest.mark.slow
def test_summary_names_what_the_class_missed(uninterrupted):
    log = uninterrupted["log"]
    assert "item analysis for ex01 (4 graded)" in log
    lines = {line.split()[0]: line for line in log.splitlines() if "full marks (" in line}
    assert "3/4 full marks (75%)" in lines["q1_tensors"]  # all but the blank notebook
    assert "2/4 full marks (50%)" in lines["q3_backward"]  # not the blank one, nor the one that ran backward() twice
    assert "2/4 full marks (50%)" in lines["q4_derivative_at"]  # not the blank one, nor the partial one
    after_q3 = log.split(lines["q3_backward"], 1)[1].split(lines["q4_derivative_at"], 1)[0]
    assert f"1x {ACCUMULATED}" in after_q3


@pytest.mark.slow
def test_regrading_keeps_a_grade_set_by_hand_and_says_so(resumed):
    from nbgrader.api import Gradebook

    with Gradebook(resumed["db_url"]) as gb:  # what formgrader does when the instructor edits a score
        grade = gb.find_grade("q4_derivative_at", "ex01", ASSIGNMENT, "c_partial")
        grade.manual_score = 5.0
        gb.db.commit()
    before = csv_rows(resumed["out"])["c_partial"]
    auto = float(before["q4_derivative_at"])
    log = finished(grade_cli(resumed["subs"], resumed["out"], resumed["root"], resumed["db_url"], "--student", "c_partial"))
    assert "c_partial/ex01: q4_derivative_at keeps the score 5 set by hand in formgrader" in log
    row = csv_rows(resumed["out"])["c_partial"]
    assert f"q4_derivative_at: kept the score 5 set by hand (the autograder gave {auto:g})" in row["detail"]
    assert float(row["score"]) == pytest.approx(float(before["score"]) - auto + 5.0)
    with Gradebook(resumed["db_url"]) as gb:
        grade = gb.find_grade("q4_derivative_at", "ex01", ASSIGNMENT, "c_partial")
        assert (grade.manual_score, grade.auto_score) == (5.0, auto)
        assert gb.find_submission(ASSIGNMENT, "c_partial").score == float(row["score"])


# ------------------------------------------------------------------------------------------------
# No kernel needed


def test_record_never_overwrites_a_hand_set_grade(tmp_path):
    root, db_url = course_copy(tmp_path)
    items = [ItemResult("q1_tensors", "", 0.25, 0.25), ItemResult("q3_backward", "", 0.25, 0.0)]
    assert record.record(db_url, ASSIGNMENT, "ann", "ex01", items) == {}
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        gb.find_grade("q3_backward", "ex01", ASSIGNMENT, "ann").manual_score = 0.2
        gb.db.commit()
    regraded = [ItemResult("q1_tensors", "", 0.25, 0.0), ItemResult("q3_backward", "", 0.25, 0.25)]
    assert record.record(db_url, ASSIGNMENT, "ann", "ex01", regraded) == {"q3_backward": 0.2}
    assert record.remove(db_url, ASSIGNMENT, "ann") == {"q3_backward": 0.2}  # a vanished notebook keeps it too
    with Gradebook(db_url) as gb:
        q1, q3 = (gb.find_grade(i, "ex01", ASSIGNMENT, "ann") for i in ("q1_tensors", "q3_backward"))
        assert (q1.auto_score, q3.manual_score, q3.auto_score) == (0.0, 0.2, 0.0)


def probe(passed: bool, hint: str = "") -> ProbeResult:
    return ProbeResult("expr", False, passed, "" if passed else "wrong", hint)


def student(name: str, *items: ItemResult) -> StudentResult:
    return StudentResult(name, "ex01", score=sum(i.score for i in items), max_score=2.0, items=list(items))


def test_item_analysis_gives_the_share_of_full_marks_and_the_most_frequent_hints():
    twice = "x.grad is 16: backward() ran twice"
    results = [
        student("a", ItemResult("q1", "", 1, 1, [probe(True)]), ItemResult("q2", "", 1, 1, [probe(True)])),
        student("b", ItemResult("q1", "", 1, 0, [probe(False, twice), probe(False, twice)]),
                ItemResult("q2", "", 1, 0.5, [probe(True), probe(False, "shape (2, 3)")])),
        student("c", ItemResult("q1", "", 1, 0, [probe(False, twice)]), ItemResult("q2", "", 1, 1, [probe(True)])),
        student("d", ItemResult("q1", "", 1, 0, [probe(False, "call backward()")]), ItemResult("q2", "", 1, 1, [probe(True)])),
        StudentResult("e", "ex01", status="missing", max_score=2.0),  # handed nothing in: not counted
    ]
    lines = report.summary(results).splitlines()
    start = lines.index("item analysis for ex01 (4 graded): full marks, most frequent hints")
    assert [" ".join(line.split()) for line in lines[start + 1:]] == [
        "q1 1/4 full marks (25%)",
        f"2x {twice}",  # once per student, however many of the student's probes gave it
        "1x call backward()",
        "q2 3/4 full marks (75%)",
        "1x shape (2, 3)",
    ]
