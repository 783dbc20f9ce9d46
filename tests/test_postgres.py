"""A PostgreSQL gradebook: a real server on loopback (tests/pg.py), graded into by two batches at once,
read back with `autograder export`, `nbgrader export` and nbgrader's gradebook API.

Skipped, with the reason, where PostgreSQL or psycopg is not installed; CI installs both.
"""

from __future__ import annotations

import csv
import os
import subprocess
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pg
import pytest
import submissions as S
from test_hostile import ASSIGNMENT, MAX, POINTS, VENV_BIN, gradebook_state
from test_resume import PARTIAL, grade_cli

from autograder.cli import ensure_registered
from autograder.course.generate import ensure_alembic_on_path, generate
from autograder.decide import ItemResult
from autograder.grading import record

pytestmark = pytest.mark.filterwarnings("ignore::nbformat.warnings.DuplicateCellId")


@pytest.fixture(scope="module")
def new_database():
    with pg.server() as create:
        yield create


@pytest.fixture(scope="module")
def course(new_database, tmp_path_factory):
    """A course copy whose gradebook is a PostgreSQL database, with ex01 and ex02 registered."""
    root = S.copy_course(tmp_path_factory.mktemp("pg") / "course")
    db_url = new_database("course")
    ensure_alembic_on_path()
    for assignment in ("ex01", "ex02"):
        ensure_registered(root, assignment, db_url, generate)
    return root, db_url


# ------------------------------------------------------------------------------------------------
# Many writers at once (no kernel): what lost 23 of 400 writes on one SQLite file


STUDENTS = 4


def write_grades(db_url: str, writer: int, students: int) -> None:
    for n in range(students):
        for assignment, notebook, item in (("ex01", "ex01", "q1_tensors"), ("ex02", "ex02", None)):
            item = item or first_item(assignment)
            record.record(db_url, assignment, f"s{n:02d}", notebook, [ItemResult(item, "", 1.0, float(writer % 2))])


def first_item(assignment: str) -> str:
    from autograder import spec

    return spec.load(assignment).items[0].id


def test_concurrent_writers_lose_and_double_nothing(course):
    """8 processes record the same students into 2 assignments at once (the same rows, on purpose)."""
    _, db_url = course
    with ProcessPoolExecutor(8, mp_context=get_context("fork")) as pool:
        for done in [pool.submit(write_grades, db_url, w, STUDENTS) for w in range(8)]:
            done.result()
    from nbgrader.api import Gradebook

    state = gradebook_state(db_url)  # asserts there is no duplicate submission, notebook or grade row
    with Gradebook(db_url) as gb:
        for n in range(STUDENTS):
            for assignment in ("ex01", "ex02"):
                submission = gb.find_submission(assignment, f"s{n:02d}")
                assert submission.score in (0.0, 1.0)  # one writer's grade, whole
    assert {s for s in state if s.startswith("s")} == {f"s{n:02d}" for n in range(STUDENTS)}


# ------------------------------------------------------------------------------------------------
# Two grading batches at once, read back three ways


@pytest.fixture(scope="module")
def two_batches(course, tmp_path_factory):
    root, db_url = course
    base = tmp_path_factory.mktemp("batches")
    sol = S.solution()
    S.write(base / "subs_a", "ann", sol)
    S.write(base / "subs_a", "bob", S.blank())
    S.write(base / "subs_b", "cid", S.replace_source(sol, "q4_answer", PARTIAL))
    S.write(base / "subs_b", "dee", sol)
    batches = [grade_cli(base / f"subs_{b}", base / f"out_{b}", root, db_url) for b in "ab"]
    for proc in batches:
        log, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, log
    rows = {}
    for b in "ab":
        rows.update({r["student_id"]: r for r in csv.DictReader(open(base / f"out_{b}" / "grades.csv", encoding="utf-8"))})
    return {"base": base, "rows": rows}


def cli(root: Path, *args: str) -> str:
    env = {**os.environ, "AUTOGRADER_COURSE_ROOT": str(root), "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(list(args), cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_two_batches_at_once_record_every_grade_once(course, two_batches):
    _, db_url = course
    rows = two_batches["rows"]
    assert {s: (r["status"], float(r["score"])) for s, r in rows.items() if s != "cid"} == {
        "ann": ("ok", MAX), "bob": ("ok", 0.0), "dee": ("ok", MAX)}
    assert 0 < float(rows["cid"]["q4_derivative_at"]) < POINTS["q4_derivative_at"]
    state = gradebook_state(db_url)  # no duplicate rows
    assert {s: state[s][0] for s in rows} == {s: pytest.approx(float(r["score"])) for s, r in rows.items()}


@pytest.mark.slow
def test_autograder_export_reads_the_postgres_gradebook(course, two_batches):
    root, db_url = course
    out = two_batches["base"] / "export.csv"
    cli(root, str(VENV_BIN / "autograder"), "export", "--db-url", db_url, "--out", str(out))
    exported = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(open(out, encoding="utf-8"))}
    for student, row in two_batches["rows"].items():
        assert float(exported[(student, ASSIGNMENT)]["score"]) == pytest.approx(float(row["score"]))
        assert exported[(student, ASSIGNMENT)]["status"] == "ok"


@pytest.mark.slow
def test_nbgrader_export_reads_the_postgres_gradebook(course, two_batches):
    root, db_url = course
    out = two_batches["base"] / "nbgrader.csv"
    cli(root, str(VENV_BIN / "nbgrader"), "export", f"--db={db_url}", f"--to={out}")
    exported = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(open(out, encoding="utf-8"))}
    for student, row in two_batches["rows"].items():
        assert float(exported[(student, ASSIGNMENT)]["score"]) == pytest.approx(float(row["score"]))
        assert float(exported[(student, ASSIGNMENT)]["max_score"]) == MAX


@pytest.mark.slow
def test_gradebook_api_reads_item_scores(course, two_batches):
    from nbgrader.api import Gradebook

    _, db_url = course
    with Gradebook(db_url) as gb:
        for student, row in two_batches["rows"].items():
            for item in POINTS:
                assert gb.find_grade(item, "ex01", ASSIGNMENT, student).score == pytest.approx(float(row[item]))


@pytest.mark.slow
def test_canvas_export_from_postgres(course, two_batches):
    root, db_url = course
    out = two_batches["base"] / "canvas.csv"
    cli(root, str(VENV_BIN / "autograder"), "export", "--db-url", db_url, "--out", str(out), "--format", "canvas",
        "--lms-id", "ex01=4711")
    rows = {r["SIS Login ID"]: r for r in csv.DictReader(open(out, encoding="utf-8"))}
    for student, row in two_batches["rows"].items():
        assert float(rows[student]["ex01 (4711)"]) == pytest.approx(float(row["score"]))
