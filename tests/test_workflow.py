"""The instructor's workflow: collect from an LMS zip -> grade -> feedback -> export."""

import csv
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import spec

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "ex01"
BIN = Path(sys.executable).parent


def autograder(*args, course_root):
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "AUTOGRADER_COURSE_ROOT": str(course_root)}
    done = subprocess.run([str(BIN / "autograder"), *args], cwd=course_root, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def course_copy(tmp_path_factory):
    """A copy of the course with its own gradebook, as an instructor's checkout would be."""
    root = tmp_path_factory.mktemp("course")
    for name in ("solutions", "exercises", "nbgrader_config.py"):
        source = ROOT / name
        (subprocess.run(["cp", "-r", str(source), str(root / name)], check=True))
    return root


def test_collect_reads_lms_names_and_reports_unknown_and_duplicate_files(course_copy, tmp_path):
    download = tmp_path / "download.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.write(SAMPLES / "alice" / "ex01.ipynb", "alice_1234_5678_ex01.ipynb")
        archive.write(SAMPLES / "carol" / "ex01.ipynb", "carol_2222_5678_ex01-1.ipynb")
        archive.write(SAMPLES / "carol" / "ex01.ipynb", "carol_2222_5679_ex01-2.ipynb")
        archive.writestr("readme.txt", "not a submission")
    out = autograder("collect", "ex01", str(download), "--submissions", str(course_copy / "submitted" / "ex01"), course_root=course_copy)
    assert "collected 2 submission(s)" in out
    assert "unknown file (no student id or not a notebook): readme.txt" in out
    assert "duplicate: carol/ex01.ipynb" in out
    assert sorted(p.name for p in (course_copy / "submitted" / "ex01").iterdir()) == ["alice", "carol"]


@pytest.mark.slow
def test_grade_feedback_and_export_tell_the_status(course_copy):
    submissions = course_copy / "submitted" / "ex01"
    (submissions / "ghost").mkdir(parents=True, exist_ok=True)  # registered student, nothing handed in
    autograder("grade", "ex01", "--submissions", str(submissions), "--out", str(course_copy / "out"), "--no-progress", course_root=course_copy)
    out = autograder("feedback", "ex01", "--out", str(course_copy / "fb"), course_root=course_copy)
    assert "fb/feedback/alice/ex01.html" in out
    page = (course_copy / "fb" / "feedback" / "carol" / "ex01.html").read_text()
    assert "accumulate" in page
    assert "Your notebook: ex01.ipynb" in page and "y.backward()" in page  # the student's executed notebook, re-rendered
    autograder("export", "--out", str(course_copy / "export.csv"), course_root=course_copy)
    with open(course_copy / "export.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    assert (float(rows["alice"]["score"]), rows["alice"]["status"]) == (spec.load("ex01").max_score, "ok")
    assert rows["ghost"]["status"] == "missing"
